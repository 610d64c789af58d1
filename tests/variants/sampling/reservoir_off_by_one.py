"""Replaces with probability k/i where i is the 0-based position: one choice short (should be
k/(i+1)). The item at position k always enters, and the first items are under-sampled."""

import math

import numpy as np

CAUGHT_BY = ('test_reservoir_inclusion_probabilities', 'test_reservoir_subsets_are_uniform')

BLOCK = 4096


def reservoir_sample(stream, k, rng):
    if k < 0:
        raise ValueError("k must be >= 0")
    if k == 0:
        return []
    reservoir = []
    block = np.empty(0)
    for i, item in enumerate(stream):
        if i < k:
            reservoir.append(item)
            continue
        if (i - k) % BLOCK == 0:
            block = rng.random(BLOCK)  # uniforms for the next BLOCK positions
        j = int(block[(i - k) % BLOCK] * i)  # uniform in 0..i-1
        if j < k:
            reservoir[j] = item
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
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be in (0, 1)")
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
