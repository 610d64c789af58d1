"""Batches flattened into contiguous stacks.

Both operands are broadcast and copied into (count, n, k) and (count, k, m)
stacks (memory for speed: no strided views), 1-d operands handled with
np.expand_dims and a final reshape to the shape worked out up front. Small
matrices: np.einsum over the stacks (no optimize); large ones: a loop with
ndarray.dot on each pair of 2-d matrices.
"""

import numpy as np


def _result_shape(a_shape, b_shape):
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise ValueError("0-d operands are not matrices")
    ka = a_shape[-1]
    kb = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if ka != kb:
        raise ValueError(f"inner dimensions {ka} and {kb} differ")
    a_batch = a_shape[:-2]
    b_batch = b_shape[:-2]
    batch = np.broadcast_shapes(a_batch, b_batch)
    rows = () if len(a_shape) == 1 else (a_shape[-2],)
    cols = () if len(b_shape) == 1 else (b_shape[-1],)
    return batch, batch + rows + cols


def matmul(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    batch, shape = _result_shape(a.shape, b.shape)
    dtype = np.result_type(a, b)
    A = a.reshape(1, -1) if a.ndim == 1 else a
    B = b.reshape(-1, 1) if b.ndim == 1 else b
    n, k = A.shape[-2:]
    m = B.shape[-1]
    count = 1
    for d in batch:
        count *= d
    A = np.broadcast_to(A, batch + (n, k)).reshape(count, n, k).astype(dtype)
    B = np.broadcast_to(B, batch + (k, m)).reshape(count, k, m).astype(dtype)
    if n * k * m >= 4096:
        out = np.empty((count, n, m), dtype=dtype)
        for i in range(count):
            out[i] = A[i].dot(B[i])
    else:
        out = np.einsum("bij,bjk->bik", A, B)
    return out.reshape(shape)
