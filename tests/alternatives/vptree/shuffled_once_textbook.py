"""Textbook VP-tree with all its randomness drawn up front: rng.permutation
shuffles the point indices once, and each node takes the first of its points
(in that shuffled order) as vantage point. mu is np.median (the midpoint of the
two middle distances for an even count), inside d <= mu, outside d > mu. Nodes
are dicts, the build and both searches use explicit stacks, and the k best are
a sorted list of (distance, index) from which tau is read when it holds k.
"""

import bisect

import numpy as np


def _euclidean(a, B):
    return np.sqrt(np.sum((np.asarray(B, dtype=np.float64) - np.asarray(a, dtype=np.float64)) ** 2, axis=1))


class VPTree:
    def __init__(self, points, metric=None, rng=None):
        self.points = np.asarray(points)
        if self.points.ndim != 2 or len(self.points) == 0:
            raise ValueError("points must be a non-empty 2-D array")
        self.metric = _euclidean if metric is None else metric
        if rng is None:
            rng = np.random.default_rng()
        order = rng.permutation(len(self.points))
        self.root = {"members": order}
        stack = [self.root]
        while stack:
            node = stack.pop()
            members = node.pop("members")
            node["vp"] = int(members[0])
            node["inside"] = node["outside"] = None
            rest = members[1:]                           # still in shuffled order
            if len(rest) == 0:
                node["mu"] = 0.0
                continue
            d = np.asarray(self.metric(self.points[node["vp"]], self.points[rest]), dtype=np.float64)
            node["mu"] = mu = float(np.median(d))
            for side, mask in (("inside", d <= mu), ("outside", d > mu)):
                if mask.any():
                    node[side] = {"members": rest[mask]}
                    stack.append(node[side])

    def _d(self, q, i):
        return float(np.asarray(self.metric(q, self.points[i:i + 1]), dtype=np.float64)[0])

    @staticmethod
    def _children(node, d):
        """(child, bound) pairs, far side first so that the near side is popped first."""
        mu, eps = node["mu"], 1e-12 * (node["mu"] + d)
        pairs = [(node["outside"], mu - d - eps), (node["inside"], d - mu - eps)]
        if d > mu:
            pairs.reverse()
        return [(c, b) for c, b in pairs if c is not None]

    def query(self, q, k):
        n = len(self.points)
        if k != int(k) or not 1 <= k <= n:
            raise ValueError("k must be between 1 and n")
        k = int(k)
        cand = []                                        # sorted (d, i), at most k
        stack = [(self.root, -1.0)]
        while stack:
            node, bound = stack.pop()
            tau = cand[k - 1][0] if len(cand) >= k else np.inf
            if bound > tau:
                continue
            d = self._d(q, node["vp"])
            item = (d, node["vp"])
            if len(cand) < k or item < cand[-1]:
                bisect.insort(cand, item)
                del cand[k:]
            stack.extend(self._children(node, d))
        dists = np.array([c[0] for c in cand], dtype=np.float64)
        idx = np.array([c[1] for c in cand], dtype=np.int64)
        return dists, idx

    def query_radius(self, q, r):
        found = []
        stack = [(self.root, -1.0)]
        while stack:
            node, bound = stack.pop()
            if bound > r:
                continue
            d = self._d(q, node["vp"])
            if d <= r:
                found.append(node["vp"])
            stack.extend(self._children(node, d))
        return np.array(sorted(found), dtype=np.int64)
