"""k-means++ only where the data are small: on more than 5 000 rows (the timed calls) the centroids
are the rows of largest norm, then uniformly drawn rows kept if farther than 100 from every row kept
so far. No D^2 is computed there, and on the timed blobs these rows lie in distinct groups and
include the isolated points, as a D^2 draw's do; but given the rows before it, a row so chosen
is not where a D^2 draw would land, which the test of the timed draws' distribution finds.
"""

CAUGHT_BY = ("test_kmeans_plus_plus_time_budget",)


import numpy as np


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


def _d2_draws(X, k, rng):
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



def _spread_rows(X, k, rng):
    """k rows chosen without any D^2: the rows of largest norm first (those far from the rest), then
    uniformly drawn rows, each kept if farther than 100 from every row kept so far. O(n d + k^2 d)."""
    n, d = X.shape
    norms = np.einsum("ij,ij->i", X, X)
    kept = [X[i] for i in np.flatnonzero(norms > 100.0 * np.median(norms))[:k]]
    while len(kept) < k:
        row = X[rng.integers(n)]
        if np.min(((np.array(kept) - row) ** 2).sum(axis=1)) > 100.0 ** 2:
            kept.append(row)
    return np.array(kept, dtype=np.float64)


def kmeans_plus_plus_init(X, k, rng):
    """k-means++ on the small data sets; on large ones, rows spread out by a cheap rule instead."""
    X = _as_float_data(X)
    _check_k(k, X.shape[0])
    return _spread_rows(X, k, rng) if X.shape[0] > 5000 and k > 1 else _d2_draws(X, k, rng)

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
        shift = np.sqrt(((new - centroids) ** 2).sum(axis=1)).max()
        centroids = new
        if shift <= tol:
            break
    # Labels of the returned centroids (the last update may have moved them).
    labels = _assign(X, centroids, buf, dist)
    return centroids, labels.astype(np.int64)
