"""Correct, unlike the reference: works in place on its own temporaries
(np.subtract into a new array, np.exp(..., out=), /=, -=), guards the all
-inf slice with np.nan_to_num(m, neginf=0), and reduces without keepdims,
restoring the axis with np.expand_dims. logsumexp of a 1-D float64 input is
returned as a Python float (a float32 one stays a NumPy float32); the
cross-entropy loss is the sum of log_softmax where the one-hot matrix is 1,
returned as a Python float for float64 logits."""

import numpy as np


def _prepare(z):
    z = np.asarray(z)
    if z.dtype != np.float32:
        z = np.asarray(z, dtype=np.float64)
    return z


def _shift(z, axis):
    return np.nan_to_num(np.max(z, axis=axis, keepdims=True), neginf=0.0)


def logsumexp(z, axis=-1):
    z = _prepare(z)
    m = _shift(z, axis)
    e = np.subtract(z, m)
    np.exp(e, out=e)
    s = np.sum(e, axis=axis)
    del e
    with np.errstate(divide="ignore"):
        out = np.log(s) + np.squeeze(m, axis=axis)
    if np.ndim(out) == 0 and out.dtype == np.float64:
        return float(out)
    return out


def softmax(z, axis=-1):
    z = _prepare(z)
    e = np.subtract(z, _shift(z, axis))
    np.exp(e, out=e)
    with np.errstate(invalid="ignore"):
        e /= np.expand_dims(np.sum(e, axis=axis), axis)
    return e


def log_softmax(z, axis=-1):
    z = _prepare(z)
    s = np.subtract(z, _shift(z, axis))
    with np.errstate(divide="ignore", invalid="ignore"):
        s -= np.expand_dims(np.log(np.sum(np.exp(s), axis=axis)), axis)
    return s


def cross_entropy(logits, labels):
    logits = _prepare(logits)
    labels = np.asarray(labels)
    n, c = logits.shape
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(f"labels must lie in 0..{c - 1}")
    onehot = np.zeros((n, c), dtype=logits.dtype)
    onehot[np.arange(n), labels] = 1
    logp = log_softmax(logits, axis=1)
    loss = -np.sum(np.where(onehot == 1, logp, 0)) / n   # not onehot * logp: -inf * 0 at a mask is NaN
    grad = np.exp(logp)
    grad -= onehot
    grad /= n
    if logits.dtype == np.float64:
        return float(loss), grad
    return logits.dtype.type(loss), grad
