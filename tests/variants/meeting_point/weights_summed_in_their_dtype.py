"""manhattan_median checks the weights as float64 but sums them in their own dtype: float16 weights
(11-bit significand) lose the 1 in 2048 + 1, so the cumulative weights, and the weighted median, are wrong.
The weights are treated as float64."""

import numpy as np

CAUGHT_BY = ('test_manhattan_weighted',)

STEP_TOL = 1e-12


def _weights(weights, n):
    """The weights as float64 (n,), or ValueError (None: all ones)."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights)
    if w.shape != (n,) or w.dtype.kind not in "iuf":
        raise ValueError(f"weights must be a real array of shape ({n},)")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not 0 < w.sum() < np.inf:
        raise ValueError("weights must be finite, >= 0, with a positive and finite total")
    return w


def manhattan_median(points, weights=None):
    """The lowest integer point minimising sum_i w_i ||p_i - x||_1, as int64 (d,)."""
    P = np.asarray(points)
    if P.ndim != 2 or P.shape[0] == 0 or P.shape[1] == 0:
        raise ValueError("points must have shape (n, d) with n >= 1 and d >= 1")
    if P.dtype.kind not in "iu":
        raise ValueError(f"points must have an integer dtype, got {P.dtype}")
    n, d = P.shape
    cols = P.T.astype(np.int64)                     # (d, n), our own contiguous copy
    if weights is None:
        k = (n - 1) // 2
        cols.partition(k, axis=1)
        return cols[:, k].copy()
    _weights(weights, n)                            # checked, but the weights are used as given
    w = np.asarray(weights)
    order = np.argsort(cols, axis=1)
    cum = np.cumsum(w[order], axis=1)
    # the first index whose cumulative weight reaches half the total (cum is non-decreasing)
    first = np.sum(cum < cum[:, -1:] / 2, axis=1)
    return np.take_along_axis(cols, np.take_along_axis(order, first[:, None], axis=1), axis=1)[:, 0]


def geometric_median(points, weights=None, max_iter=1000):
    """Weiszfeld's iteration (Vardi-Zhang at data points) for min sum_i w_i ||p_i - x||_2, float64 (d,)."""
    P = np.asarray(points)
    if P.ndim != 2 or P.shape[0] == 0 or P.shape[1] == 0:
        raise ValueError("points must have shape (n, d) with n >= 1 and d >= 1")
    if P.dtype.kind not in "iuf":
        raise ValueError(f"points must be real numbers, got {P.dtype}")
    P = P.astype(np.float64)
    if not np.all(np.isfinite(P)):
        raise ValueError("points must be finite")
    w = _weights(weights, P.shape[0])
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")
    keep = w > 0
    P, w = P[keep], w[keep]
    if np.all(P == P[0]):
        return P[0].copy()
    total = w.sum()
    centroid = (w @ P) / total
    scale = np.max(np.abs(P - centroid))
    Q = (P - centroid) / scale                      # coordinates of size at most 1
    y = np.zeros(P.shape[1])
    for _ in range(max_iter):
        diff = Q - y
        dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        at = dist == 0
        if at.any():
            eta = w[at].sum()
            inv = np.where(at, 0.0, w / np.where(at, 1.0, dist))
        else:
            eta = 0.0
            inv = w / dist
        R = inv @ diff
        step = R / inv.sum()
        if eta > 0:                                 # Vardi-Zhang: y is a data point of weight eta
            r = np.sqrt(R @ R)
            if r <= eta:                            # 0 is a subgradient: y is optimal
                break
            step *= 1.0 - eta / r
        y = y + step
        if np.sqrt(step @ step) <= STEP_TOL * (w @ dist) / total:
            break
    return centroid + scale * y
