"""Correct k-means written with a Python loop over the k clusters: the
distance to each centroid by np.linalg.norm (the assignment compares distances,
not squared distances), each centroid the mean of X[labels == j] by a boolean
mask, k-means++ with rng.choice over the rows, and the convergence test on the
largest np.linalg.norm of the moves.
"""

import numpy as np


def _check(X, k):
    X = np.array(X, dtype=float)        # always a float64 copy
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    n = len(X)
    if k < 1 or k > n:
        raise ValueError("k out of range")
    return X


def kmeans_plus_plus_init(X, k, rng):
    X = _check(X, k)
    n = len(X)
    centroids = [X[rng.integers(0, n)]]
    nearest = np.sum((X - centroids[0]) ** 2, axis=1)
    while len(centroids) < k:
        s = nearest.sum()
        if s == 0:
            pick = rng.integers(0, n)
        else:
            pick = rng.choice(n, p=nearest / s)
        centroids.append(X[pick])
        nearest = np.minimum(nearest, np.sum((X - X[pick]) ** 2, axis=1))
    return np.array(centroids, dtype=float)


def _labels(X, C):
    dist = np.empty((len(X), len(C)))
    for j in range(len(C)):
        dist[:, j] = np.linalg.norm(X - C[j], axis=1)
    return dist.argmin(axis=1)


def kmeans(X, k, init=None, max_iters=100, tol=1e-4, rng=None):
    X = _check(X, k)
    if init is None:
        if rng is None:
            rng = np.random.default_rng()
        init = kmeans_plus_plus_init(X, k, rng)
    C = np.array(init, dtype=float)
    for _ in range(max_iters):
        labels = _labels(X, C)
        new = np.empty_like(C)
        for j in range(k):
            members = X[labels == j]
            new[j] = members.mean(axis=0) if len(members) else C[j]
        shift = max(np.linalg.norm(new[j] - C[j]) for j in range(k))
        C = new
        if shift <= tol:
            break
    return C, _labels(X, C).astype(np.int64)
