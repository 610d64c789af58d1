"""Hidden grader for the batched_matmul challenge.

Oracle: np.matmul itself (the grader may use it; the solution may not), on
the same operands. Shapes and dtypes are compared exactly, integer results
exactly (no rounding in integer arithmetic, and no test's sums overflow:
int64 ones stay below 2^62, int32 ones below 2^28; the exactness test's
are beyond what float64 or float32 holds exactly), floating results within
a bound from the maths:

Any order of summing the k products of an entry (pairwise, blocked BLAS,
sequential, with or without FMA) computes it with
|error| <= gamma_k * (|a| |b|)_ij, where gamma_k = k u / (1 - k u) and
u = eps / 2 is the unit roundoff of the result dtype, the roundings of the
products included (Higham, Accuracy and Stability of Numerical Algorithms,
3.1 and 3.5). np.matmul obeys the same bound, so the two are within
2 gamma_k (|a| |b|)_ij = k eps / (1 - k eps / 2) (|a| |b|)_ij of each other.
The tests allow (k + 2) eps (|a| |b|)_ij, which is at least that whenever
k (k + 2) eps <= 4: k up to 5 700 in float32 and 10^8 in float64, the
tests' k being at most 1024. Complex entries are within sqrt(2) gamma_{k+2}
(|a| |b|)_ij (Higham 3.6: a complex product is 2 real multiplications and
an addition), so two of them within sqrt(2) (k + 2) eps / (1 - (k + 2) eps / 2),
below the doubled allowance 2 (k + 2) eps. |a| |b| is computed in float64
by the grader. An entry of the wrong pairing (np.dot's
N-d product, a transposed operand) is off by the size of the entries, far
above this bound. A timed result is compared with the reference's result for
the same operands instead of a second product, within the same bound made
uniform (`_check_timed`).

Each test checks one rule on inputs where the others are not at stake: the
dtype is checked only by the dtype test (the others use float64 operands and
compare values and shapes); length-1 matrix dimensions appear only in their
own test (the other results have no axis of length 1, so np.squeeze is
harmless there); 1-d operands only in the 1-d tests, with k = 0 in the
empty-dimensions test, and with k = 1 (a 1-d operand is then a row and a
column alike) in the tests of length-1 dimensions and of the dtype; the
batch dimensions broadcast (one of them of length 1) only in the
broadcasting test, and an operand without batch dimensions, besides the
dtype test, only in the shared-matrix test and against a stack with an
empty dimension in the empty-dimensions test (with k = 0 `reshape(-1, k)`
cannot work out its -1).

The task's rule on which numpy functions a solution may call (no np.matmul,
`@`, N-d np.dot, ...) cannot be observed by running the function, so no test
checks it: the task states it as the exercise's rule, and the timed cases
only make the slow ways to honour it fail (a Python loop per tiny matrix,
einsum on large ones). A result reaches the grader as its dtype, shape and
bytes, a new array whatever the solution returned, so the rule that it is
writable (not a read-only np.broadcast_to view) is checked on the worker's
own report (`solution.read_only_results`).
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.grading import Call, checks


def _operands(rng, shape_a, shape_b, dtype=np.float64):
    a = rng.normal(size=shape_a)
    b = rng.normal(size=shape_b)
    if np.dtype(dtype).kind == "i":
        return np.round(a * 10).astype(dtype), np.round(b * 10).astype(dtype)
    if np.dtype(dtype).kind == "u":
        return np.round(np.abs(a) * 10).astype(dtype), np.round(np.abs(b) * 10).astype(dtype)
    if np.dtype(dtype).kind == "c":
        return ((a + 1j * rng.normal(size=shape_a)).astype(dtype),
                (b + 1j * rng.normal(size=shape_b)).astype(dtype))
    return a.astype(dtype), b.astype(dtype)


def check_product(got, a, b, *, given, dtype=False):
    """got against np.matmul(a, b): shape exactly, values within the bound of the docstring."""
    expected = np.matmul(a, b)
    arr = np.asarray(got)
    checks.that(arr.shape == expected.shape,
                f"matmul of {given}: the result should have shape {expected.shape}, got {arr.shape}")
    if dtype:
        checks.that(arr.dtype == expected.dtype,
                    f"matmul of {given}: the result should have dtype {expected.dtype} "
                    f"(np.result_type({a.dtype}, {b.dtype})), got {arr.dtype}")
    if expected.dtype.kind in "iub":
        checks.equal(arr, expected, what=f"matmul of {given}")
        return
    k = a.shape[-1]
    eps = np.finfo(expected.dtype).eps
    scale = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
    bound = (k + 2) * eps * scale * (2 if expected.dtype.kind == "c" else 1) + np.finfo(expected.dtype).tiny
    with np.errstate(invalid="ignore"):
        err = np.abs(arr.astype(expected.dtype) - expected)
    bad = ~(err <= bound)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        checks.that(False, f"matmul of {given}: {int(bad.sum())} of {bad.size} entries are wrong, "
                           f"e.g. at {idx}: got {arr[idx]!r}, expected {expected[idx]!r} "
                           f"(allowed error {float(bound[idx]):.3g})")


@pytest.mark.correctness
def test_two_matrices(solution, rng):
    """Two 2-d matrices give their matrix product"""
    for shape_a, shape_b in [((3, 4), (4, 5)), ((7, 2), (2, 3)), ((20, 30), (30, 12))]:
        a, b = _operands(rng, shape_a, shape_b)
        check_product(solution.matmul(a, b), a, b, given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.correctness
def test_stacks_of_matrices(solution, rng):
    """Stacks with equal batch dimensions multiply matrix by matrix"""
    for shape_a, shape_b in [((5, 3, 4), (5, 4, 2)), ((2, 3, 4, 5), (2, 3, 5, 6)), ((300, 3, 3), (300, 3, 3)),
                             ((6, 40, 50), (6, 50, 30))]:
        a, b = _operands(rng, shape_a, shape_b)
        check_product(solution.matmul(a, b), a, b, given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.correctness
def test_not_np_dot_of_stacks(solution, rng):
    """(2, 3, 4) times (2, 4, 5) is (2, 3, 5): a product per matrix, not np.dot's (2, 3, 2, 5)"""
    a, b = _operands(rng, (2, 3, 4), (2, 4, 5))
    got = np.asarray(solution.matmul(a, b))
    checks.that(got.shape != np.dot(a, b).shape,
                f"matmul of float64 (2, 3, 4) and (2, 4, 5) returned shape {got.shape}: that is np.dot's "
                "product of every matrix of a with every matrix of b (dot sums over a's last axis and "
                "b's second-to-last, pairing all batch indices); matmul pairs a[i] with b[i] only: (2, 3, 5)")
    check_product(got, a, b, given="float64 (2, 3, 4) and (2, 4, 5)")


