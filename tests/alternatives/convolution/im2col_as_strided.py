"""An explicit im2col matrix built with as_strided (one row per output pixel, one column per
(c, p, q)), multiplied by the kernel reshaped to (C*KH*KW, F). Backward: dw from the same
matrix, dx by col2im with np.add.at."""

import numpy as np
from numpy.lib.stride_tricks import as_strided


def _pair(v):
    if isinstance(v, (tuple, list, np.ndarray)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _columns(x, w, stride, padding):
    x = np.asarray(x)
    w = np.asarray(w)
    n, c, h, wd = x.shape
    f, c2, kh, kw = w.shape
    if c != c2:
        raise ValueError("x and w disagree on the number of channels")
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    if kh > h + 2 * ph or kw > wd + 2 * pw:
        raise ValueError("the kernel does not fit in the padded input")
    dtype = np.result_type(x, w)
    xp = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))), dtype=dtype)
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (wd + 2 * pw - kw) // sw + 1
    s_n, s_c, s_h, s_w = xp.strides
    view = as_strided(xp, shape=(n, ho, wo, c, kh, kw),
                      strides=(s_n, s_h * sh, s_w * sw, s_c, s_h, s_w), writeable=False)
    cols = view.reshape(n * ho * wo, c * kh * kw)        # a copy: the im2col matrix
    return cols, w.astype(dtype).reshape(f, -1), (n, c, h, wd, f, kh, kw, sh, sw, ph, pw, ho, wo), dtype


def conv2d(x, w, b=None, stride=1, padding=0):
    cols, wm, dims, dtype = _columns(x, w, stride, padding)
    n, _, _, _, f, _, _, _, _, _, _, ho, wo = dims
    y = cols @ wm.T                                      # (N*Ho*Wo, F)
    if b is not None:
        y += np.asarray(b).astype(dtype)
    return np.ascontiguousarray(y.reshape(n, ho, wo, f).transpose(0, 3, 1, 2))


def conv2d_backward(dy, x, w, stride=1, padding=0):
    cols, wm, dims, dtype = _columns(x, w, stride, padding)
    n, c, h, wd, f, kh, kw, sh, sw, ph, pw, ho, wo = dims
    g = np.asarray(dy).astype(dtype).transpose(0, 2, 3, 1).reshape(-1, f)   # (N*Ho*Wo, F)
    dw = (g.T @ cols).reshape(f, c, kh, kw)
    db = g.sum(axis=0)
    dcols = (g @ wm).reshape(n, ho, wo, c, kh, kw)
    # col2im: every column entry goes back to the padded pixel it was read from.
    i = (np.arange(ho) * sh)[:, None, None, None] + np.arange(kh)[None, None, :, None]   # (Ho, 1, KH, 1)
    j = (np.arange(wo) * sw)[None, :, None, None] + np.arange(kw)[None, None, None, :]   # (1, Wo, 1, KW)
    i, j = np.broadcast_arrays(i, j)                                                  # (Ho, Wo, KH, KW)
    dxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=dtype)
    np.add.at(dxp, (slice(None), slice(None), i, j), dcols.transpose(0, 3, 1, 2, 4, 5))
    return dxp[:, :, ph:ph + h, pw:pw + wd], dw, db
