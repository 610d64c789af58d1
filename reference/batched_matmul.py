"""Reference solution for the batched_matmul challenge.

np.matmul's semantics without np.matmul, `@`, N-d np.dot, np.inner, np.vdot,
np.vecdot, np.matvec, np.vecmat, np.tensordot, np.einsum(optimize=...) or
np.linalg. Both operands are cast
to np.result_type(a, b); a 1-d operand is promoted to a matrix (a row for
`a`, a column for `b`) and that axis is removed from the result; the batch
dimensions broadcast without being materialised (np.broadcast_to views).

The strategy is chosen by the shapes, from what each primitive costs: a
Python iteration with a numpy call costs about a microsecond whatever it
does, BLAS (2-d np.dot) does thousands of multiply-adds in that time, and
numpy's C loops (ufuncs, einsum) are fast only along a long innermost axis
(a loop over 3 elements costs nearly as much as one over 100).

- One operand shared by the whole batch (no batch dimensions of its own):
  a single 2-d np.dot of the stacked rows of `a` (or columns of `b`) with
  it: one BLAS call, as fast as np.matmul.
- Large matrices (n k m of 4096 multiply-adds or more): a loop over the
  broadcast batch, one 2-d np.dot per matrix; the iteration's microsecond
  no longer dominates the product's work, which BLAS does fastest.
- Many tiny matrices (n, k, m all at most 16, both operands with the whole
  batch): the batch itself is made the innermost axis, so that every C loop
  runs over thousands of matrices instead of over a row of 3. A chunk of
  matrices small enough to stay in the CPU cache (about 512 KiB) is copied
  to that layout, A[i, t, :] = a[:, i, t], multiplied by einsum along it
  (out[i, j, :] += A[i, t, :] * B[t, j, :] for every i, j, t), and copied
  back. No temporary is larger than a chunk. On 3 x 3 matrices this takes
  about 0.7x np.matmul's time; on 8 x 8 about 3.5x, as the copies alone take
  twice np.matmul's time (its C loop reads each matrix once and keeps the
  512 multiply-adds in registers), and that is still the fastest of these
  primitives (einsum over the whole stack: 4.7x, a loop of np.dot: 7x).
- Otherwise (small but thin matrices such as batched inner products, or a
  broadcast batch of small matrices): np.einsum("...ij,...jk->...ik") over
  the whole batch, whose C loop runs along m (or k when m is 1) and
  broadcasts the batch without copying it.

Each order of summing the k products of an entry (BLAS's blocked one,
einsum's sequential one) is within gamma_k (|a| |b|)_ij of the exact value,
gamma_k ~ k eps / 2 in the result dtype, as np.matmul is.
"""

import numpy as np

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
