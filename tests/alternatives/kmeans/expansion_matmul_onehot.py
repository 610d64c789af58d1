"""Correct k-means written with matrix products: squared distances by the
expansion ||x||^2 - 2 x.c + ||c||^2 (one matrix product per Lloyd step), centroid
sums by a float one-hot matrix product, k-means++ draws by inverse CDF
(np.cumsum + np.searchsorted on rng.random()), which consumes the random stream
differently from rng.choice, and rng=None handled by np.random.default_rng(rng).
"""

import numpy as np


def _prepare(X, k):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError("X must have shape (n, d)")
    if not 1 <= k <= X.shape[0]:
        raise ValueError(f"need 1 <= k <= n, got k={k}")
    return X


def _sq_dists(X, x2, C):
    """(n, k) squared distances by the expansion, clipped at 0 (rounding)."""
    D = x2[:, None] - 2.0 * (X @ C.T) + np.einsum("ij,ij->i", C, C)[None, :]
    return np.maximum(D, 0.0)


def kmeans_plus_plus_init(X, k, rng):
    X = _prepare(X, k)
    n = X.shape[0]
    x2 = np.einsum("ij,ij->i", X, X)
    chosen = [int(rng.integers(n))]
    d2 = _sq_dists(X, x2, X[chosen[0]][None, :])[:, 0]
    d2[(X == X[chosen[0]]).all(axis=1)] = 0.0     # exact zeros where the expansion leaves a residue
    for _ in range(1, k):
        cdf = np.cumsum(d2)
        total = cdf[-1]
        if total > 0:
            # First index whose cumulative weight exceeds u: never a weight-0 point.
            i = int(np.searchsorted(cdf, rng.random() * total, side="right"))
            i = min(i, n - 1)
            while d2[i] == 0:          # guard against u * total rounding up to total
                i -= 1
        else:
            i = int(rng.integers(n))
        chosen.append(i)
        d2 = np.minimum(d2, _sq_dists(X, x2, X[i][None, :])[:, 0])
        d2[(X == X[i]).all(axis=1)] = 0.0
    return X[chosen].copy()


def kmeans(X, k, init=None, max_iters=100, tol=1e-4, rng=None):
    X = _prepare(X, k)
    n, d = X.shape
    if init is None:
        C = kmeans_plus_plus_init(X, k, np.random.default_rng(rng))
    else:
        C = np.array(init, dtype=np.float64, copy=True)
        if C.shape != (k, d):
            raise ValueError("init must have shape (k, d)")
    x2 = np.einsum("ij,ij->i", X, X)
    eye = np.eye(k)
    it = 0
    while it < max_iters:
        labels = np.argmin(_sq_dists(X, x2, C), axis=1)
        onehot = eye[labels]                      # (n, k) float
        counts = onehot.sum(axis=0)
        sums = onehot.T @ X
        new = C.copy()
        nonempty = counts > 0
        new[nonempty] = sums[nonempty] / counts[nonempty, None]
        move = np.linalg.norm(new - C, axis=1).max()
        C = new
        it += 1
        if move <= tol:
            break
    labels = np.argmin(_sq_dists(X, x2, C), axis=1)
    return C, labels.astype(np.int64)
