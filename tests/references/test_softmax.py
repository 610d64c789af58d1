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


# -- the timed and memory-measured inputs, under a sample of secrets ------------------------------------------

from trainer.grading import Call                                  # noqa: E402
from trainer.grading.budget import secret_seed                    # noqa: E402
from trainer.grading.checks import GradeFailure                   # noqa: E402

TIMED_SECRETS = (bytes([0]) * 16, bytes(range(16)), b"softmax-timed-zz", bytes([255]) * 16)
ALTERNATIVES = {path.stem: load_module(path, f"softmax_alternative_{path.stem}")
                for path in sorted((REPO / "tests" / "alternatives" / "softmax").glob("*.py"))}
# Where exp overflows to inf and where it is 0, with a margin: exp(709.79) and exp(88.73) are the largest
# finite float64 and float32 values, exp(-745.2) and exp(-104) the smallest non-zero (subnormal) ones.
EXP_FINITE = {np.float64: (-745.2, 709.79), np.float32: (-104.0, 88.73)}


def _timed_seeds(secret):
    """Every seed a grading under `secret` draws a timed or measured input from (warm-ups included)."""
    return ([secret_seed(secret, grader.TIME_SEED + n) for n in range(grader.TIME_RUNS * len(grader.FUNCTIONS))]
            + [secret_seed(secret, grader.MEMORY_SEED + k) for k in range(len(grader.FUNCTIONS))])


def _check_rows_defeat_a_missing_shift(z):
    """Each row: all its entries beyond 754 in magnitude on one side, within a factor 2 of each other; half
    the rows on each side; exp of every entry inf (above 0) or exactly 0 (below 0) in z's precision."""
    lo, hi = z.min(axis=1).astype(np.float64), z.max(axis=1).astype(np.float64)
    up = lo > 0
    assert np.all(np.where(up, lo, -hi) >= 754) and np.all(np.where(up, hi, -lo) <= 1006)
    assert np.all(np.where(up, hi / lo, lo / hi) < 2)                   # z - max(z) exact (Sterbenz)
    assert np.all(hi - lo <= 12)
    assert up.sum() == len(up) - len(up) // 2
    below, above = EXP_FINITE[z.dtype.type]
    assert np.all(lo[up] > above) and np.all(hi[~up] < below)
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(z)
    assert np.all(np.isinf(e[up])) and np.all(e[~up] == 0)


@pytest.mark.parametrize("secret", TIMED_SECRETS)
def test_timed_rows_defeat_a_missing_shift(secret):
    """The row construction of every timed and measured draw, on 64-row draws of each of its seeds (the
    construction is row by row: only the number of rows differs from the grading's draws)."""
    for seed in _timed_seeds(secret):
        z = grader.time_z(seed, 64)
        _check_rows_defeat_a_missing_shift(z)
        _check_rows_defeat_a_missing_shift(z.astype(np.float32))
    for run in range(grader.TIME_RUNS):
        logits, labels = grader.ce_time_call(secret_seed(secret, grader.CE_TIME_SEED + run)).args
        assert logits.shape == grader.CE_TIME_SHAPE and labels.shape == (grader.CE_TIME_SHAPE[0],)
        _check_rows_defeat_a_missing_shift(logits)
        assert labels.min() == 0 and labels.max() == grader.CE_TIME_SHAPE[1] - 1


def test_the_grading_builds_its_timed_inputs_from_time_z():
    """A timed call and a measured z are time_z's draws of their secret seeds, at full size."""
    secret = TIMED_SECRETS[1]
    seed_of = lambda n: secret_seed(secret, n)                    # noqa: E731
    k, run = 1, 2
    z = grader.time_inputs(grader.FUNCTIONS[k], seed_of)(run).args[0]
    assert z.shape == grader.TIME_SHAPE and z.dtype == np.float64
    np.testing.assert_array_equal(z, grader.time_z(seed_of(grader.TIME_SEED + run + grader.TIME_RUNS * k)))
    _check_rows_defeat_a_missing_shift(z)
    z = grader.time_z(seed_of(grader.MEMORY_SEED), grader.MEMORY_ROWS).astype(np.float32)
    _check_rows_defeat_a_missing_shift(z)


def _naive(name, z):
    """The shortcut these inputs are built against: no shift at all."""
    with np.errstate(all="ignore"):
        lse = np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
        return {"logsumexp": lse[:, 0], "softmax": np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True),
                "log_softmax": z - lse}[name]


@pytest.mark.parametrize("secret", TIMED_SECRETS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_timed_checks_pass_every_correct_solution_and_fail_a_missing_shift(secret, dtype):
    """On 64-row draws of a third of the timed and measured seeds, in float64 and in float32: the reference
    within the single bounds of scipy on the same values, each alternative within the timed check's doubled
    bounds of the reference, and the unshifted formulas failing the timed check."""
    eps = np.finfo(dtype).eps
    for n, seed in enumerate(_timed_seeds(secret)[::3]):
        z = grader.time_z(seed, 64).astype(dtype)
        z.flags.writeable = False
        call = Call(z)
        for name in grader.FUNCTIONS:
            expected = getattr(ref, name)(z)
            assert expected.dtype == dtype
            grader.check_function(name, expected, z, -1, given=f"the reference, seed {n}", eps=eps,
                                  expected=SCIPY[name](z.astype(np.float64), axis=-1), dtype=True)
            for alt_name, alt in ALTERNATIVES.items():
                grader.check_timed(name)(getattr(alt, name)(z), expected, call)
            with pytest.raises(GradeFailure):
                grader.check_timed(name)(_naive(name, z), expected, call)


@pytest.mark.parametrize("secret", TIMED_SECRETS)
def test_timed_cross_entropy_passes_every_correct_solution_and_fails_a_missing_shift(secret):
    for run in range(grader.TIME_RUNS):
        call = grader.ce_time_call(secret_seed(secret, grader.CE_TIME_SEED + run))
        logits, labels = call.args
        loss, grad = ref.cross_entropy(logits, labels)
        exp_loss, exp_grad = _ce_loop(logits[:200], labels[:200])          # the loop oracle on 200 rows
        grader.check_ce(ref.cross_entropy(logits[:200], labels[:200]), logits[:200], labels[:200],
                        given=f"the reference, run {run}", expected=(exp_loss, exp_grad), dtype=True,
                        mean_rounding=True)
        for alt in ALTERNATIVES.values():
            grader.check_timed_ce(alt.cross_entropy(logits, labels), (loss, grad), call)
        logp = _naive("log_softmax", logits)
        with np.errstate(invalid="ignore"):
            naive = (-logp[np.arange(len(labels)), labels].mean(), np.exp(logp))
        with pytest.raises(GradeFailure):
            grader.check_timed_ce(naive, (loss, grad), call)
