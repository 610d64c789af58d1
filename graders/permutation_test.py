"""Hidden grader for the permutation_test challenge.

Oracles. Exact p-values are counted here in integer arithmetic on integer
data: with S the pooled sum, n1 n2 t = n s1 - n1 S, so a split is at least as
extreme as the observed one exactly when an integer comparison says so. The
correctness tests use group sizes that are powers of two, where every mean
and difference is exact in float64 too: ties there are exact, and the tie
slack matters only in the stability tests, on data built for it. Monte Carlo p-values depend on the draws; every
correct solution draws the same stream (the stated order), so they are
compared with the reference's, and, independently of the draws, with the
exact p-value within binomial error. tests/references checks the reference
against scipy.stats.permutation_test and against enumeration with fractions.

Tolerances. A p-value is a count divided by C or by m + 1: two correct
solutions give the same count, so p-values are compared within 1e-12 (the
rounding of one division). The statistic mean(x) - mean(y) is within
n eps max|z| of exact in any summation order: 1e-12 max|z| allows it. The
Monte Carlo consistency test allows binomial_halfwidth(m, p, 1e-9) + 1 on b.
On every data set here but the slack's own (SLACK_CASES) a statistic is
either equal to the observed one in exact arithmetic or differs from it by
more than 1e-9 max|z| (tests/references checks it), so the tie slack
decides only true ties. SLACK_CASES measure the slack itself, on values
whose sums are all exact in float64 (tests/references checks it too).

Timed calls. Every run gets its own data (and, in Monte Carlo, its own rng),
drawn from `budget.seed`, under a secret drawn for the test: no file can
build them (and their p-values) before the grading. In the exact test every
run also gets its own group sizes (n1, n2), so that no index sets of the
splits, which depend on the sizes alone, serve two runs (see
EXACT_TIME_SIZES). Their p-values are
compared exactly, so the data are integers in [-50, 50] whatever the secret.
Then n1 n2 t = n s1 - n1 S is an integer: a split either ties with the
observed one exactly, in t or in |t|, or differs from it by at least
1 / (n1 n2) >= 4e-6, while the slack is 1e-12 * max|z| <= 5e-11. Computed
statistics, the observed one included, are within n eps max|z| <= 2.2e-13
max|z| of exact (above; summed as the reference does, every sum of integers
is exact and the error is a few ulps), so a computed t - d (or |t| - |d|)
is within 4.4e-13 max|z|, under half the slack, of exact: every correct
solution counts every exact tie and no other split, whatever the secret
(tests/references checks the gaps on sampled secrets).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from trainer.grading import Call, checks, distinct_per_run, stats
from trainer.grading.harness import check_randomness_from_rng

P_ATOL = 1e-12


def exact_p_integer(x, y, alternative):
    """The exact p-value of integer data, by integer arithmetic over every split."""
    z = [int(v) for v in np.concatenate([x, y])]
    n1, n = len(x), len(z)
    S = sum(z)
    obs = n * sum(z[:n1]) - n1 * S
    count = 0
    for c in itertools.combinations(range(n), n1):
        t = n * sum(z[i] for i in c) - n1 * S
        count += t >= obs if alternative == "greater" else t <= obs if alternative == "less" else abs(t) >= abs(obs)
    return count / math.comb(n, n1)


def unpack(result, given):
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        checks.fail(f"permutation_test() should return (statistic, pvalue) for {given}; got {checks.show(result)}")
    stat = checks.as_array(result[0], "statistic", given)
    p = checks.as_array(result[1], "pvalue", given)
    if not (stat.size == 1 and p.size == 1):
        checks.fail(f"statistic and pvalue should be single numbers for {given}, got {checks.show(result)}")
    return float(stat.reshape(-1)[0]), float(p.reshape(-1)[0])


def same_numbers(a, b):
    """Equal floats, NaN counting as equal to NaN (results compared with the solution's own)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def check_same_result(call, expected, given, expected_for, rule):
    """`call()` must give the (statistic, pvalue) `expected`, which the solution returned `expected_for`."""
    try:
        result = call()
    except ValueError as error:
        checks.fail(f"permutation_test() for {given} raised ValueError({error}): {rule}")
    got_stat, got_p = unpack(result, given)
    checks.that(same_numbers(got_stat, expected[0]) and same_numbers(got_p, expected[1]),
                f"permutation_test() for {given} returned ({got_stat!r}, {got_p!r}), but ({expected[0]!r}, "
                f"{expected[1]!r}) {expected_for}: {rule}")


def check_p(result, expected_p, given, why):
    _, p = unpack(result, given)
    if not 0.0 <= p <= 1.0:     # NaN included: every comparison with it is false
        checks.fail(f"permutation_test() for {given}: pvalue should be a probability in [0, 1], got {p!r}")
    if not abs(p - expected_p) <= P_ATOL:
        checks.fail(f"permutation_test() for {given}: pvalue should be {expected_p!r}, got {p!r}. {why}")


EXACT_WHY = ("Exact mode: count every split whose statistic is at least as extreme as the observed one "
             "(ties included, the observed split included) and divide by C(n1 + n2, n1).")
MC_WHY = ("Monte Carlo: m permutations perm = rng.permutation(n), one call each, in order; group 1 is "
          "z[perm[:n1]] with z = concatenate([x, y]); p = (b + 1) / (m + 1).")


def integer_data(seed, n1, n2, low=0, high=9, skew=False):
    g = np.random.default_rng(seed)
    x = g.integers(low, high + 1, size=n1).astype(np.float64)
    y = g.integers(low, high + 1, size=n2).astype(np.float64)
    if skew:
        x[0] += 20
    return x, y


# Group sizes are powers of two: every mean of small integers, and every difference of two, is exact in
# float64, so ties are exact and the tie slack plays no part outside the stability tests.
ONE_SIDED_CASES = [("integer data in [0, 9], n1 = 4, n2 = 8", *integer_data(11, 4, 8)),
                   ("integer data in [0, 9], n1 = 2, n2 = 16", *integer_data(12, 2, 16)),
                   ("integer data in [0, 3] (many ties), n1 = 8, n2 = 8", *integer_data(13, 8, 8, high=3))]
TWO_SIDED_CASES = [("skewed integer data (one value + 20), n1 = 4, n2 = 8", *integer_data(21, 4, 8, skew=True)),
                   ("x = [0, 0, 0, 7], y = [1, 2, 3, 1, 0, 2, 1, 1]", np.array([0.0, 0, 0, 7]),
                    np.array([1.0, 2, 3, 1, 0, 2, 1, 1])),
                   ("integer data in [0, 9], n1 = 8, n2 = 8", *integer_data(22, 8, 8))]


# -- correctness --------------------------------------------------------------------------------

@pytest.mark.correctness
def test_exact_one_sided(solution, reference):
    """Exact mode, greater and less: the count of splits at least as extreme, over C"""
    for desc, x, y in ONE_SIDED_CASES:
        for alt in ("greater", "less"):
            given = f"{desc}, alternative={alt!r} (exact)"
            expected = exact_p_integer(x, y, alt)
            check_p(reference.permutation_test(x, y, np.random.default_rng(1), alternative=alt), expected,
                    "the REFERENCE on " + given, EXACT_WHY)
            check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative=alt), expected, given,
                    EXACT_WHY + " 'greater' counts t >= d - tol, 'less' t <= d + tol, t = mean(g1) - mean(g2).")


