"""One thin SVD of the centred X for every l2 (filter factors s / (s^2 + l2),
small singular values cut off when l2 = 0); SGD with a while loop over the
batch starts and einsum gradients."""

import numpy as np


def _validated(X, y):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    if y.shape != (X.shape[0],):
        raise ValueError("y must be 1-D with one entry per row of X")
    if 0 in X.shape:
        raise ValueError("X is empty")
    X = X.astype(np.float64)
    y = y.astype(np.float64)
    if np.isnan(X).any() or np.isinf(X).any() or np.isnan(y).any() or np.isinf(y).any():
        raise ValueError("non-finite data")
    return X, y


def fit_linear(X, y, l2=0.0, fit_intercept=True):
    X, y = _validated(X, y)
    l2 = np.float64(l2)
    if np.isnan(l2) or np.isinf(l2) or l2 < 0:
        raise ValueError("l2 must be a finite number >= 0")
    n, d = X.shape
    if fit_intercept:
        mx, my = X.mean(0), y.mean()
        X = X - mx
        y = y - my
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    if l2 > 0:
        f = s / (s * s + l2)
    else:
        cutoff = s[0] * max(n, d) * np.finfo(np.float64).eps
        f = np.divide(1.0, s, out=np.zeros_like(s), where=s > cutoff)
    w = Vt.T @ (f * (U.T @ y))
    if not fit_intercept:
        return w, 0.0
    return w, float(my - np.dot(mx, w))


def sgd_linear(X, y, lr, epochs, batch_size, rng):
    X, y = _validated(X, y)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError("lr must be positive")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if type(value) is bool or not np.issubdtype(type(value), np.integer) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1")
    epochs, batch_size = int(epochs), int(batch_size)
    n, d = X.shape
    w = np.zeros(d)
    b = np.float64(0.0)
    losses = np.zeros(epochs)
    for e in range(epochs):
        order = rng.permutation(n)
        start = 0
        while start < n:
            idx = order[start:start + batch_size]
            start += batch_size
            Xb = X[idx]
            r = np.einsum("ij,j->i", Xb, w) + b - y[idx]
            m = idx.size
            w = w - lr * np.einsum("ij,i->j", Xb, r) / m
            b = b - lr * r.sum() / m
        res = np.einsum("ij,j->i", X, w) + b - y
        losses[e] = 0.5 * np.einsum("i,i->", res, res) / n
    return w, b, losses
