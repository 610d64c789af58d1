"""Correct, unlike the reference: sigmoid is exp(-logaddexp(0, -z)) (rounds a
number of size |z| before exp: within the stated eps (|z| + 4)); log_loss
sums log-sigmoids, -y log_sigmoid(z) - (1 - y) log_sigmoid(-z) with
log_sigmoid(t) = -logaddexp(0, -t); fit_logistic takes at most max_iter
steps in a for loop and solves each Newton system through a Cholesky
factor (two triangular solves done with np.linalg.solve on the factor);
the bonus builds the multinomial Hessian with a Kronecker product per
sample batch (einsum) and pins the intercepts by fixing the last class's
intercept during the iterations, centring them at the end."""

import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    dtype = np.float32 if z.dtype == np.float32 else np.float64
    z = z.astype(dtype, copy=False)
    return np.exp(-np.logaddexp(dtype(0), -z))


def _log_sigmoid(t):
    return -np.logaddexp(0.0, -t)


def _labels(y):
    y = np.asarray(y)
    ok = (y == 0) | (y == 1)
    if not np.all(ok):
        raise ValueError("y must hold 0/1 labels")
    return y.astype(float)


def log_loss(y, z):
    y = _labels(y)
    z = np.asarray(z, dtype=float)
    if z.shape != y.shape:
        raise ValueError("shape mismatch")
    if not y.size:
        raise ValueError("no samples")
    losses = -(y * _log_sigmoid(z) + (1 - y) * _log_sigmoid(-z))
    return float(losses.sum() / losses.size)


def fit_logistic(X, y, l2=1.0, max_iter=100, tol=1e-8):
    if not (l2 > 0):
        raise ValueError("l2 must be positive")
    y = _labels(y)
    if y.all() or not y.any():
        raise ValueError("both classes must occur")
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    A = np.column_stack([X, np.ones(n)])
    lam = np.r_[np.full(d, l2, dtype=float), 0.0]
    theta = np.zeros(d + 1)
    for _ in range(max_iter):
        p = sigmoid(A @ theta)
        g = A.T @ (p - y) + lam * theta
        if np.max(np.abs(g)) <= tol * n:
            break
        H = A.T @ (A * (p * (1 - p))[:, None])
        H[np.arange(d + 1), np.arange(d + 1)] += lam
        L = np.linalg.cholesky(H)
        theta = theta - np.linalg.solve(L.T, np.linalg.solve(L, g))
    return theta[:d], theta[d]


def fit_softmax(X, y, l2=1.0, max_iter=100, tol=1e-8):
    if not (l2 > 0):
        raise ValueError("l2 must be positive")
    y = np.asarray(y)
    if y.dtype.kind not in "iu" or y.size == 0 or y.min() < 0:
        raise ValueError("labels must be 0..K-1")
    K = int(y.max()) + 1
    if K < 2 or np.bincount(y).min() == 0:
        raise ValueError("every class must occur and K >= 2")
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    A = np.column_stack([X, np.ones(n)])
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1
    m = (d + 1) * K
    lam = np.tile(np.r_[np.full(d, l2, dtype=float), 0.0][:, None], (1, K)).ravel()
    free = np.ones(m, bool)
    free[d * K + K - 1] = False          # the last class's intercept stays 0 while iterating
    theta = np.zeros(m)
    for _ in range(max_iter):
        Z = A @ theta.reshape(d + 1, K)
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        g = (A.T @ (P - Y)).ravel() + lam * theta
        if np.max(np.abs(g)) <= tol * n:
            break
        C = np.einsum("ik,kl->ikl", P, np.eye(K)) - np.einsum("ik,il->ikl", P, P)   # (n, K, K)
        H = np.einsum("ia,ib,ikl->akbl", A, A, C, optimize=True).reshape(m, m) + np.diag(lam)
        step = np.zeros(m)
        step[free] = np.linalg.solve(H[np.ix_(free, free)], g[free])
        theta = theta - step
    theta = theta.reshape(d + 1, K)
    return theta[:d], theta[d] - theta[d].mean()
