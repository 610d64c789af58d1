"""Computes every distance itself from the coordinates, with a vectorised
scan, and calls the metric only for the k distances it returns: the count
would say 5 evaluations per query. On opaque points (ids) the coordinates
are meaningless, so its answers are wrong wherever it is counted. It builds
no tree and never uses rng, so the metric evaluations do not depend on the seed.
"""

import numpy as np

CAUGHT_BY = (
    'test_opaque_points_through_the_metric',
    'test_randomness_comes_from_rng',
)


class VPTree:
    def __init__(self, points, metric=None, rng=None):
        self._points = np.asarray(points, dtype=np.float64)
        if self._points.ndim != 2 or len(self._points) < 1:
            raise ValueError("points must be a non-empty (n, d) array")
        self._metric = metric

    def _scan(self, q):
        diff = self._points - np.asarray(q, dtype=np.float64)
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))

    def query(self, q, k):
        n = len(self._points)
        if isinstance(k, bool) or int(k) != k or not 1 <= k <= n:
            raise ValueError(f"k must be an integer in [1, {n}], got {k!r}")
        d = self._scan(q)
        idx = np.lexsort((np.arange(n), d))[:int(k)]
        if self._metric is not None:
            d = np.asarray(self._metric(q, self._points[idx]), dtype=np.float64)
            return d, idx.astype(np.int64)
        return d[idx], idx.astype(np.int64)

    def query_radius(self, q, r):
        return np.flatnonzero(self._scan(q) <= r).astype(np.int64)
