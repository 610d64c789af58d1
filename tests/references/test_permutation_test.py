"""The permutation_test reference against independent implementations, and the grader's assumptions.

Oracles:
- scipy.stats.permutation_test with permutation_type="independent", the
  statistic mean(a) - mean(b) (vectorized), n_resamples=np.inf (exact): the
  same p-value for "greater" and "less", and for "two-sided" when n1 = n2
  (scipy doubles the smaller one-sided p-value, which equals |t| >= |d| for
  a symmetric null distribution);
- exact enumeration with fractions (every split, rational means), and a
  plain loop of rng.permutation(n) calls for the Monte Carlo draw order;
- the worked example: 1716 / 3432 = 1/2 with fractions, and 435 / 3432
  (12.67%) for the naive float comparison.
scipy is a test-only dependency.
"""

from __future__ import annotations

import ast
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from tests.helpers import HOSTILE, REPO, load_module
from trainer.grading.budget import secret_seed

scipy_stats = pytest.importorskip("scipy.stats")

ref = load_module(REPO / "reference" / "permutation_test.py", "permutation_test_reference")
grader = load_module(REPO / "graders" / "permutation_test.py", "permutation_test_grader_data")


def statistic(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def fraction_p(x, y, alternative):
    xf = [Fraction(float(v)) for v in x]
    zf = xf + [Fraction(float(v)) for v in y]
    n1, n = len(x), len(zf)
    S = sum(zf)
    d = sum(xf) / n1 - (S - sum(xf)) / (n - n1)
    count = 0
    for c in itertools.combinations(range(n), n1):
        s1 = sum(zf[i] for i in c)
        t = s1 / n1 - (S - s1) / (n - n1)
        count += t >= d if alternative == "greater" else t <= d if alternative == "less" else abs(t) >= abs(d)
    return Fraction(count, math.comb(n, n1))


DATA = [grader.integer_data(5, 6, 7), grader.integer_data(6, 5, 5), grader.integer_data(7, 3, 9, skew=True),
        (np.random.default_rng(8).normal(size=7), np.random.default_rng(9).normal(size=6))]


@pytest.mark.parametrize("case", range(len(DATA)))
@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_exact_against_fractions_and_scipy(case, alternative):
    x, y = DATA[case]
    stat, p = ref.permutation_test(x, y, None, alternative=alternative)
    assert p == pytest.approx(float(fraction_p(x, y, alternative)), abs=1e-15)
    assert stat == pytest.approx(x.mean() - y.mean(), abs=1e-13)
    if alternative != "two-sided" or len(x) == len(y):
        res = scipy_stats.permutation_test((x, y), statistic, permutation_type="independent", vectorized=True,
                                           n_resamples=np.inf, alternative=alternative)
        assert p == pytest.approx(res.pvalue, abs=1e-15)


def test_grader_data_against_fractions():
    for _, x, y in grader.ONE_SIDED_CASES + grader.TWO_SIDED_CASES:
        for alt in ("greater", "less", "two-sided"):
            assert grader.exact_p_integer(x, y, alt) == pytest.approx(float(fraction_p(x, y, alt)), abs=1e-15)
            assert ref.permutation_test(x, y, None, alternative=alt)[1] == pytest.approx(
                float(fraction_p(x, y, alt)), abs=1e-15)


def test_two_sided_rule_differs_from_scipy_when_sizes_differ():
    for _, x, y in grader.TWO_SIDED_CASES[:2]:
        res = scipy_stats.permutation_test((x, y), statistic, vectorized=True, n_resamples=np.inf)
        assert ref.permutation_test(x, y, None)[1] != pytest.approx(res.pvalue, abs=1e-3)


def test_worked_example():
    x, y = grader.WORKED_X, grader.WORKED_Y
    assert fraction_p(x, y, "greater") == Fraction(1, 2)
    z = np.concatenate([x, y])
    naive = 0
    for c in itertools.combinations(range(14), 7):
        mask = np.zeros(14, bool)
        mask[list(c)] = True
        naive += z[mask].mean() - z[~mask].mean() >= x.mean() - y.mean()
    assert naive == 435 and round(100 * naive / 3432, 2) == 12.67
    assert ref.permutation_test(x, y, None, alternative="greater")[1] == 0.5
    res = scipy_stats.permutation_test((x, y), statistic, vectorized=True, n_resamples=np.inf, alternative="greater")
    assert res.pvalue == 0.5
    assert ref.permutation_test(x + 1e6, y + 1e6, None, alternative="greater")[1] == 0.5


def test_one_sample_scale_data():
    """+-1e6 in one sample: the values are the ones the grader shows, and the integer count on ten times them is
    the exact p-value of the float values themselves (every split ties or not in both)."""
    small, large = grader.ONE_SAMPLE_SMALL_X10, grader.ONE_SAMPLE_LARGE_X10
    assert np.array_equal(small / 10, np.array(ast.literal_eval(grader.ONE_SAMPLE_SMALL)))
    assert np.array_equal(large / 10, np.array(ast.literal_eval(grader.ONE_SAMPLE_LARGE)))
    for x10, y10, alt in ((small, large, "less"), (large, small, "greater")):
        exact = float(fraction_p(x10 / 10, y10 / 10, alt))
        assert grader.exact_p_integer(x10, y10, alt) == pytest.approx(exact, abs=1e-15)
        assert ref.permutation_test(x10 / 10, y10 / 10, None, alternative=alt)[1] == pytest.approx(exact, abs=1e-15)


def loop_monte_carlo(x, y, seed, m, alternative):
    z = np.concatenate([x, y])
    n1 = len(x)
    zf = [Fraction(float(v)) for v in z]
    d = sum(zf[:n1]) / n1 - sum(zf[n1:]) / (len(z) - n1)
    rng = np.random.default_rng(seed)
    b = 0
    for _ in range(m):
        perm = rng.permutation(len(z))
        t = sum(zf[i] for i in perm[:n1]) / n1 - sum(zf[i] for i in perm[n1:]) / (len(z) - n1)
        b += t >= d if alternative == "greater" else t <= d if alternative == "less" else abs(t) >= abs(d)
    return (b + 1) / (m + 1)


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_monte_carlo_draw_order_against_a_plain_loop(alternative):
    x, y = grader.integer_data(71, 9, 12)
    got = ref.permutation_test(x, y, np.random.default_rng(4), alternative=alternative, n_resamples=700,
                               max_exact=0)[1]
    assert got == pytest.approx(loop_monte_carlo(x, y, 4, 700, alternative), abs=1e-15)
    got = ref.permutation_test(grader.WORKED_X, grader.WORKED_Y, np.random.default_rng(5), alternative=alternative,
                               n_resamples=500, max_exact=0)[1]
    assert got == pytest.approx(loop_monte_carlo(grader.WORKED_X, grader.WORKED_Y, 5, 500, alternative), abs=1e-15)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20, 1000])
