"""np.dot(a, b) for the N-d case: it pairs every matrix of a with every matrix of b ((2, 3, 4) dot
(2, 4, 5) is (2, 3, 2, 5)), and it broadcasts nothing, so batches that do not broadcast give a
result instead of ValueError. It agrees with matmul for a 2-d or 1-d b, but not for a 1-d a
promoted to a (1, k) row against a stack."""

import numpy as np

CAUGHT_BY = ('test_stacks_of_matrices', 'test_not_np_dot_of_stacks', 'test_batch_dimensions_broadcast', 'test_one_operand_without_batch', 'test_vector_first', 'test_length_one_dimensions_are_kept', 'test_batch_mismatch_raises')

# Rough costs in seconds: a Python iteration with one numpy call, and one
# multiply-add in einsum's C loop. Above about 3 000 multiply-adds per matrix
# a 2-d np.dot per matrix is the faster.
_CALL_S = 3e-6
_EINSUM_S = 1e-9


def matmul(a, b):
    """np.matmul(a, b) for N-d operands, from 2-d np.dot and elementwise ops."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: a 0-d operand is not allowed (use * for scalars)")
    dtype = np.result_type(a, b)
    a = a.astype(dtype, copy=False)
    b = b.astype(dtype, copy=False)
    a_vector = a.ndim == 1
    b_vector = b.ndim == 1
    if a_vector:
        a = a[None, :]
    if b_vector:
        b = b[:, None]
    n, k = a.shape[-2:]
    k2, m = b.shape[-2:]
    if k != k2:
        raise ValueError(f"matmul: inner dimensions differ: {a.shape} and {b.shape} (k={k} vs {k2})")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        batch = a.shape[:-2] + b.shape[:-2]
    count = int(np.prod(batch, dtype=np.int64))
    if count == 0 or n == 0 or m == 0 or k == 0:
        out = np.zeros(batch + (n, m), dtype=dtype)
    else:
        out = np.dot(a, b)
    if a_vector and b_vector:
        return out[..., 0, 0]
    if a_vector:
        return out[..., 0, :]
    if b_vector:
        return out[..., :, 0]
    return out
