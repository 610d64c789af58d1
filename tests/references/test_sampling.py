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
from trainer.grading.budget import secret_seed
from trainer.grading.checks import GradeFailure

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


# -- tiny and subnormal weights ------------------------------------------------------------
SMALLEST_NORMAL = 2.0 ** -1022
SUBNORMAL_WEIGHTS = {
    "[5e-324, 1e-323]": [5e-324, 1e-323],
    "[5e-324, 0, 5e-324]": [5e-324, 0.0, 5e-324],
    "[0, 2^-1022, 0]": [0.0, SMALLEST_NORMAL, 0.0],
    "[2^-1023, 0, 2^-1024, 0]": [2.0 ** -1023, 0.0, 2.0 ** -1024, 0.0],
}


def test_a_total_of_at_most_2_to_the_minus_1022_rounds_up():
    """Why the reference scales such weights: (1 - 2^-53) * total is total itself, for 2^-1022 (half way, to
    even) and for subnormal totals, while it stays below a total just above 2^-1022."""
    top = 1.0 - 2.0 ** -53
    assert np.random.default_rng(0).random() < 1.0 and top < 1.0
    for total in (5e-324, 1.5e-323, 3 * 2.0 ** -1024, SMALLEST_NORMAL):
        assert top * total == total
    assert top * (SMALLEST_NORMAL + 5e-324) < SMALLEST_NORMAL + 5e-324
    assert top * 2.0 ** -1021 < 2.0 ** -1021


@pytest.mark.parametrize("first", ["0.0", "1 - 2^-53"])
@pytest.mark.parametrize("weights", list(SUBNORMAL_WEIGHTS))
def test_weighted_choice_subnormal_weights_at_the_extremes(weights, first):
    """The first uniform 0.0 picks the first positive weight, 1 - 2^-53 the last one (the inverse cdf at its
    ends); every draw is a valid index of positive weight."""
    w = np.array(SUBNORMAL_WEIGHTS[weights])
    gen = grader._rng_with_first_output(first == "0.0")
    got = ref.weighted_choice(w, 256, gen)
    positive = np.flatnonzero(w > 0)
    assert got[0] == (positive[0] if first == "0.0" else positive[-1])
    assert got.min() >= 0 and got.max() < len(w)
    assert np.all(w[got] > 0)


@pytest.mark.parametrize("weights", ["[5e-324, 1e-323]", "[5e-324, 0, 5e-324]"])
def test_weighted_choice_subnormal_frequencies(weights):
    w = np.array(SUBNORMAL_WEIGHTS[weights])
    idx = ref.weighted_choice(w, 100_000, np.random.default_rng(4))
    assert idx.min() >= 0 and idx.max() < len(w)
    observed = np.bincount(idx, minlength=len(w))
    keep = w > 0
    assert np.all(observed[~keep] == 0)
    # The weights in units of 2^-1074, exactly: 1 and 2, or 1 and 1.
    units = np.array([round(x / 5e-324) for x in w.tolist()], dtype=float)
    expected = units[keep] / units.sum() * idx.size
    assert stats.chisquare(observed[keep], expected).pvalue > P_MIN


@pytest.mark.parametrize("scale", [1.0, 1e-10, 2.0 ** -1000, 2.0 ** -1020, SMALLEST_NORMAL * 1.5])
def test_weighted_choice_draws_of_normal_totals_are_the_plain_inverse_cdf(scale):
    """Above 2^-1022 the subnormal branch is not taken: the draws are exactly np.searchsorted of the
    uniforms times the cumulative sum's last entry, as before that branch was added."""
    weights = np.array([0.0, 1.5, 0.0, 0.0, 2.0, 0.25, 0.0]) * scale
    for seed in range(5):
        got = ref.weighted_choice(weights, 1000, np.random.default_rng(seed))
        cdf = np.cumsum(weights)
        plain = np.searchsorted(cdf, np.random.default_rng(seed).random(1000) * cdf[-1], side="right")
        assert np.array_equal(got, plain)


def test_weighted_choice_tiny_weights_not_refused():
    for weights in ([1e-10, 2e-10], [5e-324], [0.0, 5e-324, 0.0]):
        got = ref.weighted_choice(np.array(weights), 10, np.random.default_rng(0))
        assert np.all(np.array(weights)[got] > 0)


