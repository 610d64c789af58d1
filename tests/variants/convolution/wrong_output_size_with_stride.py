"""Computes the output size as (H + 2p - K + 1) // s: right for stride 1 and whenever
H + 2p - K is odd, one row/column short when it is even and the stride is 2."""

import numpy as np

CAUGHT_BY = ('test_output_size', 'test_stride_takes_every_sth_window', 'test_matches_definition_and_reference')


def _pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def conv2d(x, w, b=None, stride=1, padding=0):
    x = np.asarray(x)
    w = np.asarray(w)
    n, c, h, wd = x.shape
    f, c2, kh, kw = w.shape
    if c != c2:
        raise ValueError("channel mismatch")
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    if kh > h + 2 * ph or kw > wd + 2 * pw:
        raise ValueError("kernel larger than the padded input")
    dtype = np.result_type(x, w)
    ho = (h + 2 * ph - kh + 1) // sh
    wo = (wd + 2 * pw - kw + 1) // sw
    xp = np.pad(x.astype(dtype), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((f, n, ho, wo), dtype=dtype)
    # One matrix product per kernel tap: (F, C) x (N, C, Ho, Wo) over C.
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + sh * ho:sh, j:j + sw * wo:sw]
            out += np.tensordot(w[:, :, i, j].astype(dtype), patch, axes=([1], [1]))
    out = out.transpose(1, 0, 2, 3)
    if b is not None:
        out = out + np.asarray(b).astype(dtype)[None, :, None, None]
    return np.ascontiguousarray(out)


def conv2d_backward(dy, x, w, stride=1, padding=0):
    x = np.asarray(x)
    w = np.asarray(w)
    dtype = np.result_type(x, w)
    dy = np.asarray(dy).astype(dtype, copy=False)
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, f, ho, wo = dy.shape
    kh, kw = w.shape[2:]
    xp = np.pad(x.astype(dtype, copy=False), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    db = dy.sum(axis=(0, 2, 3))
    dw = np.zeros(w.shape, dtype)
    dxp = np.zeros_like(xp)
    for i in range(kh):
        for j in range(kw):
            rows, cols = slice(i, i + sh * ho, sh), slice(j, j + sw * wo, sw)
            dw[:, :, i, j] = np.tensordot(dy, xp[:, :, rows, cols], axes=([0, 2, 3], [0, 2, 3]))
            dxp[:, :, rows, cols] += np.tensordot(dy, w[:, :, i, j], axes=([1], [0])).transpose(0, 3, 1, 2)
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]], dw, db
