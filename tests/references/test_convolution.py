"""The convolution reference against independent implementations.

Forward: scipy.signal.correlate (valid mode on an explicitly zero-padded
input, then strided) and a plain loop over output pixels. Backward: central
finite differences, which are exact for a function linear in each argument
up to rounding. scipy is a test-only dependency.
"""

import numpy as np
import pytest

from tests.helpers import REPO, load_module

signal = pytest.importorskip("scipy.signal")

ref = load_module(REPO / "reference" / "convolution.py", "reference_convolution")


def _pair(v):
    return (v, v) if np.ndim(v) == 0 else tuple(v)


def scipy_conv2d(x, w, b, stride, padding):
    """Sum over channels of scipy's 2-D correlations, padded and strided by hand."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = []
    for n in range(x.shape[0]):
        per_filter = []
        for f in range(w.shape[0]):
            acc = sum(signal.correlate(xp[n, c], w[f, c], mode="valid", method="direct") for c in range(x.shape[1]))
            per_filter.append(acc[::sh, ::sw] + (0.0 if b is None else b[f]))
        out.append(per_filter)
    return np.array(out)


def loop_conv2d(x, w, b, stride, padding):
    """The definition, one multiply-add at a time."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n_, c_, h, wd = x.shape
    f_, _, kh, kw = w.shape
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = np.zeros((n_, f_, ho, wo))
    for n in range(n_):
        for f in range(f_):
            for i in range(ho):
                for j in range(wo):
                    s = 0.0 if b is None else b[f]
                    for c in range(c_):
                        for p in range(kh):
                            for q in range(kw):
                                r, col = i * sh + p - ph, j * sw + q - pw
                                if 0 <= r < h and 0 <= col < wd:
                                    s += w[f, c, p, q] * x[n, c, r, col]
                    y[n, f, i, j] = s
    return y


CASES = [
    (2, 3, 7, 7, 4, 3, 3, 1, 0),
    (1, 2, 6, 9, 3, 2, 2, 1, 0),
    (2, 4, 5, 6, 3, 1, 1, 1, 0),
    (1, 3, 9, 8, 2, 3, 2, 2, 0),
    (2, 2, 6, 5, 3, 3, 3, 1, 1),
    (1, 2, 7, 8, 3, 3, 3, 2, 2),
    (1, 3, 8, 9, 2, 4, 3, (2, 1), (1, 2)),
    (1, 1, 4, 4, 1, 5, 5, 1, 1),
]

# Sums of at most 48 products of standard normals: rounding error is below
# 48 * 1.1e-16 * sum|terms| ~ 1e-13; 1e-11 leaves room and still catches any bug.
ATOL = 1e-11


@pytest.mark.parametrize("case", CASES)
def test_forward_matches_scipy_and_loop(case):
    n, c, h, wd, f, kh, kw, stride, padding = case
    r = np.random.default_rng(7)
    x = r.standard_normal((n, c, h, wd))
    w = r.standard_normal((f, c, kh, kw))
    b = r.standard_normal(f)
    got = ref.conv2d(x, w, b, stride=stride, padding=padding)
    np.testing.assert_allclose(got, scipy_conv2d(x, w, b, stride, padding), rtol=0, atol=ATOL)
    np.testing.assert_allclose(got, loop_conv2d(x, w, b, stride, padding), rtol=0, atol=ATOL)
    np.testing.assert_allclose(ref.conv2d(x, w, None, stride=stride, padding=padding),
                               loop_conv2d(x, w, None, stride, padding), rtol=0, atol=ATOL)


def test_dtypes():
    r = np.random.default_rng(8)
    x = r.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = r.standard_normal((3, 2, 3, 3)).astype(np.float32)
    b = r.standard_normal(3)
    assert ref.conv2d(x, w, b).dtype == np.float32
    assert ref.conv2d(x, w.astype(np.float64)).dtype == np.float64
    # float32 accumulation of 18 products: relative error ~ 18 * 6e-8 of sum|terms| (~20)
    np.testing.assert_allclose(ref.conv2d(x, w, b), loop_conv2d(x, w, b.astype(np.float32), 1, 0), atol=1e-4)


def test_errors():
    with pytest.raises(ValueError):
        ref.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError):
        ref.conv2d(np.zeros((1, 2, 4, 6)), np.zeros((2, 2, 5, 3)))
    assert ref.conv2d(np.zeros((1, 2, 4, 6)), np.zeros((2, 2, 5, 3)), padding=1).shape == (1, 2, 2, 6)


@pytest.mark.parametrize("stride, padding, kernel", [(1, 0, (3, 3)), (2, 1, (3, 3)), ((2, 3), (0, 1), (2, 3))])
def test_backward_matches_finite_differences(stride, padding, kernel):
    r = np.random.default_rng(9)
    x = r.standard_normal((2, 2, 8, 7))
    w = r.standard_normal((3, 2) + kernel)
    b = r.standard_normal(3)
    g = r.standard_normal(ref.conv2d(x, w, b, stride=stride, padding=padding).shape)

    def loss():
        # the forward pass is checked against scipy and the plain loop above
        return float(np.sum(g * ref.conv2d(x, w, b, stride=stride, padding=padding)))

    dx, dw, db = ref.conv2d_backward(g, x, w, stride=stride, padding=padding)
    for arr, grad in ((x, dx), (w, dw), (b, db)):
        assert grad.shape == arr.shape
        fd = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + 1.0  # the loss is linear in arr: any step is exact up to rounding
            up = loss()
            arr[idx] = old - 1.0
            down = loss()
            arr[idx] = old
            fd[idx] = (up - down) / 2
        # losses are sums of ~1e3 terms of size ~10: rounding ~1e3 * 1e-16 * 1e4 = 1e-9
        np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-8)


def test_integer_images_and_size_one_axes():
    r = np.random.default_rng(10)
    x8 = r.integers(0, 256, (1, 1, 5, 4)).astype(np.uint8)
    w = r.standard_normal((1, 1, 1, 1))
    got = ref.conv2d(x8, w)
    assert got.dtype == np.float64 and got.shape == (1, 1, 5, 4)
    # one product per output: exact in float64, no uint8 arithmetic anywhere
    np.testing.assert_array_equal(got, x8.astype(np.float64) * w[0, 0, 0, 0])
    for xs, ws in (((2, 1, 4, 1), (3, 1, 2, 1)), ((1, 1, 1, 6), (2, 1, 1, 3)), ((1, 2, 3, 3), (1, 2, 3, 3))):
        x = r.standard_normal(xs)
        wk = r.standard_normal(ws)
        b = r.standard_normal(ws[0])
        np.testing.assert_allclose(ref.conv2d(x, wk, b), loop_conv2d(x, wk, b, 1, 0), rtol=0, atol=ATOL)
