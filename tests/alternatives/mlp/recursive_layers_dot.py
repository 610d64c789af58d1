"""Correct, written differently: backpropagation as a recursion over the layers
(each call returns the gradient of its input), np.dot, ReLU as z * (z > 0), the
He scale written as a division by sqrt(fan_in / 2), and the loss as the mean of
logsumexp(z) - z[y].
"""

import math

import numpy as np


def init_params(sizes, rng):
    sizes = list(sizes)
    if not all(np.issubdtype(type(s), np.integer) for s in sizes):    # bool and float are not
        raise ValueError(f"widths must be integers, got {sizes}")
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"bad sizes {sizes}")
    out = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        out.append((rng.standard_normal(size=(fan_in, fan_out)) / math.sqrt(fan_in / 2.0), np.zeros(fan_out)))
    return out


def _stable_log_softmax(z):
    shifted = z - np.max(z, axis=1)[:, None]
    return shifted - np.log(np.sum(np.exp(shifted), axis=1))[:, None]


def _logits(params, h):
    for W, b in params[:-1]:
        z = np.dot(h, W) + b
        h = z * (z > 0)
    W, b = params[-1]
    return np.dot(h, W) + b


def forward(params, X):
    return np.exp(_stable_log_softmax(_logits(params, np.asarray(X, dtype=float))))


def _backward(params, h, y, n, l2):
    """(loss, grads of params, gradient w.r.t. h) of the network params[...] applied to h."""
    W, b = params[0]
    z = np.dot(h, W) + b
    if len(params) == 1:
        logp = _stable_log_softmax(z)
        rows = np.arange(n)
        loss = -np.sum(logp[rows, y]) / n
        dz = np.exp(logp)
        dz[rows, y] -= 1.0
        dz = dz / n
    else:
        loss, rest, dh_next = _backward(params[1:], z * (z > 0), y, n, l2)
        dz = dh_next * (z > 0)
    grads = [(np.dot(h.T, dz) + l2 * W, np.sum(dz, axis=0))]
    if len(params) > 1:
        grads += rest
    return loss, grads, np.dot(dz, W.T)


def loss_and_grads(params, X, y, l2=0.0):
    if l2 < 0:
        raise ValueError("negative l2")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=np.int64)
    C = params[-1][0].shape[1]
    if y.size and (y.min() < 0 or y.max() > C - 1):
        raise ValueError("labels outside 0..C-1")
    loss, grads, _ = _backward(list(params), X, y, len(y), l2)
    loss += l2 / 2 * sum(float(np.sum(np.square(W))) for W, _ in params)
    return loss, grads


def sgd_step(params, grads, lr):
    new = []
    for (W, b), (dW, db) in zip(params, grads):
        new.append((W - lr * dW, b - lr * db))
    return new
