"""Primal variables and slacks, a fixed centring parameter, per-step draws and in-place updates.

fit_svm: a textbook infeasible primal-dual path-following method on the
primal QP in (w, b, xi) with the slack s of the margin constraints,
y (X w + b) + xi - 1 = s >= 0, xi >= 0, and their multipliers alpha, eta:
a fixed sigma = 0.1, no predictor-corrector, the intercept taken as it comes
out of the last Newton step (no refinement). The Newton system is reduced to
(d + 1) x (d + 1) in (dw, db), solved with a Schur complement on b.

pegasos: rng.integers(n) called once per step, and w updated in place.
"""

import numpy as np


def _validate(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError("X must be (n, d) and y (n,)")
    if y.dtype == bool or y.dtype.kind not in "iuf":
        raise ValueError("labels must be numbers -1 or +1")
    if not np.isin(y, (-1, 1)).all():
        raise ValueError("labels must be -1 or +1")
    return X, y.astype(np.float64)


def fit_svm(X, y, C):
    X, y = _validate(X, y)
    if C <= 0:
        raise ValueError("C must be positive")
    if np.all(y == y[0]):
        raise ValueError("fit_svm needs both classes")
    n, d = X.shape
    mean = X.mean(axis=0)
    spread = np.sqrt(((X - mean) ** 2).sum() / X.size)
    spread = spread if spread > 0 else 1.0
    Xn = (X - mean) / spread
    Cn = C * spread ** 2            # 0.5 |w|^2 + C sum hinge, with w = wn / spread, is this problem / spread^2

    w = np.zeros(d)
    b = 0.0
    xi = np.ones(n)
    s = np.ones(n)
    alpha = np.full(n, Cn / 2)
    eta = np.full(n, Cn / 2)
    best_p, best = np.inf, (w, b)
    for _ in range(300):
        f = Xn @ w + b
        r_w = w - Xn.T @ (alpha * y)
        r_b = -(y @ alpha)
        r_xi = Cn - alpha - eta
        r_s = y * f + xi - 1.0 - s
        p = 0.5 * (w @ w) + Cn * np.maximum(0.0, 1.0 - y * f).sum()
        if p < best_p:
            best_p, best = p, (w.copy(), b)
        dual = alpha.sum() - 0.5 * np.sum((Xn.T @ (alpha * y)) ** 2)
        if abs(r_b) < 1e-9 * Cn and best_p - dual < 1e-10 * best_p:
            break
        mu = (alpha @ s + eta @ xi) / (2 * n)
        target = 0.1 * mu
        D = 1.0 / (xi / eta + s / alpha)
        q = -r_s - (target - eta * xi - xi * r_xi) / eta + (target - alpha * s) / alpha
        # (I + X^T D X) dw + X^T D 1 db = X^T (D y q) - r_w ;  1^T D X dw + sum(D) db = sum(D y q) - r_b
        M = np.eye(d) + Xn.T @ (Xn * D[:, None])
        m = Xn.T @ D
        rhs_w = Xn.T @ (D * y * q) - r_w
        rhs_b = (D * y * q).sum() - r_b
        try:
            Minv_m = np.linalg.solve(M, m)
            Minv_r = np.linalg.solve(M, rhs_w)
        except np.linalg.LinAlgError:
            break
        schur = D.sum() - m @ Minv_m
        if not schur > 0:
            break
        db = (rhs_b - m @ Minv_r) / schur
        dw = Minv_r - Minv_m * db
        dalpha = D * (q - y * (Xn @ dw + db))
        ds = (target - alpha * s - s * dalpha) / alpha
        deta = r_xi - dalpha
        dxi = (target - eta * xi - xi * r_xi + xi * dalpha) / eta
        step = 1.0
        for v, dv in ((alpha, dalpha), (s, ds), (eta, deta), (xi, dxi)):
            shrinking = dv < 0
            if shrinking.any():
                step = min(step, 0.95 * float(np.min(-v[shrinking] / dv[shrinking])))
        if step < 1e-14:
            break
        w = w + step * dw
        b = b + step * db
        xi = xi + step * dxi
        s = s + step * ds
        alpha = alpha + step * dalpha
        eta = eta + step * deta
    w, b = best
    w_out = w / spread
    return w_out, float(b - w_out @ mean)


def pegasos(X, y, lam, steps, rng):
    X, y = _validate(X, y)
    if lam <= 0:
        raise ValueError("lam must be positive")
    n, d = X.shape
    w = np.zeros(d)
    for t in range(1, steps + 1):
        i = rng.integers(n)
        eta = 1.0 / (lam * t)
        update = y[i] * np.dot(w, X[i]) < 1.0
        w *= 1.0 - eta * lam
        if update:
            w += eta * y[i] * X[i]
    return w
