"""Iterative, in flat Python lists, with leaf buckets of up to 6 points that a
query scans with one metric call. The split is at the upper median with the
other convention: inside d < mu, outside d >= mu (so identical points all go
outside, a chain built with an explicit stack). The vantage point is drawn
with rng.choice. Queries are best-first: a min-heap of (lower bound, node),
children decided as soon as their parent is evaluated (tau is infinite until
k candidates are known) and checked again when popped; the k best live in a
max-heap of (-d, -i).
"""

import heapq
import math

import numpy as np

BUCKET = 6


def _euclidean(a, B):
    diff = np.asarray(B, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    return np.sqrt((diff * diff).sum(axis=1))


class VPTree:
    def __init__(self, points, metric=None, rng=None):
        self.P = np.asarray(points)
        if self.P.ndim != 2 or len(self.P) < 1:
            raise ValueError("points must be a non-empty (n, d) array")
        self.metric = metric or _euclidean
        rng = rng if rng is not None else np.random.default_rng()
        # One entry per node: vantage point, mu, inside child, outside child, bucket.
        self.vp, self.mu, self.ins, self.out, self.bucket = [], [], [], [], []
        todo = [(self._new(), np.arange(len(self.P)))]
        while todo:
            node, members = todo.pop()
            if len(members) <= BUCKET:
                self.bucket[node] = members
                continue
            vp = int(rng.choice(members))
            rest = members[members != vp]
            d = np.asarray(self.metric(self.P[vp], self.P[rest]), dtype=np.float64)
            mu = float(np.sort(d)[len(d) // 2])          # upper median
            self.vp[node], self.mu[node] = vp, mu
            inside, outside = rest[d < mu], rest[d >= mu]
            if len(inside):
                self.ins[node] = self._new()
                todo.append((self.ins[node], inside))
            self.out[node] = self._new()                 # never empty: it holds the median point
            todo.append((self.out[node], outside))

    def _new(self):
        for column, empty in ((self.vp, -1), (self.mu, 0.0), (self.ins, -1), (self.out, -1), (self.bucket, None)):
            column.append(empty)
        return len(self.vp) - 1

    def _bounds(self, node, d):
        """(child, lower bound) for both children; inside x: d(q, x) > d - mu, outside: d(q, x) >= mu - d."""
        mu = self.mu[node]
        slack = 1e-12 * (mu + d)
        return [(c, b - slack) for c, b in ((self.ins[node], d - mu), (self.out[node], mu - d)) if c >= 0]

    def query(self, q, k):
        n = len(self.P)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 or k > n:
            raise ValueError(f"need 1 <= k <= {n}, got {k}")
        best = []                                          # max-heap of (-d, -i)

        def offer(d, i):
            if len(best) < k:
                heapq.heappush(best, (-d, -i))
            elif (d, i) < (-best[0][0], -best[0][1]):
                heapq.heapreplace(best, (-d, -i))

        def tau():
            return -best[0][0] if len(best) == k else math.inf

        frontier = [(0.0, 0)]
        while frontier:
            bound, node = heapq.heappop(frontier)
            if bound > tau():
                break                                      # every other node's bound is at least as large
            if self.bucket[node] is not None:
                ids = self.bucket[node]
                for d, i in zip(np.asarray(self.metric(q, self.P[ids]), dtype=np.float64).tolist(), ids.tolist()):
                    offer(d, i)
                continue
            i = self.vp[node]
            d = float(self.metric(q, self.P[i:i + 1])[0])
            offer(d, i)
            for child, b in self._bounds(node, d):
                if b <= tau():
                    heapq.heappush(frontier, (max(b, bound), child))
        out = sorted((-nd, -ni) for nd, ni in best)
        return np.array([d for d, _ in out], dtype=np.float64), np.array([i for _, i in out], dtype=np.int64)

    def query_radius(self, q, r):
        hits = []
        todo = [0]
        while todo:
            node = todo.pop()
            if self.bucket[node] is not None:
                ids = self.bucket[node]
                d = np.asarray(self.metric(q, self.P[ids]), dtype=np.float64)
                hits.extend(ids[d <= r].tolist())
                continue
            i = self.vp[node]
            d = float(self.metric(q, self.P[i:i + 1])[0])
            if d <= r:
                hits.append(i)
            todo.extend(child for child, b in self._bounds(node, d) if b <= r)
        return np.array(sorted(hits), dtype=np.int64)
