"""The softmax reference against independent implementations.

Oracles:
- scipy.special.logsumexp / softmax / log_softmax (the challenge's semantics
  for finite values and -inf entries are scipy's);
- plain loops in exact-enough arithmetic (mpmath at 50 digits) for large
  logits and underflowing log-probabilities;
- central finite differences for the cross-entropy gradient.

The tolerance bounds used by graders/softmax.py are also checked here to
hold for the reference with room to spare, and to reject the two classic
mistakes (naive exp, log of softmax).
scipy and mpmath are test-only dependencies.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

special = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")

ROOT = Path(__file__).resolve().parents[2]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load("softmax_reference", ROOT / "reference" / "softmax.py")
grader = _load("softmax_grader_data", ROOT / "graders" / "softmax.py")

SCIPY = {"logsumexp": special.logsumexp, "softmax": special.softmax, "log_softmax": special.log_softmax}


@pytest.mark.parametrize("desc, shape, axis", grader.AXIS_CASES)
@pytest.mark.parametrize("name", grader.FUNCTIONS)
def test_matches_scipy_every_axis(name, desc, shape, axis):
    z = grader.random_logits(7, shape)
    got = getattr(ref, name)(z, axis=axis)
    expected = SCIPY[name](z, axis=axis)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name", grader.FUNCTIONS)
@pytest.mark.parametrize("axis", [-1, 0])
def test_minus_inf_semantics_match_scipy(name, axis):
    z = np.array([[1.0, 2.0, 3.0], [-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 5.0]])
    with np.errstate(all="ignore"):
        expected = SCIPY[name](z if axis == -1 else z.T, axis=axis)
    got = getattr(ref, name)(z if axis == -1 else z.T, axis=axis)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(expected))
    ok = np.isfinite(expected)
    np.testing.assert_allclose(np.asarray(got)[ok], np.asarray(expected)[ok], rtol=1e-14)


def _mp_lse(row):
    mpmath.mp.dps = 50
    return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))


@pytest.mark.parametrize("row", [[1e4, 1e4 - 1, 1e4 - 3, 1e4 + 2], [-1e4, -1e4 + 5, -1e4 + 4],
                                 [0.0, -1000.0], [0.0, -800.0, -1e4], [1e4, -1e4, 0.0]])
def test_large_and_underflowing_logits_against_mpmath(row):
    z = np.array(row)
    lse = _mp_lse(row)
    assert abs(ref.logsumexp(z) - float(lse)) <= 4 * np.finfo(float).eps * max(1.0, abs(float(lse)))
    expected_lsm = np.array([float(mpmath.mpf(v) - lse) for v in row])
    np.testing.assert_allclose(ref.log_softmax(z), expected_lsm, rtol=4e-16, atol=0)
    expected_sm = np.array([float(mpmath.exp(mpmath.mpf(v) - lse)) for v in row])
    np.testing.assert_allclose(ref.softmax(z), expected_sm, rtol=1e-15, atol=1e-300)


def test_float32_matches_scipy_in_float64_within_the_grader_bounds():
    z = grader.random_logits(51, (6, 50), scale=4.0, dtype=np.float32)
    eps32 = np.finfo(np.float32).eps
    for name in grader.FUNCTIONS:
        got = getattr(ref, name)(z, axis=-1)
        assert got.dtype == np.float32
        expected = SCIPY[name](z.astype(np.float64), axis=-1)
        err = np.abs(got.astype(np.float64) - expected)
        # The grader's bounds are worst cases; the reference sits far inside them.
        M, C = grader.spread(z, -1)
        bound = eps32 * (M + C + 4) * (np.abs(expected) if name == "softmax" else 1 + np.abs(expected))
        assert np.all(err <= bound / 4), name


def test_the_bounds_reject_the_classic_mistakes():
    z = 1e4 + np.array([[0.0, -1.0, -3.0, 2.0]])
    with np.errstate(all="ignore"):
        naive = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    assert np.all(np.isnan(naive))
    with np.errstate(divide="ignore"):
        log_of_softmax = np.log(special.softmax(np.array([0.0, -1000.0])))
    assert log_of_softmax[1] == -np.inf


def _ce_loop(logits, labels):
    n, c = logits.shape
    loss = 0.0
    grad = np.zeros_like(logits)
    for i in range(n):
        lse = special.logsumexp(logits[i])
        loss -= (logits[i, labels[i]] - lse) / n
        for j in range(c):
            grad[i, j] = (np.exp(logits[i, j] - lse) - (j == labels[i])) / n
    return loss, grad


@pytest.mark.parametrize("seed, n, c", [(101, 8, 5), (102, 1, 3), (103, 30, 10)])
def test_cross_entropy_matches_plain_loop_and_finite_differences(seed, n, c):
    logits = grader.random_logits(seed, (n, c))
    labels = np.random.default_rng(seed + 50).integers(c, size=n)
    loss, grad = ref.cross_entropy(logits, labels)
    exp_loss, exp_grad = _ce_loop(logits, labels)
    assert abs(loss - exp_loss) <= 1e-13 * max(1.0, abs(exp_loss))
    np.testing.assert_allclose(grad, exp_grad, atol=1e-15)
    h = 1e-5
    numeric = np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        up, down = logits.copy(), logits.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (ref.cross_entropy(up, labels)[0] - ref.cross_entropy(down, labels)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_cross_entropy_rejects_labels_out_of_range():
    logits = np.zeros((3, 4))
    for labels in ([0, 4, 1], [0, -1, 1]):
        with pytest.raises(ValueError):
            ref.cross_entropy(logits, np.array(labels))


def test_input_not_modified_and_dtypes():
    z = grader.random_logits(3, (5, 6))
    z32 = z.astype(np.float32)
    before, before32 = z.copy(), z32.copy()
    for name in grader.FUNCTIONS:
        assert getattr(ref, name)(z).dtype == np.float64
        assert getattr(ref, name)(z32).dtype == np.float32
    loss, grad = ref.cross_entropy(z32, np.array([0, 1, 2, 3, 4]))
    assert np.asarray(loss).dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_array_equal(z, before)
    np.testing.assert_array_equal(z32, before32)
