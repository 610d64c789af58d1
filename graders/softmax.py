"""Hidden grader for the softmax challenge.

Oracles. Expected values are computed here in float64 by the log-sum-exp
trick (`lse`, `sm`, `lsm` below), from inputs built so that the exact
answer is known where it matters: large logits are written as an offset
plus small integers, so z - max(z) is exact; for float32 inputs the oracle
runs in float64 on the same float32 values, about 1e-16 from exact, which is
nothing at float32 precision. Results are also compared with the reference.

Tolerances (eps is the machine epsilon of the output dtype: 2.2e-16 for
float64, 1.19e-7 for float32). Along an axis of length C, with
M = max |z - max(z)| and Z = max |z| over the entries that are not -inf:
- z - max(z) is rounded with an absolute error <= eps/2 * M, which exp turns
  into a relative error of the same size; exp adds an ulp; a sum of C
  positive terms adds at most (C - 1) * eps/2 relative (any summation order);
  the division one more ulp. Solutions that go through logsumexp
  (exp(z - logsumexp(z)), exp(log_softmax(z))) also round a number of size
  |z| <= Z: another eps/2 * Z, relative, after exp. So softmax is within a
  relative eps * (Z + M + C + 4) / 2 of exact; the tests allow
  rtol = eps * (Z + M + C + 4).
- logsumexp = max + log(sum): the sum's relative error becomes an absolute
  one in the log (<= C * eps/2), plus rounding of the result itself
  (eps * |result|), of the shift (eps * M) and of intermediate values of
  size Z. log_softmax likewise. The tests allow
  atol = eps * (Z + M + C + |result| + 4), per entry.
A naive exp of 1e4 overflows to inf (NaN results); log(softmax) is -inf
where the true value is -1000: both are off by far more than these bounds.
So are the other classic slips, each tested on inputs of its own: a shift by
the maximum of the whole array (a slice ~1000 below it underflows entirely:
-inf / NaN / +inf), a maximum that counts -inf entries as 0 (a masked row
whose finite entries are all below -745, or -104 in float32, underflows
entirely), np.squeeze without an axis (a wrong shape), and arithmetic in a
small integer dtype (int8 -100 - 100 wraps to 56).

Each test checks one rule, on inputs where the other rules are not at stake:
dtypes are checked only by the dtype tests (and the budgets), the other tests
compare values; cross_entropy's stability and dtype cases use one row per
call, so that the averaging over rows is the business of the cross_entropy
tests; rows of different scale appear only in test_shift_is_per_slice.
Timed and memory-measured calls: every timed or memory-measured call gets its
own z, drawn from the grading's secret (`budget.seed`), each row a small draw
plus a secret offset of 760 to 1000, either sign (see time_z: a missing shift
overflows or underflows in every row), and every result is
checked by `check_function` against the reference's result for the same z,
within twice the bounds above (both are within them of the exact value; float64
eps for the timed float64 calls, float32 eps for the memory-measured float32
ones), block by block so that a check costs less than the call it checks.
The timed cross_entropy calls likewise get their own logits and labels, and
`check_ce` compares each result with the reference's within twice its bounds,
plus the rounding of the mean over the N rows in any summation order (each
side within (N - 1) * eps/2 * |loss|: all terms are positive); with N = 20000
that term is the larger one, and a naive running sum can exceed the bound
without it.
Finite differences for the cross-entropy gradient: central differences with
step h = 1e-5 on a loss of size ~1 have truncation error ~h^2/6 * |f'''| ~
1e-11 and rounding error ~eps/h ~ 2e-11; the test allows 1e-8.
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.grading import Call, checks

FUNCTIONS = ("logsumexp", "softmax", "log_softmax")


# -- float64 oracles (log-sum-exp trick, scipy.special semantics for -inf) ------------------

def _finite_max(z, axis):
    m = np.max(z, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0.0)


def lse(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    m = _finite_max(z, axis)
    with np.errstate(divide="ignore"):
        return np.squeeze(np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)) + m, axis=axis)


def lsm(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    s = z - _finite_max(z, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def sm(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - _finite_max(z, axis))
    with np.errstate(invalid="ignore"):
        return e / np.sum(e, axis=axis, keepdims=True)


ORACLES = {"logsumexp": lse, "softmax": sm, "log_softmax": lsm}


def spread(z, axis):
    """(M, C): the largest |z - max| plus the largest |z| over finite entries, and the axis length."""
    z = np.asarray(z)
    if z.size == 0:
        return 0.0, 0
    # Without -inf entries, the largest |z - max| of a slice is its max - min and the largest |z| is
    # max(max, -min): two reductions instead of whole-array temporaries, with the same values (rounding
    # is monotone, and max and min are entries, exact in float64). A NaN propagates into max and min.
    hi = np.max(z, axis=axis).astype(np.float64)
    lo = np.min(z, axis=axis).astype(np.float64)
    if np.isfinite(hi).all() and np.isfinite(lo).all():
        return float((hi - lo).max()) + float(max(hi.max(), -lo.min())), z.shape[axis]
    z = z.astype(np.float64)
    with np.errstate(invalid="ignore"):
        d = np.abs(z - _finite_max(z, axis))
    d = d[np.isfinite(d)]
    finite = np.abs(z[np.isfinite(z)])
    return (float(d.max()) if d.size else 0.0) + (float(finite.max()) if finite.size else 0.0), z.shape[axis]


def output_dtype(z):
    """float32 for a float32 input, float64 for anything else (the precision rule)."""
    return np.dtype(np.float32) if np.asarray(z).dtype == np.float32 else np.dtype(np.float64)


def check_function(name, got, z, axis, *, given, eps=None, expected=None, dtype=False):
    """got == ORACLES[name](z, axis) within the bounds of the module docstring, with the right shape.

    The tolerance uses the machine epsilon of the output dtype. With dtype=True
    the dtype of the result is checked too (the precision rule); the other
    tests compare values only, so that a wrong dtype fails the dtype tests and
    no others. A 0-d result may be a 0-d array, a NumPy scalar or a Python
    float (np.asarray of a Python float is float64).
    """
    z = np.asarray(z)
    out_dtype = output_dtype(z)
    eps = np.finfo(out_dtype).eps if eps is None else eps
    expected = ORACLES[name](z, axis) if expected is None else np.asarray(expected)
    if expected.dtype not in (np.float32, np.float64):
        expected = expected.astype(np.float64)
    what = f"{name}(z, axis={axis})"
    arr = checks.as_array(got, what, given)
    if arr.shape != expected.shape:
        checks.fail(f"{what} for {given} should have shape {expected.shape}, got shape {arr.shape}: {checks.show(got)}")
    if dtype:
        if arr.dtype != out_dtype:
            checks.fail(f"{what} for {given} should have dtype {out_dtype} (the input is {z.dtype}: float32 in, "
                        f"float32 out; any other dtype gives float64), got {arr.dtype}: {checks.show(got)}")
    M, C = spread(z, axis)
    rtol, atol = eps * (M + C + 4), np.finfo(out_dtype).tiny
    # The timed results hold millions of entries: checks.all_within decides a result within its bounds in
    # cache-sized blocks, and only a result it does not pass is explained entry by entry.
    if name == "softmax":
        if not checks.all_within(arr, expected, atol=atol, rtol=rtol):
            checks.close(arr, expected.astype(np.float64, copy=False), rtol=rtol, atol=atol, what=what, given=given)
    elif not checks.all_within(arr, expected, atol=eps * (M + C + 4), rtol=eps):   # eps (M + C + |expected| + 4)
        expected = expected.astype(np.float64, copy=False)
        finite = np.isfinite(expected)
        scale = np.where(finite, np.abs(np.where(finite, expected, 0.0)), 0.0)
        tol = eps * (M + C + scale + 4)
        # checks.close takes scalar tolerances: compare the error scaled by the per-entry tolerance.
        act = arr.astype(np.float64)
        same_special = (np.isnan(act) & np.isnan(expected)) | (np.isinf(expected) & (act == expected))
        with np.errstate(invalid="ignore"):
            ok = same_special | (np.abs(act - expected) <= tol)
        if not ok.all():
            checks.close(arr, expected, atol=float(tol.max()), what=what, given=given)   # the readable message
            first = tuple(int(i) for i in np.argwhere(~ok)[0])
            checks.fail(f"{what} for {given} differs from the expected value at index {first}: expected "
                        f"{checks.show(expected[first])}, got {checks.show(act[first])} (tolerance {tol[first]:.3g})")


# -- data --------------------------------------------------------------------------------------

def random_logits(seed, shape, scale=3.0, dtype=np.float64):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(dtype)


AXIS_CASES = [
    ("1-D z of length 7", (7,), -1),
    ("1-D z of length 7, axis=0", (7,), 0),
    ("2-D z (5, 9), axis=-1 (rows)", (5, 9), -1),
    ("2-D z (5, 9), axis=1", (5, 9), 1),
    ("2-D z (5, 9), axis=0 (columns)", (5, 9), 0),
    ("3-D z (3, 4, 6), axis=1", (3, 4, 6), 1),
    ("3-D z (3, 4, 6), axis=0", (3, 4, 6), 0),
    ("3-D z (3, 4, 6), axis=-2", (3, 4, 6), -2),
    ("4-D z (2, 3, 2, 5), axis=2", (2, 3, 2, 5), 2),
]


# Shapes with length-1 axes besides (or as) the reduced one: logsumexp removes
# the reduced axis and only that one (np.squeeze without axis would remove them
# all); softmax and log_softmax keep the shape.
SIZE_ONE_CASES = [
    ("z (1, 5) (one row), axis=-1", (1, 5), -1),
    ("z (1, 5) (one row), axis=0 (a length-1 axis reduced)", (1, 5), 0),
    ("z (4, 1) (one column), axis=-1 (a length-1 axis reduced)", (4, 1), -1),
    ("z (4, 1) (one column), axis=0", (4, 1), 0),
    ("z (3, 1, 4), axis=-1", (3, 1, 4), -1),
    ("z (3, 1, 4), axis=0", (3, 1, 4), 0),
    ("z (3, 1, 4), axis=1 (a length-1 axis reduced)", (3, 1, 4), 1),
    ("z (1, 2, 1, 3), axis=-1", (1, 2, 1, 3), -1),
    ("z (1, 1), axis=-1", (1, 1), -1),
    ("1-D z of length 1", (1,), -1),
]

# Slices whose maxima differ by far more than the ~745 below which exp
# underflows in float64 (~104 in float32): a shift by the maximum of the whole
# array instead of the maximum along the axis makes every exp of the lower
# slices 0 (logsumexp -inf, softmax NaN) and log_softmax +inf. The entries are
# offsets plus halves and quarters, so z - max(z) is exact. The rows of each
# input have no -inf and nothing overflows within a row.
_SLICES = np.array([[0.0, 1.0, -2.0, 0.5], [-1000.0, -999.0, -1003.0, -999.5], [1000.0, 998.0, 1001.0, 1000.25]])
PER_SLICE_CASES = [
    ("z = [[0, 1, -2, 0.5], [-1000, -999, -1003, -999.5], [1000, 998, 1001, 1000.25]] (row maxima 1, -999, 1001)",
     _SLICES, -1),
    ("float32 z = [[0, 1, -2], [-120, -119, -121.5]] (row maxima 1 and -119; exp(-120) is 0 in float32)",
     np.array([[0.0, 1.0, -2.0], [-120.0, -119.0, -121.5]], dtype=np.float32), -1),
]

# -inf masks in rows whose finite entries are all far below 0 (below -745 in
# float64, below -104 in float32): the shift must be the largest finite entry
# of the row. A maximum that counts -inf as 0 shifts by 0, every exp
# underflows, and logsumexp is -inf, softmax NaN. Every row of an input has the
# same scale (maxima -1000 or -120) and at least one finite entry.
MASKED_FAR_CASES = [
    ("z = [[-inf, -1000, -1001, -inf], [-1002.5, -inf, -1000, -1000]]",
     np.array([[-np.inf, -1000.0, -1001.0, -np.inf], [-1002.5, -np.inf, -1000.0, -1000.0]])),
    ("1-D z = [-inf, -800, -inf, -805]", np.array([-np.inf, -800.0, -np.inf, -805.0])),
    ("float32 z = [[-inf, -120, -121], [-125, -inf, -120.5]] (exp(-120) is 0 in float32)",
     np.array([[-np.inf, -120.0, -121.0], [-125.0, -np.inf, -120.5]], dtype=np.float32)),
]

# Every dtype but float32 gives float64. Small integer dtypes wrap around if
# z - max(z) is computed in them (int8: -100 - 100 = 56; uint8: 0 - 255 = 1);
# float16 kept as float16 is the wrong dtype and 3 digits; np.longdouble kept
# as it is (a float wider than float64, 80-bit extended precision on x86) is
# the wrong dtype. Where np.longdouble is float64 itself (some platforms), its
# cases would repeat the float64 ones and are left out.
LONGDOUBLE_IS_WIDER = np.finfo(np.longdouble).eps < np.finfo(np.float64).eps
OTHER_DTYPE_CASES = [
    ("float64 z (3, 4) N(0, 3^2)", random_logits(53, (3, 4))),
    ("int64 z [[1, 2, 3], [0, 0, 5]]", np.array([[1, 2, 3], [0, 0, 5]], dtype=np.int64)),
    ("int8 z [[100, -100, 0], [-128, 127, 5]]", np.array([[100, -100, 0], [-128, 127, 5]], dtype=np.int8)),
    ("uint8 z [[0, 255, 3], [200, 10, 7]]", np.array([[0, 255, 3], [200, 10, 7]], dtype=np.uint8)),
    ("int32 1-D z [3, 1, 4, 1, 5]", np.array([3, 1, 4, 1, 5], dtype=np.int32)),
    # Unsigned integers wider than 8 bits wrap around in z - max(z) just as uint8 does. Small values:
    # no exp over- or underflows, whatever the shift.
    ("uint16 z [[0, 7, 3], [5, 1, 2]]", np.array([[0, 7, 3], [5, 1, 2]], dtype=np.uint16)),
    ("uint64 1-D z [3, 1, 4, 1, 5]", np.array([3, 1, 4, 1, 5], dtype=np.uint64)),
    ("float16 z (3, 4) N(0, 3^2)", random_logits(54, (3, 4)).astype(np.float16)),
] + ([("longdouble z (3, 4) N(0, 3^2)", random_logits(55, (3, 4)).astype(np.longdouble))]
      if LONGDOUBLE_IS_WIDER else [])
OTHER_DTYPE_CE_CASES = [     # one row each (the averaging over rows is tested elsewhere)
    ("int64 logits [[1, 2, 3]], labels [2]", np.array([[1, 2, 3]], dtype=np.int64), np.array([2])),
    ("int8 logits [[100, -100, 0]], labels [1]", np.array([[100, -100, 0]], dtype=np.int8), np.array([1])),
    ("uint8 logits [[0, 255, 3]], labels [0]", np.array([[0, 255, 3]], dtype=np.uint8), np.array([0])),
    ("uint32 logits [[7, 1, 3]], labels [1]", np.array([[7, 1, 3]], dtype=np.uint32), np.array([1])),
    ("float16 logits [[0.5, -1.25, 2]], labels [0]", np.array([[0.5, -1.25, 2.0]], dtype=np.float16), np.array([0])),
] + ([("longdouble logits [[0.5, -1.25, 2]], labels [2]", np.array([[0.5, -1.25, 2.0]], dtype=np.longdouble),
       np.array([2]))] if LONGDOUBLE_IS_WIDER else [])


# -- correctness ----------------------------------------------------------------------------------

@pytest.mark.correctness
def test_agrees_on_random_logits_every_axis(solution, reference):
    """logsumexp, softmax, log_softmax agree with the log-sum-exp formulas and the reference, 1-D to 4-D, any axis"""
    for i, (desc, shape, axis) in enumerate(AXIS_CASES):
        z = random_logits(10 + i, shape)
        given = f"{desc}, entries N(0, 3^2)"
        for name in FUNCTIONS:
            check_function(name, getattr(reference, name)(z, axis=axis), z, axis, given="the REFERENCE on " + given)
            check_function(name, getattr(solution, name)(z, axis=axis), z, axis, given=given)


@pytest.mark.correctness
def test_default_axis_is_last(solution):
    """Without axis, the last axis is used"""
    z = random_logits(31, (4, 6))
    for name in FUNCTIONS:
        check_function(name, getattr(solution, name)(z), z, -1, given="2-D z (4, 6) and no axis argument")


@pytest.mark.correctness
def test_axis_zero_differs_from_last_axis(solution):
    """axis=0 normalises columns, axis=-1 rows (non-square input)"""
    z = random_logits(41, (3, 8))
    p0 = checks.as_array(solution.softmax(z, axis=0), "softmax(z, axis=0)", "z (3, 8)")
    checks.that(p0.shape == (3, 8), f"softmax(z, axis=0) for z (3, 8) should have shape (3, 8), got {p0.shape}")
    checks.close(p0.sum(axis=0), np.ones(8), atol=1e-12, what="column sums of softmax(z, axis=0)",
                 given="z of shape (3, 8)")
    check_function("softmax", p0, z, 0, given="z of shape (3, 8), axis=0")
    check_function("logsumexp", solution.logsumexp(z, axis=0), z, 0, given="z of shape (3, 8), axis=0 (one value per column)")
    check_function("log_softmax", solution.log_softmax(z, axis=0), z, 0, given="z of shape (3, 8), axis=0")


@pytest.mark.correctness
def test_float32_in_float32_out(solution):
    """float32 in, float32 out, accurate to float32 precision (cross_entropy too)"""
    for desc, shape in (("2-D float32 z (6, 50)", (6, 50)), ("2-D float32 z (40, 7)", (40, 7)),
                        ("1-D float32 z of length 100 (logsumexp: a 0-d float32 result)", (100,))):
        z = random_logits(51, shape, scale=4.0, dtype=np.float32)
        for name in FUNCTIONS:
            check_function(name, getattr(solution, name)(z), z, -1, given=desc, dtype=True)
    z32 = random_logits(52, (8, 5), dtype=np.float32)
    labels = np.array([0, 4, 2, 2, 1, 3, 0, 4])
    loss, grad = solution.cross_entropy(z32, labels)
    checks.that(np.asarray(grad).dtype == np.float32,
                f"the gradient of cross_entropy for float32 logits (8, 5) should be float32, got {np.asarray(grad).dtype}")
    if np.asarray(loss).dtype != np.float32:
        checks.fail(f"the loss of cross_entropy for float32 logits (8, 5) should be a float32 scalar, "
                    f"got {checks.show(loss)} of dtype {np.asarray(loss).dtype}")


@pytest.mark.correctness
def test_other_dtypes_give_float64(solution):
    """Every dtype but float32 (float64, integers of any size, float16, longdouble) gives float64 results"""
    for desc, z in OTHER_DTYPE_CASES:
        for name in FUNCTIONS:
            check_function(name, getattr(solution, name)(z), z, -1, given=f"{desc} (treat it as float64)",
                           dtype=True)
    for desc, logits, labels in OTHER_DTYPE_CE_CASES:
        check_ce(solution.cross_entropy(logits, labels), logits, labels, given=f"{desc} (treat it as float64)",
                 dtype=True)


# -- shapes --------------------------------------------------------------------------------------------

@pytest.mark.edge_case
def test_logsumexp_removes_the_axis(solution):
    """logsumexp removes the reduced axis (1-D input gives a 0-d result)"""
    z = random_logits(61, (5,))
    got = solution.logsumexp(z)
    if np.ndim(got) != 0:
        checks.fail(f"logsumexp of a 1-D array of length 5 should be 0-d (a 0-d array, a NumPy scalar or a Python "
                    f"float), got {checks.show(got)}")
    check_function("logsumexp", got, z, -1, given="1-D z of length 5")
    z3 = random_logits(62, (2, 3, 4))
    for axis, shape in ((0, (3, 4)), (1, (2, 4)), (-1, (2, 3))):
        got = checks.as_array(solution.logsumexp(z3, axis=axis), f"logsumexp(z, axis={axis})", "z (2, 3, 4)")
        checks.that(got.shape == shape,
                    f"logsumexp(z, axis={axis}) for z of shape (2, 3, 4) should have shape {shape}, got {got.shape}")


@pytest.mark.edge_case
def test_size_one_axes_are_kept(solution):
    """Length-1 axes: logsumexp removes only the reduced axis; softmax, log_softmax, cross_entropy keep shapes"""
    for i, (desc, shape, axis) in enumerate(SIZE_ONE_CASES):
        z = random_logits(300 + i, shape)
        given = f"{desc}, entries N(0, 3^2) (only the reduced axis is removed; other length-1 axes stay)"
        for name in FUNCTIONS:
            check_function(name, getattr(solution, name)(z, axis=axis), z, axis, given=given)
    for seed, (n, c) in ((311, (1, 3)), (312, (4, 1))):
        logits = random_logits(seed, (n, c))
        labels = np.random.default_rng(seed + 50).integers(c, size=n)
        check_ce(solution.cross_entropy(logits, labels), logits, labels,
                 given=f"logits ({n}, {c}) N(0, 3^2), labels {checks.show(labels, 80)}")


@pytest.mark.edge_case
def test_input_is_not_modified(solution):
    """The input is never modified"""
    z = random_logits(71, (6, 5))
    z32 = random_logits(72, (6, 5), dtype=np.float32)
    for name in FUNCTIONS:
        for arr, desc in ((z, "float64 z (6, 5)"), (z32, "float32 z (6, 5)")):
            _, args_after, _ = solution.inputs_after(name, arr, axis=-1)
            checks.equal(args_after[0], arr, what=f"z after {name}(z) (the input must not be modified: "
                                                  f"write into a new array, not z -= ...)", given=desc)
    labels = np.array([0, 1, 2, 3, 4, 0])
    for arr, desc in ((z, "float64 logits (6, 5)"), (z32, "float32 logits (6, 5)")):
        _, args_after, _ = solution.inputs_after("cross_entropy", arr, labels)
        checks.equal(args_after[0], arr, what="logits after cross_entropy(logits, labels)", given=desc)
        checks.equal(args_after[1], labels, what="labels after cross_entropy(logits, labels)", given="labels (6,)")


# -- -inf entries ------------------------------------------------------------------------------------

@pytest.mark.edge_case
def test_masked_entries(solution):
    """-inf entries (masks): exp(-inf) = 0; log_softmax is -inf there"""
    g = np.random.default_rng(81)
    z = g.normal(size=(5, 6)) * 2
    mask = np.array([[0, 1, 0, 0, 1, 0], [1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0],
                     [1, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 1]], bool)
    z[mask] = -np.inf
    given = "z (5, 6) with some entries -inf (row 1 has one finite entry)"
    for name in FUNCTIONS:
        for axis in (-1, 0):
            check_function(name, getattr(solution, name)(z, axis=axis), z, axis, given=f"{given}, axis={axis}")
    p = checks.as_array(solution.softmax(z), "softmax(z)", given)
    if not np.all(p[mask] == 0):
        checks.fail(f"softmax(z) for {given} should be exactly 0 at the -inf entries, got "
                    f"{checks.show(p[mask])}")


@pytest.mark.edge_case
def test_masked_rows_far_below_zero(solution):
    """-inf masks in rows whose finite entries are all far below 0: the shift is the largest finite entry"""
    for desc, z in MASKED_FAR_CASES:
        given = f"{desc} (the shift of a row is its largest finite entry, not 0)"
        for name in FUNCTIONS:
            check_function(name, getattr(solution, name)(z), z, -1, given=given)


@pytest.mark.edge_case
def test_all_minus_inf_rows(solution):
    """A slice that is all -inf: NaN for softmax / log_softmax, -inf for logsumexp (as scipy.special)"""
    z = np.array([[1.0, 2.0, 3.0], [-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 5.0]])
    given = "z = [[1, 2, 3], [-inf, -inf, -inf], [0, -inf, 5]]"
    r = checks.as_array(solution.logsumexp(z), "logsumexp(z)", given)
    if not (r.shape == (3,) and r[1] == -np.inf):
        checks.fail(f"logsumexp(z) for {given} should be -inf for the all -inf row (log of an empty sum), got {checks.show(r)}")
    p = checks.as_array(solution.softmax(z), "softmax(z)", given)
    if not (p.shape == (3, 3) and np.all(np.isnan(p[1]))):
        checks.fail(f"softmax(z) for {given} should be NaN in the all -inf row (0 / 0, as scipy.special.softmax), "
                    f"got {checks.show(p)}")
    q = checks.as_array(solution.log_softmax(z), "log_softmax(z)", given)
    if not (q.shape == (3, 3) and np.all(np.isnan(q[1]))):
        checks.fail(f"log_softmax(z) for {given} should be NaN in the all -inf row (-inf - (-inf)), got {checks.show(q)}")
    for name in FUNCTIONS:
        check_function(name, getattr(solution, name)(z), z, -1, given=given)
        check_function(name, getattr(solution, name)(z.T, axis=0), z.T, 0, given=f"the transpose of {given}, axis=0")
    one = np.full(4, -np.inf)
    check_function("logsumexp", solution.logsumexp(one), one, -1, given="1-D z = [-inf, -inf, -inf, -inf]")
    # Beside rows that need their shift (exp(1000) overflows): an all -inf row is handled in its own
    # slice, not by dropping the shift of every slice. (The finite rows are of one size, so that a
    # shift by the largest entry of the whole array, the per-slice tests' concern, is right here.)
    z = np.array([[1000.0, 1001.0, 1003.0], [-np.inf, -np.inf, -np.inf], [1002.0, 999.0, 1000.0]])
    given = "z = [[1000, 1001, 1003], [-inf, -inf, -inf], [1002, 999, 1000]]"
    for name in FUNCTIONS:
        check_function(name, getattr(solution, name)(z), z, -1, given=given)
    check_function("softmax", solution.softmax(one), one, -1, given="1-D z = [-inf, -inf, -inf, -inf]")


# -- numerical stability ---------------------------------------------------------------------------------

@pytest.mark.stability
def test_large_logits_are_finite_and_exact(solution):
    """Logits of +-1e4 give finite, exact results (a naive exp overflows)"""
    s = np.array([[0.0, -1.0, -3.0, 2.0], [5.0, 5.0, 4.0, -2.0]])
    for offset in (1e4, -1e4):
        z = offset + s                                  # exact: integers below 2**53
        given = f"z = {offset:+g} + [[0, -1, -3, 2], [5, 5, 4, -2]]"
        check_function("softmax", solution.softmax(z), z, -1, given=given, expected=sm(s))
        check_function("log_softmax", solution.log_softmax(z), z, -1, given=given, expected=lsm(s))
        check_function("logsumexp", solution.logsumexp(z), z, -1, given=given, expected=lse(s) + offset)


@pytest.mark.stability
def test_log_softmax_where_softmax_underflows(solution):
    """log_softmax stays exact where softmax underflows ([0, -1000] gives [0, -1000], not -inf); the loss too"""
    z = np.array([0.0, -1000.0])
    check_function("log_softmax", solution.log_softmax(z), z, -1, given="z = [0, -1000]", expected=[0.0, -1000.0])
    z = np.array([0.0, -2e4, -1e4])
    check_function("log_softmax", solution.log_softmax(z), z, -1, given="z = [0, -2e4, -1e4]",
                   expected=[0.0, -2e4, -1e4])
    z = np.array([[0.0, -800.0, -1e4], [-750.0, 0.0, -2.0]])
    check_function("log_softmax", solution.log_softmax(z), z, -1, given="z = [[0, -800, -1e4], [-750, 0, -2]]")
    z32 = np.array([[0.0, -200.0, -1.0], [-150.0, 3.0, 3.0]], dtype=np.float32)
    check_function("log_softmax", solution.log_softmax(z32), z32, -1,
                   given="float32 z = [[0, -200, -1], [-150, 3, 3]] (exp(-200) underflows in float32)")
    # The loss of a label whose probability underflows: its -log_softmax, about 1000 and exactly 1e4.
    # One row per call (rows of different scale are the business of test_shift_is_per_slice).
    for logits, labels, desc in ((np.array([[0.0, -1000.0, -2.0]]), np.array([1]), "logits [[0, -1000, -2]], labels [1]"),
                                 (np.array([[0.0, -1e4, -2e4]]), np.array([1]), "logits [[0, -1e4, -2e4]], labels [1]")):
        check_ce(solution.cross_entropy(logits, labels), logits, labels,
                 given=f"{desc} (the label's probability underflows; its -log_softmax does not)")


@pytest.mark.stability
def test_shift_is_per_slice(solution):
    """The shift is the maximum along the axis, slice by slice (slices of very different scale)"""
    for desc, z, axis in PER_SLICE_CASES:
        given = f"{desc}, where each slice must be shifted by its own maximum, not by the maximum of the whole array"
        for name in FUNCTIONS:
            check_function(name, getattr(solution, name)(z, axis=axis), z, axis, given=given)
    logits, labels = _SLICES.copy(), np.array([1, 0, 2])
    given = ("logits [[0, 1, -2, 0.5], [-1000, -999, -1003, -999.5], [1000, 998, 1001, 1000.25]], labels [1, 0, 2] "
             "(shift each row by its own maximum)")
    # The loss is checked against the formula; of the gradient, that it is finite (a shift by the maximum of
    # all logits makes the lower rows 0 / 0 = NaN), its values being the business of test_cross_entropy_agrees.
    check_ce(solution.cross_entropy(logits, labels), logits, labels, given=given, grad_values=False)


@pytest.mark.stability
def test_shift_invariance(solution):
    """softmax(z + c) = softmax(z), log_softmax likewise, logsumexp(z + c) = logsumexp(z) + c"""
    z = random_logits(91, (4, 7))
    eps = np.finfo(np.float64).eps
    M, C = spread(z, -1)
    given = "z (4, 7) N(0, 3^2)"
    p = checks.as_array(solution.softmax(z), "softmax", given)
    q = checks.as_array(solution.log_softmax(z), "log_softmax", given)
    r = checks.as_array(solution.logsumexp(z), "logsumexp", given)
    for c in (1000.0, -1000.0, 123.25):
        zc = z + c
        given = f"z (4, 7) N(0, 3^2) and z + {c:g}"
        # z + c is rounded: each entry moves by up to eps/2 * |z + c|, shifting the exact answers
        # by as much; the bound below adds that to the formula's own error.
        extra = eps * (abs(c) + np.abs(z).max())
        pc = checks.as_array(solution.softmax(zc), "softmax", given)
        checks.close(pc, p, rtol=eps * (2 * M + 2 * C + 8) + 2 * extra, what="softmax(z + c) vs softmax(z)",
                     given=given)
        qc = checks.as_array(solution.log_softmax(zc), "log_softmax", given)
        checks.close(qc, q, atol=eps * (4 * M + 2 * C + 8) + 2 * extra, what="log_softmax(z + c) vs log_softmax(z)",
                     given=given)
        rc = checks.as_array(solution.logsumexp(zc), "logsumexp", given)
        checks.close(rc, r + c, atol=eps * (4 * M + 2 * C + 8 + abs(c)) + 2 * extra,
                     what="logsumexp(z + c) vs logsumexp(z) + c", given=given)


# -- cross_entropy ------------------------------------------------------------------------------------------

def ce_oracle(logits, labels):
    logp = lsm(logits, axis=1)
    n = len(labels)
    grad = np.exp(logp)
    grad[np.arange(n), labels] -= 1
    return -logp[np.arange(n), labels].mean(), grad / n


def check_ce(got, logits, labels, *, given, dtype=False, grad_values=True, expected=None, eps=None,
             mean_rounding=False):
    """(loss, grad) against ce_oracle within the log_softmax bounds of the module docstring.

    dtype=True also checks the dtypes (float32 for float32 logits, float64 for
    any other); grad_values=False checks only that the gradient has the right
    shape and is finite. `expected` (loss, grad) replaces ce_oracle's result
    and `eps` the machine epsilon of the output dtype (the timed check: the
    reference's result, eps doubled). mean_rounding=True adds the rounding of
    the mean of the N per-row losses in any summation order, (N - 1) * eps/2 *
    |loss| (every term is positive), which the many rows of the timed input
    make larger than the bound itself.
    """
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        checks.fail(f"cross_entropy for {given} should return (loss, gradient), got {checks.show(got)}")
    loss, grad = got
    logits = np.asarray(logits)
    out_dtype = output_dtype(logits)
    if expected is None:
        exp_loss, exp_grad = ce_oracle(logits, labels)
    else:
        exp_loss, exp_grad = float(np.asarray(expected[0])), np.asarray(expected[1], dtype=np.float64)
    eps = np.finfo(out_dtype).eps if eps is None else eps
    M, C = spread(logits, 1)
    if np.ndim(loss) != 0:
        checks.fail(f"the loss for {given} should be a scalar, got {checks.show(loss)}")
    loss_arr = checks.as_array(loss, "the loss", given)
    grad = checks.shape(grad, logits.shape, what="gradient", given=given)
    if dtype:
        checks.that(loss_arr.dtype == out_dtype and grad.dtype == out_dtype,
                    f"cross_entropy for {given} should return a {out_dtype} loss and gradient (float32 logits give "
                    f"float32, any other dtype float64), got a loss of dtype {loss_arr.dtype} and a gradient of "
                    f"dtype {grad.dtype}")
    # The loss is a mean of log_softmax entries (each within eps * (M + C + |value| + 4)).
    loss_atol = eps * (M + C + abs(exp_loss) + 4) * 2
    if mean_rounding:
        loss_atol += (len(labels) - 1) * eps / 2 * abs(exp_loss)
    checks.close(loss_arr.astype(np.float64), exp_loss, atol=loss_atol, what="loss", given=given)
    if grad_values:
        checks.close(grad, exp_grad, atol=eps * (M + C + 4) * 2 / len(labels), what="gradient", given=given)
    else:
        if not np.all(np.isfinite(grad)):
            checks.fail(f"the gradient for {given} should be finite, got {checks.show(grad)}")


@pytest.mark.correctness
def test_cross_entropy_agrees(solution, reference):
    """cross_entropy: mean negative log-likelihood and gradient (softmax - one_hot) / N"""
    # 300 classes with labels above 127 and above 255: labels kept in int8 or uint8 wrap around
    # (200 -> -56 in int8, 256 -> 0 and 299 -> 43 in uint8), rejecting valid labels or picking other classes.
    for seed, (n, c), labels in ((101, (8, 5), None), (103, (30, 10), None), (104, (5, 2), None),
                                 (105, (4, 300), np.array([200, 299, 256, 3]))):
        logits = random_logits(seed, (n, c))
        if labels is None:
            labels = np.random.default_rng(seed + 50).integers(c, size=n)
        given = f"logits ({n}, {c}) N(0, 3^2), labels {checks.show(labels, 80)}"
        check_ce(reference.cross_entropy(logits, labels), logits, labels, given="the REFERENCE on " + given)
        check_ce(solution.cross_entropy(logits, labels), logits, labels, given=given)


@pytest.mark.correctness
def test_cross_entropy_gradient_by_finite_differences(solution):
    """The cross_entropy gradient matches central finite differences of its loss"""
    logits = random_logits(111, (4, 5), scale=1.0)
    labels = np.array([3, 0, 4, 3])
    given = "logits (4, 5) N(0, 1), labels [3, 0, 4, 3]"
    _, grad = solution.cross_entropy(logits, labels)
    grad = checks.shape(grad, logits.shape, what="gradient", given=given)
    h = 1e-5
    numeric = np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        up, down = logits.copy(), logits.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (float(solution.cross_entropy(up, labels)[0]) -
                        float(solution.cross_entropy(down, labels)[0])) / (2 * h)
    checks.close(grad, numeric, atol=1e-8, what="gradient vs (loss(z + h) - loss(z - h)) / 2h, h = 1e-5",
                 given=given)


@pytest.mark.stability
def test_cross_entropy_large_logits(solution):
    """cross_entropy with logits of +-1e4 is finite and exact"""
    # One row per call, all its logits within a few units of +-1e4: only the overflow (or the
    # underflow of every exp) of a missing shift is at stake here.
    for row, label in (([1e4, 1e4 - 1.0, 1e4 + 2.0], 0), ([-1e4, -1e4 + 3.0, -1e4 + 1.0, -1e4], 3)):
        logits, labels = np.array([row]), np.array([label])
        check_ce(solution.cross_entropy(logits, labels), logits, labels,
                 given=f"logits [[{', '.join(f'{v:g}' for v in row)}]], labels [{label}]")


@pytest.mark.edge_case
def test_cross_entropy_with_masked_logits(solution):
    """cross_entropy with -inf masks away from the labels: a finite loss, a zero gradient at each mask"""
    inf = np.inf
    logits = np.array([[2.0, -inf, 0.5, -1.0], [-inf, -inf, 3.0, 1.0], [0.0, 1.0, -inf, 2.0]])
    labels = np.array([0, 3, 1])
    given = "logits [[2, -inf, 0.5, -1], [-inf, -inf, 3, 1], [0, 1, -inf, 2]], labels [0, 3, 1]"
    got = solution.cross_entropy(logits, labels)
    # The loss against the formula; the gradient only where the masks are (0, however it is scaled):
    # its values elsewhere are test_cross_entropy_agrees' subject.
    check_ce(got, logits, labels, given=given, grad_values=False)
    masked = np.isneginf(logits)
    checks.equal(np.asarray(got[1])[masked], np.zeros(int(masked.sum())), given=given,
                 what="the gradient at the masked classes (probability 0, so 0 - 0)")


@pytest.mark.edge_case
def test_cross_entropy_label_out_of_range(solution):
    """A label out of range raises ValueError"""
    logits = random_logits(121, (3, 4))
    for labels in ([0, 4, 1], [0, -1, 1], [7, 0, 0]):
        checks.raises(ValueError, solution.cross_entropy, logits, np.array(labels),
                      given=f"logits (3, 4) and labels {labels}")


# -- performance ---------------------------------------------------------------------------------------------

# Timing: a warm-up and 3 more calls, each on its own float64 z of 64 MiB
# (large enough that Python overhead is nothing, small enough that the
# page faults of fresh 64 MiB arrays, costly at random on virtual machines,
# stay within the noise benchmarks/run.py measures). Every input is its own
# draw from budget.seed(TIME_SEED + i + TIME_RUNS * k) for the k-th function's
# run i, under a secret drawn for the test: no file can build an input (and
# its answer) before the grading, nor the later runs' from the warm-up's (as
# it could if every z were one draw scaled by known factors).
# Each row of a draw is uniform on [o - 6, o + 6) for a row offset o of
# magnitude uniform on [760, 1000): half the rows above 0 and half below, in
# a secret order (uniform draws: a quarter of the cost of normal ones; the
# speed of these functions does not depend on the values, since a correct
# solution only ever exponentiates z - max(z), in [-12, 0] here). Without
# the shift every row is wrong: its entries are all above 754, where exp
# overflows in float64 (above 709.8) and in float32 (above 88.7), or all
# below -754, where exp is 0 in both (below -745.2 and -104): inf, 0, NaN
# results, as far from the answer as any tolerance allows. No constant shift
# c either: the rows above 0 need c > 1006 - 709.8 and the rows below c <
# -754 + 745.2. The offsets keep the answers exact where it matters: within
# a row every entry lies within a factor 2 of the row maximum, so z - max(z)
# is exact (Sterbenz), in float64 and in the float32 copy; what the size of z
# adds is the rounding of numbers of size |z| <= Z <= 1006 by solutions that
# go through logsumexp (exp(z - logsumexp(z)), z - logsumexp(z), the loss as
# logsumexp minus the label's logit), which the tolerances of the module
# docstring allow through their Z term: eps (Z + M + C + 4) with Z <= 1006,
# M <= 12, C = 4096 (10 for cross_entropy), so the offsets widen them by at most
# a quarter (by ~30x for cross_entropy's 10 classes, to ~2e-13, still far
# below the error of a missing shift: inf or NaN).
# Memory: for the k-th function, the draw of budget.seed(MEMORY_SEED + k)
# with MEMORY_ROWS rows (the same construction) in float32, (1024, 4096) =
# 16 MiB: a secret draw too, since a file carrying the answer for a known z
# would skip the work whose peak is measured.
# What the budget tells apart is a count of input-sized arrays: the reference
# peaks at two (32 MiB) plus ~2.4 MiB that does not grow with the input, so
# 2x plus the 2 MiB slack allows 4.4 arrays (4.2 with 32 MiB arrays): four
# arrays pass and five fail at either size, and an upcast to float64 holds
# six or more (three float64-sized arrays). Half the size halves what the
# fresh workers move and touch.
TIME_SHAPE = (2048, 4096)
TIME_RUNS = 4
TIME_SEED = 201
MEMORY_SEED = 231
MEMORY_ROWS = 1024
OFFSET_RANGE = (760.0, 1000.0)     # the magnitude of a row's offset
TIME_HALF_WIDTH = 6.0              # each row is uniform on [o - 6, o + 6)


def row_offsets(g, rows):
    """`rows` offsets of magnitude uniform on OFFSET_RANGE, rows // 2 of them negative, in random order."""
    signs = g.permutation(np.repeat([1.0, -1.0], [rows - rows // 2, rows // 2]))
    return signs * g.uniform(*OFFSET_RANGE, size=rows)


def offset_rows(g, shape):
    """A (rows, cols) float64 draw from g: row r uniform on [o_r - 6, o_r + 6), o_r from row_offsets."""
    offsets = row_offsets(g, shape[0])
    z = g.random(size=shape)
    z *= 2 * TIME_HALF_WIDTH               # in place: no second array of the input's size
    z += (offsets - TIME_HALF_WIDTH)[:, None]
    return z


def time_z(seed, rows=TIME_SHAPE[0]):
    """The float64 draw of `seed`: `rows` rows of TIME_SHAPE[1] columns, each uniform on [o - 6, o + 6) for a
    secret row offset o of magnitude 760 to 1000 (half of them negative)."""
    return offset_rows(np.random.default_rng(seed), (rows, TIME_SHAPE[1]))


TIMED_GIVEN = "rows uniform on [o - 6, o + 6) for row offsets o of magnitude 760 to 1000, either sign"


def time_inputs(name, seed_of):
    """Run i of the k-th function -> a call on its own draw, time_z(seed_of(TIME_SEED + i + TIME_RUNS * k))."""
    first = TIME_SEED + TIME_RUNS * FUNCTIONS.index(name)
    return lambda run: Call(time_z(seed_of(first + run)))


def check_timed(name):
    """Every timed result against the reference's for the same z.

    Both are within the bounds of the module docstring of the exact value,
    so they are within twice those bounds of each other: eps doubled. (The
    float64 oracle would take longer than the call it checks.)
    """
    def check(got, expected, call):
        z = call.args[0]
        out_dtype = np.float32 if z.dtype == np.float32 else np.float64
        check_function(name, got, z, -1, given=f"{z.dtype} z {z.shape}, {TIMED_GIVEN}, axis=-1",
                       eps=2 * np.finfo(out_dtype).eps, expected=expected, dtype=True)
    return check


@pytest.mark.performance
def test_time_budget(budget):
    """Each function on a (2048, 4096) array within the time budget"""
    for name in FUNCTIONS:
        budget.time(name, time_inputs(name, budget.seed), check=check_timed(name), repeats=TIME_RUNS - 1,
                    label=f"{name}, float64 z (2048, 4096), axis=-1, a new z per call")


@pytest.mark.performance
def test_memory_budget(budget):
    """Each function on a (1024, 4096) float32 array within the peak memory budget"""
    for k, name in enumerate(FUNCTIONS):
        z = time_z(budget.seed(MEMORY_SEED + k), MEMORY_ROWS).astype(np.float32)
        budget.memory(name, Call(z), check=check_timed(name),
                      label=f"{name} peak memory, float32 z {z.shape} (16 MiB)")


# cross_entropy: a warm-up and 3 more calls, each on its own logits (N, C) = (20000, 10) float64, built as
# the timed z above (row offsets of magnitude 760 to 1000, either sign: a log_softmax without the shift gives
# inf or NaN in every row), with labels uniform on 0..9, both drawn from budget.seed(CE_TIME_SEED + run)
# (1.6 MB: ~1 ms to draw). Ten classes, as in many classifiers, keep the per-row work small, so a Python loop
# over the rows (a few small numpy calls per row) is ~70x the reference, while the vectorised styles are
# within 1.2-1.5x (softmax and log_softmax computed separately, or with masked np.where, up to 2.4x on a busy
# machine).
CE_TIME_SHAPE = (20000, 10)
CE_TIME_SEED = 251


def ce_time_call(seed):
    """The logits and labels of one timed cross_entropy run, drawn from `seed` (a budget.seed)."""
    g = np.random.default_rng(seed)
    n, c = CE_TIME_SHAPE
    logits = offset_rows(g, (n, c))
    return Call(logits, g.integers(c, size=n))


def check_timed_ce(got, expected, call):
    """A timed cross_entropy result against the reference's for the same logits: eps doubled (both are
    within the bounds of check_ce of the exact value), plus the rounding of the mean over the rows."""
    logits, labels = call.args
    check_ce(got, logits, labels, given=f"float64 logits {logits.shape}, {TIMED_GIVEN}, and labels "
             f"uniform on 0..{logits.shape[1] - 1}", dtype=True, expected=expected,
             eps=2 * np.finfo(np.float64).eps, mean_rounding=True)


@pytest.mark.performance
def test_cross_entropy_time_budget(budget):
    """cross_entropy on (20000, 10) logits within the time budget (vectorised over the rows)"""
    budget.time("cross_entropy", lambda run: ce_time_call(budget.seed(CE_TIME_SEED + run)), check=check_timed_ce,
                repeats=TIME_RUNS - 1,
                label=f"cross_entropy, float64 logits {CE_TIME_SHAPE} and labels, new logits and labels per call")
