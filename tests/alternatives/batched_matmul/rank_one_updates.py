"""Rank-1 updates over the inner dimension, a batch loop for large matrices.

Shapes by hand: the batch shapes padded with ones on the left and
broadcast dimension by dimension (ValueError where neither is 1 and they
differ). Small matrices: out accumulates a[..., :, j, None] * b[..., None, j, :]
for j in 0..k-1, whole batch at once; large ones: np.dot on each pair of 2-d
slices of broadcast views. The promoted 1-d axes are removed by indexing.
"""

import numpy as np


def _broadcast(s, t):
    width = max(len(s), len(t))
    s = (1,) * (width - len(s)) + tuple(s)
    t = (1,) * (width - len(t)) + tuple(t)
    shape = []
    for x, y in zip(s, t):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"batch dimensions {s} and {t} do not broadcast")
        shape.append(y if x == 1 else x)
    return tuple(shape)


def matmul(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if not a.ndim or not b.ndim:
        raise ValueError("matmul needs operands of at least 1 dimension")
    dtype = np.result_type(a.dtype, b.dtype)
    drop_row, drop_col = a.ndim == 1, b.ndim == 1
    if drop_row:
        a = a.reshape(1, a.shape[0])
    if drop_col:
        b = b.reshape(b.shape[0], 1)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("inner dimensions differ")
    batch = _broadcast(a.shape[:-2], b.shape[:-2])
    n, k, m = a.shape[-2], a.shape[-1], b.shape[-1]
    out = np.zeros(batch + (n, m), dtype=dtype)
    if n * k * m > 2000:
        va = np.broadcast_to(a, batch + (n, k))
        vb = np.broadcast_to(b, batch + (k, m))
        for idx in np.ndindex(batch):
            out[idx] = np.dot(va[idx].astype(dtype), vb[idx].astype(dtype))
    elif out.size:
        a = a.astype(dtype, copy=False)
        b = b.astype(dtype, copy=False)
        term = np.empty_like(out)
        for j in range(k):
            np.multiply(a[..., :, j:j + 1], b[..., j:j + 1, :], out=term)
            out += term
    if drop_row:
        out = out[..., 0, :]
    if drop_col:
        out = out[..., 0]
    return out
