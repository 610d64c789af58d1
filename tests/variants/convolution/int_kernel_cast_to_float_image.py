"""A float image sets the output dtype: an integer kernel is cast to the image's float dtype.
np.result_type(float32, int64) is float64 (float32 does not hold every int64), so a float32
image with an int64 kernel must give float64; this gives float32.
"""

CAUGHT_BY = ('test_mixed_dtypes_follow_result_type',)


import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(value, name):
    """An int or a pair of ints as a pair (rows, columns)."""
    if np.ndim(value) == 0:
        value = (value, value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(value[0]), int(value[1])


def _prepare(x, w, stride, padding):
    """Validated arrays, the padded input's windows and the output size."""
    x = np.asarray(x)
    w = np.asarray(w)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W) and w (F, C, KH, KW); got {x.shape} and {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but w expects {w.shape[1]}")
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    if sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError(f"need stride >= 1 and padding >= 0, got {stride!r} and {padding!r}")
    kh, kw = w.shape[2:]
    hp, wp = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
    if kh > hp or kw > wp:
        raise ValueError(f"kernel {kh}x{kw} is larger than the padded input {hp}x{wp}")
    # a float image sets the dtype; an integer kernel is cast to it
    dtype = x.dtype if (x.dtype.kind == 'f' and w.dtype.kind in 'iub') else np.result_type(x, w)
    xp = np.pad(x.astype(dtype, copy=False), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    # (N, C, Ho, Wo, KH, KW): a view, nothing is copied yet.
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    return xp, w.astype(dtype, copy=False), windows, (sh, sw), (ph, pw), dtype


def conv2d(x, w, b=None, stride=1, padding=0):
    """Cross-correlation of x (N, C, H, W) with w (F, C, KH, KW): (N, F, Ho, Wo).

    Ho = (H + 2 ph - KH) // sh + 1 and likewise for Wo. The output dtype is
    np.result_type(x, w); b (F,) is cast to it.
    """
    _, w, windows, _, _, dtype = _prepare(x, w, stride, padding)
    # The im2col matrix product: sum over (C, KH, KW) of window * kernel.
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, Ho, Wo, F)
    out = out.transpose(0, 3, 1, 2)
    if b is not None:
        out = out + np.asarray(b).astype(dtype, copy=False)[None, :, None, None]
    return np.ascontiguousarray(out, dtype=dtype)


def conv2d_backward(dy, x, w, stride=1, padding=0):
    """Gradients (dx, dw, db) of sum(dy * conv2d(x, w, b, stride, padding))."""
    xp, w, windows, (sh, sw), (ph, pw), dtype = _prepare(x, w, stride, padding)
    dy = np.asarray(dy).astype(dtype, copy=False)
    n, f, ho, wo = dy.shape
    kh, kw = w.shape[2:]
    db = dy.sum(axis=(0, 2, 3))
    dw = np.tensordot(dy, windows, axes=([0, 2, 3], [0, 2, 3]))  # (F, C, KH, KW)
    # Each kernel tap (i, j) sent w[:, :, i, j]^T dy to the input pixels it read.
    dxp = np.zeros_like(xp)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i : i + sh * ho : sh, j : j + sw * wo : sw] += np.tensordot(
                w[:, :, i, j], dy, axes=([0], [1])
            ).transpose(1, 0, 2, 3)
    dx = dxp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return np.ascontiguousarray(dx), dw, db