@pytest.mark.correctness
def test_exact_two_sided(solution):
    """Exact mode, two-sided: |t| >= |d| (not twice the smaller one-sided p-value)"""
    for desc, x, y in TWO_SIDED_CASES:
        given = f"{desc}, alternative='two-sided' (exact)"
        check_p(solution.permutation_test(x, y, np.random.default_rng(1)), exact_p_integer(x, y, "two-sided"),
                given, EXACT_WHY + " Two-sided: |t| >= |d| - tol, which differs from doubling the smaller "
                "one-sided p-value when n1 != n2.")


@pytest.mark.correctness
def test_statistic_is_difference_of_means(solution):
    """The statistic is mean(x) - mean(y)"""
    for desc, x, y in ONE_SIDED_CASES + TWO_SIDED_CASES:
        stat, _ = unpack(solution.permutation_test(x, y, np.random.default_rng(1)), desc)
        tol = 1e-12 * float(np.max(np.abs(np.concatenate([x, y]))))
        checks.that(abs(stat - (x.mean() - y.mean())) <= tol,
                    f"permutation_test() for {desc}: statistic should be mean(x) - mean(y) = "
                    f"{x.mean() - y.mean()!r}, got {stat!r}")


@pytest.mark.correctness
def test_returns_two_floats(solution):
    """The result is a tuple (statistic, pvalue) of two floats, in both modes"""
    x, y = np.array([10.0, 11.0, 12.0]), np.array([1.0, 2.0, 3.0])
    for kwargs, mode in (({}, "exact"), ({"max_exact": 0, "n_resamples": 50}, "Monte Carlo")):
        given = f"x = [10, 11, 12], y = [1, 2, 3], alternative='greater' ({mode})"
        result = solution.permutation_test(x, y, np.random.default_rng(1), alternative="greater", **kwargs)
        checks.that(isinstance(result, tuple) and len(result) == 2,
                    f"permutation_test() for {given} should return a tuple (statistic, pvalue); "
                    f"got {checks.show(result)}")
        for name, value in zip(("statistic", "pvalue"), result):
            checks.that(isinstance(value, float),
                        f"permutation_test() for {given}: {name} should be a float (a Python float or "
                        f"np.float64), got {type(value).__name__} {checks.show(value)}")


@pytest.mark.correctness
def test_observed_split_counts(solution):
    """Exact mode: the observed split counts itself, so p >= 1 / C"""
    x, y = np.array([10.0, 11.0, 12.0]), np.array([1.0, 2.0, 3.0])
    given = "x = [10, 11, 12], y = [1, 2, 3] (the observed split is the most extreme of the C(6, 3) = 20)"
    for alt, expected in (("greater", 1 / 20), ("less", 1.0), ("two-sided", 2 / 20)):
        check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative=alt), expected,
                f"{given}, alternative={alt!r}", EXACT_WHY)


