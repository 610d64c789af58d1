"""Boolean weights are accepted as 0/1 weights by both functions; the statement allows integer or float
weights only, and anything else raises ValueError."""

import numpy as np

CAUGHT_BY = ('test_manhattan_invalid_inputs_raise', 'test_geometric_median_invalid_inputs_raise')


def _check_points(points):
    P = np.asarray(points)
    if P.ndim != 2 or P.shape[0] < 1 or P.shape[1] < 1:
        raise ValueError("points must have shape (n, d) with n, d >= 1")
    return P


def _check_weights(weights, n):
    if weights is None:
        return None
    w = np.asarray(weights)
    if w.dtype.kind not in "biuf":
        raise ValueError("weights must be real numbers")
    if w.shape != (n,):
        raise ValueError("weights must have shape (n,)")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and >= 0")
    tot = w.sum()
    if not (np.isfinite(tot) and tot > 0):
        raise ValueError("total weight must be positive and finite")
    return w


def manhattan_median(points, weights=None):
    P = _check_points(points)
    if P.dtype.kind not in "iu":
        raise ValueError("points must be integers")
    n, d = P.shape
    w = _check_weights(weights, n)
    P = P.astype(np.int64)  # always a copy
    if w is None:
        k = (n - 1) // 2
        return np.partition(P, k, axis=0)[k].copy()
    keep = w > 0
    P = P[keep]
    w = w[keep]
    half = w.sum() / 2.0
    order = np.argsort(P, axis=0, kind="stable")
    out = np.empty(d, dtype=np.int64)
    for j in range(d):
        o = order[:, j]
        cw = np.cumsum(w[o])
        i = int(np.searchsorted(cw, half, side="left"))
        i = min(i, len(o) - 1)
        out[j] = P[o[i], j]
    return out


def geometric_median(points, weights=None, max_iter=1000):
    P = _check_points(points)
    if P.dtype.kind not in "iuf":
        raise ValueError("points must be integer or float")
    n, d = P.shape
    w = _check_weights(weights, n)
    if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter, (int, np.integer)):
        raise ValueError("max_iter must be an integer")
    max_iter = int(max_iter)
    if max_iter < 0:
        raise ValueError("max_iter must be >= 0")
    P = P.astype(np.float64)
    if not np.all(np.isfinite(P)):
        raise ValueError("points must be finite")
    if w is None:
        w = np.ones(n)
    keep = w > 0
    P = P[keep]
    w = w[keep]
    if np.all(P == P[0]):
        return P[0].copy()
    wn = w / w.sum()
    c = wn @ P
    D = P - c
    s = np.max(np.abs(D))
    Q = D / s
    y = np.zeros(d)
    for _ in range(max_iter):
        diff = Q - y
        dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        pos = dist > 0
        if pos.all():
            inv = wn / dist
            eta = 0.0
            S = inv.sum()
            R = inv @ diff
        else:
            eta = wn[~pos].sum()
            inv = np.where(pos, wn / np.where(pos, dist, 1.0), 0.0)
            S = inv.sum()
            R = inv @ diff
        meandist = wn @ dist
        if eta > 0:
            nR = np.sqrt(R @ R)
            if nR <= eta:
                break
            step = (1.0 - eta / nR) * R / S
        else:
            step = R / S
        y = y + step
        if np.sqrt(step @ step) <= 1e-11 * meandist:
            break
    return c + s * y
