"""Hidden grader for the mlp challenge.

Oracles. The expected probabilities, losses and gradients are computed here
in float64 by a plain batch implementation of the stated rules (`oracle_*`
below), and the agreement tests also compare the reference's results with
them. Each gradient is also checked against central differences of the
candidate's own loss on a tiny network (`test_gradients_match_finite_differences`).
Expected He initialisations are drawn here with the stated calls.

Tolerances (eps = 2.2e-16, twice the unit roundoff). A computed matrix
product is within k * eps * (|A| @ |B|) of the exact one (k the inner
dimension), entry by entry, whatever the summation order. Running the
network on absolute values (|X|, |W|, |b|; ReLU dropped, which only removes
terms) bounds every sum of absolute terms the forward pass forms, and its
largest logit bound is `zmax`; to first order the logits are then within
kf * eps * zmax of exact, kf the sum of the forward inner dimensions
(+1 per bias). A row's softmax moves by at most 2 * that relatively (a
shift of every logit by at most d changes each probability by a factor in
[exp(-2d), exp(2d)]), plus (C + 4) * eps for the exp, the sum and the
division. The backward pass is again products: the same absolute network
run backwards from |p - onehot| <= 1 bounds every gradient entry's sum of
absolute terms (`error_scales` returns them per array), and the rounding of
the backward products and of the sum over the n rows adds
(sum(sizes) + n) * eps relative to that bound. So

    |gradient error| <= eps * (2 * kf * zmax + sum(sizes) + n + C + 8) * scale

for one computation; the tests allow twice that (candidate and oracle both
err), entry by entry. The loss (a mean of lse(z) - z_y) is within
eps * (2 * kf * zmax + C + 4 + |loss|) plus the rounding of the penalty,
eps * (number of weights + 2) * l2/2 * sum ||W||^2; again doubled. A wrong
rule (a missing 1/n, a ReLU mask shifted by a layer, l2 instead of l2/2, a
penalty on the biases, an overflowing exp) is off by a large fraction of
the result, many orders above these bounds.

ReLU kinks. The bounds assume both computations take the same side of every
ReLU. The random networks of the untimed tests have random non-zero biases
and Gaussian inputs, so no pre-activation is exactly 0;
tests/references/test_mlp.py checks, for every fixed seed used, that each
hidden pre-activation is at least 1e-8 times its absolute-value bound away
from 0, while the rounding is ~1e-14 of it. The timed networks are drawn
under a secret (below), so no seed can be vetted: they are built so that
every hidden pre-activation is computed exactly, in any order, and is
never 0 (see "Timed calls"). Exact zeros appear only in
test_relu_derivative_at_zero, on small integers where every computation is
exact.

Finite differences. On the tiny network (inputs and weights O(1), loss ~1),
central differences with h = 1e-5 have truncation error h^2/6 * |f'''| ~
1e-11 and rounding error ~ eps * |f| / h ~ 2e-11; no pre-activation lies
within h * (1 + |x|) of a kink (checked in tests/references). The test allows
1e-6 of the largest entry of each gradient array (the task's "1e-6
relative"), while the gradients are O(0.01-1).

The training run. 20 full-batch steps from the candidate's own He
initialisation, against the reference's from the same seed: each step's
rounding differences (~1e-13 relative, above) are amplified by later steps;
tests/references/test_mlp.py measures that amplification on this run
(a relative perturbation of 1e-10 of the initial parameters grows to less
than 1e-8 by the end, i.e. by less than 100x), so the 1e-8 relative
tolerance of the comparison holds rounding with a margin of ~1e3 and still
catches any wrong rule (off by 1e-3 or more).

Timed calls: every run has its own parameters, labels and rows (rows drawn
once per test, times a factor drawn for the run), all drawn from
`budget.seed`, under a secret drawn for the test, so that no file can build
them (and their answers) before the grading. Every result is checked
against the reference's with the bounds above (doubled once more: candidate
and reference both err); those bounds need only column sums and one product
of |X| with the product of the |W| (`error_scales`), not the network itself.
With Gaussian draws a pre-activation could fall within rounding of a kink
(a chance of up to ~1e-5 per test: 4e7 hidden pre-activations in the
forward test, a density of |z| / bound near 0 of ~10, rounding up to ~1e-14
of the bound), and a correct solution could then mask another unit than the
reference and disagree far beyond the bounds. So the timed draws are
rounded to a dyadic grid (`grid_params`): X to multiples of 2^-10 (rows on
2^-6 times a factor k / 16), every W to multiples of 2^-6, and each bias to
an odd multiple of 2^-(e + 1), where h @ W lies on the grid 2^-e (e = 16 in
the first layer, 23 in the second). Every product and partial sum of a
hidden layer is then a multiple of 2^-(e + 1) of size ~100 at most, far
below 2^(52 - e) >= 2^29, up to which float64 holds such multiples exactly:
it is exact whatever the order of the sum, and the pre-activation is an odd
multiple of 2^-(e + 1), the same in every correct solution and at least
2^-24 from 0. No secret can make a correct result fail
(tests/references/test_mlp.py checks the grid, the exactness and the
margins under sampled secrets).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from trainer.grading import Call, checks
from trainer.grading.harness import check_randomness_from_rng

EPS = np.finfo(np.float64).eps


# -- data ----------------------------------------------------------------------------------

def random_params(sizes, seed, bias_scale=0.1):
    """He-scaled Gaussian weights and small random biases (never exactly 0), as [(W, b), ...]."""
    g = np.random.default_rng(seed)
    return [(g.standard_normal((a, b)) * np.sqrt(2.0 / a), g.normal(scale=bias_scale, size=b))
            for a, b in zip(sizes[:-1], sizes[1:])]


def random_data(sizes, n, seed):
    """(X, y): X ~ N(0, 1) of shape (n, sizes[0]), y uniform labels in 0..C-1."""
    g = np.random.default_rng(seed)
    return g.standard_normal((n, sizes[0])), g.integers(sizes[-1], size=n)


def describe(sizes, n, l2=None):
    text = f"sizes {list(sizes)}, n={n} rows of N(0, 1) inputs, random labels"
    return text if l2 is None else f"{text}, l2={l2:g}"


# Networks of the agreement tests: (sizes, n, params seed, data seed).
NETWORKS = [
    ([6, 16, 12, 4], 40, 11, 12),
    ([4, 8, 3], 25, 13, 14),
    ([10, 32, 16, 8, 5], 30, 15, 16),
]


# -- the oracle: the stated rules, one batch at a time --------------------------------------

def oracle_pass(params, X):
    """(inputs of every layer, pre-activations of every layer); the last ones are the logits."""
    h = np.asarray(X, dtype=np.float64)
    inputs, pre = [], []
    for W, b in params:
        inputs.append(h)
        pre.append(h @ W + b)
        h = np.where(pre[-1] > 0, pre[-1], 0.0)
    return inputs, pre


def oracle_log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def oracle_forward(params, X):
    return np.exp(oracle_log_softmax(oracle_pass(params, X)[1][-1]))


def oracle_loss_and_grads(params, X, y, l2):
    inputs, pre = oracle_pass(params, X)
    n = len(y)
    logp = oracle_log_softmax(pre[-1])
    loss = -logp[np.arange(n), y].sum() / n + l2 / 2 * sum((W ** 2).sum() for W, _ in params)
    delta = (np.exp(logp) - np.eye(pre[-1].shape[1])[y]) / n
    grads = []
    for i in reversed(range(len(params))):
        W = params[i][0]
        grads.insert(0, (inputs[i].T @ delta + l2 * W, delta.sum(axis=0)))
        if i > 0:
            delta = (delta @ W.T) * (pre[i - 1] > 0)
    return loss, grads


def error_scales(params, X, l2):
    """(per-array scales [(SW, Sb), ...], zmax, kf): the absolute-value bounds of the module docstring.

    The absolute network has no ReLU, so it is linear in |X|: its layer inputs are
    A_0 = |X|, A_{i+1} = A_i @ |W_i| + |b_i|, and its logits bound is |X| @ M + c
    with M = |W_1| ... |W_L| and c the biases carried through the later |W|s (one
    product over the n rows instead of one per layer). Run backwards from
    D = ones / n, every row of D is the same vector d_i (D @ |W|.T keeps the rows
    equal), so A_i.T @ D = outer(colsum(A_i), d_i) and D.sum(axis=0) = n d_i, where
    colsum(A_{i+1}) = colsum(A_i) @ |W_i| + n |b_i|. The same bounds, without
    forming A_i or D row by row.
    """
    absX = np.abs(np.asarray(X, dtype=np.float64))
    n = absX.shape[0]
    absW = [np.abs(W) for W, _ in params]
    M, c = absW[0], np.abs(params[0][1])
    for (_, b), aW in zip(params[1:], absW[1:]):
        M, c = M @ aW, c @ aW + np.abs(b)
    zmax = float((absX @ M + c).max()) if n and M.shape[1] else 0.0
    colsums = [absX.sum(axis=0)]
    for (_, b), aW in zip(params, absW):
        colsums.append(colsums[-1] @ aW + n * np.abs(b))
    d = np.ones(absW[-1].shape[1]) / max(n, 1)
    scales = []
    for i in reversed(range(len(params))):
        scales.insert(0, (np.outer(colsums[i], d) + l2 * absW[i], n * d))
        d = d @ absW[i].T
    kf = sum(W.shape[0] + 1 for W, _ in params)
    return scales, zmax, kf


def grad_factor(params, X, zmax, kf):
    sizes = [params[0][0].shape[0]] + [W.shape[1] for W, _ in params]
    return EPS * (2 * kf * zmax + sum(sizes) + len(X) + sizes[-1] + 8)


def loss_tolerance(params, loss, l2, zmax, kf):
    C = params[-1][0].shape[1]
    weights = sum(W.size for W, _ in params)
    penalty = l2 / 2 * sum(float((W ** 2).sum()) for W, _ in params)
    return EPS * (2 * kf * zmax + C + 4 + abs(loss) + (weights + 2) * penalty)


# -- reading results -------------------------------------------------------------------------

def as_layers(result, shapes, what, given):
    """A [(W, b), ...] result as a list of float arrays with the expected shapes."""
    if not (isinstance(result, (list, tuple)) and len(result) == len(shapes)):
        checks.fail(f"{what} for {given} should be a list of {len(shapes)} (W, b) pairs, one per layer, "
                    f"got {checks.show(result, 300)}")
    layers = []
    for i, (pair, (ws, bs)) in enumerate(zip(result, shapes)):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            checks.fail(f"layer {i} of {what} for {given} should be a pair (W, b), got {checks.show(pair, 300)}")
        W = checks.shape(pair[0], ws, what=f"W of layer {i} in {what}", given=given)
        b = checks.shape(pair[1], bs, what=f"b of layer {i} in {what}", given=given)
        for arr, name in ((W, "W"), (b, "b")):
            checks.that(arr.dtype.kind == "f",
                        f"{name} of layer {i} in {what} for {given} should be float64, got dtype {arr.dtype}")
        layers.append((W.astype(np.float64), b.astype(np.float64)))
    return layers


def shapes_of(params):
    return [(W.shape, b.shape) for W, b in params]


def unpack_loss_grads(result, params, given):
    if not (isinstance(result, (list, tuple)) and len(result) == 2):
        checks.fail(f"loss_and_grads for {given} should return (loss, grads), got {checks.show(result, 300)}")
    loss, grads = result
    if not (np.ndim(loss) == 0 and np.asarray(loss).dtype.kind in "fiu"):
        checks.fail(f"the loss for {given} should be a scalar, got {checks.show(loss)}")
    return float(loss), as_layers(grads, shapes_of(params), "grads", given)


def check_gradients(got, expected, scales, factor, given, what="the gradient"):
    """Every gradient array within 2 * factor * its scale, entry by entry (module docstring)."""
    for i, ((dW, db), (eW, eb), (sW, sb)) in enumerate(zip(got, expected, scales)):
        for name, g, e, s in (("dW", dW, eW, sW), ("db", db, eb, sb)):
            tol = 2 * factor * s
            with np.errstate(invalid="ignore"):
                ok = np.abs(g - e) <= tol
            if not ok.all():
                at = tuple(int(v) for v in np.argwhere(~ok)[0])
                checks.close(g, e, atol=float(tol.max()), what=f"{what}: {name} of layer {i}", given=given)
                checks.fail(f"{what}: {name} of layer {i} for {given} differs from the expected value at index "
                            f"{at}: expected {e[at]!r}, got {g[at]!r} (tolerance {tol[at]:.3g})")


def check_loss_and_grads(result, params, X, y, l2, given, *, grads=True):
    """The candidate's (loss, grads) against the oracle within the bounds of the module docstring."""
    loss, got = unpack_loss_grads(result, params, given)
    exp_loss, exp_grads = oracle_loss_and_grads(params, X, y, l2)
    scales, zmax, kf = error_scales(params, X, l2)
    checks.close(loss, exp_loss, atol=2 * loss_tolerance(params, exp_loss, l2, zmax, kf),
                 what="the loss (mean cross-entropy + l2/2 * sum of ||W||^2)", given=given)
    if grads:
        check_gradients(got, exp_grads, scales, grad_factor(params, X, zmax, kf), given)
    return loss, got


