"""Correct, unlike the reference: the -inf entries are handled with numpy's
`where=` arguments instead of a guarded shift. The maximum is taken over the
finite entries only (np.max(..., where=finite, initial=-inf)), exp is
evaluated only where the entry is finite (np.exp(..., where=, out=zeros)),
and an all -inf slice (maximum -inf) is given its -inf / NaN afterwards with
np.where. logsumexp squeezes its keepdims result with an explicit axis (a 0-d
array for 1-D input); cross_entropy validates the labels with np.any and
picks the label terms with fancy indexing."""

import numpy as np


def _prepare(z):
    z = np.asarray(z)
    return z if z.dtype == np.float32 else z.astype(np.float64)


def _parts(z, axis):
    """(shift m, sum of exp(z - m)), both keepdims; m = 0 and sum = 0 for an all -inf slice."""
    finite = np.isfinite(z)
    m = np.max(z, axis=axis, keepdims=True, where=finite, initial=-np.inf)
    m = np.where(m == -np.inf, np.zeros_like(m), m)
    e = np.exp(z - m, where=finite, out=np.zeros_like(z))
    return m, e


def logsumexp(z, axis=-1):
    z = _prepare(z)
    m, e = _parts(z, axis)
    with np.errstate(divide="ignore"):
        out = np.log(e.sum(axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def softmax(z, axis=-1):
    z = _prepare(z)
    _, e = _parts(z, axis)
    with np.errstate(invalid="ignore"):
        return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    z = _prepare(z)
    m, e = _parts(z, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        lse = np.log(e.sum(axis=axis, keepdims=True)) + m
        return z - lse


def cross_entropy(logits, labels):
    logits = _prepare(logits)
    labels = np.asarray(labels)
    n, c = logits.shape
    if np.any(labels < 0) or np.any(labels >= c):
        raise ValueError(f"labels out of range 0..{c - 1}")
    rows = np.arange(n)
    logp = log_softmax(logits, axis=1)
    loss = -logp[rows, labels].sum() / n
    grad = softmax(logits, axis=1)
    grad[rows, labels] -= 1
    return logits.dtype.type(loss), grad / n
