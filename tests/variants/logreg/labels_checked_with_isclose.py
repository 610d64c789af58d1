"""Labels are checked with np.isclose(y, 0) | np.isclose(y, 1): 2, -1 and 0.5 are refused, but 1 - 1e-9
or 1e-9 pass the check, where the labels must equal 0 or 1 exactly."""

import numpy as np

CAUGHT_BY = ('test_fit_rejects_labels_other_than_0_1', 'test_log_loss_rejects_bad_input')


def sigmoid(z):
    z = np.asarray(z)
    dt = np.float32 if z.dtype == np.float32 else np.float64
    z = z.astype(dt)
    e = np.exp(-np.abs(z))
    one = dt(1)
    return np.where(z >= 0, one / (one + e), e / (one + e))


def _labels01(y):
    y = np.asarray(y)
    if not np.all(np.isclose(y, 0) | np.isclose(y, 1)):
        raise ValueError("labels must be 0 or 1")
    return y.astype(np.float64)


def log_loss(y, z):
    y = np.asarray(y)
    z = np.asarray(z)
    if y.shape != z.shape:
        raise ValueError("shape mismatch")
    if y.size == 0:
        raise ValueError("empty input")
    y = _labels01(y)
    z = z.astype(np.float64)
    sp = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    return float(np.mean(sp - y * z))


def _check_l2(l2):
    if not (l2 > 0) or not np.isfinite(l2):
        raise ValueError("l2 must be > 0")


def fit_logistic(X, y, l2=1.0, max_iter=100, tol=1e-8):
    _check_l2(l2)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError("bad shapes")
    y = _labels01(y)
    if y.size == 0 or y.min() == y.max():
        raise ValueError("y must contain both classes")
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    pen = np.full(d + 1, float(l2))
    pen[-1] = 0.0
    theta = np.zeros(d + 1)
    it = 0
    while True:
        p = sigmoid(A @ theta)
        g = A.T @ (p - y) + pen * theta
        if np.max(np.abs(g)) <= tol * n or it >= max_iter:
            break
        s = p * (1.0 - p)
        H = (A.T * s) @ A
        H[np.diag_indices_from(H)] += pen
        theta = theta - np.linalg.solve(H, g)
        it += 1
    return theta[:-1].copy(), float(theta[-1])


def fit_softmax(X, y, l2=1.0, max_iter=100, tol=1e-8):
    _check_l2(l2)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or len(y) == 0:
        raise ValueError("bad shapes")
    if not np.all(y == np.round(y)) or y.min() < 0:
        raise ValueError("labels must be non-negative integers")
    y = y.astype(np.int64)
    K = int(y.max()) + 1
    if K < 2 or np.bincount(y, minlength=K).min() == 0:
        raise ValueError("every class 0..K-1 must occur, K >= 2")
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1.0
    pen = np.full((d + 1, K), float(l2))
    pen[-1] = 0.0
    theta = np.zeros((d + 1, K))
    D = (d + 1) * K
    u = np.zeros((d + 1, K))
    u[-1] = 1.0 / np.sqrt(K)
    u = u.ravel()
    it = 0
    while True:
        Z = A @ theta
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        G = A.T @ (P - Y) + pen * theta
        if np.max(np.abs(G)) <= tol * n or it >= max_iter:
            break
        H = np.empty((d + 1, K, d + 1, K))
        for k in range(K):
            for m in range(K):
                wgt = (P[:, k] if k == m else 0.0) - P[:, k] * P[:, m]
                H[:, k, :, m] = (A.T * wgt) @ A
        H = H.reshape(D, D) + np.diag(pen.ravel()) + np.outer(u, u)
        theta = theta - np.linalg.solve(H, G.ravel()).reshape(d + 1, K)
        it += 1
    b = theta[-1] - theta[-1].mean()
    return theta[:-1].copy(), b