@pytest.mark.correctness
def test_monte_carlo_draw_order(solution, reference):
    """Monte Carlo: the same p-value as the reference for the same rng, and the rng left as m draws leave it"""
    cases = [("integer data in [0, 9], n1 = 16, n2 = 16", *integer_data(31, 16, 16), "two-sided", 999),
             ("integer data in [0, 9], n1 = 16, n2 = 8", *integer_data(32, 16, 8), "greater", 500),
             ("integer data in [0, 5], n1 = 8, n2 = 8", *integer_data(33, 8, 8, high=5), "less", 300)]
    for desc, x, y, alt, m in cases:
        given = f"{desc}, alternative={alt!r}, n_resamples={m} (Monte Carlo), rng = default_rng(7)"
        kwargs = dict(alternative=alt, n_resamples=m, max_exact=10)
        _, expected = unpack(reference.permutation_test(x, y, np.random.default_rng(7), **kwargs), given)
        result, args_after, _ = solution.inputs_after("permutation_test", x, y, np.random.default_rng(7), **kwargs)
        check_p(result, expected, given, MC_WHY)
        n = len(x) + len(y)
        drawn = np.random.default_rng(7)
        for _ in range(m):
            drawn.permutation(n)
        checks.that(checks.same_rng_state(args_after[2], drawn.bit_generator.state),
                    f"permutation_test() for {given}: the same p-value, but rng's state after the call is not the "
                    f"one {m} calls of rng.permutation({n}) leave. Monte Carlo draws exactly m permutations and "
                    "nothing else: permutations drawn beyond the m-th (a whole last block, say), or any other "
                    "draw, leave it elsewhere.")


@pytest.mark.correctness
def test_monte_carlo_plus_one(solution):
    """Monte Carlo: p = (b + 1) / (m + 1), never 0 (m = n_resamples, 9999 by default)"""
    # C(40, 20) = 1.4e11 splits, one of them as extreme as the observed one: no draw reaches it (b = 0).
    x, y = np.arange(20.0, 40.0), np.arange(20.0)
    for m in (99, 1000):
        check_p(solution.permutation_test(x, y, np.random.default_rng(3), alternative="greater", n_resamples=m),
                1 / (m + 1), f"x = 20..39, y = 0..19, alternative='greater', n_resamples={m} (Monte Carlo; no "
                "permutation is as extreme as the observed split, so b = 0)",
                "The observed split counts as one more draw: p = (b + 1) / (m + 1), never 0.")
    # n_resamples left at its default, 9999 (the signature's): p = 1 / 10000. The default shows only in a
    # call that draws its m permutations (about 10 ms here, 60 ms for a loop of rng.permutation calls).
    check_p(solution.permutation_test(x, y, np.random.default_rng(3), alternative="greater"), 1 / 10000,
            "x = 20..39, y = 0..19, alternative='greater', n_resamples not given (Monte Carlo, m = 9999 by default; "
            "b = 0)", "The default is n_resamples=9999, as in the signature: p = (0 + 1) / (9999 + 1).")


@pytest.mark.correctness
def test_monte_carlo_agrees_with_exact(solution):
    """Monte Carlo p-values estimate the exact p-value (random splits of the pooled sample)"""
    x, y = integer_data(41, 8, 8)
    m = 4000
    for alt in ("two-sided", "greater"):
        exact = exact_p_integer(x, y, alt)
        given = f"integer data in [0, 9], n1 = 8, n2 = 8, alternative={alt!r}, n_resamples={m}, max_exact=0"
        _, p = unpack(solution.permutation_test(x, y, np.random.default_rng(42), alternative=alt, n_resamples=m,
                                                max_exact=0), given)
        b = p * (m + 1) - 1
        # b ~ Binomial(m, exact): a correct solution is outside this with probability <= 1e-9.
        slack = stats.binomial_halfwidth(m, exact, 1e-9) + 1
        checks.that(abs(b - m * exact) <= slack,
                    f"permutation_test() for {given}: pvalue {p!r} means b = {b:.0f} extreme permutations of {m}, "
                    f"but the exact p-value is {exact:.4f}: b should be within {slack:.0f} of {m * exact:.0f}. "
                    "Each permutation must be a uniformly random split of the pooled sample into groups of "
                    "sizes n1 and n2 (no sampling with replacement).")


