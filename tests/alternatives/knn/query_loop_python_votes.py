"""Query-by-query style: the ranking key ||x - c||^2 - 2 (q - c).(x - c) for a
block of queries (centred at the first training point), then a Python loop over
the queries: np.partition for the k-th value, np.flatnonzero for the candidates
in index order (ties to the lower index), exact distances of the k neighbours
recomputed from the coordinates, and the vote counted in a dict. The pairwise
distances come from direct differences in small blocks of rows (no expansion)."""

import numpy as np


def pairwise_sq_dists(A, B):
    A = np.asarray(A).astype(np.float64)
    B = np.asarray(B).astype(np.float64)
    n, m = len(A), len(B)
    out = np.empty((n, m))
    step = max(1, (1 << 18) // max(1, m * A.shape[1]))
    for i in range(0, n, step):
        diff = A[i:i + step, None, :] - B[None, :, :]
        out[i:i + step] = np.einsum("ijk,ijk->ij", diff, diff)
    return out


def knn_predict(X_train, y_train, X_query, k, weights="uniform"):
    if weights not in ("uniform", "distance"):
        raise ValueError("weights must be 'uniform' or 'distance'")
    X = np.asarray(X_train).astype(np.float64)
    Q = np.asarray(X_query).astype(np.float64)
    y = np.asarray(y_train)
    n = len(X)
    if int(k) != k or not 1 <= k <= n:
        raise ValueError("k must be between 1 and len(X_train)")
    k = int(k)
    c = X[0]
    Xc = X - c
    sx = np.einsum("ij,ij->i", Xc, Xc)
    out = np.empty(len(Q), dtype=y.dtype)
    block = max(1, 4_000_000 // max(n, 1))
    for start in range(0, len(Q), block):
        R = sx[None, :] - 2.0 * ((Q[start:start + block] - c) @ Xc.T)
        for r, row in enumerate(R):
            q = Q[start + r]
            if k == n:
                chosen = np.arange(n)
            else:
                kth = np.partition(row, k - 1)[k - 1]
                less = np.flatnonzero(row < kth)
                equal = np.flatnonzero(row == kth)
                chosen = np.concatenate([less, equal[:k - len(less)]])
            if weights == "uniform":
                w = np.ones(k)
            else:
                d = np.sqrt(((X[chosen] - q) ** 2).sum(axis=1))
                w = (d == 0).astype(np.float64) if np.any(d == 0) else 1.0 / d
            totals = {}
            for label, wi in zip(y[chosen].tolist(), w.tolist()):
                totals[label] = totals.get(label, 0.0) + wi
            best = max(totals.values())
            out[start + r] = min(label for label, t in totals.items() if t == best)
    return out
