"""A centroid's move is measured as the sum of its absolute coordinate changes
(the L1 length, np.abs(new - old).sum(axis=1)) instead of the Euclidean
distance between its positions. The L1 length is never below the Euclidean
one, so a diagonal move of Euclidean length 0.625 <= tol = 0.75, whose
coordinate changes add up to 0.875, does not stop the run, and the centroids
move on."""

import numpy as np

CAUGHT_BY = ('test_a_move_is_the_euclidean_distance',)


def _as_float_data(X):
    """X as a 2-D float64 array. Integer input is converted (copied); float64 is not copied."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (n, d), got shape {X.shape}")
    return X.astype(np.float64, copy=False)


def _check_k(k, n):
    if k < 1 or k > n:
        raise ValueError(f"k must satisfy 1 <= k <= n = {n}, got k = {k}")


def _squared_distances_to(X, c, buf):
    """||x_i - c||^2 for every row of X, using buf (same shape as X) as scratch."""
    np.subtract(X, c, out=buf)
    return np.einsum("ij,ij->i", buf, buf)


def kmeans_plus_plus_init(X, k, rng):
    """k initial centroids, shape (k, d): first uniformly at random, each next
    one with probability proportional to D(x)^2, the squared distance to the
    nearest centroid chosen so far."""
    X = _as_float_data(X)
    n, d = X.shape
    _check_k(k, n)
    centroids = np.empty((k, d))
    buf = np.empty_like(X)
    centroids[0] = X[rng.integers(n)]
    # nearest[i]: squared distance from point i to its nearest chosen centroid,
    # kept up to date with one pass per new centroid (O(n*k*d) in total).
    nearest = _squared_distances_to(X, centroids[0], buf)
    for j in range(1, k):
        total = nearest.sum()
        if total > 0:
            idx = rng.choice(n, p=nearest / total)
        else:
            # Every point coincides with a chosen centroid (X has fewer than k
            # distinct points): D^2 gives no preference, draw uniformly.
            idx = rng.integers(n)
        centroids[j] = X[idx]
        np.minimum(nearest, _squared_distances_to(X, centroids[j], buf), out=nearest)
    return centroids


def _assign(X, centroids, buf, dist):
    """Index of the nearest centroid for every point; ties go to the lowest index."""
    for j in range(centroids.shape[0]):
        np.subtract(X, centroids[j], out=buf)
        np.einsum("ij,ij->i", buf, buf, out=dist[j])
    # argmin returns the first minimum, i.e. the lowest centroid index on a tie.
    return np.argmin(dist, axis=0)


def _update(X, labels, centroids):
    """Mean of each cluster's points; an empty cluster keeps its centroid."""
    k, d = centroids.shape
    counts = np.bincount(labels, minlength=k)
    new = centroids.copy()
    filled = counts > 0
    for f in range(d):
        sums = np.bincount(labels, weights=X[:, f], minlength=k)
        new[filled, f] = sums[filled] / counts[filled]
    return new


def kmeans(X, k, init=None, max_iters=100, tol=1e-4, rng=None):
    """Lloyd's algorithm. Returns (centroids (k, d) float64, labels (n,) int64)."""
    X = _as_float_data(X)
    n, d = X.shape
    _check_k(k, n)
    if init is None:
        centroids = kmeans_plus_plus_init(X, k, np.random.default_rng() if rng is None else rng)
    else:
        # A float64 copy: the caller's array is never written to.
        centroids = np.array(init, dtype=np.float64)
        if centroids.shape != (k, d):
            raise ValueError(f"init must have shape ({k}, {d}), got {centroids.shape}")
    buf = np.empty_like(X)
    dist = np.empty((k, n))
    for _ in range(max_iters):
        labels = _assign(X, centroids, buf, dist)
        new = _update(X, labels, centroids)
        shift = np.abs(new - centroids).sum(axis=1).max()
        centroids = new
        if shift <= tol:
            break
    # Labels of the returned centroids (the last update may have moved them).
    labels = _assign(X, centroids, buf, dist)
    return centroids, labels.astype(np.int64)
