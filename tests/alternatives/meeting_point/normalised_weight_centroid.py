"""The centroid as (w / W) @ X, and a stop on the step's length.

Manhattan: unweighted, np.partition of the coordinates (one row per
dimension); weighted, a stable argsort per dimension and the first
cumulative weight of at least half, the weights scaled by a power of two.
Geometric: weights scaled by a power of two, the centroid as the normalised
weights times the points (rounded differently from sum w_i p_i / W, so it
lands exactly on a data point only where both are exact), Vardi-Zhang steps
in coordinates centred on it and divided by the largest absolute entry,
stopping when a step is at most 1e-12 of the mean distance.
"""

import numpy as np


def _check_points(points):
    P = np.asarray(points)
    if P.ndim != 2 or P.shape[0] < 1 or P.shape[1] < 1:
        raise ValueError("points must have shape (n, d) with n >= 1 and d >= 1")
    return P


def _check_weights(weights, n):
    if weights is None:
        return None
    w = np.asarray(weights)
    if w.dtype == np.bool_ or not (np.issubdtype(w.dtype, np.integer) or np.issubdtype(w.dtype, np.floating)):
        raise ValueError("weights must be a real array")
    if w.shape != (n,):
        raise ValueError("weights must have shape (n,)")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite")
    if np.any(w < 0):
        raise ValueError("weights must be >= 0")
    if not 0 < w.sum() < np.inf:
        raise ValueError("weights must have a positive and finite total")
    return w


def manhattan_median(points, weights=None):
    P = _check_points(points)
    if P.dtype == np.bool_ or not np.issubdtype(P.dtype, np.integer):
        raise ValueError("points must have an integer dtype")
    n, d = P.shape
    w = _check_weights(weights, n)
    # coordinates as contiguous int64 rows, one per dimension (a copy: input untouched)
    Q = np.array(P.T, dtype=np.int64, order="C")
    if w is None:
        kth = (n - 1) // 2
        return np.partition(Q, kth, axis=1)[:, kth].astype(np.int64)
    keep = w > 0
    Q = Q[:, keep]
    w = w[keep]
    # scale the weights by a power of two (exact) so that sums cannot overflow
    _, e = np.frexp(w.max())
    w = np.ldexp(w, -int(e))
    out = np.empty(d, dtype=np.int64)
    for j in range(d):
        o = np.argsort(Q[j], kind="stable")
        cw = np.cumsum(w[o])
        half = cw[-1] / 2.0
        i = int(np.argmax(cw >= half))
        out[j] = Q[j, o[i]]
    return out


def geometric_median(points, weights=None, max_iter=1000):
    P = _check_points(points)
    if P.dtype == np.bool_ or not (np.issubdtype(P.dtype, np.integer) or np.issubdtype(P.dtype, np.floating)):
        raise ValueError("points must be integer or float")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError("max_iter must be an integer >= 0")
    n, d = P.shape
    w = _check_weights(weights, n)
    X = P.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise ValueError("points must be finite")
    if w is None:
        w = np.ones(n, dtype=np.float64)
    keep = w > 0
    X = X[keep]
    w = w[keep]
    _, e = np.frexp(w.max())
    w = np.ldexp(w, -int(e))  # exact power-of-two rescaling
    # all positive-weight points at one place
    if np.all(X == X[0]):
        return X[0].copy()
    W = w.sum()
    c = (w / W) @ X
    D = X - c
    s = np.max(np.abs(D))
    if not s > 0:
        return c
    Q = D / s
    y = np.zeros(d, dtype=np.float64)
    for _ in range(max_iter):
        diff = Q - y
        dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        at = dist == 0
        if at.any():
            eta = w[at].sum()
            pos = ~at
            inv = w[pos] / dist[pos]
            S = inv.sum()
            R = inv @ diff[pos]
            nR = np.sqrt(R @ R)
            if nR <= eta:
                break
            step = (1.0 - eta / nR) * R / S
        else:
            inv = w / dist
            S = inv.sum()
            R = inv @ diff
            step = R / S
        y = y + step
        mean_dist = (w @ dist) / W
        if np.sqrt(step @ step) <= 1e-12 * mean_dist:
            break
    return c + s * y
