"""The rnn reference against independent implementations.

Forward: a plain loop over sequences and steps with math.tanh and explicit
sums. Backward: autograd (a test-only dependency) differentiating a plain
forward written with autograd.numpy, and central differences of
sum(dh_all * h_all), entry by entry. clip_grad_norm: math.fsum and
math.hypot on Python floats, and exact rescaling by powers of two.
Sequences of length 1 and 200.
"""

import math

import numpy as np
import pytest

from tests.helpers import REPO, load_module

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

ref = load_module(REPO / "reference" / "rnn.py", "reference_rnn")

KEYS = ("dx", "dh0", "dWxh", "dWhh", "db")


def problem(seed, n, t, d, h, x_scale=1.0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, t, d)) * x_scale
    h0 = r.uniform(-1, 1, (n, h))
    Wxh = r.standard_normal((d, h)) / math.sqrt(d)
    Whh = r.standard_normal((h, h)) * 0.8 / math.sqrt(h)
    b = r.standard_normal(h) * 0.5
    dh_all = r.standard_normal((n, t, h))
    return (x, h0, Wxh, Whh, b), dh_all


def loop_forward(x, h0, Wxh, Whh, b):
    """One sequence, one step, one unit at a time."""
    n, t_len, d = x.shape
    hidden = len(b)
    out = np.zeros((n, t_len, hidden))
    for i in range(n):
        h = [float(v) for v in h0[i]]
        for t in range(t_len):
            h = [math.tanh(math.fsum([x[i, t, k] * Wxh[k, j] for k in range(d)] +
                                     [h[k] * Whh[k, j] for k in range(hidden)] + [b[j]]))
                 for j in range(hidden)]
            out[i, t] = h
    return out


def autograd_forward(x, h0, Wxh, Whh, b):
    """The recurrence in autograd.numpy (no in-place writes: autograd traces it)."""
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = anp.tanh(anp.dot(x[:, t], Wxh) + anp.dot(h, Whh) + b)
        states.append(h)
    return anp.stack(states, axis=1)


def autograd_grads(args, dh_all):
    def loss(*a):
        return anp.sum(dh_all * autograd_forward(*a))
    # autograd's tanh derivative is 1 / cosh(a)^2: for saturated units cosh overflows to inf and
    # the derivative is 0, which is right; only the warning is silenced.
    with np.errstate(over="ignore"):
        return {key: autograd.grad(loss, i)(*args) for i, key in enumerate(KEYS)}


CASES = [(1, (3, 5, 4, 6)), (2, (1, 1, 1, 1)), (3, (4, 1, 3, 2)), (4, (2, 200, 3, 4)), (5, (1, 7, 2, 1))]


@pytest.mark.parametrize("seed, shape", CASES)
def test_forward_matches_plain_loop(seed, shape):
    args, _ = problem(seed, *shape)
    h_all, _ = ref.rnn_forward(*args)
    assert h_all.shape == shape[:2] + (shape[3],)
    # |Whh| rows sum to ~0.8 * sqrt(H) * 0.8 at most a few: rounding errors stay ~1e-15 per step
    np.testing.assert_allclose(h_all, loop_forward(*args), rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed, shape", CASES)
def test_backward_matches_autograd(seed, shape):
    args, dh_all = problem(seed, *shape)
    h_all, cache = ref.rnn_forward(*args)
    grads = ref.rnn_backward(dh_all, cache)
    assert set(grads) == set(KEYS)
    expected = autograd_grads(args, dh_all)
    for key, arg in zip(KEYS, args):
        assert grads[key].shape == np.shape(arg)
        # Both are float64 evaluations of the same derivative: differences are rounding (~1e-14 here).
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-11, err_msg=key)


