"""Paths of length 2 by degree classes: the users w of equal degree d are taken together, their
friend lists form a (users, d) matrix, and broadcasting gives all d x d ordered pairs of friends
at once (a Python loop over the distinct degrees only, a few dozen). Pairs are counted by sorting
their keys; each row is ordered with one sort of a combined key (user, count, id) and filled with a Python-free scatter.
"""

import numpy as np


def recommend_friends(edges, n, k):
    for value, name in ((n, "n"), (k, "k")):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer")
    n, k = int(n), int(k)
    E = np.asarray(edges)
    if E.ndim != 2 or E.shape[1] != 2:
        raise ValueError("edges must have shape (m, 2)")
    if len(E) and (E.min() < 0 or E.max() >= n):
        raise ValueError("ids must be in 0..n-1")
    a = E[:, 0].astype(np.int64)
    b = E[:, 1].astype(np.int64)
    keep = a != b
    a, b = a[keep], b[keep]
    und = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
    lo, hi = und // n, und % n
    arcs = np.sort(np.concatenate([lo * n + hi, hi * n + lo]))
    src, dst = arcs // n, arcs % n
    deg = np.bincount(src, minlength=n)
    first = np.cumsum(deg) - deg

    ids = np.full((n, k), -1, dtype=np.int64)
    counts = np.zeros((n, k), dtype=np.int64)
    chunks = []
    for d in np.unique(deg[deg > 1]):
        users = np.flatnonzero(deg == d)
        friends = dst[first[users][:, None] + np.arange(d)]          # (users, d)
        pairs = friends[:, :, None] * n + friends[:, None, :]        # (users, d, d)
        chunks.append(pairs[:, ~np.eye(d, dtype=bool)].ravel())      # the d (d - 1) pairs x != v
    if not chunks:
        return ids, counts
    keys = np.sort(np.concatenate(chunks))
    edge = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate([[0], edge])
    pair = keys[starts]
    c = np.diff(np.concatenate([starts, [len(keys)]]))
    friend_keys = src * n + dst                                      # sorted
    pos = np.searchsorted(friend_keys, pair)
    pos[pos == len(friend_keys)] = 0
    stranger = friend_keys[pos] != pair
    pair, c = pair[stranger], c[stranger]
    if len(pair) == 0:
        return ids, counts
    x, v = pair // n, pair % n
    top = int(c.max()) + 1
    order = np.argsort((x * top + (top - 1 - c)) * n + v)            # user, then count descending, then id
    x, v, c = x[order], v[order], c[order]
    row_len = np.bincount(x, minlength=n)
    place = np.arange(len(x)) - np.repeat(np.cumsum(row_len) - row_len, row_len)
    sel = place < k
    ids[x[sel], place[sel]] = v[sel]
    counts[x[sel], place[sel]] = c[sel]
    return ids, counts
