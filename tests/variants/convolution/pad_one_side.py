"""conv2d pads by placing x in the top-left corner of a zero array of the padded size: all the
padding ends up at the bottom and the right (the backward pass pads correctly, with np.pad)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CAUGHT_BY = ('test_zero_padding_on_both_sides', 'test_matches_definition_and_reference')


def _pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def _padded_windows(x, kh, kw, stride, padding, dtype):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, c, h, wd = x.shape
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=dtype)
    xp[:, :, :h, :wd] = x
    return sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw], xp


def conv2d(x, w, b=None, stride=1, padding=0):
    x = np.asarray(x)
    w = np.asarray(w)
    if x.shape[1] != w.shape[1]:
        raise ValueError("channel mismatch")
    ph, pw = _pair(padding)
    kh, kw = w.shape[2:]
    if kh > x.shape[2] + 2 * ph or kw > x.shape[3] + 2 * pw:
        raise ValueError("kernel larger than the padded input")
    dtype = np.result_type(x, w)
    win, _ = _padded_windows(x, kh, kw, stride, padding, dtype)
    out = np.einsum("nchwij,fcij->nfhw", win, w.astype(dtype, copy=False), optimize=True)
    if b is not None:
        out = out + np.asarray(b, dtype=dtype)[None, :, None, None]
    return out.astype(dtype, copy=False)


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
