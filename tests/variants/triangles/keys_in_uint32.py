"""The ids are cast to uint32 to halve their memory (every id below 2^32 fits), so the keys
lo * n + hi are computed in uint32 too and wrap once n > 65 536: friendships become pairs of other
users. Right on every graph of the timed tests (n = 50 000 at most) and for ids of any dtype
compared with its own int64 result; wrong on 300 users spread over n = 70 000.
"""

CAUGHT_BY = ("test_agrees_with_plain_loop",)

import numpy as np


def _count_argument(value, name):
    """A positive Python or NumPy integer (not a bool), or ValueError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def _friend_pairs(edges, n):
    """The distinct friendships as sorted keys lo * n + hi (lo < hi), int64."""
    edges = np.asarray(edges)
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"edges must have shape (m, 2), got shape {edges.shape}")
    if edges.dtype.kind not in "iu":
        raise ValueError(f"edges must be an integer array, got dtype {edges.dtype}")
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise ValueError(f"every id in edges must be in 0..{n - 1}, got ids from {edges.min()} to {edges.max()}")
    # int64 before any arithmetic: lo * n + hi reaches n^2, beyond int32 for n > 46 340.
    u = edges[:, 0].astype(np.uint32)         # BUG: every id fits, but u * n + v is uint32 too
    v = edges[:, 1].astype(np.uint32)
    distinct = u != v                                     # self-loops are ignored
    lo = np.minimum(u, v)[distinct]
    hi = np.maximum(u, v)[distinct]
    return np.unique(lo * n + hi)                         # duplicates, in either order, are one friendship


def recommend_friends(edges, n, k):
    """For each user x, the k non-friends with the most common friends: (ids, counts), both (n, k) int64.

    Candidates of x: every v != x who is not a friend of x and has at least
    one common friend with x, ordered by number of common friends
    (descending), then id (ascending). Row x holds the first k of them,
    padded with -1 (ids) and 0 (counts) when there are fewer.
    """
    n = _count_argument(n, "n")
    k = _count_argument(k, "k")
    pairs = _friend_pairs(edges, n)
    ids = np.full((n, k), -1, dtype=np.int64)
    counts = np.zeros((n, k), dtype=np.int64)
    if len(pairs) == 0:
        return ids, counts

    # Arcs both ways, sorted by (source, target): compressed rows of A.
    lo, hi = np.divmod(pairs, n)
    arcs = np.sort(np.concatenate([pairs, hi * n + lo]))
    source, target = np.divmod(arcs, n)
    degree = np.bincount(source, minlength=n)
    row_start = np.cumsum(degree) - degree

    # Paths x - w - v: for each arc w -> x, every neighbour v of w.
    fan = degree[source]                                  # len(N(w)) for the arc w -> x
    first_of_arc = np.cumsum(fan) - fan
    x = np.repeat(target, fan)
    slot = np.arange(len(x)) - np.repeat(first_of_arc - row_start[source], fan)
    v = target[slot]
    keys = x * n + v
    keys = keys[x != v]
    if len(keys) == 0:
        return ids, counts

    # Count each (x, v) pair: sort the keys and measure the runs.
    keys.sort()
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    pair_keys = keys[starts]
    pair_counts = np.diff(np.append(starts, len(keys)))

    # Existing friends are no candidates.
    at = np.minimum(np.searchsorted(arcs, pair_keys), len(arcs) - 1)
    stranger = arcs[at] != pair_keys
    pair_keys = pair_keys[stranger]
    pair_counts = pair_counts[stranger]
    if len(pair_keys) == 0:
        return ids, counts

    # Order by (x, count descending, v): pair_keys are sorted by (x, v) and the sort is stable.
    cx, cv = np.divmod(pair_keys, n)
    top = int(pair_counts.max())
    order = np.argsort(cx * (top + 1) + (top - pair_counts), kind="stable")
    cx, cv, cc = cx[order], cv[order], pair_counts[order]
    per_user = np.bincount(cx, minlength=n)
    rank = np.arange(len(cx)) - np.repeat(np.cumsum(per_user) - per_user, per_user)
    keep = rank < k
    ids[cx[keep], rank[keep]] = cv[keep]
    counts[cx[keep], rank[keep]] = cc[keep]
    return ids, counts