def test_the_stated_equivalent_draws(n):
    """rng.permuted on a tile of arange(n), rng.permutation(z) and rng.shuffle draw what rng.permutation(n) does."""
    k = 5
    g = np.random.default_rng(3)
    perms = np.array([g.permutation(n) for _ in range(k)])
    assert np.array_equal(np.random.default_rng(3).permuted(np.tile(np.arange(n), (k, 1)), axis=1), perms)
    z = np.random.default_rng(1).normal(size=n)
    g = np.random.default_rng(3)
    assert np.array_equal(np.array([g.permutation(z) for _ in range(k)]), z[perms])
    g = np.random.default_rng(3)
    rows = []
    for _ in range(k):
        row = np.arange(n)
        g.shuffle(row)
        rows.append(row)
    assert np.array_equal(np.array(rows), perms)


def test_monte_carlo_matches_scipy_statistically():
    x, y = grader.integer_data(81, 10, 10)
    exact = ref.permutation_test(x, y, None, max_exact=200_000)[1]
    m = 20000
    ours = ref.permutation_test(x, y, np.random.default_rng(1), n_resamples=m, max_exact=0)[1]
    theirs = scipy_stats.permutation_test((x, y), statistic, vectorized=True, n_resamples=m,
                                          rng=np.random.default_rng(2)).pvalue
    half = (grader.stats.binomial_halfwidth(m, exact, 1e-9) + 1) / m
    assert abs(ours - exact) <= half and abs(theirs - exact) <= half