@pytest.mark.correctness
def test_batch_dimensions_broadcast(solution, rng):
    """Batch dimensions broadcast: length 1 stretches, missing leading ones are added"""
    # (3, 1) and (1, 3): both batches hold 3 matrices, yet the result holds 9 products, every a[i] with
    # every b[j] (a flattened pairing of equal-sized batches is wrong there).
    for shape_a, shape_b in [((4, 1, 3, 5), (6, 5, 2)), ((1, 3, 5), (7, 5, 2)), ((2, 3, 4), (4, 1, 4, 2)),
                             ((3, 1, 2, 4), (1, 5, 4, 3)), ((3, 1, 2, 4), (1, 3, 4, 3))]:
        a, b = _operands(rng, shape_a, shape_b)
        check_product(solution.matmul(a, b), a, b, given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.correctness
def test_one_operand_without_batch(solution, rng):
    """A 2-d operand multiplies every matrix of the other operand's stack"""
    for shape_a, shape_b in [((6, 3, 4), (4, 5)), ((3, 4), (6, 4, 5)), ((2, 3, 4, 5), (5, 2)),
                             ((4, 5), (2, 3, 5, 2))]:
        a, b = _operands(rng, shape_a, shape_b)
        check_product(solution.matmul(a, b), a, b, given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.correctness
def test_vector_first(solution, rng):
    """A 1-d first operand is a row vector, and its axis is removed from the result"""
    for shape_a, shape_b in [((4,), (4, 3)), ((4,), (5, 4, 3)), ((3,), (2, 6, 3, 7))]:
        a, b = _operands(rng, shape_a, shape_b)
        check_product(solution.matmul(a, b), a, b, given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.correctness
def test_vector_second(solution, rng):
    """A 1-d second operand is a column vector, and its axis is removed from the result"""
    for shape_a, shape_b in [((3, 4), (4,)), ((5, 3, 4), (4,)), ((2, 6, 7, 3), (3,))]:
        a, b = _operands(rng, shape_a, shape_b)
        check_product(solution.matmul(a, b), a, b, given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.correctness
def test_two_vectors(solution, rng):
    """Two 1-d operands give their inner product, a 0-d result (a 0-d array or a numpy scalar)"""
    for k in (1, 5, 40):
        a, b = _operands(rng, (k,), (k,))
        got = solution.matmul(a, b)
        checks.that(isinstance(got, (np.ndarray, np.generic)),
                    f"matmul of float64 ({k},) and ({k},) should be a 0-d array or a numpy scalar of the result "
                    f"dtype (np.float64), as np.matmul's, got a {type(got).__name__}")
        check_product(got, a, b, given=f"float64 ({k},) and ({k},)")


@pytest.mark.correctness
def test_integer_products_are_exact(solution, rng):
    """Integer operands are multiplied in their integer dtype, exactly: no route through float64 or float32"""
    # int64 entries of 29 to 30 bits, of either sign: each product has 59 to
    # 60 bits and the sum of k = 4 of them stays below 2^62 (no overflow),
    # but float64 keeps 53 bits, so a product computed in float64
    # (BLAS on a converted copy, then cast back) is off in its last bits.
    # int32 entries of 11 to 12 bits and k = 8: sums up to 2^27, exact in
    # int32 and float64 but not in float32 (24 bits). Two matrices, and a
    # stack times a matrix: shapes where np.dot agrees with matmul and no
    # 1-d operand is involved, so that only this rule is at stake here; and
    # two stacks of small matrices (a batch of its own on each side), where a
    # route through floats for speed is as tempting.
    for dtype, low, k in ((np.int64, 1 << 29, 4), (np.int32, 1 << 11, 8)):
        for shape_a, shape_b in (((2, k), (k, 3)), ((3, 2, k), (k, 3)), ((3, 2, k), (3, k, 3))):
            a, b = (rng.integers(low, 2 * low, size=shape) * rng.choice(np.array([-1, 1]), size=shape)
                    for shape in (shape_a, shape_b))
            a, b = a.astype(dtype), b.astype(dtype)
            got = solution.matmul(a, b)
            if len(shape_b) == 3 and np.shape(got) == np.dot(a, b).shape:
                continue                  # np.dot's pairing of the stacks: the np.dot test's concern
            check_product(got, a, b,
                          given=f"{np.dtype(dtype).name} {shape_a} and {shape_b}, entries of magnitude "
                                f"{low} to {2 * low - 1} (exact products need {np.dtype(dtype).name} arithmetic)")


@pytest.mark.edge_case
def test_result_dtype(solution, rng):
    """The result's dtype is np.result_type of the operands (integers stay integers), empty results included"""
    for dta, dtb in [(np.int32, np.int32), (np.int64, np.int64), (np.float32, np.float32),
                     (np.int64, np.float32), (np.float32, np.float64), (np.complex128, np.float64),
                     (np.int16, np.uint8)]:
        a, _ = _operands(rng, (3, 2, 4), (1,), dta)
        _, b = _operands(rng, (1,), (4, 3), dtb)
        check_product(solution.matmul(a, b), a, b, dtype=True,
                      given=f"{np.dtype(dta).name} (3, 2, 4) and {np.dtype(dtb).name} (4, 3)")
        # A stack times a stack keeps it too (np.sum of int32 or int16 products would give int64).
        # Only the dtype is checked here: its shape and values have tests of their own.
        a, _ = _operands(rng, (3, 2, 4), (1,), dta)
        _, b = _operands(rng, (1,), (3, 4, 3), dtb)
        checks.dtype(solution.matmul(a, b), np.result_type(dta, dtb),
                     what=f"matmul of {np.dtype(dta).name} (3, 2, 4) and {np.dtype(dtb).name} (3, 4, 3) "
                          f"(np.result_type({np.dtype(dta).name}, {np.dtype(dtb).name}))")
        # 1-d operands keep it too ((a * b).sum(-1) of int32 or int16 products would give int64). With
        # k = 1 a 1-d operand is a row and a column alike, so only the dtype is at stake; a Python
        # number for two 1-d operands is the two-vectors test's concern.
        for shape_a, shape_b in [((1,), (1, 3)), ((3, 1), (1,)), ((1,), (1,))]:
            a, _ = _operands(rng, shape_a, (1,), dta)
            _, b = _operands(rng, (1,), shape_b, dtb)
            got = solution.matmul(a, b)
            if isinstance(got, (np.ndarray, np.generic)):
                checks.dtype(got, np.result_type(dta, dtb),
                             what=f"matmul of {np.dtype(dta).name} {shape_a} and {np.dtype(dtb).name} {shape_b} "
                                  f"(np.result_type({np.dtype(dta).name}, {np.dtype(dtb).name}))")
        # Zeros (k = 0) and empty results keep it too (np.zeros(shape) without a dtype is float64). Only
        # the dtype is checked here: their shapes and values, and raising on them, are the
        # empty-dimensions test's concern.
        for shape_a, shape_b in [((2, 0), (0, 3)), ((5, 2, 0), (0, 3)), ((2, 3, 0), (2, 0, 4)), ((0, 3), (3, 2))]:
            a, b = np.ones(shape_a, dta), np.ones(shape_b, dtb)
            try:
                got = solution.matmul(a, b)
            except Exception:
                continue
            checks.dtype(got, np.result_type(dta, dtb),
                         what=f"matmul of {np.dtype(dta).name} {shape_a} and {np.dtype(dtb).name} {shape_b} "
                              f"(np.result_type({np.dtype(dta).name}, {np.dtype(dtb).name}))")


@pytest.mark.edge_case
def test_length_one_dimensions_are_kept(solution, rng):
    """Length-1 rows, columns and batch dimensions stay in the result's shape"""
    for shape_a, shape_b in [((1, 4), (4, 1)), ((3, 1, 4), (4, 1)), ((1, 2, 4), (1, 4, 3)),
                             ((2, 1, 5), (2, 5, 1)), ((1,), (1, 1))]:
        a, b = _operands(rng, shape_a, shape_b)
        check_product(solution.matmul(a, b), a, b, given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.edge_case
def test_empty_dimensions(solution, rng):
    """Empty dimensions: an inner dimension of 0 gives zeros, other empty ones empty results"""
    for shape_a, shape_b in [((3, 0), (0, 2)), ((2, 3, 0), (2, 0, 4)), ((3, 2, 0), (0, 4)), ((2, 0), (3, 0, 4)),
                             ((0,), (0,)), ((0, 3, 4), (4, 2)), ((0, 4), (4, 5)), ((2, 3, 4), (4, 0))]:
        a, b = _operands(rng, shape_a, shape_b)
        check_product(solution.matmul(a, b), a, b, given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.edge_case
def test_result_is_writable(solution, rng):
    """The result is a new array the caller may write into, zeros and empty results included"""
    for shape_a, shape_b in [((3, 4), (4, 2)), ((2, 3, 4), (2, 4, 5)), ((3, 0), (0, 2)), ((2, 3, 0), (2, 0, 4)),
                             ((0, 3, 4), (4, 2))]:
        a, b = _operands(rng, shape_a, shape_b)
        try:
            _, read_only = solution.read_only_results("matmul", a, b)
        except Exception:
            continue                      # raising is the subject of the empty-dimensions test
        checks.that(not read_only, f"matmul of float64 {shape_a} and {shape_b} returned a read-only array: the "
                                   "caller cannot write into it, as it can into np.matmul's result (make a new "
                                   "array with np.zeros, not a view with np.broadcast_to)")


@pytest.mark.edge_case
def test_zero_d_operand_raises(solution):
    """A 0-d operand raises ValueError (matmul is not scalar multiplication), also with an empty operand"""
    for a, b in [(np.array(2.0), np.ones((2, 2))), (np.ones((2, 2)), np.array(3.0)),
                 (np.array(2.0), np.array(3.0)), (np.array(2.0), np.ones(3)),
                 (np.array(2.0), np.ones((0, 3))), (np.ones((3, 0)), np.array(3.0))]:
        shapes = " and ".join("0-d" if x.ndim == 0 else str(x.shape) for x in (a, b))
        checks.raises(ValueError, solution.matmul, a, b, given=f"float64 {shapes}")


@pytest.mark.edge_case
def test_inner_dimension_mismatch_raises(solution):
    """Different inner dimensions raise ValueError, also when the result would be empty or k is 0"""
    for shape_a, shape_b in [((3, 4), (5, 2)), ((4,), (5,)), ((2, 3, 4), (3,)), ((4,), (2, 3, 4)),
                             ((2, 3, 4), (2, 3, 4)), ((3, 1), (2, 3)),
                             ((0, 3), (4, 2)), ((3, 4), (5, 0)), ((2, 0), (3, 4)), ((2, 3), (0, 4)),
                             # A k of 1 against another k, with 1-d operands: an elementwise product
                             # summed over k (a * b, a[:, None] * b) or einsum stretches the length-1
                             # axis by broadcasting instead of raising.
                             ((3,), (1,)), ((1,), (3, 2)), ((3, 2), (1,))]:
        checks.raises(ValueError, solution.matmul, np.ones(shape_a), np.ones(shape_b),
                      given=f"float64 {shape_a} and {shape_b}")


@pytest.mark.edge_case
def test_batch_mismatch_raises(solution):
    """Batch dimensions that do not broadcast raise ValueError, also when one of them is empty"""
    for shape_a, shape_b in [((2, 3, 4), (3, 4, 5)), ((2, 2, 3, 4), (3, 1, 4, 5)), ((4, 3, 4), (2, 3, 4, 5)),
                             ((0, 3, 4), (2, 4, 5)), ((2, 3, 4), (0, 4, 5))]:
        checks.raises(ValueError, solution.matmul, np.ones(shape_a), np.ones(shape_b),
                      given=f"float64 {shape_a} and {shape_b}")


# -- performance ---------------------------------------------------------------------------------
# Run 0 warms up; every run draws its own operands from its own seed, uniform
# on [-1, 1) (a quarter of the cost of normal draws; the speed of a product
# does not depend on its operands' values; `_check_timed` relies on the
# entries being within 1). The seeds are the budget's (`budget.seed`): drawn
# from a secret of the test, so no file can multiply the timed operands
# before the grading and answer the timed calls from a cache.

def _time_call(shape_a, shape_b, seed):
    """The operands of one timed run, drawn from `seed`."""
    g = np.random.default_rng(seed)
    return Call(g.uniform(-1.0, 1.0, size=shape_a), g.uniform(-1.0, 1.0, size=shape_b))


def _check_timed(got, expected, call):
    """A timed result against the reference's result for the same float64 operands.

    Both are within gamma_k (|a| |b|)_ij of the exact product (module
    docstring: the reference sums in some order too), so within
    2 gamma_k (|a| |b|)_ij <= (k + 2) eps (|a| |b|)_ij of each other, and
    (|a| |b|)_ij <= k, as every entry of the timed operands is within 1
    (`_time_call`). So |got - expected| <= (k + 2) eps k for a correct
    result: 3.3e-15 for k = 3, 2.3e-10 for k = 1024, whereas an entry of a
    wrong result is off by the size of the entries (sqrt(k) / 3 typically:
    0.6 for k = 3, 11 for k = 1024). `checks.all_within` decides a correct
    result in cache-sized blocks: no second product, and far cheaper than
    the timed call it checks.
    """
    a, b = call.args
    arr = np.asarray(got)
    if arr.shape != expected.shape:
        checks.fail(f"matmul of float64 {a.shape} and {b.shape}: the result should have shape "
                    f"{expected.shape}, got {arr.shape}")
    k = a.shape[-1]
    bound = (k + 2) * np.finfo(np.float64).eps * k
    if checks.all_within(arr, expected, atol=bound):
        return
    if arr.dtype.kind not in "fc":    # an integer or object result: its values, as check_product takes them
        arr = arr.astype(np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(arr - expected) <= bound)    # NaN included
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        checks.fail(f"matmul of float64 {a.shape} and {b.shape}: {int(bad.sum())} of {bad.size} entries are "
                    f"wrong, e.g. at {idx}: got {arr[idx]!r}, expected {expected[idx]!r} "
                    f"(allowed error {bound:.3g})")


# What the tiny-matrix case must catch is a Python iteration per matrix (a
# million np.dot calls: about 25-30x the reference's time). The reference
# lays the batch out innermost in cache-sized chunks, a speed-up that the
# task does not ask for: whole-batch einsum, or rank-1 updates over k on the
# whole batch, take 2-4.5x its time and are intended solutions, so this
# case's budget is 8x (the ratio of the large-matrix case stays the
# challenge's 3x: there einsum's loop without BLAS is about 10x).
TINY_MATRICES_RATIO = 8.0


@pytest.mark.performance
def test_time_many_small_matrices(budget):
    """A million products of 3 x 3 matrices within the time budget"""
    budget.time("matmul", lambda run: _time_call((1_000_000, 3, 3), (1_000_000, 3, 3), budget.seed(501 + run)),
                check=_check_timed, repeats=3, ratio=TINY_MATRICES_RATIO,
                label="float64 (1000000, 3, 3) times (1000000, 3, 3), new operands per call")


# The large-matrix case: two products of 1024 x 1024 matrices. What it must
# catch is arithmetic without BLAS (einsum's C loop, about 10x); the work of
# a product grows as n^3 and its operands as n^2, so two 1024 x 1024 products
# take the reference as long as 100 of 256 x 256 (0.07 s of CPU) with a third
# of the bytes to move to and from the worker (17 MB per operand).
LARGE_SHAPE = (2, 1024, 1024)


@pytest.mark.performance
def test_time_few_large_matrices(budget):
    """2 products of 1024 x 1024 matrices within the time budget"""
    budget.time("matmul", lambda run: _time_call(LARGE_SHAPE, LARGE_SHAPE, budget.seed(601 + run)), check=_check_timed,
                repeats=3, label=f"float64 {LARGE_SHAPE} times {LARGE_SHAPE}, new operands per call")