@pytest.mark.correctness
def test_exact_limit(solution):
    """Exact when C <= max_exact, Monte Carlo when C = max_exact + 1"""
    x, y = np.array([10.0, 11.0, 12.0]), np.array([1.0, 2.0, 3.0])       # C = 20; exact p = 1/20
    given = "x = [10, 11, 12], y = [1, 2, 3] (C(6, 3) = 20 splits), alternative='greater', n_resamples=1"
    check_p(solution.permutation_test(x, y, np.random.default_rng(2), alternative="greater", n_resamples=1,
                                      max_exact=20), 1 / 20, given + ", max_exact=20",
            "C == max_exact: the exact test (C <= max_exact), p = 1/20.")
    _, p = unpack(solution.permutation_test(x, y, np.random.default_rng(2), alternative="greater", n_resamples=1,
                                            max_exact=19), given + ", max_exact=19")
    checks.that(p in (0.5, 1.0), f"permutation_test() for {given}, max_exact=19: C = 20 > max_exact, so Monte "
                f"Carlo with m = 1: p is (b + 1) / 2, 0.5 or 1; got {p!r}")


# -- edge cases ----------------------------------------------------------------------------------

@pytest.mark.edge_case
def test_single_value_groups(solution):
    """n1 = 1 or n2 = 1 (C = n splits)"""
    for desc, x, y in (("x = [5], y = [1, 2, 3, 4]", np.array([5.0]), np.array([1.0, 2, 3, 4])),
                       ("x = [1, 2, 3, 4], y = [5]", np.array([1.0, 2, 3, 4]), np.array([5.0]))):
        for alt in ("greater", "two-sided"):
            check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative=alt),
                    exact_p_integer(x, y, alt), f"{desc}, alternative={alt!r}", EXACT_WHY)


@pytest.mark.edge_case
def test_all_values_equal(solution):
    """All values equal: every split ties with the observed one, p = 1"""
    x, y = np.full(5, 3.0), np.full(6, 3.0)
    for alt in ("greater", "less", "two-sided"):
        for kwargs, mode in (({}, "exact"), ({"max_exact": 0, "n_resamples": 50}, "Monte Carlo")):
            check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative=alt, **kwargs), 1.0,
                    f"x = [3] * 5, y = [3] * 6, alternative={alt!r} ({mode})",
                    "Every statistic equals the observed 0: all of them count (>=, not >).")


@pytest.mark.edge_case
def test_invalid_inputs_raise(solution):
    """ValueError: empty, 0-d, 2-D, complex, string or non-finite samples, unlisted alternative, n_resamples/max_exact low or
    not int (a float or a bool)"""
    g = np.random.default_rng(0)
    ok = np.array([1.0, 2.0, 3.0])
    cases = [("x empty", (np.array([]), ok), {}), ("y empty", (ok, np.array([])), {}),
             ("x 2-D", (np.ones((2, 2)), ok), {}), ("x with NaN", (np.array([1.0, np.nan]), ok), {}),
             ("y with inf", (ok, np.array([np.inf, 1.0])), {}),
             ("alternative='both'", (ok, ok), {"alternative": "both"}),
             ("alternative='Greater' (the alternatives are 'two-sided', 'greater' and 'less', in lower case)",
              (ok, ok), {"alternative": "Greater"}),
             ("n_resamples=0", (ok, ok), {"n_resamples": 0}), ("max_exact=-1", (ok, ok), {"max_exact": -1}),
             ("n_resamples=99.5 (not an integer)", (ok, ok), {"n_resamples": 99.5}),
             ("max_exact=100.5 (not an integer)", (ok, ok), {"max_exact": 100.5}),
             ("n_resamples=100.0 (a float, not an integer)", (ok, ok), {"n_resamples": 100.0}),
             ("max_exact=100.0 (a float, not an integer)", (ok, ok), {"max_exact": 100.0}),
             ("n_resamples=True (a bool, not an integer)", (ok, ok), {"n_resamples": True}),
             ("max_exact=True (a bool, not an integer)", (ok, ok), {"max_exact": True}),
             ("x 0-d, np.array(1.0) (not a 1-D array)", (np.array(1.0), ok), {}),
             ("y 0-d, np.array(1.0) (not a 1-D array)", (ok, np.array(1.0)), {}),
             ("x complex, [1+5j, 2, 3] (not real numbers)", (np.array([1 + 5j, 2, 3]), ok), {}),
             ("y complex with zero imaginary parts, [1+0j, 2+0j] (a complex dtype, whatever the values)",
              (ok, np.array([1 + 0j, 2 + 0j])), {}),
             # Strings are not numbers, even when np.asarray(x, dtype=float) would parse them.
             ("x of strings, np.array(['1.0', '2.0', '3.0']) (not integers or floats)",
              (np.array(["1.0", "2.0", "3.0"]), ok), {})]
    for desc, (x, y), kwargs in cases:
        checks.raises(ValueError, solution.permutation_test, x, y, g, given=desc, **kwargs)


