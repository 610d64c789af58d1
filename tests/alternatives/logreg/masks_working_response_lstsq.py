"""Correct, unlike the reference: sigmoid fills an output array through a
boolean mask (e / (1 + e) everywhere, then 1 / (1 + e) where z >= 0);
log_loss is np.logaddexp(0, z) - y z (exact within the stated rounding
allowance); fit_logistic is IRLS written with the working response,
theta_new = H^-1 A^T (S A theta + y - p), in a while loop that counts its
steps; the bonus solves the singular multinomial Newton system with
np.linalg.lstsq (the minimum-norm step has no component along the shift
of the intercepts, so they keep summing to zero)."""

import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    if z.dtype != np.float32:
        z = z.astype(np.float64)
    e = np.exp(-np.abs(z))
    out = np.empty_like(e)                  # an array even for 0-d z (e / (1 + e) would be a scalar)
    np.divide(e, 1 + e, out=out)
    pos = z >= 0
    out[pos] = 1 / (1 + e[pos])
    return out


def _check_labels(y):
    y = np.asarray(y)
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return y.astype(np.float64)


def log_loss(y, z):
    y = _check_labels(y)
    z = np.asarray(z).astype(np.float64)
    if y.shape != z.shape:
        raise ValueError("y and z must have the same shape")
    if y.size < 1:
        raise ValueError("y and z must have at least one entry")
    return np.mean(np.logaddexp(0.0, z) - y * z)


def fit_logistic(X, y, l2=1.0, max_iter=100, tol=1e-8):
    if l2 <= 0:
        raise ValueError("l2 must be > 0")
    y = _check_labels(y)
    if len(np.unique(y)) < 2:
        raise ValueError("need both classes")
    X = np.asarray(X).astype(np.float64)
    n, d = X.shape
    A = np.concatenate([X, np.ones((n, 1))], axis=1)
    penalty = np.append(np.full(d, float(l2)), 0.0)
    theta = np.zeros(d + 1)
    steps = 0
    while True:
        eta = A @ theta
        p = sigmoid(eta)
        g = A.T @ (p - y) + penalty * theta
        if np.abs(g).max() <= tol * n or steps >= max_iter:
            return theta[:d].copy(), theta[d]
        s = p * (1 - p)
        H = A.T @ (A * s[:, None]) + np.diag(penalty)
        theta = np.linalg.solve(H, A.T @ (s * eta + y - p))
        steps += 1


def fit_softmax(X, y, l2=1.0, max_iter=100, tol=1e-8):
    if l2 <= 0:
        raise ValueError("l2 must be > 0")
    y = np.asarray(y)
    if y.dtype.kind not in "iu" or y.min() < 0:
        raise ValueError("labels must be integers 0..K-1")
    K = y.max() + 1
    if K < 2 or len(np.unique(y)) != K:
        raise ValueError("every class 0..K-1 must occur, K >= 2")
    X = np.asarray(X).astype(np.float64)
    n, d = X.shape
    A = np.concatenate([X, np.ones((n, 1))], axis=1)
    Y = np.eye(K)[y]
    penalty = np.ones((d + 1, K)) * l2
    penalty[d] = 0
    theta = np.zeros((d + 1, K))
    for _ in range(max_iter):
        Z = A @ theta
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P = P / P.sum(axis=1, keepdims=True)
        G = A.T @ (P - Y) + penalty * theta
        if np.abs(G).max() <= tol * n:
            break
        H = np.zeros((d + 1, K, d + 1, K))
        for c in range(K):
            for c2 in range(K):
                w = P[:, c] * ((c == c2) - P[:, c2])
                H[:, c, :, c2] = A.T @ (A * w[:, None])
        H = H.reshape((d + 1) * K, (d + 1) * K) + np.diag(penalty.ravel())
        step = np.linalg.lstsq(H, G.ravel(), rcond=None)[0]
        theta = theta - step.reshape(d + 1, K)
    b = theta[d] - theta[d].mean()
    return theta[:d], b
