"""Allocates the output with the dtype of x instead of np.result_type(x, w): float32 x with
float64 w gives float32, and a uint8 image cannot even hold the float sums (numpy refuses to
add float64 into uint8 in place)."""

import numpy as np

CAUGHT_BY = ('test_mixed_dtypes_follow_result_type', 'test_integer_images_follow_result_type')


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
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, f, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + sh * ho:sh, j:j + sw * wo:sw]
            out += np.tensordot(patch, w[:, :, i, j], axes=([1], [1])).transpose(0, 3, 1, 2)
    if b is not None:
        out += np.asarray(b)[None, :, None, None]
    return out


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
