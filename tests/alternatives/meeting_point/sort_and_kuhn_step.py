"""Sorting instead of selecting, and Kuhn's form of the data-point step.

Manhattan: each coordinate is sorted with np.sort (O(n log n)); weighted,
np.lexsort orders (value) per coordinate and np.searchsorted finds the first
cumulative weight of at least half. Geometric: the classic form of the step,
sum (w_i / d_i) p_i / S in coordinates relative to the centroid, scaled by
the largest distance from it; at a data point, Kuhn's step
(||R|| - eta) / S along R / ||R|| (the same point as Vardi-Zhang's); stops
when the objective, evaluated at every step, decreases by less than 1e-15
relative and the step is at most 1e-11 of the mean distance.
"""

import numpy as np


def _check_shape(P):
    if P.ndim != 2 or P.shape[0] < 1 or P.shape[1] < 1:
        raise ValueError("points must be (n, d) with n, d >= 1")


def _check_weights(weights, n):
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights)
    if w.shape != (n,):
        raise ValueError("weights must have shape (n,)")
    if not (np.issubdtype(w.dtype, np.integer) or np.issubdtype(w.dtype, np.floating)):
        raise ValueError("weights must be integers or floats")
    w = w.astype(np.float64)
    if np.isnan(w).any() or np.isinf(w).any() or (w < 0).any() or w.sum() <= 0 or np.isinf(w.sum()):
        raise ValueError("bad weights")
    return w


def manhattan_median(points, weights=None):
    P = np.asarray(points)
    _check_shape(P)
    if not np.issubdtype(P.dtype, np.integer):
        raise ValueError("integer points only")
    n, d = P.shape
    out = np.empty(d, dtype=np.int64)
    if weights is None:
        for j in range(d):
            out[j] = np.sort(P[:, j].astype(np.int64))[(n - 1) // 2]
        return out
    w = _check_weights(weights, n)
    for j in range(d):
        col = P[:, j].astype(np.int64)
        order = np.lexsort((col,))
        cum = np.cumsum(w[order])
        i = int(np.searchsorted(cum, cum[-1] / 2, side="left"))
        out[j] = col[order[i]]
    return out


def geometric_median(points, weights=None, max_iter=1000):
    P = np.asarray(points)
    if not (np.issubdtype(P.dtype, np.integer) or np.issubdtype(P.dtype, np.floating)):
        raise ValueError("points must be integers or floats")
    P = P.astype(np.float64)
    _check_shape(P)
    if not np.isfinite(P).all():
        raise ValueError("points must be finite")
    w = _check_weights(weights, len(P))
    if not np.issubdtype(type(max_iter), np.integer) or max_iter < 0:
        raise ValueError("max_iter must be an integer >= 0")
    P, w = P[w > 0], w[w > 0]
    first = P[0]
    if (P == first).all():
        return first.copy()
    c = np.average(P, axis=0, weights=w)
    rel = P - c
    scale = np.max(np.abs(rel))
    rel /= scale
    y = np.zeros(P.shape[1])
    prev = np.inf
    for _ in range(max_iter):
        diff = rel - y
        dist = np.linalg.norm(diff, axis=1)
        zero = dist == 0
        live = ~zero
        inv = w[live] / dist[live]
        S = inv.sum()
        current = np.dot(w[live], dist[live])
        nxt = (inv @ rel[live]) / S
        if zero.any():
            eta = w[zero].sum()
            R = S * (nxt - y)
            r = np.linalg.norm(R)
            if r <= eta:
                break
            nxt = y + (r - eta) / S * (R / r)
        moved = np.linalg.norm(nxt - y)
        y = nxt
        if moved <= 1e-11 * current / w.sum() and prev - current <= 1e-15 * current:
            break
        prev = current
    return c + scale * y
