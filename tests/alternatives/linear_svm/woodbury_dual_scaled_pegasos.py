"""The dual Newton system solved in n-space with the Woodbury identity; Pegasos with w = scale * v.

fit_svm: a primal-dual interior-point method on the dual QP (box 0 <= a <= C,
y^T a = 0) with a fixed centring sigma = 0.2 and no corrector. Each step
solves (D + Z Z^T) da + y dnu = g, y^T da = -r_p through
(D + Z Z^T)^-1 = D^-1 - D^-1 Z (I + Z^T D^-1 Z)^-1 Z^T D^-1 (a d x d
"capacitance" matrix) and a scalar Schur complement for dnu. X is centred
but not scaled; b is the multiplier nu of the best iterate, as it comes.

pegasos: the representation of the paper for sparse data, w = scale * v, so
that the shrink by (1 - 1/t) costs O(1); the first step (where 1 - 1/t = 0)
restarts v. Indices are drawn with rng.choice(n), one per step.
"""

import numpy as np


def _labels(y, n):
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iuf":
        raise ValueError("y must be a numeric array of n labels")
    plus, minus = y == 1, y == -1
    if not np.all(plus | minus):
        raise ValueError("labels must be -1 or +1")
    return np.where(plus, 1.0, -1.0)


def fit_svm(X, y, C):
    X = np.array(X, dtype=np.float64)          # a private copy, centred in place below
    n, d = X.shape
    y = _labels(y, n)
    if not C > 0:
        raise ValueError("C must be positive")
    if y.min() == y.max():
        raise ValueError("both classes are needed")
    mean = X.mean(axis=0)
    X -= mean
    Z = X * y[:, None]

    n_pos = np.count_nonzero(y > 0)
    k = min(n_pos, n - n_pos)
    a = np.where(y > 0, 0.5 * C * k / n_pos, 0.5 * C * k / (n - n_pos))   # y^T a = 0
    nu = 0.0
    grad = Z @ (Z.T @ a) - 1.0 + nu * y
    s = np.maximum(grad, 0.0) + 1.0
    t = s - grad
    best = (np.inf, None, None)
    for _ in range(500):
        w = Z.T @ a
        f = X @ w + nu
        p = 0.5 * (w @ w) + C * np.maximum(0.0, 1.0 - y * f).sum()
        if p < best[0]:
            best = (p, w, nu)
        dual = a.sum() - 0.5 * (w @ w)
        if best[0] - dual <= 1e-11 * abs(best[0]):
            break
        u = C - a
        mu = (a @ s + u @ t) / (2 * n)
        r_d = Z @ w - 1.0 + nu * y - s + t
        r_p = y @ a
        g = -r_d - (a * s - 0.2 * mu) / a + (u * t - 0.2 * mu) / u
        Dinv = 1.0 / (s / a + t / u)
        capacitance = np.eye(d) + Z.T @ (Z * Dinv[:, None])

        def Minv(v):
            Dv = Dinv * v
            return Dv - Dinv * (Z @ np.linalg.solve(capacitance, Z.T @ Dv))

        try:
            Mg, My = Minv(g), Minv(y)
        except np.linalg.LinAlgError:
            break
        dnu = (y @ Mg + r_p) / (y @ My)
        da = Mg - dnu * My
        ds = (0.2 * mu - a * s - s * da) / a
        dt = (0.2 * mu - u * t + t * da) / u
        limit = 1.0
        for v, dv in ((a, da), (u, -da), (s, ds), (t, dt)):
            if np.any(dv < 0):
                limit = min(limit, float(np.min(v[dv < 0] / -dv[dv < 0])))
        step = 0.98 * limit
        if step < 1e-13:
            break
        a += step * da
        nu += step * dnu
        s += step * ds
        t += step * dt
    _, w, nu = best
    return w, float(nu - w @ mean)


def pegasos(X, y, lam, steps, rng):
    X = np.asarray(X)
    n, d = X.shape
    y = _labels(y, n)
    if lam <= 0:
        raise ValueError("lam must be positive")
    v = np.zeros(d)
    scale = 1.0
    for t in range(1, steps + 1):
        i = rng.choice(n)
        eta = 1.0 / (lam * t)
        x = X[i].astype(np.float64)
        violated = y[i] * scale * (v @ x) < 1.0
        if t == 1:
            # 1 - eta lam = 0: w becomes eta y x (or 0) and the scale restarts at 1.
            v = eta * y[i] * x if violated else np.zeros(d)
            scale = 1.0
            continue
        scale *= 1.0 - eta * lam
        if violated:
            v += (eta * y[i] / scale) * x
    return scale * v
