"""Correct, but a Python loop over the users, counting common friends in a dict per user: about 5-10x
the reference on 50 000 users, over the budget.
"""

import numpy as np

CAUGHT_BY = ("test_time_groups", "test_time_popular_users")


def recommend_friends(edges, n, k):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    edges = np.asarray(edges)
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"edges must have shape (m, 2), got {edges.shape}")
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise ValueError("ids must be in 0..n-1")
    friends = [set() for _ in range(n)]
    for u, v in edges.tolist():
        if u != v:
            friends[u].add(v)
            friends[v].add(u)
    ids = np.full((n, k), -1, dtype=np.int64)
    counts = np.zeros((n, k), dtype=np.int64)
    for x in range(n):
        mine = friends[x]
        common = {}
        for w in mine:
            for v in friends[w]:
                if v != x and v not in mine:
                    common[v] = common.get(v, 0) + 1
        best = sorted(common.items(), key=lambda item: (-item[1], item[0]))[:k]
        for j, (v, c) in enumerate(best):
            ids[x, j] = v
            counts[x, j] = c
    return ids, counts
