"""Forward as one einsum over sliding_window_view with optimize=True (which hands the
contraction to BLAS). Backward: dw by the same einsum against dy; dx as the textbook "full"
correlation of the stride-dilated dy with the kernel rotated by 180 degrees and its F and C
axes swapped (a transposed convolution), cropped to the input."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(value):
    return (value, value) if np.isscalar(value) or np.ndim(value) == 0 else tuple(value)


def _checked(x, w, stride, padding):
    x, w = np.asarray(x), np.asarray(w)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    if x.shape[1] != w.shape[1]:
        raise ValueError("channel mismatch")
    if w.shape[2] > x.shape[2] + 2 * ph or w.shape[3] > x.shape[3] + 2 * pw:
        raise ValueError("kernel larger than the padded input")
    return x, w, int(sh), int(sw), int(ph), int(pw), np.result_type(x, w)


def conv2d(x, w, b=None, stride=1, padding=0):
    x, w, sh, sw, ph, pw, dtype = _checked(x, w, stride, padding)
    xp = np.pad(x.astype(dtype), [(0, 0), (0, 0), (ph, ph), (pw, pw)], mode="constant")
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
    y = np.einsum("nchwpq,fcpq->nfhw", windows, w.astype(dtype), optimize=True)
    if b is not None:
        y = y + np.asarray(b).astype(dtype).reshape(1, -1, 1, 1)
    return y.astype(dtype, copy=False)


def conv2d_backward(dy, x, w, stride=1, padding=0):
    x, w, sh, sw, ph, pw, dtype = _checked(x, w, stride, padding)
    dy = np.asarray(dy).astype(dtype)
    w = w.astype(dtype)
    n, f, ho, wo = dy.shape
    _, c, kh, kw = w.shape
    h, wd = x.shape[2:]
    xp = np.pad(x.astype(dtype), [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :ho, :wo]
    dw = np.einsum("nfhw,nchwpq->fcpq", dy, windows, optimize=True)
    db = dy.sum(axis=(0, 2, 3))
    # dy spread back onto the grid of window corners of the padded input, zeros
    # between (the stride) and after (rows and columns no window reached).
    hp, wp = h + 2 * ph, wd + 2 * pw
    spread = np.zeros((n, f, hp - kh + 1, wp - kw + 1), dtype=dtype)
    spread[:, :, ::sh, ::sw][:, :, :ho, :wo] = dy
    full = np.pad(spread, [(0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)])
    rotated = w[:, :, ::-1, ::-1]
    dxp = np.einsum("nfhwpq,fcpq->nchw", sliding_window_view(full, (kh, kw), axis=(2, 3)), rotated,
                    optimize=True)
    return dxp[:, :, ph:ph + h, pw:pw + wd], dw, db
