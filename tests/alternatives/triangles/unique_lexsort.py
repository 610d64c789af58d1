"""np.unique with return_counts for the pairs, np.isin to drop friendships, np.lexsort for the rows.

The friendships are symmetrised first (both orientations of every row, then
np.unique of the keys u * n + v), the paths of length 2 come from np.repeat
over the compressed rows, and each row's place comes from np.searchsorted.
"""

import numpy as np


def _positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def recommend_friends(edges, n, k):
    n = _positive_int(n, "n")
    k = _positive_int(k, "k")
    E = np.asarray(edges)
    if E.ndim != 2 or E.shape[1] != 2:
        raise ValueError(f"edges must have shape (m, 2), got {E.shape}")
    if E.size and (int(E.min()) < 0 or int(E.max()) > n - 1):
        raise ValueError("every id must be in 0..n-1")
    E = E.astype(np.int64)
    E = E[E[:, 0] != E[:, 1]]
    arcs = np.unique(np.concatenate([E[:, 0] * n + E[:, 1], E[:, 1] * n + E[:, 0]]))
    src, dst = arcs // n, arcs % n
    ids = np.full((n, k), -1, dtype=np.int64)
    counts = np.zeros((n, k), dtype=np.int64)

    deg = np.bincount(src, minlength=n)
    start = np.concatenate([[0], np.cumsum(deg)[:-1]])
    # For the arc w -> x (src = w, dst = x): x paired with every friend of w.
    reps = deg[src]
    total = int(reps.sum())
    if total == 0:
        return ids, counts
    xs = np.repeat(dst, reps)
    offsets = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    vs = dst[np.repeat(start[src], reps) + offsets]
    ok = xs != vs
    pair, c = np.unique(xs[ok] * n + vs[ok], return_counts=True)
    stranger = ~np.isin(pair, arcs, assume_unique=True)   # both are sorted and distinct
    pair, c = pair[stranger], c[stranger]
    if len(pair) == 0:
        return ids, counts
    x, v = pair // n, pair % n
    # np.unique returned the pairs sorted by (x, v), and lexsort is stable: sorting by (x, -c)
    # keeps the ids ascending among equal counts.
    order = np.lexsort((-c, x))
    x, v, c = x[order], v[order], c[order]
    place = np.arange(len(x)) - np.searchsorted(x, x, side="left")
    keep = place < k
    ids[x[keep], place[keep]] = v[keep]
    counts[x[keep], place[keep]] = c[keep]
    return ids, counts
