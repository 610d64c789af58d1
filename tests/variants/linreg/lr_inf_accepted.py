"""sgd_linear checks lr with 'if not lr > 0', the usual check: it refuses 0, negatives and NaN, but lr
= inf goes through and the run returns NaN weights instead of raising ValueError."""

import numpy as np

CAUGHT_BY = ('test_sgd_rejects_bad_arguments',)


def _data(X, y):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    if y.ndim != 1:
        raise ValueError("y must be 1-D")
    if X.shape[0] != y.shape[0]:
        raise ValueError("length mismatch")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError("empty X")
    X = X.astype(np.float64)  # always a copy
    y = y.astype(np.float64)
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("non-finite data")
    return X, y


def _solve(A, t, l2):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    uty = U.T @ t
    if l2 == 0.0:
        if s.size == 0 or s[0] == 0.0:
            return np.zeros(A.shape[1])
        cut = np.finfo(np.float64).eps * max(A.shape) * s[0]
        keep = s > cut
        f = np.zeros_like(s)
        f[keep] = 1.0 / s[keep]
    else:
        f = s / (s * s + l2)
    return Vt.T @ (f * uty)


def fit_linear(X, y, l2=0.0, fit_intercept=True):
    X, y = _data(X, y)
    try:
        l2 = float(l2)
    except (TypeError, ValueError):
        raise ValueError("l2 must be a number")
    if not np.isfinite(l2) or l2 < 0:
        raise ValueError("l2 must be finite and >= 0")
    if fit_intercept:
        xm = X.mean(axis=0)
        ym = y.mean()
        w = _solve(X - xm, y - ym, l2)
        b = float(ym - xm @ w)
    else:
        w = _solve(X, y, l2)
        b = 0.0
    return w, b


def _check_int(v, name):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"{name} must be an integer")
    if v < 1:
        raise ValueError(f"{name} must be >= 1")
    return int(v)


def sgd_linear(X, y, lr, epochs, batch_size, rng):
    X, y = _data(X, y)
    if isinstance(lr, (bool, np.bool_)):
        raise ValueError("lr must be a number")
    try:
        lr = float(lr)
    except (TypeError, ValueError):
        raise ValueError("lr must be a number")
    if not lr > 0:   # NaN fails this too
        raise ValueError("lr must be finite and > 0")
    epochs = _check_int(epochs, "epochs")
    batch_size = _check_int(batch_size, "batch_size")
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    losses = np.empty(epochs)
    for e in range(epochs):
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            Xb = X[idx]
            r = Xb @ w + b - y[idx]
            m = idx.shape[0]
            w = w - lr * (Xb.T @ r) / m
            b = b - lr * r.mean()
        res = X @ w + b - y
        losses[e] = 0.5 * np.mean(res * res)
    return w, float(b), losses
