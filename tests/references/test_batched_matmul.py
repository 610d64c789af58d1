"""The batched_matmul reference against independent implementations.

Oracles:
- np.matmul itself (the reference may not call it; its test may);
- a plain Python loop over the broadcast batch indices and the n x m x k
  sums, in exact integer arithmetic for integer operands.

Every evaluation order of the reference is exercised (one shared operand,
the loop over the batch with np.dot, the batch-innermost chunks for tiny
matrices, einsum over the whole batch for thin or broadcast ones), and the
grader's tolerance (graders/batched_matmul.py) is checked to accept the
reference with room to spare and to reject np.dot's N-d product.
"""

import itertools

import numpy as np
import pytest

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed

ref = load_module(REPO / "reference" / "batched_matmul.py", "batched_matmul_reference")
grader = load_module(REPO / "graders" / "batched_matmul.py", "batched_matmul_grader_data")

SHAPES = [
    ((3, 4), (4, 5)), ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)),
    ((2, 3, 4), (2, 4, 5)), ((4, 1, 3, 5), (6, 5, 2)), ((1, 3, 5), (7, 5, 2)), ((3, 4), (6, 4, 5)),
    ((6, 3, 4), (4, 5)), ((3, 1, 2, 4), (1, 5, 4, 3)), ((1, 4), (4, 1)), ((3, 0), (0, 2)), ((0,), (0,)),
    ((0, 3, 4), (4, 2)), ((2, 40, 50), (2, 50, 30)), ((3, 1, 30, 40), (2, 40, 20)), ((2, 3, 4), (4, 0)),
]


def loop_matmul(a, b):
    """np.matmul by its definition: promote, broadcast the batch index by index, sum k products."""
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    A = a[None, :] if a_vec else a
    B = b[:, None] if b_vec else b
    n, k = A.shape[-2:]
    m = B.shape[-1]
    assert B.shape[-2] == k
    sa, sb = A.shape[:-2], B.shape[:-2]
    width = max(len(sa), len(sb))
    sa = (1,) * (width - len(sa)) + sa
    sb = (1,) * (width - len(sb)) + sb
    batch = tuple(y if x == 1 else x for x, y in zip(sa, sb))
    A = A.reshape(sa + (n, k))
    B = B.reshape(sb + (k, m))
    out = np.zeros(batch + (n, m), dtype=np.result_type(a, b))
    for idx in itertools.product(*(range(d) for d in batch)):
        ia = tuple(i if d > 1 else 0 for i, d in zip(idx, sa))
        ib = tuple(i if d > 1 else 0 for i, d in zip(idx, sb))
        for i in range(n):
            for j in range(m):
                total = 0
                for t in range(k):
                    total += A[ia + (i, t)].item() * B[ib + (t, j)].item()
                out[idx + (i, j)] = total
    if a_vec and b_vec:
        return out[..., 0, 0]
    if a_vec:
        return out[..., 0, :]
    if b_vec:
        return out[..., 0]
    return out


@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
def test_integers_exactly_as_the_loop_and_matmul(shape_a, shape_b):
    g = np.random.default_rng(1)
    a = g.integers(-9, 10, size=shape_a)
    b = g.integers(-9, 10, size=shape_b)
    got = ref.matmul(a, b)
    expected = loop_matmul(a, b)
    assert got.shape == expected.shape == np.matmul(a, b).shape
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, np.matmul(a, b))


@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_floats_within_half_the_grader_bound(shape_a, shape_b, dtype):
    g = np.random.default_rng(2)
    a, b = grader._operands(g, shape_a, shape_b, dtype)
    got = ref.matmul(a, b)
    expected = np.matmul(a, b)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    k = a.shape[-1]
    eps = np.finfo(expected.dtype).eps
    bound = (k + 2) * eps * np.matmul(np.abs(a).astype(float), np.abs(b).astype(float))
    assert np.all(np.abs(got - expected) <= bound / 2 + np.finfo(expected.dtype).tiny)
    grader.check_product(got, a, b, given="test", dtype=True)


@pytest.mark.parametrize("dtypes", [(np.int32, np.int32), (np.int64, np.float32), (np.float32, np.float32),
                                    (np.complex128, np.float64), (np.int16, np.uint8), (np.uint8, np.int8)])
def test_result_type(dtypes):
    a = np.ones((2, 3, 4), dtype=dtypes[0])
    b = np.ones((4, 2), dtype=dtypes[1])
    assert ref.matmul(a, b).dtype == np.result_type(*dtypes) == np.matmul(a, b).dtype


