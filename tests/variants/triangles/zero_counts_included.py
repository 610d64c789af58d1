"""A dense A @ A with self and friends masked, and each row's top k taken by sorting the whole row:
users with 0 common friends are not masked, so they fill the places left (count 0) instead of -1. (The dense (n, n) matrix also cannot hold
the n = 70 000 of the dtype test: the worker runs out of memory there.)
"""

import numpy as np

CAUGHT_BY = (
    'test_agrees_with_plain_loop',
    'test_no_common_friend_is_never_recommended',
    'test_no_edges',
    'test_any_integer_dtype_gives_the_int64_result',
)


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
    u = edges[:, 0].astype(np.int64)
    v = edges[:, 1].astype(np.int64)
    A = np.zeros((n, n), dtype=np.int64)
    A[u, v] = 1
    A[v, u] = 1
    np.fill_diagonal(A, 0)
    C = A @ A
    C[A == 1] = -1                      # friends
    np.fill_diagonal(C, -1)             # yourself
    order = np.argsort(-C, axis=1, kind="stable")[:, :k]
    counts = np.take_along_axis(C, order, axis=1)
    ids = np.where(counts >= 0, order, -1)
    counts = np.maximum(counts, 0)
    width = ids.shape[1]
    if width < k:
        ids = np.hstack([ids, np.full((n, k - width), -1, dtype=np.int64)])
        counts = np.hstack([counts, np.zeros((n, k - width), dtype=np.int64)])
    return ids.astype(np.int64), counts.astype(np.int64)