def test_grader_weight_scales_are_what_its_comment_says():
    """The subnormal scale of test_weighted_frequencies: exact subnormal weights whose total's reciprocal
    overflows, and whose u * total rounds up to total for so few u that 200000 draws meet one with
    probability below 1e-8; the others scale to normal totals."""
    base = np.array([1.0, 0.0, 3.0, 0.5, 0.0, 2.5, 0.25])
    scale = grader.WEIGHT_SCALES["2^-1030 (subnormal)"]
    w = base * scale
    total = float(w.sum())
    assert 0 < total < SMALLEST_NORMAL
    assert np.array_equal(np.ldexp(w, 1030), base)  # no weight rounded
    with np.errstate(over="ignore"):
        assert np.isinf(np.float64(1.0) / np.float64(total))
    # fl(u * total) == total needs (1 - u) total <= 2^-1075 (half the spacing 2^-1074); u's are multiples of
    # 2^-53, so the probability per draw is below 2^-1075 / total + 2^-53 = 2^-45 / (total 2^1030) + 2^-53.
    p_per_draw = 2.0 ** -45 / float(np.ldexp(total, 1030)) + 2.0 ** -53
    assert 200_000 * p_per_draw < 1e-8
    for name in ("1e-10", "2^-1000"):
        assert float((base * grader.WEIGHT_SCALES[name]).sum()) > SMALLEST_NORMAL
    assert np.isclose(float((base * 1e-10).sum()), 0.0)  # what np.isclose would refuse


# -- the grader's dispersion check of the timed weighted_choice draws -------------------
# Each case below has valid indices and no zero weight drawn (asserted through
# the grader's _check_indices), and calls _check_dispersion itself with the
# failure probability a timed run gives it, so no other rule is involved.
# A timed run's failure probability is split evenly over its three statistical checks.
DISPERSION_FAIL_PROB = grader.TIMED_CHECK_FAIL_PROB


def test_timed_failure_probability_adds_up_to_fail_prob():
    assert math.isclose(grader.TIMED_RUNS * 3 * grader.TIMED_CHECK_FAIL_PROB, grader.FAIL_PROB)


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


# -- the grader's order check of weighted_choice (consecutive pairs) ---------------------
# Each case calls _check_consecutive_pairs itself, on valid indices with no zero weight drawn (asserted
# through _check_indices), with the failure probability the grader gives it, so no other rule is involved.
ORDER_FAIL_PROB = grader.TIMED_CHECK_FAIL_PROB
ORDER_WEIGHTS = np.array([4.0, 1.0, 0.0, 2.0, 3.0])  # the untimed test's


def _timed_bins(weights):
    return np.arange(len(weights)) * grader.ORDER_BINS // len(weights)


def _check_order(got, weights, bins, fail_prob):
    grader._check_indices(got, len(got), weights, "order check")
    grader._check_consecutive_pairs(got, weights, bins, fail_prob, "order check", str)


def _pair_class_probs_by_enumeration(weights, bins):
    """The class probabilities from every ordered pair of categories (i, j), weighted p_i p_j."""
    p = weights / weights.sum()
    n_bins = int(bins.max()) + 1
    probs = np.zeros(n_bins * n_bins + 3 * n_bins)
    for i, j in itertools.product(range(len(p)), repeat=2):
        a, b = int(bins[i]), int(bins[j])
        code = a * n_bins + b if a != b else n_bins * n_bins + 3 * a + (0 if j > i else 1 if j == i else 2)
        probs[code] += p[i] * p[j]
    return probs


