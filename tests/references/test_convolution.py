"""The convolution reference against independent implementations.

Forward: scipy.signal.correlate (valid mode on an explicitly zero-padded
input, then strided) and a plain loop over output pixels. Backward: central
finite differences, which are exact for a function linear in each argument
up to rounding. scipy is a test-only dependency.

The timed tests' inputs: every call of a test has its own H and W, from the
test's secret, so that work keyed by the shapes and kept across calls
(tests/fixtures/hostile/convolution_memo_across_calls.py) saves nothing;
that file is graded for real.
"""

import numpy as np
import pytest

from tests.helpers import HOSTILE, REPO, load_module
from trainer.grading.budget import secret_seed

signal = pytest.importorskip("scipy.signal")

ref = load_module(REPO / "reference" / "convolution.py", "reference_convolution")
grader = load_module(REPO / "graders" / "convolution.py", "grader_convolution")


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


# ------------------------------------------------------------------ the timed inputs

# Fixed secrets standing for the grading's.
TIMED_SECRETS = (bytes([0]) * 16, bytes(range(16)), b"conv-timed-sizes")
# (shapes, size, skew, data seed, sizes seed) of each timed test
TIMED_TESTS = {
    "test_speed": (grader.SPEED_SHAPES, grader.SPEED_SIZE, grader.SPEED_SKEW, grader.SPEED_SEED,
                   grader.SPEED_SIZES_SEED),
    "test_speed_thin_layer_large_image": (grader.THIN_SHAPES, grader.THIN_SIZE, grader.THIN_SKEW, grader.THIN_SEED,
                                          grader.THIN_SIZES_SEED),
}
RUNS = grader.TIMED_REPEATS + 1     # the warm-up and the timed runs


@pytest.mark.parametrize("test", list(TIMED_TESTS))
def test_every_timed_call_has_its_own_size_from_the_secret(test):
    """Within a test (a secret) no two calls, the warm-up included, share an H or a W, so nothing keyed by
    the shapes serves another call; the sizes and the data come from the secret, the rest of the layer is
    fixed, and the area (the reference's cost) is within 1.6% of size^2 in every call."""
    shapes, size, skew, data_seed, sizes_seed = TIMED_TESTS[test]
    assert 2 * skew + 1 >= RUNS and (size, skew) in ((64, 8), (512, 64))
    per_secret = []
    for secret in TIMED_SECRETS:
        def seed_of(seed):
            return secret_seed(secret, seed)
        calls = [grader._speed_call(shapes, size, skew, data_seed, sizes_seed, seed_of, run) for run in range(RUNS)]
        hw = [call.args[0].shape[2:] for call in calls]
        assert len({h for h, _ in hw}) == len({w for _, w in hw}) == RUNS, hw
        per_secret.append(tuple(hw))
        for run, call in enumerate(calls):
            x, w, b = call.args
            h, wd = grader.timed_size(secret_seed(secret, sizes_seed), run, size, skew)
            assert x.shape == (shapes["n"], shapes["c"], h, wd)
            assert h + wd == 2 * size and abs(h - size) <= skew and 0.984 * size ** 2 <= h * wd <= size ** 2
            assert w.shape == (shapes["f"], shapes["c"], shapes["kh"], shapes["kw"]) and b.shape == (shapes["f"],)
            assert call.kwargs == {"stride": 1, "padding": 1}
            expected = grader._case(np.random.default_rng(secret_seed(secret, data_seed + run)), h=h, wd=wd,
                                    **shapes)
            for got, want in zip(call.args, expected):
                np.testing.assert_array_equal(got, want)
    assert len(set(per_secret)) == len(per_secret)
    # Over many secrets, the warm-up and the last run each take every size.
    for run in (0, RUNS - 1):
        drawn = {grader.timed_size(secret_seed(k.to_bytes(16, "little"), sizes_seed), run, size, skew)
                 for k in range(40 * (2 * skew + 1))}
        assert drawn == {(size + d, size - d) for d in range(-skew, skew + 1)}


def test_thin_layer_sizes_are_what_the_grader_says():
    """The numbers the grader's argument rests on: 129 shapes, whose im2col offsets (27 per output pixel,
    8 bytes each) take about 56 MB each, over 7.2 GB for the 129."""
    size, skew = grader.THIN_SIZE, grader.THIN_SKEW
    shapes = [(size + d, size - d) for d in range(-skew, skew + 1)]
    assert len(shapes) == 129
    offsets = [h * wd * 27 * 8 for h, wd in shapes]
    assert 55e6 < min(offsets) <= max(offsets) < 57e6 and sum(offsets) > 7.2e9


@pytest.mark.slow
def test_memo_across_calls_fails_its_grade():
    """Graded for real, tests/fixtures/hostile/convolution_memo_across_calls.py (im2col offsets built by a
    Python loop over the output pixels, kept across calls in a dict keyed by the shapes) passes test_speed
    and fails test_speed_thin_layer_large_image on time, not on its results: every timed call has its own
    H and W, so the warm-up's offsets serve no timed call. With 512x512 in every call it passed at 0.6x to
    1.4x."""
    from trainer.catalog import load_catalog
    from trainer.engine import grade

    report = grade(load_catalog().get("convolution"), HOSTILE / "convolution_memo_across_calls.py",
                   keyword="test_speed")
    assert report.status == "failed", (report.status, report.error)
    names = sorted(t.nodeid.split("::")[-1] for t in report.tests)
    assert names == ["test_speed", "test_speed_thin_layer_large_image"], names
    failed = {t.nodeid.split("::")[-1]: t.message for t in report.tests if not t.passed}
    assert list(failed) == ["test_speed_thin_layer_large_image"], failed
    message = failed["test_speed_thin_layer_large_image"]
    assert "budget 3x" in message and "is wrong" not in message, message