@pytest.mark.edge_case
def test_numpy_integer_arguments(solution):
    """n_resamples and max_exact as numpy integers (np.int64, np.int32) behave as the Python ints"""
    # Exact (C(6, 3) = 20 <= 100), and Monte Carlo on data where no permutation reaches the observed split
    # (b = 0 for any draws, so p = 1 / (m + 1) whatever the rng).
    cases = [("x = [10, 11, 12], y = [1, 2, 3] (C(6, 3) = 20 splits)", np.array([10.0, 11.0, 12.0]),
              np.array([1.0, 2.0, 3.0]), 100, 50),
             ("x = 20..39, y = 0..19 (Monte Carlo)", np.arange(20.0, 40.0), np.arange(20.0), 10, 99)]
    for desc, x, y, max_exact, m in cases:
        stat, p = unpack(solution.permutation_test(x, y, np.random.default_rng(4), alternative="greater",
                                                   n_resamples=m, max_exact=max_exact),
                         f"{desc}, n_resamples={m}, max_exact={max_exact}")
        for kind in (np.int64, np.int32):
            given = (f"{desc}, alternative='greater', n_resamples=np.{kind.__name__}({m}), "
                     f"max_exact=np.{kind.__name__}({max_exact})")
            check_same_result(lambda: solution.permutation_test(x, y, np.random.default_rng(4), alternative="greater",
                                                                n_resamples=kind(m), max_exact=kind(max_exact)),
                              (stat, p), given, f"with the Python ints {m} and {max_exact}",
                              "a numpy integer is an integer, and behaves as the Python int of its value.")


@pytest.mark.edge_case
def test_lists_and_bool_samples(solution):
    """Lists or tuples of numbers and bool arrays are samples: the result of the float64 arrays of their values"""
    cases = [("x = [10, 11, 12] and y = [1.0, 2.5, 3.0], Python lists", [10, 11, 12], [1.0, 2.5, 3.0]),
             ("x = (4, 1, 7, 2) and y = (3, 3, 5), tuples", (4, 1, 7, 2), (3, 3, 5)),
             ("x = [True, True, False, True], y = [False, True, False, False, False, True], bool arrays",
              np.array([True, True, False, True]), np.array([False, True, False, False, False, True]))]
    for desc, x, y in cases:
        xf, yf = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        for alt in ("greater", "two-sided"):
            given = f"{desc}, alternative={alt!r} (exact)"
            stat, p = unpack(solution.permutation_test(xf, yf, np.random.default_rng(1), alternative=alt),
                             given + " as float64 arrays")
            check_same_result(lambda: solution.permutation_test(x, y, np.random.default_rng(1), alternative=alt),
                              (stat, p), given, "for the float64 arrays of the same values",
                              "lists and tuples of numbers are taken as np.asarray of them, and bool values count "
                              "as 0 and 1.")


@pytest.mark.edge_case
def test_inputs_not_modified(solution):
    """x and y are not modified"""
    x, y = integer_data(51, 6, 5)
    for kwargs in ({}, {"max_exact": 0, "n_resamples": 50}):
        _, after, _ = solution.inputs_after("permutation_test", x, y, np.random.default_rng(1), **kwargs)
        checks.equal(after[0], x, what="x after the call", given="integer data, n1 = 6, n2 = 5")
        checks.equal(after[1], y, what="y after the call", given="integer data, n1 = 6, n2 = 5")


@pytest.mark.edge_case
def test_randomness_comes_from_rng(solution):
    """Monte Carlo randomness comes from rng only"""
    x, y = integer_data(61, 15, 15)
    given = "integer data, n1 = n2 = 15, n_resamples=2000, max_exact=0"

    def run(seed):
        return unpack(solution.permutation_test(x, y, np.random.default_rng(seed), n_resamples=2000,
                                                max_exact=0), given)[1]

    check_randomness_from_rng(solution, run, what="permutation_test", given=given)


@pytest.mark.edge_case
def test_exact_mode_draws_nothing(solution):
    """Exact mode draws nothing from rng: its state is the same after the call"""
    cases = [("x = [10, 11, 12], y = [1, 2, 3] (C(6, 3) = 20 splits), alternative='greater'",
              np.array([10.0, 11.0, 12.0]), np.array([1.0, 2.0, 3.0]), "greater"),
             ("integer data in [0, 9], n1 = 4, n2 = 8 (C(12, 4) = 495 splits), alternative='two-sided'",
              *integer_data(11, 4, 8), "two-sided")]
    for desc, x, y, alt in cases:
        given = f"{desc}, rng = default_rng(9) (exact: C <= max_exact = 100 000)"
        _, args_after, _ = solution.inputs_after("permutation_test", x, y, np.random.default_rng(9), alternative=alt)
        checks.that(checks.same_rng_state(args_after[2], np.random.default_rng(9).bit_generator.state),
                    f"permutation_test() for {given} drew from rng: its state after the call is not the one it "
                    "was given. Exact mode enumerates every split (in any order) and draws nothing from rng; "
                    "only Monte Carlo draws, one rng.permutation(n) per permutation.")


# -- numerical stability -------------------------------------------------------------------------

