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
grader = load_module(REPO / "graders" / "sampling.py", "sampling_grader_data")

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


# -- the grader's dispersion check of the timed weighted_choice draws -------------------
# Each case below has valid indices and no zero weight drawn (asserted through
# the grader's _check_indices), and calls _check_dispersion itself with the
# failure probability a timed run gives it, so no other rule is involved.
DISPERSION_FAIL_PROB = grader.FAIL_PROB / grader.TIMED_RUNS / 2


def _timed_input(seed):
    weights, size, gen = grader._timed_weights(seed).args
    return weights, size, gen


def _searchsorted_draws(weights, size, gen):
    cdf = np.cumsum(weights)
    return np.searchsorted(cdf, gen.random(size) * cdf[-1], side="right")


def _alias_draws(weights, size, gen):
    """Vose's alias method: a uniform column, then a biased coin between it and its alias."""
    m = len(weights)
    scaled = weights / weights.sum() * m
    keep, alias = np.ones(m), np.arange(m)
    small = [i for i in range(m) if scaled[i] < 1.0]
    large = [i for i in range(m) if scaled[i] >= 1.0]
    while small and large:
        s, big = small.pop(), large.pop()
        keep[s], alias[s] = scaled[s], big
        scaled[big] -= 1.0 - scaled[s]
        (small if scaled[big] < 1.0 else large).append(big)
    column = gen.integers(0, m, size)
    return np.where(gen.random(size) < keep[column], column, alias[column])


def _multinomial_draws(weights, size, gen):
    """The counts first, then a uniformly random order: the same law as independent draws."""
    counts = gen.multinomial(size, weights / weights.sum())
    return gen.permutation(np.repeat(np.arange(len(weights)), counts))


def _counts_and_means(got, weights):
    positive = weights > 0
    return np.bincount(got, minlength=len(weights))[positive], len(got) * weights[positive] / weights.sum()


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("sampler", [ref.weighted_choice, _searchsorted_draws, _alias_draws, _multinomial_draws],
                         ids=["reference", "searchsorted", "alias", "multinomial"])
def test_dispersion_check_passes_independent_draws(sampler, seed):
    weights, size, gen = _timed_input(seed)
    got = sampler(weights, size, gen)
    grader._check_indices(got, size, weights, "timed weights")
    grader._check_dispersion(got, weights, DISPERSION_FAIL_PROB, "timed weights")
    # The statistic is Pearson's (capped): within 5 of its standard deviations sqrt(2 (K - 1)) of K - 1.
    counts, means = _counts_and_means(got, weights)
    k = len(means)
    assert abs(grader._dispersion(counts, means) - (k - 1)) < 5 * math.sqrt(2 * (k - 1))


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("r", [2, 10])
@pytest.mark.parametrize("reuse", ["tiled", "permuted", "resampled"])
def test_dispersion_check_catches_reused_draws(reuse, r, seed):
    """size / r independent draws reused to make size: the uncapped statistic grows about r times (r + 1 times
    when the size draws are resampled from them), and the capped one fails its upper bound."""
    from trainer.grading.checks import GradeFailure

    weights, size, gen = _timed_input(seed)
    block = _searchsorted_draws(weights, size // r, gen)
    got = {"tiled": lambda: np.tile(block, r),
           "permuted": lambda: gen.permutation(np.tile(block, r)),
           "resampled": lambda: block[gen.integers(0, block.size, size)]}[reuse]()
    grader._check_indices(got, size, weights, "timed weights")
    counts, means = _counts_and_means(got, weights)
    factor = r + 1 if reuse == "resampled" else r
    ratio = grader._dispersion(counts, means, cap=math.inf) / (len(means) - 1)
    assert 0.9 * factor < ratio < 1.1 * factor
    with pytest.raises(GradeFailure, match="stray too far"):
        grader._check_dispersion(got, weights, DISPERSION_FAIL_PROB, "timed weights")


def test_dispersion_check_catches_fixed_counts():
    """The expected counts rounded (largest remainders) and shuffled: nearly no spread, below the lower bound."""
    from trainer.grading.checks import GradeFailure

    weights, size, gen = _timed_input(0)
    means = size * weights / weights.sum()
    counts = np.floor(means).astype(np.int64)
    counts[np.argsort(counts - means)[: size - counts.sum()]] += 1
    got = gen.permutation(np.repeat(np.arange(len(weights)), counts))
    grader._check_indices(got, size, weights, "timed weights")
    with pytest.raises(GradeFailure, match="too close"):
        grader._check_dispersion(got, weights, DISPERSION_FAIL_PROB, "timed weights")


@pytest.mark.parametrize("seed", range(3))
def test_dispersion_bounds_are_wider_than_the_chi_square_quantiles(seed):
    """The Bernstein bounds hold for any N; for large N Pearson's statistic (which the capped D never exceeds)
    is close to chi-square(K - 1), so its quantiles must lie inside them. Draws used twice (D about 2 (K - 1))
    must lie well above the upper bound."""
    weights, size, _ = _timed_input(seed)
    means = size * weights[weights > 0] / weights.sum()
    k = len(means)
    low, high = grader._dispersion_bounds(means, DISPERSION_FAIL_PROB)
    quantiles = stats.chi2.ppf(DISPERSION_FAIL_PROB / 2, k - 1), stats.chi2.isf(DISPERSION_FAIL_PROB / 2, k - 1)
    assert low < quantiles[0] < quantiles[1] < high
    assert high < 1.3 * (k - 1)


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
