"""Both operands are converted to float64 whatever their dtype: int32 with int32 gives float64,
float32 gives float64, and complex operands lose their imaginary part."""

import numpy as np

CAUGHT_BY = ('test_integer_products_are_exact', 'test_result_dtype')

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
    dtype = np.float64
    a = np.real(a).astype(dtype, copy=False)
    b = np.real(b).astype(dtype, copy=False)
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
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    count = int(np.prod(batch, dtype=np.int64))
    if count == 0 or n == 0 or m == 0 or k == 0:
        out = np.zeros(batch + (n, m), dtype=dtype)
    elif b.ndim == 2:
        out = np.dot(a.reshape(-1, k), b).reshape(batch + (n, m))
    elif a.ndim == 2:
        # out[i] = a . b[i]: the columns of every b[i] side by side, (k, count * m)
        columns = np.moveaxis(b.reshape(count, k, m), 0, 1).reshape(k, count * m)
        out = np.moveaxis(np.dot(a, columns).reshape(n, count, m), 1, 0).reshape(batch + (n, m))
    elif count * _CALL_S < count * n * m * k * _EINSUM_S:
        out = np.empty(batch + (n, m), dtype=dtype)
        A = np.broadcast_to(a, batch + (n, k))
        B = np.broadcast_to(b, batch + (k, m))
        for index in np.ndindex(*batch):
            np.dot(A[index], B[index], out=out[index])
    else:
        out = np.einsum("...ij,...jk->...ik", a, b)
    if a_vector and b_vector:
        return out[..., 0, 0]
    if a_vector:
        return out[..., 0, :]
    if b_vector:
        return out[..., :, 0]
    return out