WORKED_X = np.array([0.3, 0.3, 0.3, 0.3, 2.3, 0.3, 2.3])
WORKED_Y = np.array([2.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
WORKED = "the worked example x = [0.3, 0.3, 0.3, 0.3, 2.3, 0.3, 2.3], y = [2.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]"
TIE_WHY = ("Statistics equal in exact arithmetic come out as different floats (summed in another order): "
           "count t >= d - tol with tol = 1e-12 * max|z|. A plain >= gives 12.67% here.")


@pytest.mark.stability
def test_worked_example_ties(solution):
    """The worked example: p = 0.5 (exact and Monte Carlo), not 12.67%"""
    check_p(solution.permutation_test(WORKED_X, WORKED_Y, np.random.default_rng(1), alternative="greater"), 0.5,
            f"{WORKED}, alternative='greater' (exact)", TIE_WHY)
    # Monte Carlo: each permutation is at least as extreme with probability 1/2, so b ~ Binomial(m, 1/2);
    # a correct solution is outside the bound with probability <= 1e-9 (a plain >= gives b near 0.127 m).
    m = 2000
    given = f"{WORKED}, alternative='greater', n_resamples={m}, max_exact=0"
    _, p = unpack(solution.permutation_test(WORKED_X, WORKED_Y, np.random.default_rng(8), alternative="greater",
                                            n_resamples=m, max_exact=0), given)
    slack = (stats.binomial_halfwidth(m, 0.5, 1e-9) + 1) / (m + 1)
    checks.that(abs(p - 0.5) <= slack, f"permutation_test() for {given}: pvalue should be within {slack:.3f} of 0.5, "
                f"got {p!r}. {TIE_WHY}")


# The worked example with 1e6 and -1e6 put among y's values, x unchanged: the large values are in one sample
# only. Splits whose group 1 holds both or neither of them tie in exact arithmetic when their small values do,
# and their computed statistics differ by rounding of sums that hold +-1e6 (about 1e-10): far above a slack
# from the small sample alone (1e-12 * 2.3). The arrays below hold ten times the values, integers, so the exact
# p-value is counted in integer arithmetic (a split ties or not in both; tests/references checks it).
ONE_SAMPLE_SMALL_X10 = np.array([3, 3, 3, 3, 23, 3, 23])
ONE_SAMPLE_LARGE_X10 = np.array([23, 3, 10**7, 3, 3, -10**7, 3, 3, 3])
ONE_SAMPLE_SMALL = "[0.3, 0.3, 0.3, 0.3, 2.3, 0.3, 2.3]"
ONE_SAMPLE_LARGE = "[2.3, 0.3, 1e6, 0.3, 0.3, -1e6, 0.3, 0.3, 0.3]"


@pytest.mark.stability
def test_ties_on_the_data_scale(solution):
    """Ties on data near 1e6 and near -1e6, and with +-1e6 in one sample only: the slack is 1e-12 max |z|, not |d|"""
    # Shifting both samples changes neither d nor any split's statistic
    # (exactly), so p stays 0.5; only rounding near +-1e6 does, by about 1e-10.
    # Near -1e6 a slack of 1e-12 * max(z) instead of max |z| is negative.
    for shift, values in ((1e6, "1000000.3 and 1000002.3"), (-1e6, "-999999.7 and -999997.7")):
        x, y = WORKED_X + shift, WORKED_Y + shift
        check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative="greater"), 0.5,
                f"the worked example {shift:+.0e} (values {values}), alternative='greater' (exact)",
                f"Ties here differ by rounding of values near {shift:+.0e} (about 1e-10), far more than 100 eps |d|: "
                "the slack is tol = 1e-12 * max|z| (about 1e-6 here).")
    # +-1e6 in y only, then in x only (the samples swapped, and the alternative with them: the same p-value).
    small, large = ONE_SAMPLE_SMALL_X10, ONE_SAMPLE_LARGE_X10
    for x10, y10, alt, desc, other in ((small, large, "less", f"x = {ONE_SAMPLE_SMALL}, y = {ONE_SAMPLE_LARGE}", "x"),
                                       (large, small, "greater", f"x = {ONE_SAMPLE_LARGE}, y = {ONE_SAMPLE_SMALL}",
                                        "y")):
        check_p(solution.permutation_test(x10 / 10, y10 / 10, np.random.default_rng(1), alternative=alt),
                exact_p_integer(x10, y10, alt), f"{desc}, alternative={alt!r} (exact)",
                "Ties here differ by rounding of sums that hold 1e6 and -1e6 (about 1e-10): the slack is "
                f"tol = 1e-12 * max|z| over both samples (1e-6 here), not over {other} alone (2.3e-12).")


# The slack's size. x = [c + 0.5, c - 0.5], y = [c - 0.5 + delta, c + 0.5 - delta]: d = 0, and of the C(4, 2) = 6
# splits two give t = 0 (x against y, y against x), one t = delta, one -delta, one 1 - delta, one -(1 - delta).
# delta is a power of two, every value lies on its grid (delta / 2 for a mean) and every sum is at most 2^22 in
# size: 44 bits, so every sum, mean and difference is exact in float64, in any order, and no rounding blurs the
# edge of the slack. The split at -delta ('greater') or delta ('less') counts exactly when delta <= tol =
# 1e-12 (c + 0.5): p = 5/6 for delta = 0.45 tol, 4/6 for delta = 1.8 tol. Near 0 the means are 0 and the data's
# spread is the data's scale; near c = 2^20 the spread is 1e-6 of it.
SLACK_CASES = [("0", 0.0, -42, "inside", 5 / 6), ("0", 0.0, -40, "outside", 4 / 6),
               ("2^20 = 1048576", 2.0 ** 20, -21, "inside", 5 / 6),
               ("2^20 = 1048576", 2.0 ** 20, -19, "outside", 4 / 6)]