def assert_no_near_ties(x, y, s1):
    """Every statistic (group 1 sums s1) equals the observed one in exact arithmetic or differs by more than
    1e-9 max|z|, in t and in |t|."""
    z = np.concatenate([x, y])
    n1 = len(x)
    t = s1 / n1 - (z.sum() - s1) / len(y)
    d = x.mean() - y.mean()
    gap = np.abs(np.abs(t) - abs(d))
    scale = np.max(np.abs(z))
    assert np.all((gap <= 1e-13 * scale * 10) | (gap > 1e-9 * scale))
    gap = np.abs(t - d)
    assert np.all((gap <= 1e-13 * scale * 10) | (gap > 1e-9 * scale))


def test_no_near_ties_in_the_grader_data():
    """Every statistic equals the observed one in exact arithmetic or differs by more than 1e-9 max|z|."""
    cases = [(x, y) for _, x, y in grader.ONE_SIDED_CASES + grader.TWO_SIDED_CASES]
    cases += [(grader.WORKED_X, grader.WORKED_Y), (grader.WORKED_X + 1e6, grader.WORKED_Y + 1e6)]
    small, large = grader.ONE_SAMPLE_SMALL_X10 / 10, grader.ONE_SAMPLE_LARGE_X10 / 10
    cases += [(small, large), (large, small)]
    for x, y in cases:
        assert_no_near_ties(x, y, ref._exact_group1_sums(np.concatenate([x, y]), len(x)))


def test_slack_cases_are_exact_in_float64():
    """The grader's slack-size data: every split's statistic comes out exact in float64, d = 0, one split sits at
    -delta and one at delta, and delta is 0.45 tol ('inside') or 1.8 tol ('outside')."""
    for _, c, delta_exp, where, expected in grader.SLACK_CASES:
        x, y = grader.slack_data(c, 2.0 ** delta_exp)
        z = np.concatenate([x, y])
        zf = [Fraction(float(v)) for v in z]
        s1 = ref._exact_group1_sums(z, 2)
        t = s1 / 2 - (z.sum() - s1) / 2
        exact = [sum(zf[i] for i in split) / 2 - (sum(zf) - sum(zf[i] for i in split)) / 2
                 for split in itertools.combinations(range(4), 2)]
        assert [Fraction(float(v)) for v in t] == exact
        assert x.mean() - y.mean() == 0.0
        delta, tol = 2.0 ** delta_exp, 1e-12 * float(np.max(np.abs(z)))
        assert sorted(exact) == sorted(Fraction(v) for v in (0, 0, delta, -delta, 1 - delta, delta - 1))
        assert 0.4 < delta / tol < 0.5 if where == "inside" else 1.7 < delta / tol < 1.9
        for alt in ("greater", "less"):
            assert ref.permutation_test(x, y, None, alternative=alt)[1] == expected


# Secrets standing for the ones Budget draws for each timed test.
SECRETS = [bytes([i]) * 16 for i in range(3)]


class SecretBudget:
    """Stands for the grader's budget fixture under one secret: only its seed()."""

    def __init__(self, secret):
        self.secret = secret

    def seed(self, seed):
        return secret_seed(self.secret, seed)


def timed_exact_calls(secret):
    return [grader.exact_timed_call(SecretBudget(secret), run) for run in range(grader.TIME_REPEATS + 1)]


def test_no_near_ties_along_the_timed_runs():
    """The same on the timed data under sampled secrets: the splits of every run of the exact test (each of
    its group sizes), and the permutations the Monte Carlo test's rng draws (one run each)."""
    for run, secret in enumerate(SECRETS):
        for call in timed_exact_calls(secret):
            x, y, _ = call.args
            assert_no_near_ties(x, y, ref._exact_group1_sums(np.concatenate([x, y]), len(x)))
        call = grader.monte_carlo_call(secret_seed(secret, grader.MC_TIME_SEED + run))
        x, y, rng = call.args
        assert_no_near_ties(x, y, ref._monte_carlo_group1_sums(np.concatenate([x, y]), len(x), rng,
                                                               call.kwargs["n_resamples"]))


