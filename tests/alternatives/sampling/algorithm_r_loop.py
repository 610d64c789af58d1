"""Algorithm R item by item with one rng.integers per item after the first k (a plain loop, as
written on a whiteboard), weighted draws by inverse CDF over the cumulative sum scaled by its own
last entry (so it ends at exactly 1), and a stratified split by one random key per item sorted within class."""

import math

import numpy as np


def reservoir_sample(stream, k, rng):
    if k < 0:
        raise ValueError(f"k={k} < 0")
    reservoir = []
    for i, item in enumerate(stream):
        if i < k:
            reservoir.append(item)
        else:
            j = rng.integers(0, i + 1)
            if j < k:
                reservoir[j] = item
    return reservoir


def weighted_choice(weights, size, rng):
    weights = np.asarray(weights, dtype=np.float64)
    if np.isnan(weights).any() or (weights < 0).any() or not (weights > 0).any():
        raise ValueError("invalid weights")
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    # Trailing zero weights repeat the last value, exactly 1.0 > any uniform; side="right" skips them.
    return np.searchsorted(cdf, rng.random(size), side="right")


def stratified_split(labels, test_fraction, rng):
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must lie in (0, 1)")
    labels = np.asarray(labels)
    keys = rng.random(len(labels))
    in_test = np.zeros(len(labels), dtype=bool)
    classes, inverse = np.unique(labels, return_inverse=True)
    inverse = inverse.ravel()
    for c in range(len(classes)):
        members = np.flatnonzero(inverse == c)
        n_test = math.floor(test_fraction * len(members) + 0.5)
        in_test[members[np.argsort(keys[members])[:n_test]]] = True
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)