@pytest.mark.parametrize("shapes", [((), (2, 2)), ((2, 2), ()), ((3, 4), (5, 2)), ((4,), (5,)),
                                    ((2, 3, 4), (3, 4, 5)), ((4, 3, 4), (2, 3, 4, 5))])
def test_value_errors_like_matmul(shapes):
    a, b = np.ones(shapes[0]), np.ones(shapes[1])
    with pytest.raises(ValueError):
        np.matmul(a, b)
    with pytest.raises(ValueError):
        ref.matmul(a, b)


def test_every_evaluation_order_is_exercised_by_the_timed_cases():
    """The grader's two timed shapes take the batch-innermost chunks and the batch loop."""
    n = k = m = 3
    assert n * k * m < ref._LOOP_MIN_WORK and max(n, k, m) <= ref._TINY
    n = k = m = 256
    assert n * k * m >= ref._LOOP_MIN_WORK


# Tiny matrices in several chunks, the last one partial (a chunk holds
# _CHUNK_BYTES // (itemsize * (nk + km + nm)) matrices: 2 520 for float64 3 x 4 x 2),
# beside the shapes that the same sizes send to einsum: a broadcast batch, batched
# inner products (n = m = 1), a long k.
TINY_PATH_SHAPES = [((5000, 3, 4), (5000, 4, 2)), ((3, 700, 2, 5), (3, 700, 5, 16)), ((40, 1, 16), (40, 16, 2)),
                    ((7, 1, 3, 3), (1, 9, 3, 3)), ((3000, 1, 16), (3000, 16, 1)), ((50, 2, 100), (50, 100, 2))]


@pytest.mark.parametrize("shape_a, shape_b", TINY_PATH_SHAPES)
@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float32, np.complex128])
def test_tiny_matrices_in_chunks_and_einsum(shape_a, shape_b, dtype):
    g = np.random.default_rng(4)
    a, b = grader._operands(g, shape_a, shape_b, dtype)
    got = ref.matmul(a, b)
    assert got.dtype == np.matmul(a, b).dtype
    grader.check_product(got, a, b, given="test", dtype=True)


def test_grader_rejects_np_dot_and_accepts_matmul():
    g = np.random.default_rng(3)
    a, b = grader._operands(g, (2, 3, 4), (2, 4, 5))
    grader.check_product(np.matmul(a, b), a, b, given="test")
    with pytest.raises(BaseException):
        grader.check_product(np.dot(a, b), a, b, given="test")
    wrong = np.matmul(a, b).copy()
    wrong[1, 2, 3] += 1e-6
    with pytest.raises(BaseException):
        grader.check_product(wrong, a, b, given="test")


@pytest.mark.parametrize("shape", [(20_000, 3, 3), (4, 256, 256)])
@pytest.mark.parametrize("secret", [bytes([i]) * 16 for i in range(2)], ids=["secret0", "secret1"])
def test_timed_check_accepts_matmul_and_rejects_a_wrong_entry(shape, secret):
    """The timed cases' check (against the reference's result, a bound for entries within 1), on operands
    drawn as the timed runs draw theirs (from a budget's seed under a secret)."""
    call = grader._time_call(shape, shape, secret_seed(secret, 501 + 1))
    a, b = call.args
    assert np.abs(a).max() <= 1 and np.abs(b).max() <= 1
    expected = ref.matmul(a, b)
    grader._check_timed(np.matmul(a, b), expected, call)
    grader._check_timed(np.einsum("...ij,...jk->...ik", a, b), expected, call)
    # The bound has room to spare: the largest difference is under half of it.
    k = shape[-1]
    assert np.abs(np.matmul(a, b) - expected).max() <= (k + 2) * k * np.finfo(np.float64).eps / 2
    wrong = np.matmul(a, b)
    wrong[1, 2, 0] += 1e-9
    with pytest.raises(BaseException):
        grader._check_timed(wrong, expected, call)
    wrong[1, 2, 0] = np.nan
    with pytest.raises(BaseException):
        grader._check_timed(wrong, expected, call)
    with pytest.raises(BaseException):
        grader._check_timed(np.matmul(a, b).astype(np.float32), expected, call)
    with pytest.raises(BaseException):
        grader._check_timed(np.matmul(a, b)[:, :1], expected, call)
