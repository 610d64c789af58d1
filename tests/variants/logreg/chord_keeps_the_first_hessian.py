"""fit_logistic keeps the Hessian of its first step (at theta = 0, where every p is 1/2) for every
later step: a chord method. It still converges to the minimiser on well-conditioned data (slowly
where p moves far from 1/2), so the answer and its gradient pass, and so does max_iter=1; but
after 2 and 3 steps its iterates are not Newton's (13% and 10% off on the max_iter test's data).
"""

CAUGHT_BY = ("test_fit_max_iter",)

import numpy as np


def sigmoid(z):
    """1 / (1 + exp(-z)) elementwise, without overflow; float32 in, float32 out."""
    z = np.asarray(z)
    if z.dtype != np.float32:
        z = z.astype(np.float64)
    e = np.exp(-np.abs(z))                     # in (0, 1]: never overflows
    out = np.where(z >= 0, 1.0, e)             # the numerator: 1 for z >= 0, e = exp(z) for z < 0
    e += 1
    out /= e
    return out


def _labels01(y, what="y"):
    """y as a float64 array of 0s and 1s (ValueError for any other value)."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{what} must be numeric 0/1 labels, got dtype {y.dtype}")
    y = y.astype(np.float64)
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{what} must contain only 0 and 1")
    return y


def _softplus(z):
    """log(1 + exp(z)) for float64 z, without overflow."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def log_loss(y, z):
    """Mean binary cross-entropy of labels y in {0, 1} given logits z (same shape)."""
    y = _labels01(y)
    z = np.asarray(z, dtype=np.float64)
    if y.shape != z.shape:
        raise ValueError(f"y has shape {y.shape} but z has shape {z.shape}")
    if y.size == 0:
        raise ValueError("y and z are empty: the mean of no losses is undefined")
    # -log sigmoid(z) = softplus(-z) = softplus(z) - z, -log(1 - sigmoid(z)) = softplus(z)
    return float(np.mean(_softplus(z) - y * z))


def _design(X, y):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n, d), got shape {X.shape}")
    if np.shape(y) != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {np.shape(y)}")
    return np.hstack([X, np.ones((X.shape[0], 1))])


def fit_logistic(X, y, l2=1.0, max_iter=100, tol=1e-8):
    """(w, b) minimising sum_i log-loss(y_i, x_i . w + b) + l2 / 2 ||w||^2 by Newton's method."""
    if not l2 > 0:
        raise ValueError(f"l2 must be positive, got {l2}")
    y = _labels01(y)
    A = _design(X, y)
    if y.min() == y.max():
        raise ValueError("y must contain both classes: with one class the intercept has no minimiser")
    n, k = A.shape
    reg = np.full(k, float(l2))
    reg[-1] = 0.0                              # the intercept is not penalised
    theta = np.zeros(k)
    H = None
    for iteration in range(max_iter + 1):
        z = A @ theta
        e = np.exp(-np.abs(z))
        p = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        grad = A.T @ (p - y) + reg * theta
        if iteration == max_iter or np.max(np.abs(grad)) <= tol * n:
            break
        if H is None:                          # the Hessian at the start only (BUG: kept for every step)
            s = e / (1 + e) ** 2
            H = (A.T * s) @ A
            H[np.diag_indices(k)] += reg
        theta = theta - np.linalg.solve(H, grad)
    return theta[:-1], float(theta[-1])


def fit_softmax(X, y, l2=1.0, max_iter=100, tol=1e-8):
    """(W (d, K), b (K,)) minimising sum_i cross-entropy + l2 / 2 ||W||^2, with sum(b) = 0."""
    if not l2 > 0:
        raise ValueError(f"l2 must be positive, got {l2}")
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
    A = _design(X, y)
    if y.size == 0 or y.min() < 0:
        raise ValueError("y must hold labels 0..K-1")
    K = int(y.max()) + 1
    counts = np.bincount(y, minlength=K)
    if K < 2 or np.any(counts == 0):
        raise ValueError(f"every class 0..{K - 1} must occur in y, and K >= 2; counts {counts.tolist()}")
    n, k = A.shape
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1.0
    reg = np.full((k, K), float(l2))
    reg[-1] = 0.0
    theta = np.zeros((k, K))                   # row k - 1 holds the intercepts
    shift = np.zeros((k, K))
    shift[-1] = 1.0 / np.sqrt(K)
    shift = shift.ravel()
    for iteration in range(max_iter + 1):
        Z = A @ theta
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        grad = A.T @ (P - Y) + reg * theta
        if iteration == max_iter or np.max(np.abs(grad)) <= tol * n:
            break
        # Hessian in the (feature, class) order of theta.ravel():
        # sum_i (a_i a_i^T) kron (diag(p_i) - p_i p_i^T), plus the penalty.
        AP = A[:, :, None] * P[:, None, :]                          # (n, k, K)
        H = np.zeros((k, K, k, K))
        diag_part = np.einsum("iak,ib->akb", AP, A)                 # sum_i p_ik a_ia a_ib
        for c in range(K):
            H[:, c, :, c] = diag_part[:, c, :]
        APf = AP.reshape(n, k * K)
        H = H.reshape(k * K, k * K) - APf.T @ APf
        H[np.diag_indices(k * K)] += reg.ravel()
        H += np.outer(shift, shift)            # the intercepts' common shift: no curvature, no gradient
        theta = theta - np.linalg.solve(H, grad.ravel()).reshape(k, K)
    return theta[:-1], theta[-1] - theta[-1].mean()
