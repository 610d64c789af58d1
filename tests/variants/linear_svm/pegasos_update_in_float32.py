"""Pegasos does not convert X to float64 (np.asarray(X) keeps float32) and forms the update as
eta * x * y[i]: eta is a Python float, so eta * x is rounded in float32 before w (float64) takes it.
w has the right dtype, but each update is off by about 1e-7 of its size: X is to be treated as
float64, whatever its dtype (integer X is unaffected: eta * x is float64 there).
"""

CAUGHT_BY = ("test_integer_features",)

import numpy as np


def _check_labels(y, n):
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), got {y.shape}")
    if y.dtype.kind not in "iuf" or not np.all((y == 1) | (y == -1)):
        raise ValueError("labels must be -1 or +1 (0/1 labels too are refused: map 0 to -1 yourself)")
    return y.astype(np.float64)


def _as_data(X):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n, d), got shape {X.shape}")
    return X.astype(np.float64, copy=False)


def _best_intercept(margins, y, b):
    """The minimiser of sum max(0, 1 - y_i (m_i + b)) over b nearest to b.

    Breakpoint of point i: b_i = y_i - m_i. Passing it from left to right
    raises the slope by 1 (a positive stops, or a negative starts, paying), and
    the slope starts at -(number of positives): the minimisers are the
    interval between the k-th and (k+1)-th smallest breakpoints, k = #positives.
    """
    k = int((y > 0).sum())
    points = y - margins
    part = np.partition(points, (k - 1, k))
    return float(np.clip(b, part[k - 1], part[k]))


TOL = 1e-10        # stop at a duality gap below TOL times the objective
MAX_ITER = 200     # Newton steps at most (it takes a few dozen)


def fit_svm(X, y, C):
    """(w, b) minimising 0.5 ||w||^2 + C sum max(0, 1 - y_i (w . x_i + b))."""
    X = _as_data(X)
    n, d = X.shape
    y = _check_labels(y, n)
    if not C > 0:
        raise ValueError(f"C must be > 0, got {C}")
    if not (np.any(y > 0) and np.any(y < 0)):
        raise ValueError("y must contain both classes, -1 and +1")
    # Centre (w is unchanged, b shifts by w . centre) and scale to unit RMS:
    # with X = scale * Xs, w = ws / scale solves the problem in (Xs, C scale^2),
    # whose objective is scale^2 times this one. Both keep the Newton systems
    # well conditioned for features far from the origin or of any size.
    centre = X.mean(axis=0)
    Xs = X - centre
    scale = float(np.sqrt(np.mean(Xs * Xs))) if Xs.size else 0.0
    if not scale > 0:
        scale = 1.0
    Xs /= scale
    ws, bs = _solve_dual(Xs, y, float(C) * scale * scale, TOL, MAX_ITER)
    w = ws / scale
    return w, bs - float(w @ centre)


def _solve_dual(X, y, C, tol, max_iter):
    """Mehrotra's predictor-corrector on the dual QP; returns the best (w, b) seen."""
    n, d = X.shape
    A = np.empty((n, d + 1))
    A[:, :d] = X
    A[:, d] = 1.0
    ridge = np.ones(d + 1)
    ridge[d] = 0.0

    # A feasible start: a inside (0, C) with y^T a = 0 exactly (each class
    # gets the same total), and s, t > 0 chosen so that the dual residual is
    # 0. Newton steps keep linear constraints, so only the centring is left.
    positives = y > 0
    n_pos = int(positives.sum())
    a = np.where(positives, 0.5 * C * min(n_pos, n - n_pos) / n_pos, 0.5 * C * min(n_pos, n - n_pos) / (n - n_pos))
    nu = 0.0                         # multiplier of y^T a = 0: the intercept
    slack = y * (X @ (X.T @ (y * a)) + nu) - 1.0
    s = np.maximum(slack, 0.0) + 1.0  # multipliers of a >= 0
    t = s - slack                     # multipliers of a <= C (t - s = -slack)
    best = (np.inf, np.zeros(d), 0.0)
    for _ in range(max_iter):
        u = C - a
        w = X.T @ (y * a)
        margins = X @ w
        b = _best_intercept(margins, y, nu)
        primal = 0.5 * (w @ w) + C * np.maximum(0.0, 1.0 - y * (margins + b)).sum()
        if not np.isfinite(primal):
            break
        if primal < best[0]:
            best = (primal, w, b)
        r_p = y @ a
        dual = a.sum() - 0.5 * (w @ w)   # a lower bound on the optimum once y^T a = 0
        if best[0] - dual <= tol * best[0] and abs(r_p) <= tol * C:
            break
        r_d = y * (margins + nu) - 1.0 - s + t     # Q a - 1 + nu y - s + t
        mu = (a @ s + u @ t) / (2 * n)
        E = 1.0 / (s / a + t / u)
        K = A.T @ (E[:, None] * A)
        K[np.diag_indices(d + 1)] += ridge

        def direction(r_sa, r_tc):
            g = -r_d - r_sa / a + r_tc / u
            rhs = A.T @ (E * y * g)
            rhs[d] += r_p
            z = np.linalg.solve(K, rhs)
            da = E * (g - y * (A @ z))
            ds = (-r_sa - s * da) / a
            dt = (-r_tc + t * da) / u
            return da, z[d], ds, dt

        def step_length(da, ds, dt):
            ratios = [1.0]
            for v, dv in ((a, da), (u, -da), (s, ds), (t, dt)):
                neg = dv < 0
                if neg.any():
                    ratios.append(float(np.min(-v[neg] / dv[neg])))
            return min(ratios)

        # Predictor (affine scaling), then Mehrotra's centring + corrector.
        try:
            da, dnu, ds, dt = direction(a * s, u * t)
            step = step_length(da, ds, dt)
            mu_aff = ((a + step * da) @ (s + step * ds) + (u - step * da) @ (t + step * dt)) / (2 * n)
            sigma = (mu_aff / mu) ** 3
            da, dnu, ds, dt = direction(a * s + da * ds - sigma * mu, u * t - da * dt - sigma * mu)
        except np.linalg.LinAlgError:
            break
        step = min(1.0, 0.99 * step_length(da, ds, dt))
        if not step > 1e-12:         # no progress left at this precision
            break
        a = a + step * da
        nu = nu + step * dnu
        s = s + step * ds
        t = t + step * dt
    return best[1], best[2]


def pegasos(X, y, lam, steps, rng):
    """Pegasos without bias or projection: w after `steps` stochastic subgradient steps."""
    X = np.asarray(X)
    n, d = X.shape
    y = _check_labels(y, n)
    if not lam > 0:
        raise ValueError(f"lam must be > 0, got {lam}")
    w = np.zeros(d)
    idx = rng.integers(n, size=steps)      # the same numbers as one rng.integers(n) per step
    for t in range(1, steps + 1):
        i = idx[t - 1]
        eta = 1.0 / (lam * t)
        x = X[i]
        if y[i] * (w @ x) < 1.0:
            w = (1.0 - eta * lam) * w + eta * x * y[i]
        else:
            w = (1.0 - eta * lam) * w
    return w
