"""triangles: the reference's numpy-only sparse product beside scipy.sparse's A @ A.

Both do the whole task: the symmetric 0/1 adjacency without duplicates or
self-loops, the common-friend counts A @ A, the friends and the diagonal
removed, and each user's first k candidates by (count descending, id) written
into (n, k) arrays padded with -1 and 0. scipy multiplies in compiled code
(SMMP), and both order the entries with one stable sort of a combined key
(a 3-key np.lexsort would cost scipy's side ~0.1 s more); the reference lists
the paths of length 2 with np.repeat and counts them by sorting their keys.
"""

from __future__ import annotations

import numpy as np

from benchmarks.libraries import Case


def _groups(seed, n, m, group=25, inside=0.8):
    g = np.random.default_rng(seed)
    within = g.random(m) < inside
    gid = g.integers(n // group, size=m)
    a = gid * group + g.integers(group, size=m)
    b = gid * group + g.integers(group, size=m)
    return np.where(within[:, None], np.stack([a, b], axis=1), g.integers(n, size=(m, 2))).astype(np.int64)


def _popular(seed, n, m, hubs, hub_degree):
    g = np.random.default_rng([seed, 7])
    E = _groups(seed, n, m - hubs * hub_degree)
    h = g.choice(n, size=hubs, replace=False)
    H = np.stack([np.repeat(h, hub_degree), g.integers(n, size=hubs * hub_degree)], axis=1)
    return np.vstack([E, H])


def _scipy(edges, n, k):
    import scipy.sparse as sp

    u, v = edges[:, 0], edges[:, 1]
    keep = u != v
    A = sp.coo_matrix((np.ones(int(keep.sum()), dtype=np.int64), (u[keep], v[keep])), shape=(n, n)).tocsr()
    A = A + A.T
    A.data[:] = 1                                   # duplicates in either order: one friendship
    C = (A @ A).tocsr()
    C.setdiag(0)
    C = (C - C.multiply(A)).tocsr()                 # friends out
    C.sort_indices()
    C = C.tocoo()                                   # entries by (row, col)
    nz = C.data > 0
    row, col, cnt = C.row[nz].astype(np.int64), C.col[nz], C.data[nz]
    top = int(cnt.max())
    order = np.argsort(row * (top + 1) + (top - cnt), kind="stable")   # as fast as ordering gets
    row, col, cnt = row[order], col[order], cnt[order]
    per_user = np.bincount(row, minlength=n)
    place = np.arange(len(row)) - np.repeat(np.cumsum(per_user) - per_user, per_user)
    sel = place < k
    ids = np.full((n, k), -1, dtype=np.int64)
    counts = np.zeros((n, k), dtype=np.int64)
    ids[row[sel], place[sel]] = col[sel]
    counts[row[sel], place[sel]] = cnt[sel]
    return ids, counts


CASES = [
    Case("50 000 users, 100 000 edges, groups (graded)", lambda: (_groups(1, 50_000, 100_000), 50_000, 10),
         lambda ref, E, n, k: ref.recommend_friends(E, n, k), _scipy),
    Case("20 000 users, 50 000 edges, 10 popular (graded)",
         lambda: (_popular(2, 20_000, 50_000, 10, 300), 20_000, 10),
         lambda ref, E, n, k: ref.recommend_friends(E, n, k), _scipy),
    Case("100 000 users, 300 000 edges, groups", lambda: (_groups(3, 100_000, 300_000), 100_000, 10),
         lambda ref, E, n, k: ref.recommend_friends(E, n, k), _scipy),
]
