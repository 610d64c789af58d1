"""Algorithm R read in blocks of 4096 with itertools.islice, one vectorised draw per block.

After a short last block it asks the exhausted stream once more (an empty
block ends the loop), which the iterator protocol allows. weighted_choice
goes through Generator.choice with probabilities; stratified_split loops
over the classes with one permutation each.
"""

import itertools
import math

import numpy as np

BLOCK = 4096


def reservoir_sample(stream, k, rng):
    if k < 0:
        raise ValueError("k must not be negative")
    it = iter(stream)
    reservoir = list(itertools.islice(it, k))
    if k == 0 or len(reservoir) < k:
        return reservoir
    seen = k
    while True:
        block = list(itertools.islice(it, BLOCK))
        if not block:
            return reservoir
        # Position seen + t keeps its item if a uniform draw from 0..seen + t lands below k.
        slots = rng.integers(0, np.arange(seen + 1, seen + 1 + len(block)))
        for t in np.flatnonzero(slots < k).tolist():
            reservoir[int(slots[t])] = block[t]
        seen += len(block)


def weighted_choice(weights, size, rng):
    w = np.array(weights, dtype=float)
    if np.any(np.isnan(w)) or np.any(w < 0):
        raise ValueError("weights must be non-negative and not NaN")
    if w.sum() == 0:
        raise ValueError("at least one weight must be positive")
    return rng.choice(len(w), size=size, p=w / w.sum())


def stratified_split(labels, test_fraction, rng):
    if not (0 < test_fraction < 1):
        raise ValueError("test_fraction must be strictly between 0 and 1")
    labels = np.asarray(labels)
    test = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        n_test = math.floor(test_fraction * len(members) + 0.5)
        test.append(rng.permutation(members)[:n_test])
    test_idx = np.sort(np.concatenate(test)) if test else np.array([], dtype=int)
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)
    return train_idx, test_idx
