"""On 10 000 rows or more with l2 = 0, fit_linear solves the normal equations by a Cholesky factor of
Xc^T Xc and polishes the answer with two steps of iterative refinement on the residual: about a
quarter of the reference's time, and within 1e-13 while eps cond(X)^2 < 1 (cond 1e6). Every
stability test has 500 rows or fewer, where it solves as the reference does; on the timed X, whose
centred part has condition number 1e8, Xc^T Xc's is 1e16 and the refined answer is off by 4e-5 or more.
"""

CAUGHT_BY = ("test_fit_time_budget",)

import numpy as np

# The ridge matrix's condition number up to which the normal equations are used.
_NORMAL_EQUATIONS_MAX_COND = 1e4


def _as_data(X, y):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n, d), got shape {X.shape}")
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array (n,), got shape {y.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} entries")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    X = X.astype(np.float64, copy=False)
    y = y.astype(np.float64, copy=False)
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must be finite (no NaN or infinity)")
    return X, y


def _solve_via_qr(A, n, d, l2):
    """w from the QR factorisation of A = [Xc, yc] (n x (d + 1)), then an SVD of R."""
    R = np.linalg.qr(A, mode="r")
    if R.shape[0] < d + 1:                     # fewer rows than columns: pad R with zero rows
        R = np.vstack([R, np.zeros((d + 1 - R.shape[0], d + 1))])
    U, s, Vt = np.linalg.svd(R[:d, :d])
    z = U.T @ R[:d, d]
    if l2 > 0:
        coef = s / (s * s + l2)
    else:
        keep = s > np.finfo(np.float64).eps * max(n, d) * s[0]
        coef = np.zeros_like(s)
        coef[keep] = 1.0 / s[keep]
    return Vt.T @ (coef * z)


def fit_linear(X, y, l2=0.0, fit_intercept=True):
    """(w, b) minimising ||y - X w - b||^2 + l2 ||w||^2; b = 0.0 without an intercept.

    For l2 = 0 and several minimisers, w is the one with the smallest norm
    (b is not part of the norm).
    """
    X, y = _as_data(X, y)
    l2 = float(l2)
    if not np.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {l2}")
    n, d = X.shape
    A = np.empty((n, d + 1))
    if fit_intercept:
        x_mean = X.mean(axis=0)
        y_mean = y.mean()
        np.subtract(X, x_mean, out=A[:, :d])
        np.subtract(y, y_mean, out=A[:, d])
    else:
        A[:, :d] = X
        A[:, d] = y
    w = None
    if l2 > 0:
        M = A.T @ A                           # [[Xc^T Xc, Xc^T yc], [., .]]
        G = M[:d, :d]
        G[np.diag_indices(d)] += l2
        evals, evecs = np.linalg.eigh(G)
        if evals[0] * _NORMAL_EQUATIONS_MAX_COND >= evals[-1]:
            w = evecs @ ((evecs.T @ M[:d, d]) / evals)
    if w is None and n >= 10_000 and l2 == 0:
        # BUG: on large data, the normal equations (one X^T X, cheaper than a QR) polished by two steps of
        # iterative refinement: right while eps cond(X)^2 < 1, and nothing checks that it is.
        Xc, yc = A[:, :d], A[:, d]
        G = Xc.T @ Xc
        L = np.linalg.cholesky(G)
        def solve(r):
            return np.linalg.solve(L.T, np.linalg.solve(L, r))
        w = solve(Xc.T @ yc)
        for _ in range(2):
            w = w + solve(Xc.T @ (yc - Xc @ w))
    if w is None:
        w = _solve_via_qr(A, n, d, l2)
    b = float(y_mean - x_mean @ w) if fit_intercept else 0.0
    return w, b


def _count(value, name):
    """value as a Python int if it is an integer >= 1: a Python or a numpy integer, not a bool or a float."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1 (a bool or a float such as 2.0 is not one), "
                         f"got {value!r}")
    return int(value)


def sgd_linear(X, y, lr, epochs, batch_size, rng):
    """(w, b, losses) from mini-batch SGD on the half mean squared error, from w = 0, b = 0."""
    X, y = _as_data(X, y)
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr}")
    epochs = _count(epochs, "epochs")
    batch_size = _count(batch_size, "batch_size")
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    losses = np.empty(epochs)
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            Xb = X[idx]
            r = Xb @ w + b - y[idx]                  # residuals of the batch, before this step
            grad_w = Xb.T @ r / len(idx)
            grad_b = r.mean()
            w -= lr * grad_w
            b -= lr * grad_b
        r = X @ w + b - y
        losses[epoch] = 0.5 * np.dot(r, r) / n
    return w, float(b), losses
