"""Each node splits its m other points at the upper median, the distance at index m // 2 of the sorted
ones (np.sort(d)[len(d) // 2]), with d <= mu inside: for an even m the inside child then holds
m / 2 + 1 of them, one more than half (rounded up), at every level. The split must leave at
most half of a node's other points on each side (the lower median (m - 1) // 2 does)."""

import heapq

import numpy as np

CAUGHT_BY = ('test_split_at_the_median',)

# Slack on the pruning bound, relative to the distances involved: the bounds
# mu - d and d - mu are computed in floating point, so a point lying exactly on
# the boundary (collinear grid points, duplicates) can be off by a few ulps
# (~1e-16 relative). 1e-12 relative is far above that and costs nothing.
_PRUNE_SLACK = 1e-12


def _euclidean(a, B):
    """Distances from the point ``a`` (d,) to each row of ``B`` (m, d)."""
    diff = B - a
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))


class VPTree:
    """Vantage-point tree over the rows of ``points`` (n, d)."""

    def __init__(self, points, metric=None, rng=None):
        P = np.asarray(points, dtype=np.float64)
        if P.ndim != 2 or P.shape[0] < 1:
            raise ValueError(f"points must be a non-empty (n, d) array, got shape {P.shape}")
        self._points = P
        self._metric = _euclidean if metric is None else metric
        rng = np.random.default_rng() if rng is None else rng

        n = P.shape[0]
        # Node arrays; node j is created when its point set is popped.
        self._vp = np.empty(n, dtype=np.int64)
        self._mu = np.zeros(n, dtype=np.float64)
        self._inside = np.full(n, -1, dtype=np.int64)
        self._outside = np.full(n, -1, dtype=np.int64)

        self._root = 0
        n_nodes = 1
        stack = [(0, np.arange(n))]          # (node id, indices of its points)
        while stack:
            node, members = stack.pop()
            if len(members) == 1:
                self._vp[node] = members[0]
                continue
            pick = int(rng.integers(len(members)))
            vp = members[pick]
            # The vantage point leaves its subtree: swap it to the end, drop it.
            members[pick] = members[-1]
            rest = members[:-1]
            self._vp[node] = vp
            d = np.asarray(self._metric(P[vp], P[rest]), dtype=np.float64)
            half = len(d) // 2
            mu = float(np.partition(d, half)[half])   # the upper median
            self._mu[node] = mu
            near = d <= mu                   # a point at exactly mu stays inside
            for mask, children in ((near, self._inside), (~near, self._outside)):
                if mask.any():
                    children[node] = n_nodes
                    stack.append((n_nodes, rest[mask]))
                    n_nodes += 1

    def _check_query(self, q):
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (self._points.shape[1],):
            raise ValueError(f"query must have shape ({self._points.shape[1]},), got {q.shape}")
        return q

    def _distance(self, q, i):
        return float(self._metric(q, self._points[i : i + 1])[0])

    def query(self, q, k):
        """The k nearest points to ``q``: (dists (k,), idx (k,)), ascending by
        distance, ties by the lower index."""
        q = self._check_query(q)
        n = self._points.shape[0]
        if isinstance(k, bool) or int(k) != k or not 1 <= k <= n:
            raise ValueError(f"k must be an integer in [1, {n}], got {k!r}")
        k = int(k)

        best = []                 # max-heap of the k best as (-dist, -idx)
        tau = np.inf              # k-th best distance; infinite until k are known
        stack = [(self._root, 0.0)]   # (node, lower bound on its points' distance)
        while stack:
            node, bound = stack.pop()
            if bound > tau:
                continue
            i = int(self._vp[node])
            d = self._distance(q, i)
            if len(best) < k:
                heapq.heappush(best, (-d, -i))
                if len(best) == k:
                    tau = -best[0][0]
            elif (d, i) < (-best[0][0], -best[0][1]):
                heapq.heapreplace(best, (-d, -i))
                tau = -best[0][0]
            self._push_children(stack, node, d)

        best.sort(key=lambda t: (-t[0], -t[1]))
        dists = np.array([-t[0] for t in best], dtype=np.float64)
        idx = np.array([-t[1] for t in best], dtype=np.int64)
        return dists, idx

    def query_radius(self, q, r):
        """Indices of all points within distance ``r`` of ``q`` (d <= r), ascending."""
        q = self._check_query(q)
        r = float(r)
        found = []
        stack = [(self._root, 0.0)]
        while stack:
            node, bound = stack.pop()
            if bound > r:
                continue
            i = int(self._vp[node])
            d = self._distance(q, i)
            if d <= r:
                found.append(i)
            self._push_children(stack, node, d)
        return np.array(sorted(found), dtype=np.int64)

    def _push_children(self, stack, node, d):
        """Push both children with their triangle-inequality lower bounds, the
        side ``q`` falls on last so that it is searched first."""
        mu = self._mu[node]
        slack = _PRUNE_SLACK * (mu + d)
        inside, outside = self._inside[node], self._outside[node]
        # Inside points x have d(x, vp) <= mu, so d(q, x) >= d - mu.
        # Outside points x have d(x, vp) > mu, so d(q, x) > mu - d.
        near_inside = d <= mu
        order = ((outside, mu - d), (inside, d - mu))
        if not near_inside:
            order = order[::-1]
        for child, bound in order:
            if child >= 0:
                stack.append((int(child), bound - slack))
