"""Turns the stream into a list first and samples positions from it: right answers, but the whole
stream sits in memory."""

import math

import numpy as np

CAUGHT_BY = ("test_reservoir_memory_does_not_grow_with_the_stream",)


def reservoir_sample(stream, k, rng):
    if k < 0:
        raise ValueError("k must be >= 0")
    items = list(stream)
    if len(items) <= k:
        return items
    picks = rng.choice(len(items), size=k, replace=False)
    return [items[p] for p in picks]


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
