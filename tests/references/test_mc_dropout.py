"""The mc_dropout reference against independent oracles, and the grader's assumptions.

Oracles:
- scipy.stats.entropy (natural log by default, 0 log 0 = 0 through
  scipy.special.entr) for every pass's entropy and for the entropy of the
  predictive mean;
- 50-digit mpmath arithmetic on small inputs: the mean, both entropies and
  their difference from the float64 inputs taken as exact numbers, so the
  grader's tolerances are checked against the exact answer, not against
  another float64 computation;
- exact fractions for the predictive mean;
- a plain loop for dropout: one uniform drawn at a time with rng.random()
  (the same stream as rng.random(shape), in C order), kept when below 1 - p,
  kept entries x / (1 - p).

scipy and mpmath are test-only dependencies.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy.stats import entropy

from tests.helpers import REPO, load_module

ref = load_module(REPO / "reference" / "mc_dropout.py", "mc_dropout_reference")
grader = load_module(REPO / "graders" / "mc_dropout.py", "mc_dropout_grader_data")

CASES = [grader.dirichlet_probs(seed, *shape) for _, seed, shape in grader.AGREE_CASES] + [
    grader.correlated_probs(14, 20, 25, 4), grader.ZERO_PROBS, grader.TINY_PROBS,
    grader.dirichlet_probs(7, 6, 9, 5, alpha=0.1),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_entropies_match_scipy(case):
    P = CASES[case]
    T, n, C = P.shape
    mean = np.array([[float(sum(Fraction(v) for v in P[:, i, c]) / T) for c in range(C)] for i in range(n)])
    np.testing.assert_allclose(ref.predictive_mean(P), mean, rtol=0, atol=grader.tolerance("predictive_mean", T, C))
    tol = grader.entropy_tol(T, C)
    pred = entropy(mean, axis=-1)                   # scipy normalises: the rows sum to 1 within rounding
    exp = entropy(P, axis=-1).mean(axis=0)
    np.testing.assert_allclose(ref.predictive_entropy(P), pred, rtol=0, atol=tol)
    np.testing.assert_allclose(ref.expected_entropy(P), exp, rtol=0, atol=tol)
    np.testing.assert_allclose(ref.mutual_information(P), np.maximum(pred - exp, 0), rtol=0, atol=2 * tol)


def exact(P):
    """(mean, predictive entropy, expected entropy, mutual information) in 50-digit arithmetic."""
    with mpmath.workdps(50):
        T, n, C = P.shape
        xlogx = lambda v: mpmath.mpf(0) if v == 0 else v * mpmath.log(v)
        mean = [[sum(mpmath.mpf(float(P[t, i, c])) for t in range(T)) / T for c in range(C)] for i in range(n)]
        pred = [-sum(xlogx(m) for m in row) for row in mean]
        exp = [sum(-sum(xlogx(mpmath.mpf(float(v))) for v in P[t, i]) for t in range(T)) / T for i in range(n)]
        mi = [p - e for p, e in zip(pred, exp)]
        as_float = lambda rows: np.array([[float(v) for v in r] for r in rows]) if isinstance(rows[0], list) \
            else np.array([float(v) for v in rows])
        return as_float(mean), as_float(pred), as_float(exp), np.array([float(max(v, 0)) for v in mi])


@pytest.mark.parametrize("case", [0, 2, 3, 4, 5, 6])
def test_within_the_grader_tolerances_of_exact(case):
    """Against 50-digit arithmetic: the reference is within the tolerances the grader allows."""
    P = CASES[case][:, :12]
    T, n, C = P.shape
    expected = dict(zip(grader.ALL, exact(P)))
    for name in grader.ALL:
        np.testing.assert_allclose(getattr(ref, name)(P), expected[name], rtol=0,
                                   atol=grader.tolerance(name, T, C), err_msg=name)
        # The grader's own oracle too (it decides most tests).
        np.testing.assert_allclose(grader.oracle(name, P), expected[name], rtol=0,
                                   atol=grader.tolerance(name, T, C), err_msg=f"grader oracle {name}")


def test_hand_made_expected_values_are_exact():
    expected = dict(zip(grader.ALL, exact(grader.ZERO_PROBS)))
    for name in grader.ALL:
        np.testing.assert_allclose(grader.ZERO_EXPECTED[name], expected[name], rtol=0, atol=1e-15, err_msg=name)


def test_agreeing_passes_need_the_clip():
    """The unclipped difference really goes below 0 on the never-negative test's inputs (and stays within tolerance)."""
    for seed, (T, n, C) in ((31, (7, 2000, 5)), (32, (3, 500, 10))):
        P = grader.agreeing_passes(seed, T, n, C)
        raw = ref._entropy(P.mean(axis=0)) - ref._entropy(P).mean(axis=0)
        assert (raw < 0).sum() > 10, (seed, (raw < 0).sum())
        assert np.abs(raw).max() <= grader.tolerance("mutual_information", T, C)
        assert (ref.mutual_information(P) >= 0).all()


def test_agreement_inputs_have_no_tiny_probabilities():
    """The agreement tests leave 0 and tiny probabilities to their own tests: none below 1e-9 there."""
    for P in CASES[:4]:
        assert P.min() > 1e-9


def plain_dropout(x, p, seed):
    rng = np.random.default_rng(seed)
    out = np.zeros(x.shape)
    for idx in itertools.product(*(range(s) for s in x.shape)):
        u = rng.random()
        if u < 1 - p:
            out[idx] = float(x[idx]) / (1 - p)
    return out


@pytest.mark.parametrize("desc, shape, p, seed", grader.DROPOUT_CASES)
def test_dropout_matches_a_plain_loop(desc, shape, p, seed):
    x = np.random.default_rng(seed + 100).normal(size=shape)
    got = ref.dropout(x, p, np.random.default_rng(seed))
    expected = plain_dropout(x, p, seed)
    assert np.array_equal(got != 0, expected != 0)
    np.testing.assert_allclose(got, expected, rtol=2 * grader.EPS, atol=0)


def test_dropout_is_unbiased_and_keeps_the_stated_fraction():
    """Inverted scaling: the mean over many masks is x; the kept fraction is 1 - p."""
    x = np.linspace(-2, 3, 50)
    p = 0.3
    outs = np.array([ref.dropout(x, p, np.random.default_rng(s)) for s in range(4000)])
    kept = (outs != 0).mean()
    # Binomial: 200 000 draws, sd of the fraction ~0.001; of each mean, |x| sqrt(p / (1 - p) / 4000) <= 0.031.
    assert abs(kept - (1 - p)) < 0.006
    assert np.all(np.abs(outs.mean(axis=0) - x) <= 5 * np.abs(x) * np.sqrt(p / (1 - p) / 4000) + 1e-12)


def test_dropout_dtypes_and_edges():
    x32 = np.random.default_rng(1).normal(size=(5, 6)).astype(np.float32)
    assert ref.dropout(x32, 0.4, np.random.default_rng(2)).dtype == np.float32
    assert ref.dropout(x32.astype(np.float16), 0.4, np.random.default_rng(2)).dtype == np.float64
    assert np.array_equal(ref.dropout(x32, 0.0, np.random.default_rng(2)), x32)
    assert not ref.dropout(np.full((3, 3), 1e30, np.float32), 1.0, np.random.default_rng(2)).any()
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError):
            ref.dropout(x32, p, np.random.default_rng(2))