def check_probabilities(got, params, X, given, factor=2.0):
    expected = oracle_forward(params, X)
    _, zmax, kf = error_scales(params, X, 0.0)
    arr = checks.shape(got, expected.shape, what="forward's probabilities", given=given)
    C = expected.shape[1]
    checks.close(arr, expected, rtol=factor * EPS * (2 * kf * zmax + C + 4), atol=np.finfo(np.float64).tiny,
                 what="forward's probabilities (softmax of the logits)", given=given)


# -- initialisation -----------------------------------------------------------------------------

INIT_SIZES = ([4, 8, 3], [5, 3], [3, 6, 5, 2], [7, 1, 4])


def expected_init(sizes, seed):
    g = np.random.default_rng(seed)
    return [(g.standard_normal((a, b)) * np.sqrt(2.0 / a), np.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]


@pytest.mark.correctness
def test_init_params_he_draws(solution):
    """init_params: W = rng.standard_normal((fan_in, fan_out)) * sqrt(2 / fan_in), layer by layer; b = 0"""
    for i, sizes in enumerate(INIT_SIZES):
        seed = 100 + i
        given = f"sizes {sizes}, rng = np.random.default_rng({seed})"
        expected = expected_init(sizes, seed)
        got = as_layers(solution.init_params(sizes, np.random.default_rng(seed)), shapes_of(expected),
                        "init_params' result", given)
        for layer, ((W, b), (eW, eb)) in enumerate(zip(got, expected)):
            # x * sqrt(2 / fan_in) is two roundings of the same draw; x / sqrt(fan_in / 2) or
            # x * sqrt(2) / sqrt(fan_in) differ by at most 2 more ulps.
            checks.close(W, eW, rtol=4 * EPS,
                         what=f"W of layer {layer} (one rng.standard_normal((fan_in, fan_out)) call per layer, "
                              f"from the input layer on, times sqrt(2 / fan_in))", given=given)
            checks.equal(b, eb, what=f"b of layer {layer} (zeros; biases take no draw)", given=given)


@pytest.mark.edge_case
def test_init_params_randomness_comes_from_rng(solution):
    """init_params takes all its randomness from rng: same seed, same weights; the global generators untouched"""
    sizes = [6, 5, 3]

    def run(seed):
        return solution.init_params(sizes, np.random.default_rng(seed))

    check_randomness_from_rng(solution, run, what="init_params", given=f"sizes {sizes}")


@pytest.mark.edge_case
def test_init_params_sizes_are_integers(solution):
    """The widths in sizes are integers: NumPy integers work as ints, a float (even 2.0) or a bool raises ValueError"""
    # Every width is >= 1 and there are at least 2 of them, so only the type of an entry is at stake.
    for bad, shown, why in (([2, 0.5, 3], "[2, 0.5, 3]", "0.5 is a float"),
                            ([4, 2.0, 3], "[4, 2.0, 3]", "2.0 is a float, not an integer, whatever its value"),
                            ([4, 3, 2.0], "[4, 3, 2.0]", "the output width 2.0 is a float"),
                            ([np.float64(4.0), 3], "[np.float64(4.0), 3]", "a NumPy float is a float"),
                            # np.float64 is a subclass of float, np.float32 is not: isinstance(s, float)
                            # alone lets it through.
                            ([np.float32(4.0), 3], "[np.float32(4.0), 3]", "a NumPy float32 is a float too"),
                            ([3, True, 2], "[3, True, 2]", "True is a bool, not an integer"),
                            ([True, 3], "[True, 3]", "True is a bool, not an integer")):
        checks.raises(ValueError, solution.init_params, bad, np.random.default_rng(0), given=f"sizes {shown} ({why})")
    # A NumPy integer is an integer: the layers have the shapes of the same Python ints. Only the shapes are
    # compared, so that the draws (test_init_params_he_draws) play no part.
    widths = [4, 3, 2]
    for sizes, shown in (([np.int64(w) for w in widths], "[np.int64(4), np.int64(3), np.int64(2)]"),
                         ([np.int32(4), 3, np.uint8(2)], "[np.int32(4), 3, np.uint8(2)]")):
        given = f"sizes {shown} (NumPy integers, the widths [4, 3, 2]), rng = np.random.default_rng(0)"
        try:
            got = solution.init_params(sizes, np.random.default_rng(0))
        except Exception as exc:
            checks.fail(f"init_params for {given} should return the layers of sizes [4, 3, 2] (a NumPy integer is "
                        f"an integer), but raised {type(exc).__name__}: {exc}")
        as_layers(got, [((a, b), (b,)) for a, b in zip(widths[:-1], widths[1:])], "init_params' result", given)


# -- forward --------------------------------------------------------------------------------------

@pytest.mark.correctness
def test_forward_agrees(solution, reference):
    """forward: ReLU hidden layers, h @ W + b, softmax probabilities (n, C) whose rows sum to 1"""
    for sizes, n, pseed, dseed in NETWORKS:
        params = random_params(sizes, pseed)
        X, _ = random_data(sizes, n, dseed)
        given = describe(sizes, n)
        check_probabilities(reference.forward(params, X), params, X, "the REFERENCE on " + given)
        check_probabilities(solution.forward(params, X), params, X, given)


# -- loss and gradients ---------------------------------------------------------------------------

@pytest.mark.correctness
def test_loss_and_grads_agree(solution, reference):
    """loss_and_grads without penalty (l2=0, the default): mean cross-entropy and its gradients by backpropagation"""
    for sizes, n, pseed, dseed in NETWORKS:
        params = random_params(sizes, pseed)
        X, y = random_data(sizes, n, dseed)
        given = describe(sizes, n, 0.0)
        check_loss_and_grads(reference.loss_and_grads(params, X, y, 0.0), params, X, y, 0.0,
                             "the REFERENCE on " + given)
        check_loss_and_grads(solution.loss_and_grads(params, X, y, 0.0), params, X, y, 0.0, given)
    # The signature's default is l2=0.0: a call that leaves l2 out adds no penalty.
    sizes, n, pseed, dseed = NETWORKS[1]
    params = random_params(sizes, pseed)
    X, y = random_data(sizes, n, dseed)
    check_loss_and_grads(solution.loss_and_grads(params, X, y), params, X, y, 0.0,
                         describe(sizes, n) + ", l2 left out (the signature's default, l2=0.0: no penalty)")


@pytest.mark.correctness
def test_loss_is_a_float(solution):
    """The loss is a Python float or a NumPy float64 scalar, not a 0-d array"""
    sizes, n, pseed, dseed = NETWORKS[1]
    params = random_params(sizes, pseed)
    X, y = random_data(sizes, n, dseed)
    for l2 in (0.0, 0.1):
        given = describe(sizes, n, l2)
        result = solution.loss_and_grads(params, X, y, l2)
        if not (isinstance(result, (list, tuple)) and len(result) == 2):
            checks.fail(f"loss_and_grads for {given} should return (loss, grads), got {checks.show(result, 300)}")
        loss = result[0]
        # np.float64 is a subclass of float; a 0-d array, np.float32 or an int is not.
        if not isinstance(loss, float):
            checks.fail(f"the loss for {given} should be a float (a Python float or a NumPy float64 scalar, "
                        f"not a 0-d array), got {checks.show(loss)} of type {type(loss).__name__}")


@pytest.mark.correctness
def test_l2_penalty_on_weights_only(solution):
    """The penalty adds l2/2 * sum ||W||^2 to the loss and l2 * W to each dW; biases are not penalised"""
    sizes, n = [5, 8, 6, 3], 20
    params = random_params(sizes, 21)
    X, y = random_data(sizes, n, 22)
    l2 = 0.3
    given = describe(sizes, n) + f", with l2={l2:g} and with l2=0"
    loss0, g0 = unpack_loss_grads(solution.loss_and_grads(params, X, y, 0.0), params, given)
    loss1, g1 = unpack_loss_grads(solution.loss_and_grads(params, X, y, l2), params, given)
    # Differences of the solution's own results, so that only the penalty is at stake: the data
    # terms cancel to within their rounding (error_scales with l2=0), the penalty terms are exact
    # to a few ulps of their size.
    scales, zmax, kf = error_scales(params, X, l2)
    factor = grad_factor(params, X, zmax, kf)
    penalty = l2 / 2 * sum(float((W ** 2).sum()) for W, _ in params)
    checks.close(loss1 - loss0, penalty, atol=4 * loss_tolerance(params, loss0, l2, zmax, kf),
                 what="loss(l2) - loss(0) (the penalty: l2/2 times the sum of the squared entries of every W, "
                      "no bias)", given=given)
    for i, ((dW0, db0), (dW1, db1), (W, _), (sW, sb)) in enumerate(zip(g0, g1, params, scales)):
        checks.close(dW1 - dW0, l2 * W, atol=float((4 * factor * sW).max()),
                     what=f"dW(l2) - dW(0) of layer {i} (the penalty's gradient: l2 * W)", given=given)
        checks.close(db1 - db0, np.zeros_like(db0), atol=float((4 * factor * sb).max()),
                     what=f"db(l2) - db(0) of layer {i} (biases are not penalised)", given=given)


TINY_SIZES, TINY_N, TINY_L2 = [3, 4, 3, 3], 6, 0.1
TINY_PSEED, TINY_DSEED = 31, 32


@pytest.mark.correctness
def test_gradients_match_finite_differences(solution):
    """Every gradient matches central differences of your own loss (h = 1e-5) to 1e-6 relative"""
    params = random_params(TINY_SIZES, TINY_PSEED, bias_scale=0.5)
    X, y = random_data(TINY_SIZES, TINY_N, TINY_DSEED)
    given = describe(TINY_SIZES, TINY_N, TINY_L2)
    _, grads = unpack_loss_grads(solution.loss_and_grads(params, X, y, TINY_L2), params, given)
    h = 1e-5

    def loss_at(i, which, idx, step):
        moved = [(W.copy(), b.copy()) for W, b in params]
        moved[i][which][idx] += step
        return float(unpack_loss_grads(solution.loss_and_grads(moved, X, y, TINY_L2), params, given)[0])

    for i in range(len(params)):
        for which, name in ((0, "dW"), (1, "db")):
            numeric = np.zeros_like(params[i][which])
            for idx in np.ndindex(*numeric.shape):
                numeric[idx] = (loss_at(i, which, idx, h) - loss_at(i, which, idx, -h)) / (2 * h)
            # See the module docstring: the difference quotient is within ~1e-10 of the derivative.
            checks.close(grads[i][which], numeric, atol=1e-6 * float(np.abs(numeric).max()),
                         what=f"{name} of layer {i} vs (loss(p + h) - loss(p - h)) / 2h, h = 1e-5 (your own loss)",
                         given=given)


# -- sgd_step --------------------------------------------------------------------------------------

@pytest.mark.correctness
def test_sgd_step(solution):
    """sgd_step returns [(W - lr * dW, b - lr * db), ...]"""
    sizes = [4, 6, 3]
    params = random_params(sizes, 41)
    grads = random_params(sizes, 42, bias_scale=1.0)
    lr = 0.05
    given = f"sizes {sizes}, random params and grads, lr={lr}"
    got = as_layers(solution.sgd_step(params, grads, lr), shapes_of(params), "sgd_step's result", given)
    for i, ((W, b), (dW, db), (nW, nb)) in enumerate(zip(params, grads, got)):
        # One product and one subtraction, each rounded once (<= eps/2 of its size).
        for name, new, old, d in (("W", nW, W, dW), ("b", nb, b, db)):
            checks.close(new, old - lr * d, atol=float((EPS * (np.abs(old) + np.abs(lr * d))).max()),
                         what=f"{name} of layer {i} after the step ({name} - lr * d{name})", given=given)


@pytest.mark.edge_case
def test_sgd_step_returns_new_arrays(solution):
    """sgd_step returns new arrays, never the caller's own, lr = 0 (no change) included"""
    sizes = [4, 6, 3]
    params = random_params(sizes, 43)
    grads = random_params(sizes, 44, bias_scale=1.0)
    for lr in (0.05, 0.0):
        given = f"sizes {sizes}, random params and grads, lr={lr}"
        got, shared = solution.result_shares_inputs("sgd_step", params, grads, lr)
        as_layers(got, shapes_of(params), "sgd_step's result", given)
        checks.that(not shared, f"sgd_step for {given} returned the caller's own arrays at "
                                f"{', '.join(shared[:5])}: a caller that then writes into the new parameters "
                                "would change its old ones. Return new arrays (W - lr * dW) for every lr.")


# -- a training run ------------------------------------------------------------------------------

TRAIN_SIZES, TRAIN_N, TRAIN_SEED, TRAIN_DATA_SEED = [4, 16, 12, 3], 60, 51, 52
TRAIN_STEPS, TRAIN_LR, TRAIN_L2 = 20, 0.2, 1e-3
TRAIN_RTOL = 1e-8   # module docstring: amplified rounding is < 1e-10


def training_data():
    """Three Gaussian clusters in 4-D (60 rows), labelled by cluster."""
    g = np.random.default_rng(TRAIN_DATA_SEED)
    centres = g.normal(scale=2.0, size=(3, 4))
    y = np.arange(TRAIN_N) % 3
    return centres[y] + g.standard_normal((TRAIN_N, 4)), y


def training_run(module):
    """init_params from np.random.default_rng(TRAIN_SEED), then TRAIN_STEPS full-batch steps."""
    X, y = training_data()
    params = module.init_params(TRAIN_SIZES, np.random.default_rng(TRAIN_SEED))
    losses = []
    for _ in range(TRAIN_STEPS):
        loss, grads = module.loss_and_grads(params, X, y, TRAIN_L2)
        losses.append(float(loss))
        params = module.sgd_step(params, grads, TRAIN_LR)
    return losses, params


@pytest.mark.correctness
def test_training_run_matches_reference(solution, reference):
    """A short training run (init_params, then 20 steps of loss_and_grads + sgd_step) matches the reference"""
    given = (f"sizes {TRAIN_SIZES}, 3 Gaussian clusters (n={TRAIN_N}), init_params with "
             f"np.random.default_rng({TRAIN_SEED}), {TRAIN_STEPS} full-batch steps, lr={TRAIN_LR}, l2={TRAIN_L2}")
    exp_losses, exp_params = training_run(reference)
    exp_params = as_layers(exp_params, [((a, b), (b,)) for a, b in zip(TRAIN_SIZES[:-1], TRAIN_SIZES[1:])],
                           "the REFERENCE's parameters", given)
    losses, params = training_run(solution)
    params = as_layers(params, shapes_of(exp_params), "the parameters after training", given)
    checks.close(np.array(losses), np.array(exp_losses), rtol=TRAIN_RTOL,
                 what="the loss at each of the 20 steps", given=given)
    for i, ((W, b), (eW, eb)) in enumerate(zip(params, exp_params)):
        checks.close(W, eW, atol=TRAIN_RTOL * float(np.abs(eW).max()), what=f"W of layer {i} after training",
                     given=given)
        checks.close(b, eb, atol=TRAIN_RTOL * max(float(np.abs(eb).max()), float(np.abs(eW).max())),
                     what=f"b of layer {i} after training", given=given)


# -- edge cases ---------------------------------------------------------------------------------------

@pytest.mark.edge_case
def test_no_hidden_layer(solution):
    """sizes [d, C]: no hidden layer (softmax regression): init_params, forward, loss_and_grads"""
    sizes, n = [5, 4], 12
    params = random_params(sizes, 61)
    X, y = random_data(sizes, n, 62)
    given = describe(sizes, n, 0.0) + " (no hidden layer: the logits are X @ W + b)"
    check_probabilities(solution.forward(params, X), params, X, given)
    check_loss_and_grads(solution.loss_and_grads(params, X, y, 0.0), params, X, y, 0.0, given)
    expected = expected_init(sizes, 63)
    got = as_layers(solution.init_params(sizes, np.random.default_rng(63)), shapes_of(expected),
                    "init_params' result", "sizes [5, 4], rng = np.random.default_rng(63)")
    checks.close(got[0][0], expected[0][0], rtol=4 * EPS, what="W", given="init_params([5, 4], default_rng(63))")


@pytest.mark.edge_case
def test_single_row(solution):
    """n = 1: one row of X keeps its shapes (probabilities (1, C)); the mean is over one row"""
    sizes = [4, 6, 3]
    params = random_params(sizes, 71)
    X, y = random_data(sizes, 1, 72)
    given = describe(sizes, 1, 0.0)
    check_probabilities(solution.forward(params, X), params, X, given)
    check_loss_and_grads(solution.loss_and_grads(params, X, y, 0.0), params, X, y, 0.0, given)


@pytest.mark.edge_case
def test_relu_derivative_at_zero(solution):
    """The derivative of ReLU at exactly 0 is 0 (a unit with pre-activation 0 passes no gradient)"""
    # Small integers: every computation is exact. Row 0 puts hidden unit 0 exactly at 0 and row 1
    # puts hidden unit 1 exactly at 0; every other pre-activation is at least 0.5 away from 0.
    X = np.array([[1.0, -1.0], [2.0, 1.0], [-1.0, 3.0]])
    W1 = np.array([[1.0, 1.0, -1.0], [1.0, -2.0, 1.0]])
    b1 = np.array([0.0, 0.0, 0.5])
    W2 = np.array([[1.0, -1.0], [2.0, 0.5], [-1.0, 1.0]])
    b2 = np.array([0.5, -0.5])
    params = [(W1, b1), (W2, b2)]
    y = np.array([1, 0, 1])
    given = ("X = [[1, -1], [2, 1], [-1, 3]], W1 = [[1, 1, -1], [1, -2, 1]], b1 = [0, 0, 0.5], "
             "W2 = [[1, -1], [2, 0.5], [-1, 1]], b2 = [0.5, -0.5], y = [1, 0, 1], l2=0 "
             "(row 0 has hidden unit 0 at exactly 0, row 1 hidden unit 1: there ReLU's derivative is 0, the mask is z > 0)")
    check_loss_and_grads(solution.loss_and_grads(params, X, y, 0.0), params, X, y, 0.0, given)


@pytest.mark.edge_case
def test_invalid_arguments_raise(solution):
    """ValueError for a label outside 0..C-1, a negative l2, and sizes with fewer than 2 entries or a 0"""
    sizes = [3, 4, 3]
    params = random_params(sizes, 81)
    X, _ = random_data(sizes, 4, 82)
    for labels in ([0, 3, 1, 2], [0, -1, 1, 2], [5, 0, 0, 0]):
        checks.raises(ValueError, solution.loss_and_grads, params, X, np.array(labels), 0.0,
                      given=f"sizes {sizes} (C = 3), y = {labels}")
    checks.raises(ValueError, solution.loss_and_grads, params, X, np.array([0, 1, 2, 0]), -0.5,
                  given=f"sizes {sizes}, l2=-0.5")
    for bad in ([5], [], [3, 0, 2], [4, 3, 0]):
        checks.raises(ValueError, solution.init_params, bad, np.random.default_rng(0), given=f"sizes {bad}")


@pytest.mark.edge_case
def test_inputs_are_not_modified(solution):
    """loss_and_grads and sgd_step leave their arguments unchanged (sgd_step returns new arrays)"""
    sizes = [4, 6, 3]
    params = random_params(sizes, 91)
    grads = random_params(sizes, 92)
    X, y = random_data(sizes, 8, 93)
    given = describe(sizes, 8, 0.1)
    _, after, _ = solution.inputs_after("loss_and_grads", params, X, y, 0.1)
    for i, ((W, b), (W0, b0)) in enumerate(zip(as_layers(after[0], shapes_of(params), "params", given), params)):
        checks.equal(W, W0, what=f"W of layer {i} after loss_and_grads", given=given)
        checks.equal(b, b0, what=f"b of layer {i} after loss_and_grads", given=given)
    checks.equal(after[1], X, what="X after loss_and_grads", given=given)
    checks.equal(after[2], y, what="y after loss_and_grads", given=given)
    given = f"sizes {sizes}, random params and grads, lr=0.1"
    _, after, _ = solution.inputs_after("sgd_step", params, grads, 0.1)
    for arg, original, name in ((after[0], params, "params"), (after[1], grads, "grads")):
        for i, ((W, b), (W0, b0)) in enumerate(zip(as_layers(arg, shapes_of(params), name, given), original)):
            checks.equal(W, W0, what=f"{name}' W of layer {i} after sgd_step (return new arrays: "
                                     f"W - lr * dW, not W -= lr * dW)", given=given)
            checks.equal(b, b0, what=f"{name}' b of layer {i} after sgd_step", given=given)


# -- numerical stability --------------------------------------------------------------------------

# One hidden layer of 2 units that copies the positive part of X; the logits are rows of W2.
BIG_X = np.array([[1.0, -1.0], [-1.0, 1.0]])
BIG_W1 = np.eye(2)
BIG_B1 = np.zeros(2)


@pytest.mark.stability
def test_logits_of_1e4(solution):
    """Logits of 1e4: probabilities, loss and gradients finite and exact (a naive exp overflows)"""
    W2 = np.array([[1e4, 1e4 - 1.0, 1e4 + 2.0], [-1e4, -1e4 + 3.0, -1e4 + 1.0]])
    params = [(BIG_W1, BIG_B1), (W2, np.zeros(3))]
    y = np.array([0, 2])
    given = ("X = [[1, -1], [-1, 1]], W1 = I, b1 = 0, W2 = [[1e4, 1e4 - 1, 1e4 + 2], [-1e4, -1e4 + 3, -1e4 + 1]], "
             "b2 = 0: logits [[1e4, 1e4 - 1, 1e4 + 2], [-1e4, -1e4 + 3, -1e4 + 1]], y = [0, 2], l2=0")
    check_probabilities(solution.forward(params, BIG_X), params, BIG_X, given)
    check_loss_and_grads(solution.loss_and_grads(params, BIG_X, y, 0.0), params, BIG_X, y, 0.0, given)


@pytest.mark.stability
def test_loss_where_the_label_probability_underflows(solution):
    """A label whose probability underflows to 0 still has its exact loss (log-softmax, not log(softmax))"""
    W2 = np.array([[0.0, -1e4, -2.0], [-800.0, 0.0, -1.0]])
    params = [(BIG_W1, BIG_B1), (W2, np.zeros(3))]
    y = np.array([1, 0])
    given = ("X = [[1, -1], [-1, 1]], W1 = I, b1 = 0, W2 = [[0, -1e4, -2], [-800, 0, -1]], b2 = 0: "
             "logits [[0, -1e4, -2], [-800, 0, -1]], y = [1, 0] (both labels' probabilities underflow to 0), l2=0")
    check_loss_and_grads(solution.loss_and_grads(params, BIG_X, y, 0.0), params, BIG_X, y, 0.0, given)


# -- performance -----------------------------------------------------------------------------------

# loss_and_grads: ~6 700 multiply-adds per row and layer pass; forward on a narrower network
# (~1 800 per row), where a Python loop's ~10 us per row weighs more (~24x; ~13x at the
# loss_and_grads sizes).
LG_SIZES, LG_N, LG_SEED = [32, 64, 64, 10], 30_000, 1000
FW_SIZES, FW_N, FW_SEED = [16, 32, 32, 10], 150_000, 2000
PERF_RUNS = 4

# The timed networks live on a dyadic grid, so that no ReLU decision can depend on rounding,
# whatever the secret (module docstring, "Timed calls"): the rows are multiples of 2^-ROW_BITS
# times k / 2^FACTOR_BITS (k in 12..20: a factor in [0.75, 1.25]), every W a multiple of 2^-W_BITS.
ROW_BITS, FACTOR_BITS, W_BITS = 6, 4, 6


def on_grid(a, bits):
    """a rounded to the nearest multiples of 2^-bits."""
    return np.round(a * 2.0 ** bits) / 2.0 ** bits


def grid_params(sizes, seed, input_bits):
    """random_params rounded to the grid, for inputs on the grid 2^-input_bits: each W to multiples of
    2^-W_BITS; each b to an odd multiple of 2^-(e + 1), where the layer's h @ W lies on the grid 2^-e, so that
    every pre-activation is an odd multiple of 2^-(e + 1) (and the next layer's input lies on that grid)."""
    params, bits = [], input_bits
    for W, b in random_params(sizes, seed):
        bits += W_BITS
        params.append((on_grid(W, W_BITS), (np.floor(b * 2.0 ** bits) + 0.5) / 2.0 ** bits))
        bits += 1
    return params


@functools.lru_cache(maxsize=2)
def _perf_rows(d, n, seed):
    """The N(0, 1) rows the timed inputs are made from, on the grid 2^-ROW_BITS, drawn once per test."""
    return on_grid(np.random.default_rng(seed).standard_normal((n, d)), ROW_BITS)


def perf_call(run, sizes, n, seed, with_labels, *, seed_of):
    """Run `run`'s input: its own network, labels and scale of the rows (one multiplication instead of
    n * d fresh draws); no run's logits or gradients are another's. Every draw comes from seed_of(...)
    of the grader's seeds: budget.seed in the timed tests, a keyed hash under a secret drawn for the
    test, so that no file can build the inputs (and their answers) before the grading."""
    params = grid_params(sizes, seed_of(seed + 2 * run), ROW_BITS + FACTOR_BITS)
    g = np.random.default_rng(seed_of(seed + 2 * run + 1))
    X = _perf_rows(sizes[0], n, seed_of(seed - 1)) * (g.integers(12, 21) / 2.0 ** FACTOR_BITS)
    y = g.integers(sizes[-1], size=n)
    return Call(params, X, y, 1e-3) if with_labels else Call(params, X)


def sizes_of(params):
    return [params[0][0].shape[0]] + [W.shape[1] for W, _ in params]


def check_timed_loss_and_grads(got, expected, call):
    params, X, y, l2 = call.args
    given = describe(sizes_of(params), len(X), l2)
    loss, grads = unpack_loss_grads(got, params, given)
    exp_loss, exp_grads = unpack_loss_grads(expected, params, "the REFERENCE on " + given)
    scales, zmax, kf = error_scales(params, X, l2)
    checks.close(loss, exp_loss, atol=4 * loss_tolerance(params, exp_loss, l2, zmax, kf), what="the loss",
                 given=given)
    check_gradients(grads, exp_grads, scales, 2 * grad_factor(params, X, zmax, kf), given)


def check_timed_forward(got, expected, call):
    params, X = call.args
    given = describe(sizes_of(params), len(X))
    _, zmax, kf = error_scales(params, X, 0.0)
    arr = checks.shape(got, np.shape(expected), what="forward's probabilities", given=given)
    checks.close(arr, expected, rtol=4 * EPS * (2 * kf * zmax + arr.shape[1] + 4),
                 atol=np.finfo(np.float64).tiny, what="forward's probabilities", given=given)


@pytest.mark.performance
def test_loss_and_grads_time_budget(budget):
    """loss_and_grads on 30 000 rows, sizes [32, 64, 64, 10], within the time budget (no loop over rows)"""
    # The reference: ~60 ms (one matrix product per layer and direction); a Python loop over
    # the rows ~12x that.
    budget.time("loss_and_grads", lambda run: perf_call(run, LG_SIZES, LG_N, LG_SEED, True, seed_of=budget.seed),
                check=check_timed_loss_and_grads,
                repeats=PERF_RUNS - 1, label="loss_and_grads, sizes [32, 64, 64, 10], n=30 000, a new net per call")


@pytest.mark.performance
def test_forward_time_budget(budget):
    """forward on 150 000 rows, sizes [16, 32, 32, 10], within the time budget (no loop over rows)"""
    # The reference: ~65 ms; a Python loop over the rows ~24x that.
    budget.time("forward", lambda run: perf_call(run, FW_SIZES, FW_N, FW_SEED, False, seed_of=budget.seed),
                check=check_timed_forward,
                repeats=PERF_RUNS - 1, label="forward, sizes [16, 32, 32, 10], n=150 000, a new net per call")
