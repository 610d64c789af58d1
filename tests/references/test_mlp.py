"""The mlp reference against independent implementations, and the assumptions
the mlp grader makes about its own data.

Oracles:
- autograd (a small autodiff library): the stated loss written once with
  autograd.numpy, differentiated automatically;
- central differences of that autograd loss, one parameter at a time;
- a plain loop over the samples and units (Python floats, math.exp) for the
  forward pass, and mpmath at 50 digits for the losses of large logits;
- the stated draws of He initialisation, written with rng.normal.

Relative agreement is measured per gradient array as max |a - b| / max |b|.
Against autograd both sides are exact up to rounding (~1e-15 relative here),
so 1e-10 is required; against central differences (h = 1e-6 on O(1)
functions, truncation ~h^2 and rounding ~eps / h ~ 1e-10) 1e-6, the task's
figure. autograd and mpmath are test-only dependencies.
"""

import math

import numpy as np
import pytest

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")
mpmath = pytest.importorskip("mpmath")

ref = load_module(REPO / "reference" / "mlp.py", "mlp_reference")
grader = load_module(REPO / "graders" / "mlp.py", "mlp_grader_data")

# Secrets standing for the ones Budget draws for each timed test.
SECRETS = [bytes([i]) * 16 for i in range(4)]


# -- the autograd oracle -----------------------------------------------------------------------

def flatten(params):
    return [a for pair in params for a in pair]


def unflatten(flat):
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def autograd_loss(flat, X, y, l2):
    """Mean cross-entropy of a ReLU network + l2/2 sum ||W||^2, in autograd.numpy."""
    params = unflatten(flat)
    h = X
    for W, b in params[:-1]:
        z = anp.dot(h, W) + b
        h = z * (z > 0)                   # ReLU with derivative 0 at 0 (and no tie rule at stake)
    z = anp.dot(h, params[-1][0]) + params[-1][1]
    m = anp.max(z, axis=1, keepdims=True)
    logp = z - m - anp.log(anp.sum(anp.exp(z - m), axis=1, keepdims=True))
    n = X.shape[0]
    data = -anp.sum(logp[anp.arange(n), y]) / n
    return data + 0.5 * l2 * sum(anp.sum(W ** 2) for W, _ in params)


autograd_grad = autograd.grad(autograd_loss)


def relative(a, b):
    scale = np.abs(b).max()
    return np.abs(np.asarray(a) - b).max() / (scale if scale > 0 else 1.0)


NETWORK_CASES = [pytest.param(sizes, n, p, d, id=f"{sizes}-n{n}") for sizes, n, p, d in grader.NETWORKS]


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("sizes, n, pseed, dseed", NETWORK_CASES)
def test_loss_and_grads_match_autograd(sizes, n, pseed, dseed, l2):
    params = grader.random_params(sizes, pseed)
    X, y = grader.random_data(sizes, n, dseed)
    loss, grads = ref.loss_and_grads(params, X, y, l2)
    flat = flatten(params)
    assert abs(loss - autograd_loss(flat, X, y, l2)) <= 1e-13 * max(1.0, abs(loss))
    for got, expected in zip(flatten(grads), autograd_grad(flat, X, y, l2)):
        assert got.shape == expected.shape
        assert relative(got, expected) <= 1e-10


def test_tiny_network_gradients_match_central_differences_of_the_autograd_loss():
    params = grader.random_params(grader.TINY_SIZES, grader.TINY_PSEED, bias_scale=0.5)
    X, y = grader.random_data(grader.TINY_SIZES, grader.TINY_N, grader.TINY_DSEED)
    _, grads = ref.loss_and_grads(params, X, y, grader.TINY_L2)
    flat = flatten(params)
    h = 1e-6
    for k, (arr, got) in enumerate(zip(flat, flatten(grads))):
        numeric = np.zeros_like(arr)
        for idx in np.ndindex(*arr.shape):
            up = [a.copy() for a in flat]
            down = [a.copy() for a in flat]
            up[k][idx] += h
            down[k][idx] -= h
            numeric[idx] = (autograd_loss(up, X, y, grader.TINY_L2) - autograd_loss(down, X, y, grader.TINY_L2)) / (2 * h)
        assert relative(got, numeric) <= 1e-6, k


