"""Labels are checked with np.isclose(|y|, 1): 0/1 labels and 0.5 are refused, but 1 + 1e-9 or -1 +
1e-7 pass the check and are trained on, where the labels must be exactly -1 or +1."""

import numpy as np

CAUGHT_BY = ('test_labels_must_be_minus_one_or_plus_one',)


def _labels(y, n):
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError("y must have shape (n,)")
    if y.dtype == np.bool_ or not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise ValueError("labels must be numeric -1/+1")
    if not np.all(np.isclose(np.abs(y), 1)):
        raise ValueError("labels must be -1 or +1")
    return y.astype(np.float64)


def _objective(Xc, y, C, w, b):
    return 0.5 * (w @ w) + C * np.maximum(0.0, 1.0 - y * (Xc @ w + b)).sum()


def _best_b(m, y):
    """b minimising sum max(0, 1 - y (m + b))."""
    k = y - m
    P = np.sort(k[y > 0])
    N = np.sort(k[y < 0])
    cP = np.concatenate([[0.0], np.cumsum(P)])
    cN = np.concatenate([[0.0], np.cumsum(N)])
    cand = np.concatenate([P, N])
    ip = np.searchsorted(P, cand, side="right")
    iN = np.searchsorted(N, cand, side="left")
    f = (cP[-1] - cP[ip]) - cand * (len(P) - ip) + cand * iN - cN[iN]
    return float(cand[np.argmin(f)])


def fit_svm(X, y, C):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    n, d = X.shape
    y = _labels(y, n)
    if not (C > 0) or not np.isfinite(C):
        raise ValueError("C must be > 0")
    if np.all(y == y[0]):
        raise ValueError("y needs both classes")
    C = float(C)
    X = X.astype(np.float64)
    mu_x = X.mean(axis=0)
    Xc = X - mu_x
    A = np.hstack([Xc, np.ones((n, 1))])
    reg = np.ones(d + 1)
    reg[-1] = 0.0

    w = np.zeros(d)
    b = 0.0
    xi = np.ones(n)
    s = np.ones(n)
    al = np.full(n, C / 2)
    et = np.full(n, C / 2)

    def direction(rc1, rc2, r_w, r_b, r_x, r_p, Dinv):
        D = 1.0 / Dinv
        g = -r_p - (rc2 - xi * r_x) / et + rc1 / al
        M = (A.T * D) @ A
        M[np.diag_indices_from(M)] += reg
        rhs = A.T @ (y * D * g)
        rhs[:d] -= r_w
        rhs[d] += r_b
        v = np.linalg.solve(M, rhs)
        dw, db = v[:d], v[d]
        da = D * (g - y * (Xc @ dw + db))
        de = r_x - da
        ds = (rc1 - s * da) / al
        dxi = (rc2 - xi * de) / et
        return dw, db, dxi, ds, da, de

    def maxstep(v, dv):
        neg = dv < 0
        if not neg.any():
            return 1.0
        return min(1.0, float(np.min(-v[neg] / dv[neg])))

    for _ in range(200):
        r_w = w - Xc.T @ (y * al)
        r_b = y @ al
        r_x = C - al - et
        r_p = y * (Xc @ w + b) + xi - 1.0 - s
        gap = al @ s + et @ xi
        P = 0.5 * (w @ w) + C * xi.sum()
        mu = gap / (2 * n)
        scale = max(abs(P), 1e-300)
        if (gap <= 1e-12 * scale and np.abs(r_p).max() <= 1e-10
                and np.abs(r_w).max() <= 1e-10 * (1 + np.abs(w).max())
                and abs(r_b) <= 1e-10 * (1 + C * n) and np.abs(r_x).max() <= 1e-10 * C):
            break
        Dinv = xi / et + s / al
        # predictor
        dw, db, dxi, ds, da, de = direction(-al * s, -et * xi, r_w, r_b, r_x, r_p, Dinv)
        st = min(maxstep(xi, dxi), maxstep(s, ds), maxstep(al, da), maxstep(et, de))
        mu_aff = ((al + st * da) @ (s + st * ds) + (et + st * de) @ (xi + st * dxi)) / (2 * n)
        sigma = (mu_aff / mu) ** 3
        # corrector
        dw, db, dxi, ds, da, de = direction(sigma * mu - al * s - da * ds,
                                            sigma * mu - et * xi - de * dxi,
                                            r_w, r_b, r_x, r_p, Dinv)
        st = min(maxstep(xi, dxi), maxstep(s, ds), maxstep(al, da), maxstep(et, de))
        st = min(1.0, 0.995 * st)
        w = w + st * dw
        b = b + st * db
        xi = xi + st * dxi
        s = s + st * ds
        al = al + st * da
        et = et + st * de

    best = None
    for wc in (w, Xc.T @ (y * al)):
        m = Xc @ wc
        for bc in (b, _best_b(m, y)):
            val = _objective(Xc, y, C, wc, bc)
            if best is None or val < best[0]:
                best = (val, wc, bc)
    _, w, b = best
    return np.array(w, dtype=np.float64), float(b - mu_x @ w)


def pegasos(X, y, lam, steps, rng):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    n, d = X.shape
    y = _labels(y, n)
    if not (lam > 0):
        raise ValueError("lam must be > 0")
    lam = float(lam)
    w = np.zeros(d)
    if steps == 0:
        return w
    idx = rng.integers(n, size=steps)
    Xs = X[idx].astype(np.float64)
    ys = y[idx]
    for t in range(1, steps + 1):
        xi = Xs[t - 1]
        yi = ys[t - 1]
        eta = 1.0 / (lam * t)
        if yi * (w @ xi) < 1:
            w = (1.0 - eta * lam) * w + (eta * yi) * xi
        else:
            w = (1.0 - eta * lam) * w
    return w
