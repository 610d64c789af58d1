"""np.partition along axis 0, and a duality-gap stopping rule.

Manhattan: unweighted, one np.partition of the whole (n, d) array along the
points; weighted, one argsort of the (n, d) array along the points and the
cumulative weights compared with half the total by a boolean count.
Geometric: Vardi-Zhang steps in coordinates centred on the centroid and
divided by the largest absolute entry, stopping when a certified bound on
f(x) - f* (the dual value of the min-norm subgradient g:
(f(x) - g.(x - c)) / (1 + ||g|| / W) <= f*) is below 1e-11 f(x), or when the
step stops moving the iterate.
"""

import numpy as np


def _weights(weights, n):
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights)
    if w.shape != (n,) or w.dtype.kind not in "iuf":
        raise ValueError("weights must be a real array of shape (n,)")
    w = w.astype(np.float64)
    if not (np.all(np.isfinite(w)) and np.all(w >= 0) and 0 < np.sum(w) < np.inf):
        raise ValueError("weights must be finite and >= 0 with a positive and finite total")
    return w


def manhattan_median(points, weights=None):
    P = np.asarray(points)
    if P.ndim != 2 or 0 in P.shape or P.dtype.kind not in "iu":
        raise ValueError("points must be a non-empty 2-D integer array")
    n = P.shape[0]
    if weights is None:
        k = (n - 1) // 2
        return np.partition(P, k, axis=0)[k].astype(np.int64)
    w = _weights(weights, n)
    order = np.argsort(P, axis=0)
    cum = np.cumsum(w[order], axis=0)
    idx = np.count_nonzero(2 * cum < cum[-1], axis=0)
    rows = order[idx, np.arange(P.shape[1])]
    return P[rows, np.arange(P.shape[1])].astype(np.int64)


def geometric_median(points, weights=None, max_iter=1000):
    P = np.asarray(points)
    if P.ndim != 2 or 0 in P.shape or P.dtype.kind not in "iuf":
        raise ValueError("points must be a non-empty 2-D integer or float array")
    P = P.astype(np.float64)
    if not np.isfinite(P).all():
        raise ValueError("points must be finite")
    w = _weights(weights, P.shape[0])
    if isinstance(max_iter, (bool, np.bool_)) or not np.issubdtype(type(max_iter), np.integer) or max_iter < 0:
        raise ValueError("max_iter must be an integer >= 0")
    max_iter = int(max_iter)
    mask = w > 0
    P, w = P[mask], w[mask]
    if np.all(P == P[:1]):
        return P[0].copy()
    W = w.sum()
    c = (w[:, None] * P).sum(axis=0) / W
    Q = P - c
    s = np.abs(Q).max()
    Q = Q / s
    y = np.zeros(P.shape[1])
    for _ in range(max_iter):
        diff = Q - y
        dist = np.sqrt((diff ** 2).sum(axis=1))
        on = dist == 0
        safe = np.where(on, 1.0, dist)
        inv = np.where(on, 0.0, w / safe)
        R = inv @ diff
        r = np.sqrt(R @ R)
        eta = w[on].sum()
        if eta > 0 and r <= eta:
            break
        shrink = 1.0 - eta / r if eta > 0 else 1.0
        # certificate at y: min-norm subgradient g = -R * shrink
        fy = w @ dist
        gnorm = r * shrink
        lower = (fy + shrink * (R @ (y - 0.0))) / (1 + gnorm / W)
        if fy - lower <= 1e-11 * fy:
            break
        new = y + shrink * R / inv.sum()
        if np.array_equal(new, y):
            break
        y = new
    return c + s * y