def slack_data(c, delta):
    return np.array([c + 0.5, c - 0.5]), np.array([c - 0.5 + delta, c + 0.5 - delta])


@pytest.mark.stability
def test_tie_slack_size(solution):
    """The slack is 1e-12 max|z|: a split 0.45 tol from the observed statistic counts, one 1.8 tol from it does not"""
    for c_label, c, delta_exp, where, expected in SLACK_CASES:
        delta = 2.0 ** delta_exp
        x, y = slack_data(c, delta)
        tol = 1e-12 * (c + 0.5)
        desc = (f"x = [c + 0.5, c - 0.5], y = [c - 0.5 + delta, c + 0.5 - delta] with c = {c_label}, delta = "
                f"2^{delta_exp} = {delta:.3g} = {delta / tol:.2f} tol (max|z| = {c + 0.5:.1f}, tol = 1e-12 * max|z| "
                f"= {tol:.3g})")
        for alt in ("greater", "less"):
            check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative=alt), expected,
                    f"{desc}, alternative={alt!r} (exact)",
                    f"d = 0 and one split has t = {'-' if alt == 'greater' else ''}delta, exactly (every sum here "
                    f"is exact in float64). It is {where} the slack, so it "
                    f"{'counts' if where == 'inside' else 'does not count'}: p = {round(expected * 6)}/6. The "
                    "slack is 1e-12 * max|z|, neither larger nor smaller, and its scale is max|z| itself, not the "
                    "means nor the spread about the mean.")


@pytest.mark.stability
def test_float32_input_in_float64(solution):
    """float32, float16 and int64 input give the float64 result on the same values, the slack included"""
    x, y = WORKED_X.astype(np.float32), WORKED_Y.astype(np.float32)
    check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative="greater"), 0.5,
            "the worked example as float32, alternative='greater' (exact)",
            "Convert to float64 first: sums in float32 round by about 1e-7, far beyond the slack, and lose ties.")
    # As float16 (values 0.300048828125 and 2.30078125): still three large values, two in x, so p = 1716 / 3432.
    x, y = WORKED_X.astype(np.float16), WORKED_Y.astype(np.float16)
    check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative="greater"), 0.5,
            "the worked example as float16, alternative='greater' (exact)",
            "Everything in float64, the slack too: in float16, 1e-12 * max|z| underflows to 0 and d - tol is "
            "rounded to float16, so the ties (statistics equal to d in exact arithmetic) are lost.")
    # int64 values 2^62 (exact in float64): a group of four sums to 2^64, which wraps around in int64 arithmetic.
    # In float64 only the observed split (all four in group 1) reaches d = 2^62: p = 1 / C(7, 4) = 1/35.
    x, y = np.full(4, 2**62, dtype=np.int64), np.zeros(3, dtype=np.int64)
    check_p(solution.permutation_test(x, y, np.random.default_rng(1), alternative="greater"), 1 / 35,
            "x = [2**62] * 4, y = [0, 0, 0] as int64, alternative='greater' (exact)",
            "Convert to float64 first: sums of int64 values overflow (four times 2**62 is 2**64, which wraps "
            "around to 0 in int64), while in float64 only the observed split reaches d = 2**62.")


# -- performance ---------------------------------------------------------------------------------

def check_same_p(got, expected, call):
    stat_ref, p_ref = unpack(expected, "the REFERENCE")
    stat, _ = unpack(got, "the timed call")
    x, y = call.args[:2]
    tol = 1e-12 * float(np.max(np.abs(np.concatenate([x, y]))))
    if not abs(stat - stat_ref) <= tol:
        checks.fail(f"permutation_test() for the timed call: statistic should be mean(x) - mean(y) = "
                    f"{stat_ref!r}, got {stat!r}. Every timed result must match the reference's.")
    check_p(got, p_ref, "the timed call", "Every timed result must match the reference's.")


# Run r's data from budget.seed(MC_TIME_SEED + r) or budget.seed(EXACT_TIME_SEED + r): integers in [-50, 50], so
# that no draw puts a split within rounding of the slack's edge (module docstring, "Timed calls").
MC_TIME_SEED = 700
EXACT_TIME_SEED = 800
EXACT_SIZES_SEED = 900
TIME_REPEATS = 4              # timed runs after the warm-up: runs 0 (warm-up) to 4

