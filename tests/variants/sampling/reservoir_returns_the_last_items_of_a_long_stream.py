"""reservoir_sample keeps, beside its reservoir, the last k items read (O(k) memory too), and on a
stream of more than 100 000 items returns those: no randomness at all, the stream's end only. Every
uniformity test uses streams of at most 1 000 items; the memory test's stream of 2^20 items is read
to its end, so it has late items, but none before its last seventh.
"""

CAUGHT_BY = ("test_reservoir_memory_does_not_grow_with_the_stream",)

import math

import numpy as np


def _open_uniform(rng):
    """A uniform float in the open interval (0, 1): log() of it is finite."""
    u = rng.random()
    while u == 0.0:
        u = rng.random()
    return u


def reservoir_sample(stream, k, rng):
    """k items drawn uniformly without replacement from a one-pass iterator.

    Every item ends in the sample with probability k / n. If the stream holds
    at most k items, they are all returned in stream order.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if k == 0:
        return []
    reservoir = []
    # Algorithm L (Li, 1994): w is the largest of k uniforms attached to the
    # items in the reservoir. The number of items passed over before one draws
    # a smaller uniform is geometric with success probability w, so draw that
    # gap directly instead of one random number per item.
    w = 1.0
    next_pick = k
    last = [None] * k                 # BUG: the last k items, returned for a long stream
    seen = 0
    for i, item in enumerate(stream):
        last[i % k] = item
        seen = i + 1
        if i < k:
            reservoir.append(item)
            if i == k - 1:
                w, next_pick = _next_pick(w, k, i, rng)
        elif i == next_pick:
            reservoir[int(rng.integers(k))] = item
            w, next_pick = _next_pick(w, k, i, rng)
    if seen > 100_000:
        return [last[(seen + j) % k] for j in range(k)]
    return reservoir


def _next_pick(w, k, i, rng):
    """Algorithm L's step after position i: the new w and the next position to take."""
    w *= math.exp(math.log(_open_uniform(rng)) / k)
    log_keep = math.log1p(-w)
    if log_keep == 0.0:  # w below ~1e-16: the next pick lies beyond any real stream
        return w, math.inf
    return w, i + 1 + math.floor(math.log(_open_uniform(rng)) / log_keep)


# The smallest normal float64, 2^-1022.
_SMALLEST_NORMAL = np.finfo(np.float64).tiny


def weighted_choice(weights, size, rng):
    """size indices drawn with replacement, P(i) = weights[i] / sum(weights)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights must be 1-D, got shape {w.shape}")
    if np.isnan(w).any():
        raise ValueError("weights contain NaN")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite")
    cdf = np.cumsum(w)
    total = cdf[-1] if cdf.size else 0.0
    if not total > 0:
        raise ValueError("weights are all zero")
    if total <= _SMALLEST_NORMAL:
        # A subnormal total (or 2^-1022 itself) has too few bits: u * total
        # rounds up to total for u close to 1 ([5e-324, 1e-323]: for every
        # u > 5/6), one index past the last positive weight. Such weights are
        # multiples of 2^-1074 adding up to at most 2^-1022: scaled by 2^1074
        # they are integers up to 2^52, exactly, and so is their cumulative sum.
        # (A new array: the caller's weights are left as they are.)
        w = np.ldexp(w, 1074)
        cdf = np.cumsum(w)
        total = cdf[-1]
    # rng.random() <= 1 - 2**-53, and for a normal total above 2^-1022,
    # (1 - 2**-53) * total rounds to a value below total (round to nearest), so
    # u < cdf[-1] and no index runs past the last positive weight.
    u = rng.random(size) * total
    # side="right": the first i with cdf[i] > u. A zero weight has
    # cdf[i] == cdf[i - 1], so it is never that first i (side="left" picks
    # index 0 when u == 0.0 even if weights[0] == 0).
    return np.searchsorted(cdf, u, side="right").astype(np.int64)


def stratified_split(labels, test_fraction, rng):
    """(train_idx, test_idx): per class c, floor(test_fraction * n_c + 0.5) to test."""
    if not 0.0 < test_fraction < 1.0:  # also rejects NaN
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    labels = np.asarray(labels)
    n = labels.shape[0]
    _, cls, counts = np.unique(labels, return_inverse=True, return_counts=True)
    cls = cls.reshape(-1)
    n_test = np.floor(test_fraction * counts + 0.5).astype(np.int64)
    # Random order within each class: sort by class, ties broken by a random key.
    order = np.lexsort((rng.random(n), cls))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(n) - starts[cls[order]]
    in_test = np.zeros(n, dtype=bool)
    in_test[order] = rank < n_test[cls[order]]
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)