@pytest.mark.parametrize("seed, shape", [(11, (2, 4, 3, 3)), (12, (1, 1, 2, 2)), (13, (2, 6, 1, 2))])
def test_backward_matches_finite_differences(seed, shape):
    args, dh_all = problem(seed, *shape)
    grads = ref.rnn_backward(dh_all, ref.rnn_forward(*args)[1])
    h = 1e-6
    for key, arg in zip(KEYS, args):
        fd = np.zeros_like(arg)
        for idx in np.ndindex(arg.shape):
            old = arg[idx]
            arg[idx] = old + h
            up = math.fsum((dh_all * loop_forward(*args)).ravel())
            arg[idx] = old - h
            down = math.fsum((dh_all * loop_forward(*args)).ravel())
            arg[idx] = old
            fd[idx] = (up - down) / (2 * h)
        # truncation h^2 / 6 |L'''| ~ 1e-12 * (a few); rounding ~ 1e-16 * sum|dh_all| / h ~ 1e-9
        np.testing.assert_allclose(grads[key], fd, rtol=0, atol=1e-7, err_msg=key)


def test_saturated_long_sequence_is_finite_and_exact():
    args, dh_all = problem(21, 2, 200, 3, 4, x_scale=1000.0)
    h_all, cache = ref.rnn_forward(*args)
    grads = ref.rnn_backward(dh_all, cache)
    assert np.all(np.isfinite(h_all)) and all(np.all(np.isfinite(g)) for g in grads.values())
    np.testing.assert_allclose(h_all, loop_forward(*args), rtol=0, atol=1e-12)
    expected = autograd_grads(args, dh_all)
    for key in KEYS:
        scale = max(1.0, float(np.abs(expected[key]).max()))
        np.testing.assert_allclose(grads[key], expected[key], rtol=0, atol=1e-10 * scale, err_msg=key)


def test_backward_leaves_dh_all_unchanged():
    args, dh_all = problem(22, 2, 5, 3, 4)
    before = dh_all.copy()
    ref.rnn_backward(dh_all, ref.rnn_forward(*args)[1])
    np.testing.assert_array_equal(dh_all, before)


def fsum_norm(grads):
    """The global norm in Python floats: each array rescaled by an exact power of two, then fsum and hypot."""
    values = [float(v) for g in grads.values() for v in np.ravel(g)]
    big = max((abs(v) for v in values), default=0.0)
    if big == 0:
        return 0.0
    e = math.frexp(big)[1]
    return math.ldexp(math.sqrt(math.fsum(math.ldexp(v, -e) ** 2 for v in values)), e)


@pytest.mark.parametrize("scale", [1.0, 1e200, 1e-200, 1e-3])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm(scale, max_norm):
    r = np.random.default_rng(31)
    grads = {"a": r.standard_normal((3, 4)) * scale, "b": r.standard_normal(5) * scale, "c": np.zeros(2)}
    before = {k: v.copy() for k, v in grads.items()}
    clipped, norm = ref.clip_grad_norm(grads, max_norm)
    expected = fsum_norm(before)
    assert math.isclose(norm, expected, rel_tol=1e-14)
    if scale == 1.0:
        assert math.isclose(norm, math.hypot(*[float(v) for g in before.values() for v in np.ravel(g)]),
                            rel_tol=1e-14)
    factor = max_norm / expected if expected > max_norm else 1.0
    for key in grads:
        np.testing.assert_array_equal(grads[key], before[key])           # input untouched
        np.testing.assert_allclose(clipped[key], before[key] * factor, rtol=1e-14, atol=0)
    if expected > max_norm:
        assert math.isclose(fsum_norm(clipped), max_norm, rel_tol=1e-13)
    else:
        for key in grads:
            np.testing.assert_array_equal(clipped[key], before[key])


def test_clip_edge_cases():
    zeros = {"a": np.zeros((2, 2))}
    clipped, norm = ref.clip_grad_norm(zeros, 1.0)
    assert norm == 0.0 and np.array_equal(clipped["a"], zeros["a"])
    for bad in (0.0, -2.0):
        with pytest.raises(ValueError):
            ref.clip_grad_norm(zeros, bad)
    assert ref.clip_grad_norm({"a": np.array([3.0]), "b": np.array([[4.0]])}, 5.0)[1] == 5.0