# The exact test's group sizes, one pair per run (the warm-up included): run r gets entry r of a permutation
# of EXACT_TIME_SIZES drawn from budget.seed(EXACT_SIZES_SEED), so every run of a test has sizes of its own.
#
# Why the sizes change: the index sets of the splits depend on the sizes alone, not on the data, and building
# them is about 85% of the reference's time. With n1 = 10, n2 = 11 in every run, a file that enumerates them
# in pure Python (4x the reference's time) passed at 0.14x by keeping them across calls, keyed by (n, k): the
# untimed warm-up built them and the timed runs only looked them up
# (tests/fixtures/hostile/permutation_test_memo_across_calls.py, graded by tests/references). With sizes of
# its own in every run, no run's index sets serve another. The pairs are distinct as unordered pairs too
# (k = min(n1, n2) is what the reference enumerates, and (10, 11) and (11, 10) share index sets); n1 is always
# the smaller group.
#
# Why these five: the reference costs about C * (k + 2) per call, C = C(n1 + n2, n1) splits of k = n1 indices
# each (a row of k indices per split, and a fixed cost per split); relative to C(21, 10) these cost 0.74, 0.76,
# 0.76, 1.0 and 1.02, so the reference's time per run is within about +-16% of their mid-range. They are the
# pairs of near cost whose smaller group has 7 to 10 values. More unbalanced pairs would be many more (k = 3:
# n from 116 to 134 for C from 2.5e5 to 4e5; k = 2: n from 708 to 894), but cost the correct alternatives
# more than the reference: tests/alternatives/permutation_test/indicator_matrix.py builds a C x n matrix,
# and is at 2.0x at (10, 11) in a grade, about the same at k = 7 and 1.7 to 2.7 times that at k = 3 to 6
# (measured outside the grader), beyond the 3x budget. The other pairs with k >= 7 cost 0.52 or less,
# or 1.16 or more ((8, 15); (9, 13) 1.29, (7, 19) 1.40).
#
# What this does not stop: the pairs are public, and a file can build all five pairs' index sets at import
# (1.8 million splits: 2.3 s in pure Python at about 1.3 us per split, CPU time not counted, since the
# budget is the steady cost of a call). Making that exceed the import's time limit (limits.call_timeout,
# 30 s) would take some 23 million splits' worth of pairs, 70 or so of these sizes: there are not that
# many near-balanced pairs of near cost.
EXACT_TIME_SIZES = ((7, 17), (9, 12), (8, 14), (10, 11), (7, 18))     # C = 293 930 to 480 700
EXACT_MAX = 500_000                                                      # every C above is exact


# The Monte Carlo time test: m = 1 000 permutations of n = 10 000. Drawing the permutations costs O(n) per
# draw in every style; what else a draw costs decides the ratio. A loop of rng.permutation with numpy sums
# measured 0.75-0.8x the reference's blocks of draws, a boolean mask and two means per draw 1.4-1.6x, and
# group 1 summed by a Python loop over its values over 4x (stopped). At n = 1 000 (m = 10^4) the per-draw
# overhead weighed more: the mask style measured 2.9-3.7x and the loop 1.8-2.5x against a 3x budget, with
# the Python sums at 4.6-5.2x.
MC_N1, MC_N2, MC_M = 4000, 6000, 1000
MC_RATIO = 2.5


def monte_carlo_call(seed):
    x, y = integer_data(seed, MC_N1, MC_N2, low=-50, high=50)
    return Call(x, y, np.random.default_rng([seed, 1]), n_resamples=MC_M)


def exact_sizes(seed, run):
    """(n1, n2) of exact timed run `run`, from the test's secret seed budget.seed(EXACT_SIZES_SEED): entry `run`
    of a permutation of EXACT_TIME_SIZES drawn from it, so no two runs of a test share their sizes."""
    return distinct_per_run(EXACT_TIME_SIZES, seed, run)


def exact_call(seed, n1, n2):
    x, y = integer_data(seed, n1, n2, low=-50, high=50)
    return Call(x, y, np.random.default_rng([seed, 1]), max_exact=EXACT_MAX)


def exact_timed_call(budget, run):
    return exact_call(budget.seed(EXACT_TIME_SEED + run), *exact_sizes(budget.seed(EXACT_SIZES_SEED), run))


@pytest.mark.performance
def test_monte_carlo_time_budget(budget):
    """Monte Carlo, m = 1 000 permutations of n = 10 000, within the time budget"""
    budget.time("permutation_test", lambda run: monte_carlo_call(budget.seed(MC_TIME_SEED + run)),
                check=check_same_p, repeats=TIME_REPEATS, ratio=MC_RATIO,
                label="Monte Carlo, n1 = 4 000, n2 = 6 000, m = 1 000, a new data set per call")


@pytest.mark.performance
def test_exact_time_budget(budget):
    """Exact enumeration of 293 930 to 480 700 splits, the group sizes drawn per call, within the time budget"""
    assert len(EXACT_TIME_SIZES) == TIME_REPEATS + 1    # one pair of sizes per run, the warm-up's included
    budget.time("permutation_test", lambda run: exact_timed_call(budget, run),
                check=check_same_p, repeats=TIME_REPEATS,
                label="exact, n1 = 7 to 10, n2 = 11 to 18 (293 930 to 480 700 splits), sizes and data drawn per call")