def test_exact_timed_sizes_are_drawn_per_run():
    """Every run of the exact timed test (the warm-up included) has group sizes of its own, distinct as unordered
    pairs (the index sets of the splits depend on min(n1, n2) and n alone), n1 the smaller group, integer data in
    [-50, 50], exact (C <= max_exact); the sizes' order comes from the secret (and the data too)."""
    orders = set()
    for secret in SECRETS + [bytes([7]) * 16, bytes([8]) * 16]:
        calls = timed_exact_calls(secret)
        sizes = [(len(c.args[0]), len(c.args[1])) for c in calls]
        assert len({(min(s), max(s)) for s in sizes}) == len(sizes) == grader.TIME_REPEATS + 1
        assert sorted(sizes) == sorted(grader.EXACT_TIME_SIZES)
        for (n1, n2), call in zip(sizes, calls):
            assert n1 <= n2 and math.comb(n1 + n2, n1) <= call.kwargs["max_exact"] == grader.EXACT_MAX
            z = np.concatenate(call.args[:2])
            assert np.all(z == np.round(z)) and np.all(np.abs(z) <= 50)
        assert calls[0].args[0].tolist() != timed_exact_calls(bytes([99]) * 16)[0].args[0].tolist()
        orders.add(tuple(sizes))
        assert sizes == [(len(c.args[0]), len(c.args[1])) for c in timed_exact_calls(secret)]   # same secret
    assert len(orders) >= 4


def test_exact_timed_sizes_cost_the_reference_alike():
    """The grader's cost model of the reference, C (k + 2) relative to C(21, 10) * 12, is 0.74 to 1.02 for the
    timed sizes (as its comment says), and no other pair with 7 <= k <= 10 and n <= 30 is in that range."""
    def cost(n1, n2):
        return math.comb(n1 + n2, n1) * (n1 + 2) / (math.comb(21, 10) * 12)
    costs = sorted(round(cost(*s), 2) for s in grader.EXACT_TIME_SIZES)
    assert costs == [0.74, 0.76, 0.76, 1.0, 1.02]
    others = [(k, n - k) for n in range(14, 31) for k in range(7, 11)
              if k <= n - k and (k, n - k) not in grader.EXACT_TIME_SIZES]
    assert all(not 0.7 <= cost(*s) <= 1.1 for s in others)


@pytest.mark.slow
def test_memo_across_calls_fails_its_grade():
    """Graded for real, tests/fixtures/hostile/permutation_test_memo_across_calls.py (index sets enumerated in
    pure Python, about 4x the reference's time, kept across calls per (n, k)) fails the exact timed test on
    time, not on its results: every timed run has group sizes of its own, so the warm-up's index sets serve no
    timed run. With n1 = 10, n2 = 11 in every run it passed at 0.14x."""
    from trainer.catalog import load_catalog
    from trainer.engine import grade

    report = grade(load_catalog().get("permutation_test"), HOSTILE / "permutation_test_memo_across_calls.py",
                   keyword="test_exact_time_budget")
    assert report.status == "failed", (report.status, report.error)
    failed = {t.nodeid.split("::")[-1]: t.message for t in report.tests if not t.passed}
    assert list(failed) == ["test_exact_time_budget"], failed
    message = failed["test_exact_time_budget"]
    # On time, whichever way: measured over the budget ("Too slow"), or stopped once every run was over
    # twice the budget ("far slower"; it measured about 4x here, and once over 6x in a CI run).
    assert "budget 3x" in message and ("Too slow" in message or "far slower" in message), message
    assert "must match" not in message, message


def test_rejects_invalid_inputs():
    ok = np.array([1.0, 2.0])
    for args, kwargs in [((np.array([]), ok), {}), ((ok, np.array([np.nan])), {}), ((ok, ok), {"alternative": "x"}),
                         ((ok, ok), {"n_resamples": 0}), ((ok, ok), {"max_exact": -1})]:
        with pytest.raises(ValueError):
            ref.permutation_test(*args, np.random.default_rng(0), **kwargs)
