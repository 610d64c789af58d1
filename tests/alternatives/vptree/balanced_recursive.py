"""Recursive node objects with a balanced split by position: the distances are
partitioned with np.argpartition, the first half goes inside and the rest
outside, so points tied at mu may sit on both sides (inside d <= mu, outside
d >= mu; the search's bounds hold for both). Identical points give a balanced
tree, so recursion depth stays near log2 n and plain recursion is safe. The k
best are a sorted list kept with bisect.insort; the far child is decided after
the near one has been searched.
"""

import bisect

import numpy as np


def _euclidean(a, B):
    return np.linalg.norm(np.asarray(B, dtype=float) - np.asarray(a, dtype=float), axis=1)


class _Node:
    __slots__ = ("vp", "mu", "inside", "outside")

    def __init__(self, vp):
        self.vp = vp
        self.mu = 0.0
        self.inside = None
        self.outside = None


class VPTree:
    def __init__(self, points, metric=None, rng=None):
        self.points = np.asarray(points)
        if self.points.ndim != 2 or self.points.shape[0] == 0:
            raise ValueError("points must be a non-empty (n, d) array")
        self.metric = _euclidean if metric is None else metric
        self.rng = np.random.default_rng() if rng is None else rng
        self.n = self.points.shape[0]
        self.root = self._build(np.arange(self.n))

    def _build(self, idx):
        j = int(self.rng.integers(len(idx)))
        node = _Node(int(idx[j]))
        rest = np.delete(idx, j)
        if len(rest) == 0:
            return node
        d = np.asarray(self.metric(self.points[node.vp], self.points[rest]), dtype=float)
        h = (len(rest) + 1) // 2                      # inside gets ceil(m / 2)
        order = np.argpartition(d, h - 1)
        node.mu = float(d[order[h - 1]])              # the largest inside distance
        node.inside = self._build(rest[order[:h]])    # d <= mu
        if h < len(rest):
            node.outside = self._build(rest[order[h:]])   # d >= mu
        return node

    def _dist(self, q, i):
        return float(self.metric(q, self.points[i:i + 1])[0])

    def query(self, q, k):
        if not (isinstance(k, (int, np.integer)) and 1 <= k <= self.n):
            raise ValueError(f"k must be an integer in 1..{self.n}, got {k!r}")
        q = np.asarray(q)
        best = []                                     # sorted list of (d, i), at most k

        def tau():
            return best[-1][0] if len(best) == k else float("inf")

        def visit(node):
            d = self._dist(q, node.vp)
            if len(best) < k or (d, node.vp) < best[-1]:
                bisect.insort(best, (d, node.vp))
                if len(best) > k:
                    best.pop()
            # inside x: d(q, x) >= d - mu; outside x: d(q, x) >= mu - d.
            near, far = (node.inside, node.outside) if d <= node.mu else (node.outside, node.inside)
            for child in (near, far):
                if child is not None:
                    bound = (d - node.mu) if child is node.inside else (node.mu - d)
                    if bound - 1e-12 * (node.mu + d) <= tau():   # slack: rounding on exact ties
                        visit(child)

        visit(self.root)
        return (np.array([b[0] for b in best], dtype=float), np.array([b[1] for b in best], dtype=np.int64))

    def query_radius(self, q, r):
        q = np.asarray(q)
        out = []

        def visit(node):
            d = self._dist(q, node.vp)
            if d <= r:
                out.append(node.vp)
            if node.inside is not None and d - node.mu - 1e-12 * (node.mu + d) <= r:
                visit(node.inside)
            if node.outside is not None and node.mu - d - 1e-12 * (node.mu + d) <= r:
                visit(node.outside)

        visit(self.root)
        out.sort()
        return np.array(out, dtype=np.int64)
