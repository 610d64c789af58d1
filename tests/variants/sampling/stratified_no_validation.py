"""Does not validate test_fraction: 0, 1, negative, >1 and NaN all return some split."""

import math

import numpy as np

CAUGHT_BY = ("test_invalid_test_fraction_raises",)


def reservoir_sample(stream, k, rng):
    if k < 0:
        raise ValueError("k must be >= 0")
    if k == 0:
        return []
    reservoir = []
    # Skip ahead: w is the largest of the k uniform keys in the reservoir; the
    # next item to enter comes after a geometric number of positions.
    w, next_pick = 1.0, k
    for i, item in enumerate(stream):
        if i < k:
            reservoir.append(item)
        elif i == next_pick:
            reservoir[int(rng.integers(k))] = item
        else:
            continue
        if i >= k - 1:
            w *= rng.random() ** (1.0 / k)
            next_pick = i + int(rng.geometric(w)) if w > 0 else -1
    return reservoir


def weighted_choice(weights, size, rng):
    w = np.asarray(weights, dtype=np.float64)
    if np.isnan(w).any() or (w < 0).any():
        raise ValueError("weights must be non-negative numbers")
    cdf = np.cumsum(w)
    if cdf.size == 0 or cdf[-1] <= 0:
        raise ValueError("weights are all zero")
    if cdf[-1] <= np.finfo(np.float64).tiny:  # a subnormal total: scaled by 2^1074, exactly (as in the reference)
        cdf = np.cumsum(np.ldexp(w, 1074))
    u = rng.random(size) * cdf[-1]
    return np.searchsorted(cdf, u, side="right")


def stratified_split(labels, test_fraction, rng):
    labels = np.asarray(labels)
    classes, inverse = np.unique(labels, return_inverse=True)
    test_parts = []
    for c in range(len(classes)):
        members = np.flatnonzero(inverse == c)
        n_test = math.floor(test_fraction * len(members) + 0.5)
        chosen = rng.permutation(members)[:n_test]
        test_parts.append(chosen)
    test = np.concatenate(test_parts) if test_parts else np.zeros(0, dtype=np.int64)
    in_test = np.zeros(len(labels), dtype=bool)
    in_test[test] = True
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)
