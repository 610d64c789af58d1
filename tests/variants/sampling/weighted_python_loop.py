"""Draws one index at a time in a Python loop (correct, but a million interpreted iterations).

Each draw is a `bisect` on a list of the cumulative weights, about 1.3 us: some 13 times the
reference on the timed 10^6 draws, and about 0.3 s for the 200 000 draws of the frequency tests,
far inside the 10x + 1 s a correctness call may take (a np.searchsorted call per draw took 2.5
times as long, near that limit on a busy machine).
"""

import bisect
import math

import numpy as np

CAUGHT_BY = ("test_weighted_choice_speed",)


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
    total = float(cdf[-1])
    cumulative = cdf.tolist()
    random = rng.random
    return np.array([bisect.bisect_right(cumulative, random() * total) for _ in range(size)], dtype=np.int64)


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