@pytest.mark.parametrize("case", ["untimed weights", "bins of 3", "timed-like, 60 categories"])
def test_pair_classes_match_an_enumeration(case):
    """_pair_classes against a plain enumeration of the pairs, and _pair_codes / _pair_class_counts against
    classifying every pair one by one."""
    r = np.random.default_rng(11)
    weights = {"untimed weights": ORDER_WEIGHTS,
               "bins of 3": np.array([0.0, 1.0, 2.0, 0.5, 0.0, 3.0, 1.5, 0.25, 4.0]),
               "timed-like, 60 categories": r.random(60) * (r.random(60) > 0.1)}[case]
    bins = {"untimed weights": np.arange(5), "bins of 3": np.arange(9) // 3,
            "timed-like, 60 categories": np.arange(60) * 10 // 60}[case]
    n_bins = int(bins.max()) + 1
    probs = grader._pair_classes(bins, weights / weights.sum())
    assert np.allclose(probs, _pair_class_probs_by_enumeration(weights, bins), rtol=1e-12, atol=1e-15)
    assert math.isclose(probs.sum(), 1.0, rel_tol=1e-12)
    got = r.choice(len(weights), size=2001, p=weights / weights.sum())
    codes = grader._pair_codes(got, bins, n_bins)
    for offset in (0, 1):
        counts = grader._pair_class_counts(codes[offset::2], n_bins)
        expected = np.zeros_like(counts)
        for i, j in zip(got[offset:-1:2].tolist(), got[offset + 1::2].tolist()):
            a, b = int(bins[i]), int(bins[j])
            expected[a * n_bins + b if a != b else n_bins * n_bins + 3 * a + (0 if j > i else 1 if j == i else 2)] += 1
        assert np.array_equal(counts, expected)


def _exact_failure_probability(pairs, probs, fail_prob):
    """The exact probability that independent draws put some class out of the grader's bounds (union over the
    classes; each count is exactly Binomial(pairs, p)), for one of the two sequences of pairs."""
    from trainer.grading.stats import binomial_halfwidth

    positive = probs[probs > 0]
    total = 0.0
    for p in positive.tolist():
        half = binomial_halfwidth(pairs, p, fail_prob / 2 / len(positive))
        low, high = math.ceil(pairs * p - half) - 1, math.floor(pairs * p + half)
        total += stats.binom.cdf(low, pairs, p) + stats.binom.sf(high, pairs, p)
    return total


@pytest.mark.parametrize("seed", range(3))
def test_order_bounds_hold_with_the_exact_binomial_tails(seed):
    """For independent draws the exact binomial tails of all the classes, both sequences, sum to below the
    failure probability the check is given (and well below: Bernstein's bound is conservative)."""
    weights, size, _ = _timed_input(seed)
    probs = grader._pair_classes(_timed_bins(weights), weights / weights.sum())
    exact = sum(_exact_failure_probability(pairs, probs, ORDER_FAIL_PROB) for pairs in (size // 2, size // 2 - 1))
    assert exact < ORDER_FAIL_PROB / 10
    probs = grader._pair_classes(np.arange(5), ORDER_WEIGHTS / ORDER_WEIGHTS.sum())
    pairs = grader.ORDER_DRAWS // 2
    exact = sum(_exact_failure_probability(n, probs, grader.FAIL_PROB) for n in (pairs, pairs - 1))
    assert exact < grader.FAIL_PROB / 10


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("sampler", [ref.weighted_choice, _searchsorted_draws, _alias_draws, _multinomial_draws],
                         ids=["reference", "searchsorted", "alias", "multinomial"])
def test_order_check_passes_independent_draws(sampler, seed):
    weights, size, gen = _timed_input(seed)
    _check_order(sampler(weights, size, gen), weights, _timed_bins(weights), ORDER_FAIL_PROB)
    gen = np.random.default_rng((seed, 99))
    _check_order(sampler(ORDER_WEIGHTS, grader.ORDER_DRAWS, gen), ORDER_WEIGHTS, np.arange(5), grader.FAIL_PROB)


def _ordered_badly(kind, draws, weights, gen):
    """The draws (independent, of the right law) rearranged, or replaced by a scheme of the right proportions."""
    n = len(draws)
    if kind == "sorted":
        return np.sort(draws)
    if kind == "sorted descending":
        return np.sort(draws)[::-1].copy()
    if kind.startswith("sorted in blocks of "):
        block = int(kind.rsplit(" ", 1)[1])
        return np.sort(draws.reshape(-1, block), axis=1).ravel()
    if kind.startswith("runs of "):  # each draw repeated r times, the runs starting at the given offset
        r, offset = (int(x) for x in kind[len("runs of "):].split(", offset "))
        return np.concatenate([draws[:offset], np.repeat(draws[: (n - offset) // r + 1], r)])[:n]
    if kind.startswith("cycling, stride "):  # the sorted draws dealt out: every stride-th one, then the next...
        stride = int(kind.rsplit(" ", 1)[1])
        return np.sort(draws).reshape(-1, stride).T.ravel()
    if kind.startswith("period "):  # the first L draws, over and over
        period = int(kind.rsplit(" ", 1)[1])
        return np.tile(draws[:period], n // period + 1)[:n]
    if kind == "uniforms stepping by the golden ratio":  # u_t = u_0 + t (sqrt(5) - 1) / 2 mod 1, inverse cdf
        cdf = np.cumsum(weights)
        u = (gen.random() + np.arange(n) * ((math.sqrt(5.0) - 1.0) / 2.0)) % 1.0
        return np.searchsorted(cdf, u * cdf[-1], side="right")
    raise AssertionError(kind)


BAD_ORDERS = ["sorted", "sorted descending", "sorted in blocks of 100", "sorted in blocks of 1000",
              "runs of 2, offset 0", "runs of 2, offset 1", "runs of 3, offset 2", "cycling, stride 10",
              "cycling, stride 1000", "period 10", "period 1000", "uniforms stepping by the golden ratio"]


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("kind", BAD_ORDERS)
def test_order_check_catches_dependent_draws(kind, seed):
    from trainer.grading.checks import GradeFailure

    weights, size, gen = _timed_input(seed)
    got = _ordered_badly(kind, _searchsorted_draws(weights, size, gen), weights, gen)
    assert got.shape == (size,)
    with pytest.raises(GradeFailure, match="not independent"):
        _check_order(got, weights, _timed_bins(weights), ORDER_FAIL_PROB)
    if kind.startswith(("period", "uniforms", "cycling, stride 1000")):
        return  # built for 10^4 categories
    gen = np.random.default_rng((seed, 99))
    got = _ordered_badly(kind, _searchsorted_draws(ORDER_WEIGHTS, grader.ORDER_DRAWS, gen), ORDER_WEIGHTS, gen)
    with pytest.raises(GradeFailure, match="not independent"):
        _check_order(got, ORDER_WEIGHTS, np.arange(5), grader.FAIL_PROB)


def test_sorted_draws_pass_the_count_checks():
    """What the order check is for: sorted draws have the counts of independent draws, and the timed call's
    other checks (groups by weight rank, dispersion) pass them."""
    weights, size, gen = _timed_input(0)
    from trainer.grading.checks import GradeFailure

    got = np.sort(_searchsorted_draws(weights, size, gen))
    grader._check_dispersion(got, weights, DISPERSION_FAIL_PROB, "timed weights")
    # _check_timed_draws checks the groups and the dispersion before the order.
    with pytest.raises(GradeFailure, match="not independent"):
        grader._check_timed_draws(got, None, grader._timed_weights(0))


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


@pytest.mark.parametrize("labels", [[0, 1, 1], []])
@pytest.mark.parametrize("tf", [0.0, 1.0, -0.1, 2.0, float("nan")])
def test_stratified_rejects(tf, labels):
    with pytest.raises(ValueError):
        ref.stratified_split(np.array(labels, dtype=np.int64), tf, np.random.default_rng(0))


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


# -- the grader's memory test of reservoir_sample ------------------------------------
# Its stream is drawn from the budget's secret: the construction is checked
# over fixed secrets, and its sample check on samples built by hand, each
# breaking one rule only (the others hold), and on the reference's own samples.
MEMORY_SECRETS = [bytes([i]) * 16 for i in range(50)]


def test_memory_whole_stream_bound_is_below_fail_prob():
    # P(at most LATE_ITEMS - 1 = 1 of the k items at positions >= m), exactly (hypergeometric); the same
    # for the positions < n - m, by symmetry; the two together below FAIL_PROB.
    n, k, m = grader.MEMORY_STREAM, grader.MEMORY_K, grader.MEMORY_STREAM // grader.EARLY_PART
    assert grader.LATE_ITEMS == 2
    p = (math.comb(m, k) + (n - m) * math.comb(m, k - 1)) / math.comb(n, k)
    assert 2 * p < grader.FAIL_PROB
    assert math.isclose(p, 2.2e-7, rel_tol=0.02) and math.isclose(2 * p, 4.3e-7, rel_tol=0.02)   # the comment's
    # A sample of the stream's first m items has none there; its first k items too.
    assert m > k


def test_memory_margin_is_twice_the_allowance():
    # list(stream) keeps a pointer per item; the uint32 input array both sides free covers 4 bytes of it.
    n = grader.MEMORY_STREAM
    assert n * (8 - 4) >= 2 * grader.MEMORY_GROWTH_LIMIT


@pytest.mark.parametrize("secret", MEMORY_SECRETS[:10])
def test_memory_stream_items_are_distinct_and_name_their_positions(secret):
    items = grader._memory_stream(secret_seed(secret, grader.MEMORY_SEED))
    n = grader.MEMORY_STREAM
    assert items.dtype == np.uint32 and items.shape == (n,)
    positions = items // grader.MEMORY_TAG
    assert np.array_equal(positions, np.arange(n))          # distinct, and each names its position
    assert int(items.max()) < 2 ** 32 and n * grader.MEMORY_TAG <= 2 ** 32
    tags = items % grader.MEMORY_TAG
    # The tags are uniform over 0..2^12 - 1: every value comes up (n / 2^12 = 256 times each on average).
    assert np.bincount(tags, minlength=grader.MEMORY_TAG).min() > 150


def test_memory_streams_differ_from_secret_to_secret():
    streams = [grader._memory_stream(secret_seed(s, grader.MEMORY_SEED), 1000) for s in MEMORY_SECRETS]
    assert len({a.tobytes() for a in streams}) == len(streams)


def _memory_items(secret=MEMORY_SECRETS[0], n=grader.MEMORY_STREAM):
    return grader._memory_stream(secret_seed(secret, grader.MEMORY_SEED), n)


def _check(sample, items, **kw):
    grader._check_memory_sample(sample, items, grader.MEMORY_K, "a test stream", **kw)


@pytest.mark.parametrize("secret", MEMORY_SECRETS[:3])
def test_memory_check_passes_the_reference(secret):
    items = _memory_items(secret)
    rng = np.random.default_rng(secret_seed(secret, grader.MEMORY_SEED + 1))
    sample = ref.reservoir_sample(OnePass(items.tolist()), grader.MEMORY_K, rng)
    _check(sample, items)


def test_memory_check_passes_exactly_two_late_items():
    items = _memory_items()
    early = len(items) // grader.EARLY_PART
    positions = list(range(8)) + [early, len(items) - 1]
    _check([int(items[p]) for p in positions], items)


def test_memory_check_passes_exactly_two_items_before_the_last_seventh():
    items = _memory_items()
    n = len(items)
    positions = [0, n - n // grader.EARLY_PART - 1] + list(range(n - 8, n))
    _check([int(items[p]) for p in positions], items)


@pytest.mark.parametrize("positions", [
    list(range(grader.MEMORY_STREAM - 10, grader.MEMORY_STREAM)),                     # the last k items
    [0, *range(grader.MEMORY_STREAM - 9, grader.MEMORY_STREAM)],                      # one early item only
    [*range(grader.MEMORY_STREAM - grader.MEMORY_STREAM // grader.EARLY_PART,
            grader.MEMORY_STREAM - grader.MEMORY_STREAM // grader.EARLY_PART + 10)],  # all in the last seventh
], ids=["last-k", "one-early", "edge"])
def test_memory_check_fails_samples_from_the_end_only(positions):
    items = _memory_items()
    with pytest.raises(GradeFailure, match="before the last seventh"):
        _check([int(items[p]) for p in positions], items)


@pytest.mark.parametrize("positions", [
    list(range(10)),                                                    # the first k items
    list(range(0, 10_000, 1000)),                                       # a prefix
    [*range(9), grader.MEMORY_STREAM - 1],                              # one late item only
    [*range(9), grader.MEMORY_STREAM // grader.EARLY_PART - 1],         # all in the first seventh, the last at its edge
], ids=["first-k", "prefix", "one-late", "edge"])
def test_memory_check_fails_samples_that_skip_the_end(positions):
    items = _memory_items()
    with pytest.raises(GradeFailure, match="first seventh"):
        _check([int(items[p]) for p in positions], items)


def _late_sample(items):
    n = len(items)
    return [int(items[p]) for p in range(n - 10, n)]


def test_memory_check_fails_an_item_not_in_the_stream():
    items = _memory_items()
    sample = _late_sample(items)
    sample[3] ^= 1   # the right position, a wrong tag
    with pytest.raises(GradeFailure, match="not an item"):
        _check(sample, items)
    sample = _late_sample(items)
    sample[3] = len(items) * grader.MEMORY_TAG   # past the end
    with pytest.raises(GradeFailure, match="not an item"):
        _check(sample, items)


def test_memory_check_fails_repeats_and_wrong_shapes():
    items = _memory_items()
    sample = _late_sample(items)
    with pytest.raises(GradeFailure, match="distinct"):
        _check(sample[:9] + sample[:1], items)
    for bad in (sample[:9], tuple(sample), [float(s) for s in sample], np.array(sample)):
        with pytest.raises(GradeFailure, match="should return a list"):
            _check(bad, items)


def test_memory_check_of_the_reference_skips_only_the_whole_stream_rule():
    items = _memory_items()
    _check([int(items[p]) for p in range(10)], items, whole_stream=False)
    with pytest.raises(GradeFailure, match="distinct"):
        _check([int(items[0])] * 10, items, whole_stream=False)