def test_the_penalty_is_half_l2_on_weights_only():
    params = grader.random_params([5, 8, 6, 3], 21)
    X, y = grader.random_data([5, 8, 6, 3], 20, 22)
    loss0, g0 = ref.loss_and_grads(params, X, y, 0.0)
    loss1, g1 = ref.loss_and_grads(params, X, y, 0.3)
    assert math.isclose(loss1 - loss0, 0.15 * sum((W ** 2).sum() for W, _ in params), rel_tol=1e-12)
    for (dW0, db0), (dW1, db1), (W, _) in zip(g0, g1, params):
        np.testing.assert_allclose(dW1 - dW0, 0.3 * W, atol=1e-14)
        np.testing.assert_array_equal(db1, db0)


# -- forward against a plain loop ---------------------------------------------------------------

def loop_forward(params, X):
    out = []
    for row in np.asarray(X, dtype=float).tolist():
        h = row
        for l, (W, b) in enumerate(params):
            z = [sum(h[i] * W[i, j] for i in range(len(h))) + b[j] for j in range(W.shape[1])]
            h = z if l == len(params) - 1 else [max(v, 0.0) for v in z]
        m = max(h)
        e = [math.exp(v - m) for v in h]
        out.append([v / sum(e) for v in e])
    return np.array(out)


@pytest.mark.parametrize("sizes, n, pseed, dseed", NETWORK_CASES)
def test_forward_matches_a_plain_loop(sizes, n, pseed, dseed):
    params = grader.random_params(sizes, pseed)
    X, _ = grader.random_data(sizes, n, dseed)
    np.testing.assert_allclose(ref.forward(params, X), loop_forward(params, X), rtol=1e-12, atol=1e-300)


# -- initialisation ------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", grader.INIT_SIZES)
def test_init_params_are_the_stated_draws(sizes):
    g = np.random.default_rng(7)
    expected = [(g.normal(0.0, math.sqrt(2 / a), size=(a, b)), np.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]
    got = ref.init_params(sizes, np.random.default_rng(7))
    assert isinstance(got, list) and all(isinstance(p, tuple) for p in got)
    for (W, b), (eW, eb) in zip(got, expected):
        assert W.dtype == np.float64 and W.shape == eW.shape
        np.testing.assert_allclose(W, eW, rtol=2 * np.finfo(float).eps)
        np.testing.assert_array_equal(b, eb)


def test_he_scale_keeps_the_second_moment_of_relu_activations():
    """The reason for sqrt(2 / fan_in): E[h^2] stays about constant through ReLU layers."""
    params = ref.init_params([256] * 6, np.random.default_rng(3))
    h = np.random.default_rng(4).standard_normal((2000, 256))
    moments = []
    for W, b in params:
        h = np.maximum(h @ W + b, 0.0)
        moments.append((h ** 2).mean())
    # One ReLU layer halves the second moment of N(0, 1) inputs (2 * 1/2 = 1 after the first);
    # later layers keep it within sampling noise.
    assert all(0.7 < m / moments[0] < 1.4 for m in moments)


# -- stability against mpmath -----------------------------------------------------------------

def mp_loss(logit_rows, labels):
    mpmath.mp.dps = 50
    total = 0
    for row, label in zip(logit_rows, labels):
        lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in row))
        total += lse - mpmath.mpf(row[label])
    return float(total / len(labels))


