"""Integer operands are converted to float64 so that the products run at BLAS speed, and the result
is cast back to the integer dtype: right for small integers, but float64 keeps 53 bits, so int64
products of 30-bit entries come back off in their last bits."""

import numpy as np

CAUGHT_BY = ('test_integer_products_are_exact',)


def matmul(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: 0-d operand")
    dtype = np.result_type(a, b)
    work = dtype if dtype.kind in "fc" else np.dtype(np.float64)
    a = a.astype(work, copy=False)
    b = b.astype(work, copy=False)
    a1 = a.ndim == 1
    b1 = b.ndim == 1
    if a1:
        a = a[None, :]
    if b1:
        b = b[:, None]
    n, k = a.shape[-2:]
    k2, m = b.shape[-2:]
    if k != k2:
        raise ValueError("matmul: inner dimensions differ")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    out_shape = batch + (n, m)
    if k == 0 or 0 in out_shape:
        out = np.zeros(out_shape, dtype=work)
    elif b.ndim == 2:
        # one matrix on the right: stack a's rows and do a single product
        out = np.dot(a.reshape(-1, k), b).reshape(out_shape)
    elif n * k * m <= 4096:
        # small matrices: loop over k with whole-stack multiply-adds
        out = np.zeros(out_shape, dtype=work)
        for j in range(k):
            out += a[..., :, j, None] * b[..., None, j, :]
    else:
        out = np.empty(out_shape, dtype=work)
        ab = np.broadcast_to(a, batch + (n, k))
        bb = np.broadcast_to(b, batch + (k, m))
        for idx in np.ndindex(*batch):
            out[idx] = np.dot(ab[idx], bb[idx])
    out = out.astype(dtype, copy=False)
    if a1 and b1:
        return out[..., 0, 0]
    if a1:
        return out[..., 0, :]
    if b1:
        return out[..., 0]
    return out
