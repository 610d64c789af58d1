"""Only int8 and uint8 input is widened (to int64) before the shift; wider
integers are kept, since "z - max(z) cannot wrap around for them", and exp()
then gives float64. That holds for signed integers, but for unsigned ones
(uint16, uint32, uint64) every z - max(z) below 0 wraps around to a huge
positive number: exp() overflows and the results are inf and NaN. Integers
of any size, signed or not, are to be converted to float64 first."""

import numpy as np

CAUGHT_BY = ('test_other_dtypes_give_float64',)


def _as_float(z):
    """z as a float32 or float64 array (a view or the input itself: never written to)."""
    z = np.asarray(z)
    if z.dtype == np.float32:
        return z
    if z.dtype in (np.int8, np.uint8):
        z = z.astype(np.int64)          # 8-bit integers would wrap around in z - max(z)
    if z.dtype.kind in "iu":
        return z                        # wider integers: z - max(z) is exact, and exp() gives float64
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
    """log(sum(exp(z), axis)), computed without overflow; the axis is removed."""
    z = _as_float(z)
    m = _finite_max(z, axis)
    with np.errstate(divide="ignore"):                 # log(0) = -inf for an all -inf slice
        out = np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def softmax(z, axis=-1):
    """exp(z) / sum(exp(z), axis), same shape and dtype as z."""
    z = _as_float(z)
    e = np.exp(z - _finite_max(z, axis))
    with np.errstate(invalid="ignore"):                # 0 / 0 = NaN for an all -inf slice
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """z - logsumexp(z, axis) (keepdims), same shape and dtype as z."""
    z = _as_float(z)
    shifted = z - _finite_max(z, axis)
    with np.errstate(divide="ignore", invalid="ignore"):   # -inf - (-inf) = NaN for an all -inf slice
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


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
    return grad.dtype.type(loss), grad