@pytest.mark.parametrize("W2, y", [
    (np.array([[1e4, 1e4 - 1.0, 1e4 + 2.0], [-1e4, -1e4 + 3.0, -1e4 + 1.0]]), np.array([0, 2])),
    (np.array([[0.0, -1e4, -2.0], [-800.0, 0.0, -1.0]]), np.array([1, 0])),
])
def test_large_logits_give_the_exact_loss(W2, y):
    params = [(grader.BIG_W1, grader.BIG_B1), (W2, np.zeros(3))]
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow is expected
        loss, grads = ref.loss_and_grads(params, grader.BIG_X, y, 0.0)
        p = ref.forward(params, grader.BIG_X)
    # The logits are the rows of W2 (the hidden layer copies the positive part of X, exactly).
    assert abs(loss - mp_loss(W2.tolist(), y)) <= 4 * np.finfo(float).eps * abs(loss)
    assert np.all(np.isfinite(p)) and all(np.all(np.isfinite(a)) for a in flatten(grads))
    for got, expected in zip(flatten(grads), autograd_grad(flatten(params), grader.BIG_X, y, 0.0)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_relu_derivative_at_zero_case_by_hand():
    """The grader's exact-zero case, against a loop with ReLU'(0) = 0 written out."""
    X = np.array([[1.0, -1.0], [2.0, 1.0], [-1.0, 3.0]])
    W1 = np.array([[1.0, 1.0, -1.0], [1.0, -2.0, 1.0]])
    b1 = np.array([0.0, 0.0, 0.5])
    W2 = np.array([[1.0, -1.0], [2.0, 0.5], [-1.0, 1.0]])
    b2 = np.array([0.5, -0.5])
    y = np.array([1, 0, 1])
    z1 = X @ W1 + b1
    assert z1[0, 0] == 0 and z1[1, 1] == 0
    others = np.ones_like(z1, bool)
    others[0, 0] = others[1, 1] = False
    assert np.abs(z1[others]).min() >= 0.5
    def first_layer_grads(derivative_at_zero):
        dW1 = np.zeros_like(W1)
        db1 = np.zeros_like(b1)
        for i in range(3):
            h = np.maximum(z1[i], 0)
            z2 = h @ W2 + b2
            p = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
            p[y[i]] -= 1
            dh = W2 @ (p / 3)
            for j in range(3):
                slope = 1.0 if z1[i, j] > 0 else (derivative_at_zero if z1[i, j] == 0 else 0.0)
                dW1[:, j] += X[i] * dh[j] * slope
                db1[j] += dh[j] * slope
        return dW1, db1

    dW1, db1 = first_layer_grads(0.0)
    _, grads = ref.loss_and_grads([(W1, b1), (W2, b2)], X, y, 0.0)
    np.testing.assert_allclose(grads[0][0], dW1, atol=1e-15)
    np.testing.assert_allclose(grads[0][1], db1, atol=1e-15)
    # With ReLU'(0) = 1 both would differ by far more than any tolerance.
    wrong_W, wrong_b = first_layer_grads(1.0)
    assert np.abs(wrong_W - dW1).max() > 0.1 and np.abs(wrong_b - db1).max() > 0.1


# -- the grader's margins -------------------------------------------------------------------------

def kink_margin(params, X):
    """The smallest |z| / (its absolute-value bound) over every hidden pre-activation."""
    h, A = np.asarray(X, dtype=float), np.abs(X)
    worst = np.inf
    for W, b in params[:-1]:
        z = h @ W
        z += b
        A = A @ np.abs(W)
        A += np.abs(b)
        ratio = np.abs(z)
        ratio /= A
        worst = min(worst, float(ratio.min()))
        h = np.maximum(z, 0, out=z)
    return worst


@pytest.mark.parametrize("sizes, n, pseed, dseed", NETWORK_CASES)
def test_agreement_networks_keep_clear_of_relu_kinks(sizes, n, pseed, dseed):
    params = grader.random_params(sizes, pseed)
    X, _ = grader.random_data(sizes, n, dseed)
    assert kink_margin(params, X) > 1e-8


def test_tiny_network_keeps_clear_of_kinks_by_more_than_the_step():
    params = grader.random_params(grader.TINY_SIZES, grader.TINY_PSEED, bias_scale=0.5)
    X, _ = grader.random_data(grader.TINY_SIZES, grader.TINY_N, grader.TINY_DSEED)
    # A step h = 1e-5 moves a pre-activation by at most ~h times its absolute-value bound.
    assert kink_margin(params, X) > 1e-3


def test_other_networks_keep_clear_of_relu_kinks():
    for sizes, n, pseed, dseed, bias in (([5, 8, 6, 3], 20, 21, 22, 0.1), ([4, 6, 3], 1, 71, 72, 0.1)):
        params = grader.random_params(sizes, pseed, bias_scale=bias)
        X, _ = grader.random_data(sizes, n, dseed)
        assert kink_margin(params, X) > 1e-8


def _training(perturb=0.0):
    X, y = grader.training_data()
    params = ref.init_params(grader.TRAIN_SIZES, np.random.default_rng(grader.TRAIN_SEED))
    if perturb:
        g = np.random.default_rng(99)
        params = [(W * (1 + perturb * g.standard_normal(W.shape)), b) for W, b in params]
    losses, margins = [], []
    for _ in range(grader.TRAIN_STEPS):
        margins.append(kink_margin(params, X))
        loss, grads = ref.loss_and_grads(params, X, y, grader.TRAIN_L2)
        losses.append(loss)
        params = ref.sgd_step(params, grads, grader.TRAIN_LR)
    return np.array(losses), params, min(margins)


def test_training_run_amplifies_rounding_by_less_than_100x():
    losses, params, margin = _training()
    assert margin > 1e-8
    assert losses[-1] < 0.5 * losses[0]                      # the run does learn
    moved, moved_params, _ = _training(perturb=1e-10)
    assert relative(moved, losses) < 1e-8
    for (W, b), (mW, mb) in zip(params, moved_params):
        assert np.abs(mW - W).max() < 1e-8 * np.abs(W).max()
        assert np.abs(mb - b).max() < 1e-8 * max(np.abs(b).max(), np.abs(W).max())


TIMED_NETWORKS = [pytest.param(grader.LG_SIZES, grader.LG_N, grader.LG_SEED, id="loss_and_grads"),
                  pytest.param(grader.FW_SIZES, grader.FW_N, grader.FW_SEED, id="forward")]


def pre_activations_reassociated(params, X):
    """The hidden pre-activations as (first half of h @ W + b) + second half: a sum in another order."""
    h, out = np.asarray(X, dtype=float), []
    for W, b in params[:-1]:
        k = W.shape[0] // 2
        z = h[:, :k] @ W[:k] + b
        z += h[:, k:] @ W[k:]
        out.append(z)
        h = np.maximum(z, 0.0)
    return out


@pytest.mark.parametrize("sizes, n, seed", TIMED_NETWORKS)
def test_timed_networks_keep_clear_of_relu_kinks(sizes, n, seed):
    """Under sampled secrets (one run each), every hidden pre-activation of a timed network is exact and far from 0.

    The grid of the module docstring: X on 2^-10, every W on 2^-6, every bias an odd multiple of 2^-(e + 1);
    so a sum in another order gives the same bits, and no pre-activation is 0 (margin >= 2^-24 / bound).
    """
    for run, secret in enumerate(SECRETS[:grader.PERF_RUNS]):
        params, X = grader.perf_call(run, sizes, n, seed, False, seed_of=lambda s: secret_seed(secret, s)).args
        assert np.array_equal(X, grader.on_grid(X, grader.ROW_BITS + grader.FACTOR_BITS))
        bits = grader.ROW_BITS + grader.FACTOR_BITS
        for W, b in params:
            bits += grader.W_BITS
            assert np.array_equal(W, grader.on_grid(W, grader.W_BITS))
            assert np.all(np.floor(b * 2.0 ** bits) + 0.5 == b * 2.0 ** bits)
            bits += 1
        h = X
        for (W, b), z in zip(params[:-1], pre_activations_reassociated(params, X)):
            assert np.array_equal(h @ W + b, z) and np.all(z != 0)
            h = np.maximum(z, 0.0)
        # Rounding would move a pre-activation by ~1e-14 of its bound: a margin of 1e-11 leaves 1000x (here none
        # is rounded at all).
        assert kink_margin(params, X) > 1e-11


# -- validation -------------------------------------------------------------------------------------

def test_invalid_arguments():
    params = grader.random_params([3, 4, 3], 81)
    X, _ = grader.random_data([3, 4, 3], 4, 82)
    for labels in ([0, 3, 1, 2], [0, -1, 1, 2]):
        with pytest.raises(ValueError):
            ref.loss_and_grads(params, X, np.array(labels), 0.0)
    with pytest.raises(ValueError):
        ref.loss_and_grads(params, X, np.array([0, 1, 2, 0]), -0.5)
    for bad in ([5], [], [3, 0, 2]):
        with pytest.raises(ValueError):
            ref.init_params(bad, np.random.default_rng(0))
