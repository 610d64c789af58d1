"""Channels-last, one matrix product per kernel tap: for each of the KH*KW offsets (p, q), the
strided slice of the padded input seen by that tap, as (N, Ho, Wo, C), times w[:, :, p, q].T,
accumulated into the output. The backward pass loops over the taps the same way."""

import numpy as np


def _pair(value):
    if np.ndim(value) == 0:
        return int(value), int(value)
    rows, cols = value
    return int(rows), int(cols)


def _setup(x, w, stride, padding):
    x = np.asarray(x)
    w = np.asarray(w)
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels, w has {w.shape[1]}")
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    _, _, h, wd = x.shape
    _, _, kh, kw = w.shape
    if kh > h + 2 * ph or kw > wd + 2 * pw:
        raise ValueError("kernel larger than the padded input")
    dtype = np.result_type(x, w)
    # channels last: (N, H + 2ph, W + 2pw, C)
    xp = np.zeros((x.shape[0], h + 2 * ph, wd + 2 * pw, x.shape[1]), dtype=dtype)
    xp[:, ph:ph + h, pw:pw + wd, :] = x.transpose(0, 2, 3, 1)
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (wd + 2 * pw - kw) // sw + 1
    return xp, w.astype(dtype), (sh, sw), (ph, pw), (ho, wo), dtype


def conv2d(x, w, b=None, stride=1, padding=0):
    xp, w, (sh, sw), _, (ho, wo), dtype = _setup(x, w, stride, padding)
    f, _, kh, kw = w.shape
    out = np.zeros((xp.shape[0], ho, wo, f), dtype=dtype)
    for p in range(kh):
        for q in range(kw):
            tap = xp[:, p:p + sh * (ho - 1) + 1:sh, q:q + sw * (wo - 1) + 1:sw, :]   # (N, Ho, Wo, C)
            out += tap @ w[:, :, p, q].T
    if b is not None:
        out += np.asarray(b).astype(dtype)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def conv2d_backward(dy, x, w, stride=1, padding=0):
    xp, w, (sh, sw), (ph, pw), (ho, wo), dtype = _setup(x, w, stride, padding)
    f, c, kh, kw = w.shape
    g = np.asarray(dy).astype(dtype).transpose(0, 2, 3, 1)    # (N, Ho, Wo, F)
    db = g.sum(axis=(0, 1, 2))
    dw = np.empty((f, c, kh, kw), dtype=dtype)
    dxp = np.zeros_like(xp)
    g2 = g.reshape(-1, f)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + sh * (ho - 1) + 1, sh)
            cols = slice(q, q + sw * (wo - 1) + 1, sw)
            tap = xp[:, rows, cols, :].reshape(-1, c)            # (N*Ho*Wo, C)
            dw[:, :, p, q] = g2.T @ tap
            dxp[:, rows, cols, :] += g @ w[:, :, p, q]
    h, wd = np.shape(x)[2:]
    return np.ascontiguousarray(dxp[:, ph:ph + h, pw:pw + wd, :].transpose(0, 3, 1, 2)), dw, db
