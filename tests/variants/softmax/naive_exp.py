"""The textbook formulas without the max shift: exp(1e4) overflows to inf and
the results become NaN; and where all the finite entries of a slice are far
below 0 (-1000) every exp underflows, so logsumexp is -inf and softmax NaN."""

import numpy as np

CAUGHT_BY = ('test_large_logits_are_finite_and_exact', 'test_cross_entropy_large_logits', 'test_shift_invariance',
             'test_shift_is_per_slice', 'test_masked_rows_far_below_zero', 'test_all_minus_inf_rows')


def _as_float(z):
    """z as a float32 or float64 array (a view or the input itself: never written to)."""
    z = np.asarray(z)
    if z.dtype == np.float32:
        return z
    return z.astype(np.float64, copy=False)


def _finite_max(z, axis):
    """The maximum along axis (keepdims), replaced by 0 where it is -inf.

    A slice that is all -inf then gives z - 0 = -inf and exp(-inf) = 0
    instead of -inf - (-inf) = NaN.
    """
    m = np.max(z, axis=axis, keepdims=True)
    m[~np.isfinite(m)] = 0
    return m


def logsumexp(z, axis=-1):
    """log(sum(exp(z), axis)); the axis is removed."""
    z = _as_float(z)
    with np.errstate(divide="ignore", over="ignore"):
        return np.log(np.sum(np.exp(z), axis=axis))


def softmax(z, axis=-1):
    """exp(z) / sum(exp(z), axis)."""
    z = _as_float(z)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """z - logsumexp(z, axis) (keepdims)."""
    z = _as_float(z)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def cross_entropy(logits, labels):
    """(mean negative log-likelihood, gradient w.r.t. logits) for integer labels.

    logits is (N, C), labels (N,) with values in 0..C-1 (ValueError
    otherwise). The gradient is (softmax(logits) - one_hot(labels)) / N, with
    the dtype of the logits; the loss is a scalar of that dtype.
    """
    logits = _as_float(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits must be a 2-D array (N, C), got shape {logits.shape}")
    n, c = logits.shape
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    if n and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(f"labels must lie in 0..{c - 1}, got values from {labels.min()} to {labels.max()}")
    logp = log_softmax(logits, axis=1)
    rows = np.arange(n)
    loss = -np.mean(logp[rows, labels])
    grad = np.exp(logp)
    grad[rows, labels] -= 1
    grad /= n
    return logits.dtype.type(loss), grad
