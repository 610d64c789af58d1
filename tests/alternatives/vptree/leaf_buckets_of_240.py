"""Leaf buckets of up to 240 points (the largest the task promises the
build's growth limit accepts), per-child distance shells and a best-first
search. Built with an explicit stack: a node of at most 240 points is a leaf
bucket scanned with one metric call; each inner node keeps the least and
largest distance from its vantage point to each child's points, the bounds a
query prunes with; queries pop the node with the least lower bound from a
min-heap.
"""

import heapq
import math

import numpy as np

_LEAF = 240


def euclidean(a, B):
    """Distances from the point a (d,) to each row of B (m, d), shape (m,)."""
    diff = np.asarray(B, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))


class VPTree:
    def __init__(self, points, metric=None, rng=None):
        self.points = np.asarray(points)
        if self.points.ndim == 1:
            self.points = self.points.reshape(-1, 1)
        self.n = len(self.points)
        self.metric = euclidean if metric is None else metric
        self.rng = np.random.default_rng() if rng is None else rng
        # node arrays
        self.vp = []       # vantage index or -1 for leaf
        self.bucket = []   # leaf index arrays (None for inner)
        self.child = []    # [inside, outside]
        self.shell = []    # [(lo_in, hi_in), (lo_out, hi_out)] distances from vp
        self.mu = []
        root = self._new()
        stack = [(root, np.arange(self.n))]
        while stack:
            node, idx = stack.pop()
            if len(idx) <= _LEAF:
                self.bucket[node] = idx
                continue
            j = int(self.rng.integers(len(idx)))
            v = int(idx[j])
            rest = np.delete(idx, j)
            d = np.asarray(self.metric(self.points[v], self.points[rest]), dtype=np.float64)
            mu = float(np.median(d))
            inside = d <= mu
            self.vp[node] = v
            self.mu[node] = mu
            shells = []
            kids = []
            for mask in (inside, ~inside):
                sub = rest[mask]
                if len(sub) == 0:
                    kids.append(-1)
                    shells.append((math.inf, -math.inf))
                    continue
                dd = d[mask]
                c = self._new()
                kids.append(c)
                shells.append((float(dd.min()), float(dd.max())))
                stack.append((c, sub))
            self.child[node] = kids
            self.shell[node] = shells

    def _new(self):
        self.vp.append(-1)
        self.bucket.append(None)
        self.child.append(None)
        self.shell.append(None)
        self.mu.append(0.0)
        return len(self.vp) - 1

    def _dist(self, q, idx):
        return np.asarray(self.metric(q, self.points[idx]), dtype=np.float64).reshape(-1)

    @staticmethod
    def _bound(dq, lo, hi):
        # lower bound on d(q, x) for every x with lo <= d(vp, x) <= hi
        b = max(dq - hi, lo - dq, 0.0)
        # tiny slack against rounding in the triangle inequality
        return b - 1e-12 * (dq + hi + 1.0)

    def _search(self, q, k, radius=None):
        """Best-first traversal. Returns list of (dist, idx) found within bound."""
        q = np.asarray(q)
        best = []   # max-heap of (-d, -i), size <= k   (knn mode)
        found = []  # radius mode
        tau = math.inf if radius is None else radius

        def offer(dv, iv):
            nonlocal tau
            if radius is not None:
                if dv <= radius:
                    found.append(iv)
                return
            item = (-dv, -iv)
            if len(best) < k:
                heapq.heappush(best, item)
                if len(best) == k:
                    tau = -best[0][0]
            elif item > best[0]:
                heapq.heapreplace(best, item)
                tau = -best[0][0]

        pq = [(0.0, 0)]
        while pq:
            lb, node = heapq.heappop(pq)
            if lb > tau:
                break
            b = self.bucket[node]
            if b is not None:
                ds = self._dist(q, b)
                for dv, iv in zip(ds.tolist(), b.tolist()):
                    offer(dv, iv)
                continue
            v = self.vp[node]
            dq = float(self._dist(q, [v])[0])
            offer(dq, v)
            for c, (lo, hi) in zip(self.child[node], self.shell[node]):
                if c < 0:
                    continue
                nb = max(lb, self._bound(dq, lo, hi))
                if nb <= tau:
                    heapq.heappush(pq, (nb, c))
        return best, found

    def query(self, q, k):
        if isinstance(k, bool) or not (1 <= k <= self.n) or int(k) != k:
            raise ValueError("k must lie in 1..n")
        k = int(k)
        best, _ = self._search(q, k)
        pairs = sorted((-a, -b) for a, b in best)
        dists = np.array([p[0] for p in pairs], dtype=np.float64)
        idx = np.array([p[1] for p in pairs], dtype=np.int64)
        return dists, idx

    def query_radius(self, q, r):
        _, found = self._search(q, 1, radius=float(r))
        return np.array(sorted(found), dtype=np.int64)
