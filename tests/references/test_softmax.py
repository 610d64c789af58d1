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

import numpy as np
import pytest

from tests.helpers import REPO, load_module

special = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")

ref = load_module(REPO / "reference" / "softmax.py", "softmax_reference")
grader = load_module(REPO / "graders" / "softmax.py", "softmax_grader_data")

SCIPY = {"logsumexp": special.logsumexp, "softmax": special.softmax, "log_softmax": special.log_softmax}


@pytest.mark.parametrize("seed, desc, shape, axis", [(7, *case) for case in grader.AXIS_CASES]
                         + [(300, *case) for case in grader.SIZE_ONE_CASES])
@pytest.mark.parametrize("name", grader.FUNCTIONS)
def test_matches_scipy_every_axis(name, seed, desc, shape, axis):
    """Every axis of the agreement tests, and the shapes with length-1 axes."""
    z = grader.random_logits(seed, shape)
    got = getattr(ref, name)(z, axis=axis)
    expected = SCIPY[name](z, axis=axis)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
    if name == "logsumexp":   # only the reduced axis goes
        assert np.shape(got) == shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]


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


# -- the inputs of the tightened grader tests ------------------------------------------------------------

@pytest.mark.parametrize("desc, z, axis", grader.PER_SLICE_CASES)
@pytest.mark.parametrize("name", grader.FUNCTIONS)
def test_per_slice_cases_match_scipy_and_reject_a_global_shift(name, desc, z, axis):
    z64 = z.astype(np.float64)
    expected = SCIPY[name](z64, axis=axis)
    assert np.all(np.isfinite(expected))
    eps = np.finfo(z.dtype).eps
    np.testing.assert_allclose(getattr(ref, name)(z, axis=axis), expected, rtol=4 * eps, atol=4 * eps)
    # A shift by the maximum of the whole array, in the input's precision: not finite somewhere.
    with np.errstate(all="ignore"):
        s = z - z.max()
        lse = np.log(np.exp(s).sum(axis=axis, keepdims=True))
        wrong = {"logsumexp": np.squeeze(lse + z.max(), axis=axis), "softmax": np.exp(s) / np.exp(s).sum(axis=axis, keepdims=True),
                 "log_softmax": s - lse}[name]
    assert not np.all(np.isfinite(wrong))


@pytest.mark.parametrize("desc, z", grader.MASKED_FAR_CASES)
@pytest.mark.parametrize("name", grader.FUNCTIONS)
def test_masked_far_cases_match_scipy_and_reject_minus_inf_as_zero(name, desc, z):
    with np.errstate(all="ignore"):
        expected = SCIPY[name](z.astype(np.float64), axis=-1)
    got = getattr(ref, name)(z)
    eps = np.finfo(z.dtype).eps
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(expected))
    ok = np.isfinite(expected)
    assert name == "log_softmax" or np.all(ok)
    np.testing.assert_allclose(np.asarray(got)[ok], np.asarray(expected)[ok], rtol=4 * eps, atol=4 * eps)
    # Counting -inf as 0 in the maximum: a shift of 0, every exp 0 in the input's precision.
    with np.errstate(all="ignore"):
        m = np.max(np.where(np.isfinite(z), z, 0), axis=-1, keepdims=True)
        assert np.all(np.exp(z - m).sum(axis=-1) == 0)


@pytest.mark.parametrize("desc, z", grader.OTHER_DTYPE_CASES)
@pytest.mark.parametrize("name", grader.FUNCTIONS)
def test_other_dtypes_give_float64_with_the_float64_values(name, desc, z):
    got = getattr(ref, name)(z)
    assert np.asarray(got).dtype == np.float64
    np.testing.assert_allclose(got, SCIPY[name](z.astype(np.float64), axis=-1), rtol=1e-14, atol=1e-14)
    if z.dtype.kind in "iu" and z.dtype.itemsize == 1:    # the case for converting first
        with np.errstate(all="ignore"):
            assert np.any((z - z.max(axis=-1, keepdims=True)) > 0)


@pytest.mark.parametrize("desc, logits, labels", grader.OTHER_DTYPE_CE_CASES)
def test_cross_entropy_other_dtypes(desc, logits, labels):
    loss, grad = ref.cross_entropy(logits, labels)
    assert np.asarray(loss).dtype == np.float64 and grad.dtype == np.float64
    exp_loss, exp_grad = _ce_loop(logits.astype(np.float64), labels)
    assert abs(loss - exp_loss) <= 1e-13 * max(1.0, abs(exp_loss))
    np.testing.assert_allclose(grad, exp_grad, atol=1e-15)


@pytest.mark.parametrize("n, c", [(1, 3), (4, 1)])
def test_cross_entropy_single_row_and_single_class(n, c):
    logits = grader.random_logits(311, (n, c))
    labels = np.random.default_rng(5).integers(c, size=n)
    loss, grad = ref.cross_entropy(logits, labels)
    exp_loss, exp_grad = _ce_loop(logits, labels)
    assert grad.shape == (n, c)
    assert abs(loss - exp_loss) <= 1e-13 * max(1.0, abs(exp_loss))
    np.testing.assert_allclose(grad, exp_grad, atol=1e-15)


def test_cross_entropy_where_the_label_probability_underflows():
    for row, label in (([0.0, -1000.0, -2.0], 1), ([0.0, -1e4, -2e4], 1)):
        logits = np.array([row])
        loss, _ = ref.cross_entropy(logits, np.array([label]))
        expected = -float(mpmath.mpf(row[label]) - _mp_lse(row))
        assert abs(loss - expected) <= 4 * np.finfo(float).eps * expected


def test_the_zero_d_forms_of_a_1d_logsumexp():
    """The grader accepts a 0-d array, a NumPy scalar and (for float64) a Python float; not (1,)."""
    from trainer.grading.checks import GradeFailure
    z = np.array([0.5, -1.0, 2.0])
    value = ref.logsumexp(z)
    assert isinstance(value, np.ndarray) and value.shape == ()
    for form in (value, value[()], float(value)):
        grader.check_function("logsumexp", form, z, -1, given="1-D z", dtype=True)
    with pytest.raises(GradeFailure):
        grader.check_function("logsumexp", np.reshape(value, (1,)), z, -1, given="1-D z")
    z32 = z.astype(np.float32)
    value32 = ref.logsumexp(z32)
    for form in (value32, value32[()]):
        grader.check_function("logsumexp", form, z32, -1, given="1-D float32 z", dtype=True)
    with pytest.raises(GradeFailure):
        grader.check_function("logsumexp", float(value32), z32, -1, given="1-D float32 z", dtype=True)
