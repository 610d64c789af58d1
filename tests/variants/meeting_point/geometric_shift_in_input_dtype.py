"""geometric_median subtracts the first point while the points still have their input dtype and only
then converts to float64: int8 differences beyond 127 and uint8 differences below 0 wrap around."""

import numpy as np

CAUGHT_BY = ('test_geometric_median_integer_points',)


def _weights(weights, n):
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights)
    if not (np.issubdtype(w.dtype, np.integer) or np.issubdtype(w.dtype, np.floating)):
        raise ValueError("weights: integer or float dtype")
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError("weights: shape (n,)")
    w = np.array(w, dtype=np.float64)
    if not np.isfinite(w).all():
        raise ValueError("weights: finite")
    if (w < 0).any():
        raise ValueError("weights: >= 0")
    total = np.sum(w)
    if not np.isfinite(total) or total <= 0:
        raise ValueError("weights: positive finite total")
    return w


def manhattan_median(points, weights=None):
    P = np.asarray(points)
    if P.ndim != 2:
        raise ValueError("points: 2-D")
    n, d = P.shape
    if n == 0 or d == 0:
        raise ValueError("points: empty")
    if not np.issubdtype(P.dtype, np.integer):
        raise ValueError("points: integer dtype")
    unweighted = weights is None
    w = _weights(weights, n)
    P64 = P.astype(np.int64)
    if unweighted:
        S = np.sort(P64, axis=0)
        return np.array(S[(n - 1) // 2], dtype=np.int64)
    res = np.zeros(d, dtype=np.int64)
    for j in range(d):
        col = P64[:, j]
        o = np.lexsort((w, col))
        cw = np.cumsum(w[o])
        hit = cw >= cw[-1] / 2
        res[j] = col[o[int(np.argmax(hit))]]
    return res


def geometric_median(points, weights=None, max_iter=1000):
    P = np.asarray(points)
    if P.ndim != 2 or 0 in P.shape:
        raise ValueError("points: shape (n, d), n, d >= 1")
    if not (np.issubdtype(P.dtype, np.integer) or np.issubdtype(P.dtype, np.floating)):
        raise ValueError("points: integer or float dtype")
    n, d = P.shape
    w = _weights(weights, n)
    if type(max_iter) is bool or not isinstance(max_iter, (int, np.integer)) or isinstance(max_iter, np.bool_):
        raise ValueError("max_iter: integer")
    if max_iter < 0:
        raise ValueError("max_iter: >= 0")
    X = np.array(P, dtype=np.float64)
    if not np.isfinite(X).all():
        raise ValueError("points: finite")
    live = np.flatnonzero(w > 0)
    X = X[live]
    w = w[live]
    first = X[0]
    if (X == first).all():
        return first.copy()
    w = w / w.max()
    W = w.sum()
    # work relative to the first point, scaled by the largest row norm
    Y = (np.asarray(P)[live] - np.asarray(P)[live][0]).astype(np.float64)
    scale = np.max(np.abs(Y))
    Y = Y / scale
    scale2 = np.sqrt(np.max(np.einsum("ij,ij->i", Y, Y)))
    Y = Y / scale2
    scale = scale * scale2
    x = (w @ Y) / W
    for _ in range(max_iter):
        diff = Y - x
        dist = np.linalg.norm(diff, axis=1)
        at = dist == 0
        fmean = (w @ dist) / W
        if at.any():
            eta = w[at].sum()
            wd = np.zeros_like(dist)
            wd[~at] = w[~at] / dist[~at]
            S = wd.sum()
            T = wd @ Y
            R = T - S * x
            nR = np.linalg.norm(R)
            if nR <= eta:
                break
            new = x + (1.0 - eta / nR) * R / S
        else:
            wd = w / dist
            S = wd.sum()
            new = (wd @ Y) / S
        stepn = np.linalg.norm(new - x)
        x = new
        if stepn <= 1e-10 * fmean:
            break
    return first + scale * x
