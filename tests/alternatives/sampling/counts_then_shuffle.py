"""weighted_choice draws the counts first, then the order: rng.multinomial gives how often each positive
weight comes up, np.repeat writes the indices that many times, and one rng.permutation puts them in a
uniformly random order. The counts of independent draws are multinomial and, given the counts, every order
of them is equally likely, so the result has exactly the law of independent draws (sorted without the
shuffle, it would not). reservoir_sample is Algorithm R with the positions' draws made a block at a time;
stratified_split shuffles all the positions once and takes the first of each class.
"""

import itertools
import math

import numpy as np

BLOCK = 8192


def reservoir_sample(stream, k, rng):
    if k < 0:
        raise ValueError("k must be >= 0")
    it = iter(stream)
    reservoir = list(itertools.islice(it, k))
    if k == 0 or len(reservoir) < k:
        return reservoir
    seen = k
    for block in iter(lambda: list(itertools.islice(it, BLOCK)), []):
        # The item at position seen + t replaces slot j if j, uniform in 0..seen + t, is below k.
        slots = rng.integers(0, np.arange(seen + 1, seen + 1 + len(block)))
        for t in np.flatnonzero(slots < k).tolist():
            reservoir[int(slots[t])] = block[t]
        seen += len(block)
    return reservoir


def weighted_choice(weights, size, rng):
    w = np.asarray(weights, dtype=np.float64)
    if np.isnan(w).any() or (w < 0).any():
        raise ValueError("weights must be non-negative and not NaN")
    positive = np.flatnonzero(w > 0)
    if positive.size == 0:
        raise ValueError("at least one weight must be positive")
    counts = rng.multinomial(size, w[positive] / w[positive].sum())
    return rng.permutation(np.repeat(positive, counts))


def stratified_split(labels, test_fraction, rng):
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must lie in (0, 1)")
    labels = np.asarray(labels)
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    # A random permutation, then a stable sort by class: each class's items in a uniformly random order.
    shuffled = rng.permutation(len(labels))
    order = shuffled[np.argsort(inverse[shuffled], kind="stable")]
    n_test = [math.floor(test_fraction * n + 0.5) for n in sizes.tolist()]
    starts = np.cumsum(sizes) - sizes
    test = np.concatenate([order[start:start + m] for start, m in zip(starts.tolist(), n_test)] + [order[:0]])
    in_test = np.zeros(len(labels), dtype=bool)
    in_test[test] = True
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)
