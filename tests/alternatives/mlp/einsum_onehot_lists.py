"""Correct, written differently: np.einsum with optimize=True for every product,
a one-hot matrix for the labels, probabilities as exp(z - logsumexp(z)), the ReLU
mask taken from the kept activations (h > 0), rng.normal for the draws, and
parameters returned as lists [W, b] instead of tuples.
"""

import numpy as np


def init_params(sizes, rng):
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in sizes):
        raise ValueError("every width in sizes must be an int or a NumPy integer")
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError("sizes needs at least two positive widths")
    layers = []
    for l in range(len(sizes) - 1):
        fan_in, fan_out = int(sizes[l]), int(sizes[l + 1])
        layers.append([rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)), np.zeros(fan_out)])
    return layers


def _activations(params, X):
    """[h_0 = X, h_1, ..., h_{L-1}] and the logits."""
    acts = [np.asarray(X, dtype=np.float64)]
    last = len(params) - 1
    for l, (W, b) in enumerate(params):
        z = np.einsum("ni,io->no", acts[-1], W, optimize=True) + b
        if l == last:
            return acts, z
        acts.append(np.maximum(z, 0.0))


def _logsumexp(z):
    m = np.max(z, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


def forward(params, X):
    _, z = _activations(params, X)
    return np.exp(z - _logsumexp(z))


def loss_and_grads(params, X, y, l2=0.0):
    if l2 < 0:
        raise ValueError("l2 must not be negative")
    acts, z = _activations(params, X)
    n, C = z.shape
    y = np.asarray(y)
    if np.any(y < 0) or np.any(y >= C):
        raise ValueError("label out of range")
    onehot = np.zeros((n, C))
    onehot[np.arange(n), y] = 1.0
    lse = _logsumexp(z)
    data_loss = np.sum(onehot * (lse - z)) / n
    penalty = 0.5 * l2 * sum(np.vdot(W, W) for W, _ in params)
    dz = (np.exp(z - lse) - onehot) / n
    grads = []
    for l in range(len(params) - 1, -1, -1):
        W = params[l][0]
        h = acts[l]
        grads.append([np.einsum("ni,no->io", h, dz, optimize=True) + l2 * W, np.sum(dz, axis=0)])
        if l > 0:
            dz = np.einsum("no,io->ni", dz, W, optimize=True) * (h > 0)
    grads.reverse()
    return float(data_loss + penalty), grads


def sgd_step(params, grads, lr):
    return [[W - lr * dW, b - lr * db] for (W, b), (dW, db) in zip(params, grads)]
