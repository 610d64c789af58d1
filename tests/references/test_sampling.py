"""The sampling reference against exact rules and large-sample statistics.

weighted_choice is checked exactly: with the generator's uniforms known, each
returned index must be the inverse-CDF pick. The random samplers are checked
with scipy's chi-square and binomial tests on many fixed seeds; a test fails
only below a p-value of 1e-6, so a correct reference fails with probability
below 1e-6 per assertion. scipy is a test-only dependency.
"""

import collections
import itertools
import math

import numpy as np
import pytest

from tests.helpers import REPO, load_module

stats = pytest.importorskip("scipy.stats")

ref = load_module(REPO / "reference" / "sampling.py", "reference_sampling")

P_MIN = 1e-6


class OnePass:
    """A stream that can be iterated once, like the grader's."""

    def __init__(self, items):
        self._it = iter(items)
        self._started = False

    def __iter__(self):
        if self._started:
            raise RuntimeError("second pass")
        self._started = True
        return self._it  # the items' own iterator: a for loop reads it without a Python-level __next__

    def __next__(self):
        return next(self._it)


def test_reservoir_short_streams_and_k():
    rng = np.random.default_rng(0)
    assert ref.reservoir_sample(OnePass([4, 5, 6]), 5, rng) == [4, 5, 6]
    assert ref.reservoir_sample(OnePass([4, 5, 6]), 3, rng) == [4, 5, 6]
    assert ref.reservoir_sample(OnePass([]), 3, rng) == []
    assert ref.reservoir_sample(OnePass([1, 2]), 0, rng) == []
    with pytest.raises(ValueError):
        ref.reservoir_sample(OnePass([1, 2]), -1, rng)


@pytest.mark.parametrize("n, k", [(6, 2), (5, 4), (9, 1)])
def test_reservoir_subsets_uniform(n, k):
    reps = 15000
    counts = collections.Counter(
        tuple(sorted(ref.reservoir_sample(OnePass(range(n)), k, np.random.default_rng(s)))) for s in range(reps))
    subsets = list(itertools.combinations(range(n), k))
    assert set(counts) <= set(subsets)
    observed = [counts[s] for s in subsets]
    assert stats.chisquare(observed).pvalue > P_MIN


@pytest.mark.slow
def test_reservoir_long_stream_inclusion():
    # Positions near the start, middle and end of a 2000-item stream, k = 5.
    n, k, reps = 2000, 5, 4000
    hits = collections.Counter()
    for s in range(reps):
        sample = ref.reservoir_sample(OnePass(range(n)), k, np.random.default_rng(s))
        assert len(sample) == k == len(set(sample))
        hits.update(sample)
    for block in (range(0, 200), range(900, 1100), range(1800, 2000)):
        observed = sum(hits[i] for i in block)
        assert stats.binomtest(observed, reps * k, len(block) / n).pvalue > P_MIN


def test_weighted_choice_is_the_inverse_cdf():
    weights = np.array([0.0, 1.5, 0.0, 0.0, 2.0, 0.25, 0.0])
    cdf = np.cumsum(weights)
    for seed in range(20):
        idx = ref.weighted_choice(weights, 500, np.random.default_rng(seed))
        u = np.random.default_rng(seed).random(500) * cdf[-1]
        lower = np.where(idx > 0, cdf[np.maximum(idx - 1, 0)], 0.0)
        assert np.all((lower <= u) & (u < cdf[idx]))
        assert np.all(weights[idx] > 0)


def test_weighted_choice_frequencies():
    weights = np.array([3.0, 0.0, 1.0, 6.0, 0.5])
    idx = ref.weighted_choice(weights, 100_000, np.random.default_rng(1))
    observed = np.bincount(idx, minlength=5)
    assert observed[1] == 0
    keep = weights > 0
    expected = weights[keep] / weights.sum() * idx.size
    assert stats.chisquare(observed[keep], expected).pvalue > P_MIN


@pytest.mark.parametrize("weights", [[1.0, -1.0], [np.nan, 1.0], [0.0, 0.0], []])
def test_weighted_choice_rejects(weights):
    with pytest.raises(ValueError):
        ref.weighted_choice(np.array(weights, dtype=float), 3, np.random.default_rng(0))


def test_stratified_counts_match_a_plain_loop():
    r = np.random.default_rng(5)
    labels = r.choice(np.array(["a", "b", "c", "d"]), size=101, p=[0.5, 0.3, 0.15, 0.05])
    for tf in (0.1, 0.25, 0.5, 0.3, 0.75, 0.9):
        train, test = ref.stratified_split(labels, tf, r)
        assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(labels.size))
        for c in set(labels.tolist()):
            n_c = sum(1 for x in labels if x == c)
            assert sum(1 for i in test if labels[i] == c) == math.floor(tf * n_c + 0.5)


def test_stratified_uniform_within_class():
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 2, 0])  # sizes 5, 3, 1
    reps = 12000
    subsets = collections.Counter()
    for s in range(reps):
        _, test = ref.stratified_split(labels, 0.5, np.random.default_rng(s))  # 3, 2 and 1 to test
        subsets[tuple(i for i in test if labels[i] == 0)] += 1
        assert sum(labels[test] == 2) == 1
    cells = list(itertools.combinations(np.flatnonzero(labels == 0).tolist(), 3))
    assert set(subsets) <= set(cells)
    assert stats.chisquare([subsets[c] for c in cells]).pvalue > P_MIN


@pytest.mark.parametrize("tf", [0.0, 1.0, -0.1, 2.0, float("nan")])
def test_stratified_rejects(tf):
    with pytest.raises(ValueError):
        ref.stratified_split(np.array([0, 1, 1]), tf, np.random.default_rng(0))


def test_reservoir_memory_is_constant():
    import tracemalloc

    peaks = []
    for n in (1_000, 200_000):
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        sample = ref.reservoir_sample(OnePass(range(n)), 10, np.random.default_rng(3))
        peaks.append(tracemalloc.get_traced_memory()[1] - base)
        tracemalloc.stop()
        assert len(set(sample)) == 10
    # Materialising 199 000 more ints would cost ~7 MB; the reservoir stays flat.
    assert peaks[1] - peaks[0] < 10_000
