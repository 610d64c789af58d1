"""np.linalg.lstsq on the centred data; ridge as an ordinary least-squares
problem on X stacked over sqrt(l2) I; SGD on a permuted copy of the data
per epoch, sliced into batches."""

import math

import numpy as np


def _check(X, y):
    X = np.array(X, dtype=float)
    y = np.array(y, dtype=float)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.size == 0:
        raise ValueError("X must be (n, d) with n, d >= 1 and y (n,)")
    if not np.all(np.isfinite(X)) or not np.all(np.isfinite(y)):
        raise ValueError("X and y must be finite")
    return X, y


def fit_linear(X, y, l2=0.0, fit_intercept=True):
    X, y = _check(X, y)
    if not (math.isfinite(l2) and l2 >= 0):
        raise ValueError("l2 must be finite and >= 0")
    n, d = X.shape
    x_mean = X.mean(axis=0) if fit_intercept else np.zeros(d)
    y_mean = y.mean() if fit_intercept else 0.0
    Xc = X - x_mean
    yc = y - y_mean
    if l2 == 0:
        w = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    else:
        # ||yc - Xc w||^2 + l2 ||w||^2 = ||[yc; 0] - [Xc; sqrt(l2) I] w||^2
        stacked = np.vstack([Xc, math.sqrt(l2) * np.eye(d)])
        w = np.linalg.lstsq(stacked, np.concatenate([yc, np.zeros(d)]), rcond=None)[0]
    b = float(y_mean - x_mean @ w) if fit_intercept else 0.0
    return w, b


def sgd_linear(X, y, lr, epochs, batch_size, rng):
    X, y = _check(X, y)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError("lr must be finite and > 0")
    if not all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 1 for k in (epochs, batch_size)):
        raise ValueError("epochs and batch_size must be integers >= 1")
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    losses = []
    for _ in range(epochs):
        perm = rng.permutation(n)
        Xp, yp = X[perm], y[perm]
        for start in range(0, n, batch_size):
            Xb = Xp[start:start + batch_size]
            r = Xb @ w + b - yp[start:start + batch_size]
            w = w - lr * (r @ Xb) / len(r)
            b = b - lr * np.mean(r)
        losses.append(np.mean((X @ w + b - y) ** 2) / 2)
    return w, float(b), np.array(losses, dtype=np.float64)
