"""A 1-d a against a matrix or stack is computed as (a[:, None] * b).sum(-2) before the
inner-dimension check: broadcasting stretches an a of length 1 over any k, so (1,) times (3, 2)
gives the columns summed times a[0] instead of raising ValueError (the inner dimensions 1 and 3
differ)."""

import numpy as np

CAUGHT_BY = ('test_inner_dimension_mismatch_raises',)

# Multiply-adds per matrix from which a Python iteration per matrix with one
# BLAS call is the fastest way (16 x 16 x 16: about 3x np.matmul's time,
# against 4.5x for einsum or the batch-innermost chunks).
_LOOP_MIN_WORK = 4096
# Largest n, k and m for which the batch-innermost layout pays for its copies.
_TINY = 16
# Bytes of a chunk of the three batch-innermost arrays: well inside a 1 MiB L2 cache.
_CHUNK_BYTES = 1 << 19


def matmul(a, b):
    """np.matmul(a, b) for N-d operands, from 2-d np.dot, einsum and elementwise ops."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: a 0-d operand is not allowed (use * for scalars)")
    dtype = np.result_type(a, b)
    a = a.astype(dtype, copy=False)
    b = b.astype(dtype, copy=False)
    if a.ndim == 1 and b.ndim >= 2:    # a row vector times a stack: broadcast and sum over k
        return (a[:, None] * b).sum(-2, dtype=dtype)
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
    elif n * k * m >= _LOOP_MIN_WORK:
        out = np.empty(batch + (n, m), dtype=dtype)
        A = np.broadcast_to(a, batch + (n, k))
        B = np.broadcast_to(b, batch + (k, m))
        for index in np.ndindex(*batch):
            np.dot(A[index], B[index], out=out[index])
    elif max(n, k, m) <= _TINY and n * m > 1 and a.shape[:-2] == b.shape[:-2] == batch:
        out = _tiny_matrices(a.reshape(count, n, k), b.reshape(count, k, m)).reshape(batch + (n, m))
    else:
        out = np.einsum("...ij,...jk->...ik", a, b)
    if a_vector and b_vector:
        return out[..., 0, 0]
    if a_vector:
        return out[..., 0, :]
    if b_vector:
        return out[..., :, 0]
    return out


def _tiny_matrices(a, b):
    """(count, n, k) times (count, k, m), the batch innermost, one cache-sized chunk at a time."""
    count, n, k = a.shape
    m = b.shape[-1]
    out = np.empty((count, n, m), dtype=a.dtype)
    step = max(1, _CHUNK_BYTES // (a.itemsize * (n * k + k * m + n * m)))
    for start in range(0, count, step):
        chunk = slice(start, start + step)
        A = np.ascontiguousarray(np.moveaxis(a[chunk], 0, -1))    # (n, k, c): A[i, t] = a[chunk, i, t]
        B = np.ascontiguousarray(np.moveaxis(b[chunk], 0, -1))    # (k, m, c)
        out[chunk] = np.moveaxis(np.einsum("itc,tjc->ijc", A, B), -1, 0)
    return out
