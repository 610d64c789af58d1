"""Correct, but loops over the output pixels in Python with one batched tensordot per pixel
(all images and filters at once): fast enough when every pixel carries a lot of work (many
channels and filters), tens of times the reference on a thin layer over a large image."""

import numpy as np

CAUGHT_BY = ('test_speed_thin_layer_large_image',)


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
    xp = np.pad(x.astype(dtype, copy=False), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    w = w.astype(dtype, copy=False)
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (wd + 2 * pw - kw) // sw + 1
    out = np.empty((n, f, ho, wo), dtype=dtype)
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]       # (N, C, KH, KW)
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3]))   # (N, F)
    if b is not None:
        out += np.asarray(b).astype(dtype)[None, :, None, None]
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
