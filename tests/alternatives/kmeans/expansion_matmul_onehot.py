"""Correct k-means written with matrix products: squared distances by the
expansion ||x||^2 - 2 x.c + ||c||^2 (one matrix product per Lloyd step) on data
centred at their mean, with the usual guard against its rounding (the few
points whose distance is within rounding of 0, or whose two nearest centroids
are within rounding of a tie, get exact sums of squared differences), centroid
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


ROUNDING = 1e-12   # relative to ||x||^2 + ||c||^2: far above the expansion's error (~1e-15)


def _distances(X):
    """sq(C): the (n, k) squared distances from the rows of X to those of C."""
    mean = X.mean(axis=0)
    Xc = X - mean                                 # centred: distances do not change
    x2 = np.einsum("ij,ij->i", Xc, Xc)

    def sq(C):
        Cc = C - mean
        c2 = np.einsum("ij,ij->i", Cc, Cc)
        D = np.maximum(x2[:, None] - 2.0 * (Xc @ Cc.T) + c2[None, :], 0.0)
        bound = ROUNDING * (x2 + c2.max())
        unsure = D.min(axis=1) <= bound
        if D.shape[1] > 1:
            two = np.partition(D, 1, axis=1)
            unsure |= two[:, 1] - two[:, 0] <= 2.0 * bound
        rows = np.flatnonzero(unsure)
        if rows.size:                             # exact where the expansion cannot tell
            diff = X[rows][:, None, :] - C[None, :, :]
            D[rows] = np.einsum("ijk,ijk->ij", diff, diff)
        return D

    return sq


def kmeans_plus_plus_init(X, k, rng):
    X = _prepare(X, k)
    n = X.shape[0]
    sq = _distances(X)
    chosen = [int(rng.integers(n))]
    d2 = sq(X[chosen[0]][None, :])[:, 0]
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
        d2 = np.minimum(d2, sq(X[i][None, :])[:, 0])
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
    sq = _distances(X)
    eye = np.eye(k)
    it = 0
    while it < max_iters:
        labels = np.argmin(sq(C), axis=1)
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
    labels = np.argmin(sq(C), axis=1)
    return C, labels.astype(np.int64)
