"""The perceptron reference against independent implementations, and the grader's assumptions.

Oracles:
- a plain loop in pure Python (lists of floats, margins with math.fsum, the
  average as a running sum of w after every step), applying the rules one
  at a time;
- scikit-learn: `Perceptron(shuffle=False, eta0=lr)` trained with one
  `partial_fit` per epoch on the rows in that epoch's order
  `rng.permutation(n)` (its update is ours: w += eta0 y x and b += eta0 y
  when y (w.x + b) <= 0, no penalty); an epoch with no mistake is one that
  changes nothing (an update always changes b). The averaged perceptron
  against `SGDClassifier(loss="perceptron", average=True, shuffle=False,
  max_iter=1)` fitted once on the epochs' rows laid end to end: its average
  is the running mean of (w, b) after every step from the first. (Its
  averaging across several `partial_fit` calls does not give that mean, so
  one fit it is.);
- the per-sample loop, one numpy dot product per step (`trace_margins`): the
  reference takes its margins from matrix-vector products over blocks of
  samples, and must give that loop's mistakes and its w and b bit for bit on
  every run of the grader (the timed ones for a sample of the secrets they
  are drawn from) and on runs over several of its chunks;
- the Novikoff bound (R / gamma)^2 with the true margin gamma of the data,
  from a hard-margin SVM in the space with the bias folded in (scipy).

scikit-learn and scipy are test-only dependencies.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from trainer.grading.budget import secret_seed

from tests.helpers import REPO, load_module

ref = load_module(REPO / "reference" / "perceptron.py", "perceptron_reference")
grader = load_module(REPO / "graders" / "perceptron.py", "perceptron_grader_data")


# -- the plain-loop oracle -------------------------------------------------------------------------

def plain_run(X, y, seed, max_epochs=100, lr=1.0):
    """Pure Python: (w, b, mistakes, w_avg, b_avg, smallest relative margin after the first step).

    The relative margin of a step is |w.x + b| / (sum_j |w_j x_j| + |b|), the
    margin over the scale of its rounding; steps at w = 0, b = 0 (exact zeros)
    are left out.
    """
    rows = [[float(v) for v in row] for row in np.asarray(X, dtype=np.float64)]
    labels = [float(v) for v in np.asarray(y)]
    n, d = len(rows), len(rows[0])
    rng = np.random.default_rng(seed)
    w, b = [0.0] * d, 0.0
    sum_w, sum_b, steps = [0.0] * d, 0.0, 0
    mistakes = []
    gap = math.inf
    for _ in range(max_epochs):
        count = 0
        for i in rng.permutation(n):
            x, label = rows[int(i)], labels[int(i)]
            activation = math.fsum([wj * xj for wj, xj in zip(w, x)] + [b])
            scale = math.fsum([abs(wj * xj) for wj, xj in zip(w, x)] + [abs(b)])
            if scale > 0:
                gap = min(gap, abs(activation) / scale)
            if label * activation <= 0:
                w = [wj + lr * label * xj for wj, xj in zip(w, x)]
                b = b + lr * label
                count += 1
            sum_w = [s + wj for s, wj in zip(sum_w, w)]
            sum_b += b
            steps += 1
        mistakes.append(count)
        if count == 0:
            break
    return (np.array(w), b, np.array(mistakes), np.array(sum_w) / steps, sum_b / steps, gap)


def grader_runs():
    """(id, X, y, seed, kwargs) of every run of the grader compared with the reference."""
    runs = [(case_id, X, y, seed, kwargs) for case_id, _, X, y, seed, kwargs in grader.agreement_cases()]
    runs += [(f"order-{m}", X, y, seed, dict(max_epochs=m)) for _, X, y, seed, m in grader.order_cases()]
    runs += [(f"lr-{kwargs['lr']}", X, y, seed, kwargs) for _, X, y, seed, kwargs in grader.lr_cases()]
    return runs


RUNS = grader_runs()
RUN_IDS = [r[0] for r in RUNS]


@pytest.mark.parametrize("case", range(len(RUNS)), ids=RUN_IDS)
def test_reference_matches_the_plain_loop(case):
    _, X, y, seed, kwargs = RUNS[case]
    lr = kwargs.get("lr", 1.0)
    w, b, mistakes = ref.perceptron(X, y, np.random.default_rng(seed), **kwargs)
    pw, pb, pm, pwa, pba, _ = plain_run(X, y, seed, **kwargs)
    np.testing.assert_array_equal(mistakes, pm)
    assert mistakes.dtype == np.int64 and w.dtype == np.float64 and isinstance(b, float)
    atol = grader.weights_atol(pm, X, lr)
    np.testing.assert_allclose(w, pw, rtol=0, atol=atol)
    assert abs(b - pb) <= atol
    wa, ba, ma = ref.averaged_perceptron(X, y, np.random.default_rng(seed), **kwargs)
    np.testing.assert_array_equal(ma, pm)
    atol = grader.average_atol(pm, X, lr)
    np.testing.assert_allclose(wa, pwa, rtol=0, atol=atol)
    assert abs(ba - pba) <= atol


def is_integer_case(X, kwargs):
    lr = kwargs.get("lr", 1.0)
    return bool(np.all(X == np.round(X))) and math.frexp(lr)[0] == 0.5


@pytest.mark.parametrize("case", range(len(RUNS)), ids=RUN_IDS)
def test_integer_runs_are_exact(case):
    """On small-integer data with a power-of-two lr, the reference equals the plain loop bit for bit."""
    _, X, y, seed, kwargs = RUNS[case]
    if not is_integer_case(X, kwargs):
        pytest.skip("Gaussian features: compared within the tolerance")
    w, b, _ = ref.perceptron(X, y, np.random.default_rng(seed), **kwargs)
    pw, pb, *_ = plain_run(X, y, seed, **kwargs)
    np.testing.assert_array_equal(w, pw)
    assert b == pb


# -- scikit-learn ----------------------------------------------------------------------------------

def sklearn_run(X, y, seed, max_epochs=100, lr=1.0):
    """(w, b, epochs that changed something) from sklearn's Perceptron, one partial_fit per epoch."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(seed)
    clf = linear_model.Perceptron(eta0=lr, shuffle=False, penalty=None, fit_intercept=True)
    changed = []
    previous = None
    for _ in range(max_epochs):
        order = rng.permutation(len(X))
        clf.partial_fit(X[order], y[order], classes=np.array([-1, 1]))
        now = np.append(clf.coef_[0], clf.intercept_[0])
        changed.append(previous is None or not np.array_equal(now, previous))
        previous = now
        if not changed[-1]:
            break
    return clf.coef_[0].copy(), float(clf.intercept_[0]), changed


@pytest.mark.parametrize("case", range(len(RUNS)), ids=RUN_IDS)
def test_reference_matches_sklearn_perceptron(case):
    _, X, y, seed, kwargs = RUNS[case]
    lr = kwargs.get("lr", 1.0)
    w, b, mistakes = ref.perceptron(X, y, np.random.default_rng(seed), **kwargs)
    sw, sb, changed = sklearn_run(X, y, seed, **kwargs)
    assert len(changed) == len(mistakes)
    assert [bool(c) for c in changed] == [bool(m > 0) for m in mistakes]
    atol = grader.weights_atol(mistakes, X, lr)
    np.testing.assert_allclose(w, sw, rtol=0, atol=atol)
    assert abs(b - sb) <= atol


@pytest.mark.parametrize("case", range(len(RUNS)), ids=RUN_IDS)
def test_averaged_reference_matches_sklearn_averaged_sgd(case):
    linear_model = pytest.importorskip("sklearn.linear_model")
    _, X, y, seed, kwargs = RUNS[case]
    lr = kwargs.get("lr", 1.0)
    wa, ba, mistakes = ref.averaged_perceptron(X, y, np.random.default_rng(seed), **kwargs)
    rng = np.random.default_rng(seed)
    rows = np.concatenate([rng.permutation(len(X)) for _ in mistakes])
    sgd = linear_model.SGDClassifier(loss="perceptron", learning_rate="constant", eta0=lr, penalty=None,
                                     shuffle=False, average=True, max_iter=1, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # ConvergenceWarning: one pass is the point
        sgd.fit(X[rows], y[rows])
    atol = grader.average_atol(mistakes, X, lr)
    np.testing.assert_allclose(wa, sgd.coef_[0], rtol=0, atol=atol)
    assert abs(ba - sgd.intercept_[0]) <= atol


# -- Novikoff ----------------------------------------------------------------------------------------

def true_margin(X, y):
    """gamma = 1 / ||v||, v minimising ||v||^2 subject to y_i v.(x_i, 1) >= 1 (scipy, SLSQP)."""
    optimize = pytest.importorskip("scipy.optimize")
    Z = y[:, None] * np.hstack([X, np.ones((len(X), 1))])
    result = optimize.minimize(lambda v: v @ v, np.zeros(Z.shape[1]), jac=lambda v: 2 * v, method="SLSQP",
                               constraints=[{"type": "ineq", "fun": lambda v: Z @ v - 1, "jac": lambda v: Z}],
                               options={"ftol": 1e-14, "maxiter": 1000})
    assert result.success, result.message
    assert np.min(Z @ result.x) >= 1 - 1e-7
    return 1.0 / float(np.linalg.norm(result.x))


@pytest.mark.parametrize("case", range(len(grader.novikoff_cases())))
def test_novikoff_bound_holds_for_the_reference_with_the_true_margin(case):
    """The grader's gamma_a (its separator's margin) is at most the true gamma, so its bound is
    valid; the reference stays within the tighter true bound for many seeds, and its result
    separates the data."""
    given, X, y, gamma_a = grader.novikoff_cases()[case]
    gamma = true_margin(X, y)
    assert gamma_a <= gamma * (1 + 1e-6)
    R = float(np.sqrt((X * X).sum(axis=1) + 1).max())
    bound = (R / gamma) ** 2
    max_epochs = int(np.floor((R / gamma_a) ** 2)) + 1
    worst = 0
    for seed in range(60, 100):
        for lr in (1.0, 0.3):
            w, b, mistakes = ref.perceptron(X, y, np.random.default_rng(seed), max_epochs=max_epochs, lr=lr)
            assert mistakes.sum() <= bound
            assert mistakes[-1] == 0
            assert np.all(y * (X @ w + b) > 0)
            worst = max(worst, int(mistakes.sum()))
    assert worst >= 5, worst     # the runs make real mistakes (the test is not vacuous)


@pytest.mark.parametrize("case", range(len(grader.novikoff_cases())))
def test_novikoff_data_need_the_bias(case):
    """No hyperplane through the origin separates the Novikoff data (LP infeasible), so a
    perceptron without its bias never stops there and exceeds the bound."""
    optimize = pytest.importorskip("scipy.optimize")
    _, X, y, gamma_a = grader.novikoff_cases()[case]
    Z = y[:, None] * X
    # y_i u.x_i >= 1 for all i, written as -Z u <= -1.
    result = optimize.linprog(np.zeros(X.shape[1]), A_ub=-Z, b_ub=-np.ones(len(X)), bounds=(None, None))
    assert result.status == 2, result      # infeasible
    assert len(X) in (60, 80) and set(np.unique(y)) == {-1, 1}


# -- the grader's assumptions ------------------------------------------------------------------------

@pytest.mark.parametrize("case", range(len(RUNS)), ids=RUN_IDS)
def test_gaussian_runs_have_no_near_ties(case):
    """Along the run, no margin but the exact zeros of w = 0, b = 0 is within 1e-9 (relative)
    of 0: rounding differences between correct solutions (~1e-14 relative) change no decision."""
    _, X, y, seed, kwargs = RUNS[case]
    if is_integer_case(X, kwargs):
        pytest.skip("integer data: exact arithmetic, ties are part of the rules")
    *_, gap = plain_run(X, y, seed, **kwargs)
    assert gap >= 1e-9, gap


def test_float32_and_stability_cases():
    """The float32 test's run (on the float32 values as float64) has no near ties; the int8 case
    has rows of -128 with label -1, where y * x in int8 wraps around."""
    X, y = grader.gaussian_data(151, 80, 4, flip=0.05)
    X64 = X.astype(np.float32).astype(np.float64)
    *_, gap = plain_run(X64, y, 152, max_epochs=10)
    assert gap >= 1e-9
    # Weights kept in float32 are off by far more than the grader's tolerance.
    w, b, mistakes = ref.perceptron(X64, y, np.random.default_rng(152), max_epochs=10)
    rng = np.random.default_rng(152)
    X32, w32, b32 = X.astype(np.float32), np.zeros(4, dtype=np.float32), np.float32(0)
    for _ in mistakes:
        for i in rng.permutation(len(X)):
            if y[i] * (X32[i] @ w32 + b32) <= 0:
                w32 = w32 + np.float32(y[i]) * X32[i]
                b32 = b32 + np.float32(y[i])
    assert np.abs(w32 - w).max() > 100 * grader.weights_atol(mistakes, X64, 1.0)
    X8 = np.array([-128, 5], dtype=np.int8)
    with np.errstate(over="ignore"):
        assert (np.int8(-1) * X8)[0] == -128


def trace_margins(X, y, seed, max_epochs, lr=1.0):
    """(mistakes, smallest relative margin, w, b) of the per-sample loop: one dot product per step."""
    n, d = X.shape
    rng = np.random.default_rng(seed)
    absX = np.abs(X)
    w, b = np.zeros(d), 0.0
    gap, mistakes = math.inf, []
    for _ in range(max_epochs):
        count = 0
        for i in rng.permutation(n).tolist():
            activation = X[i] @ w + b
            scale = absX[i] @ np.abs(w) + abs(b)
            if scale > 0:
                gap = min(gap, abs(activation) / scale)
            if y[i] * activation <= 0:
                w += lr * y[i] * X[i]
                b += lr * y[i]
                count += 1
        mistakes.append(count)
        if count == 0:
            break
    return np.array(mistakes), gap, w, b


# A grading draws the timed data sets from a secret of its own (budget.seed): run i of each
# timed test is checked here under its own fixed secret bytes([i]) * 16 (perceptron) or
# bytes([6 + i]) * 16 (averaged), twelve secrets in all.
TIMED = ([pytest.param(i, seed, id=f"perceptron-{seed}-secret{i}")
          for i, seed in enumerate(grader.PERCEPTRON_TIME_SEEDS)]
         + [pytest.param(6 + i, seed, id=f"averaged-{seed}-secret{6 + i}")
            for i, seed in enumerate(grader.AVERAGED_TIME_SEEDS)])


@pytest.mark.parametrize("secret, grader_seed", TIMED)
def test_timed_runs_have_no_near_ties_and_mistakes_in_every_epoch(secret, grader_seed):
    """The timed data sets, for a sample of secrets: all 20 epochs run (mistakes in each), and
    no near tie along the run, so the exact comparison of mistakes per epoch is fair to every
    correct solution (why that holds for any secret: grader.timed_call). The reference, which
    takes its margins from matrix-vector products, gives the per-sample loop's run bit for bit
    there."""
    seed = secret_seed(bytes([secret]) * 16, grader_seed)
    call = grader.timed_call(seed)
    X, y, rng = call.args
    mistakes, gap, pw, pb = trace_margins(X, y.astype(np.float64), [seed, 1], call.kwargs["max_epochs"])
    assert len(mistakes) == grader.TIME_EPOCHS and mistakes.min() > 0.1 * grader.TIME_N
    assert gap >= 1e-9, gap
    w, b, ref_mistakes = ref.perceptron(X, y, rng, **call.kwargs)
    np.testing.assert_array_equal(ref_mistakes, mistakes)
    np.testing.assert_array_equal(w, pw)
    assert b == pb


def larger_runs():
    """(id, X, y, seed, kwargs) with n above the reference's CHUNK: its blocks meet chunk ends, and
    on separable data, where mistakes get rare, grow to a whole chunk."""
    return [
        ("integer-separable-n1000", *grader.integer_data(61, 1000, 6), 62, {}),
        ("integer-flipped-n700-lr0.5", *grader.integer_data(63, 700, 4, flip=40), 64, dict(max_epochs=5, lr=0.5)),
        ("gaussian-separable-n1500", *grader.gaussian_data(65, 1500, 3), 66, dict(max_epochs=30)),
        ("gaussian-flipped-n900", *grader.gaussian_data(67, 900, 8, flip=0.05), 68, dict(max_epochs=6)),
    ]


PER_SAMPLE_RUNS = [pytest.param(*run[1:], id=run[0]) for run in RUNS + larger_runs()]


@pytest.mark.parametrize("X, y, seed, kwargs", PER_SAMPLE_RUNS)
def test_reference_is_the_per_sample_loop_bit_for_bit(X, y, seed, kwargs):
    """The reference jumps from one mistake to the next with matrix-vector products; it makes the
    per-sample loop's decisions and the same updates in the same order, so the same w and b to
    the last bit, on every run of the grader and on runs over several chunks. On Gaussian data
    that holds because no margin is near a tie (checked here too): a product and a row's dot
    product differ only in their last bits."""
    lr = kwargs.get("lr", 1.0)
    mistakes, gap, pw, pb = trace_margins(X, y.astype(np.float64), seed, kwargs.get("max_epochs", 100), lr)
    if not is_integer_case(X, kwargs):
        assert gap >= 1e-9, gap
    w, b, ref_mistakes = ref.perceptron(X, y, np.random.default_rng(seed), **kwargs)
    np.testing.assert_array_equal(ref_mistakes, mistakes)
    np.testing.assert_array_equal(w, pw)
    assert b == pb
    if len(X) > 100:                                # the larger runs: several chunks, many updates
        assert len(X) > 2 * ref.CHUNK and len(mistakes) >= 5 and mistakes.sum() > 20


@pytest.mark.parametrize("X, y, seed, kwargs", [p for p in PER_SAMPLE_RUNS if len(p.values[0]) > 100])
def test_averaged_reference_on_larger_runs(X, y, seed, kwargs):
    """The averaged reference over several chunks, against the pure-Python loop's running sum."""
    lr = kwargs.get("lr", 1.0)
    *_, pwa, pba, _ = plain_run(X, y, seed, **kwargs)
    wa, ba, _ = ref.averaged_perceptron(X, y, np.random.default_rng(seed), **kwargs)
    _, _, mistakes = ref.perceptron(X, y, np.random.default_rng(seed), **kwargs)
    atol = grader.average_atol(mistakes, X, lr)
    np.testing.assert_allclose(wa, pwa, rtol=0, atol=atol)
    assert abs(ba - pba) <= atol


SIZES = {"separable_d2": 40, "separable_d4": 80, "flipped_d3": 60, "one_feature": 25, "duplicates": 30,
         "gaussian_separable": 100, "gaussian_flipped": 100}


def test_grader_cases_are_what_they_say():
    """Separable cases stop before max_epochs, the others use up max_epochs; the integer
    cases meet margins of exactly 0 after the first step (the <= rule matters)."""
    zero_margins = 0
    for case_id, given, X, y, seed, kwargs in grader.agreement_cases():
        _, _, mistakes = ref.perceptron(X, y, np.random.default_rng(seed), **kwargs)
        max_epochs = kwargs.get("max_epochs", 100)
        if "separable" in case_id or case_id == "one_feature":
            assert mistakes[-1] == 0 and len(mistakes) < max_epochs, case_id
            assert len(mistakes) >= 3, case_id      # several epochs: the order matters
        else:
            assert len(mistakes) == max_epochs and mistakes.min() > 0, case_id
        assert len(X) == len(y) == SIZES[case_id], case_id
        if is_integer_case(X, kwargs):
            zero_margins += count_zero_margins(X, y, seed, max_epochs)
    assert zero_margins >= 3, zero_margins
    for given, X, y, seed, max_epochs in grader.order_cases():
        _, _, mistakes = ref.perceptron(X, y, np.random.default_rng(seed), max_epochs=max_epochs)
        assert len(mistakes) == max_epochs and mistakes.min() > 0
    # lr only scales: the lr cases' runs are lr times the lr = 1 runs, exactly (powers of two).
    for given, X, y, seed, kwargs in grader.lr_cases():
        w, b, m = ref.perceptron(X, y, np.random.default_rng(seed), **kwargs)
        w1, b1, m1 = ref.perceptron(X, y, np.random.default_rng(seed), **{**kwargs, "lr": 1.0})
        np.testing.assert_array_equal(m, m1)
        np.testing.assert_array_equal(w, kwargs["lr"] * w1)
        assert b == kwargs["lr"] * b1
        # lr on w only changes the decisions: the bias rule is tested by these cases
        assert b1 != 0


def count_zero_margins(X, y, seed, max_epochs):
    rng = np.random.default_rng(seed)
    w, b, zeros = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        count = 0
        for i in rng.permutation(len(X)):
            m = y[i] * (X[i] @ w + b)
            if m == 0 and (b != 0 or np.any(w)):
                zeros += 1
            if m <= 0:
                w, b, count = w + y[i] * X[i], b + y[i], count + 1
        if count == 0:
            break
    return zeros


def test_stopping_test_data():
    """test_stops_after_a_mistake_free_epoch: the conflicting pair forces a mistake in every epoch;
    the data separable through the origin converge within 100 epochs for the seeds used, after
    more than one epoch, and so does a perceptron without its bias."""
    X, y = grader.conflicting_duplicates(51, 24)
    assert np.array_equal(X[0], X[1]) and y[0] == -y[1]
    X, y = grader.through_origin_data(53, 40)
    assert len(X) == 40 and set(np.unique(y)) == {-1, 1}
    for seed in (55, 56, 57):
        _, _, mistakes = ref.perceptron(X, y, np.random.default_rng(seed))
        assert 2 <= len(mistakes) < 100 and mistakes[-1] == 0
        rng, w, epochs = np.random.default_rng(seed), np.zeros(2), 0
        while epochs < 100:            # without the bias
            epochs += 1
            wrong = 0
            for i in rng.permutation(len(X)):
                if y[i] * (X[i] @ w) <= 0:
                    w, wrong = w + y[i] * X[i], wrong + 1
            if wrong == 0:
                break
        assert wrong == 0


def bound_with(X, y, separator):
    """(R / gamma_u)^2 for the separator u = (w, c) in the space with the bias folded in."""
    Xt = np.hstack([X, np.ones((len(X), 1))])
    u = np.asarray(separator, dtype=np.float64)
    gamma = np.min(y * (Xt @ u)) / np.linalg.norm(u)
    assert gamma > 0
    return float((np.linalg.norm(Xt, axis=1).max() / gamma) ** 2)


def test_one_class_and_one_feature_data_stop_in_any_order():
    """The single-class and one-feature tests require every run to stop with all margins
    positive within max_epochs = 100: Novikoff's bound with a known separator is below 100."""
    g = np.random.default_rng(91)
    X = np.column_stack([g.integers(1, 5, size=20), g.integers(-4, 5, size=20)]).astype(np.float64)
    for label in (1, -1):
        assert bound_with(X, np.full(20, label), [0, 0, label]) <= 33
    X1 = np.array([[-5.0], [-3.0], [-2.0], [-1.0], [1.0], [2.0], [4.0], [6.0]])
    y1 = np.sign(X1[:, 0])
    assert bound_with(X1, y1, [1, 0]) <= 37
    for seed in range(20):
        w, b, mistakes = ref.perceptron(X1, y1, np.random.default_rng(seed))
        assert mistakes[-1] == 0 and np.all(y1 * (X1 @ w + b) > 0)


def test_hand_cases():
    """The expected values of the zero-margin and averaging tests, and the examples."""
    X = np.array([[1.0, 0.0], [-1.0, 5.0]])
    for labels in ((1, -1), (-1, 1)):
        y = np.array(labels)
        for seed in range(8):           # whatever the order
            pw, pb, pm, pwa, pba, _ = plain_run(X, y, seed)
            np.testing.assert_array_equal(pw, y[0] * X[0] + y[1] * X[1])
            assert pb == 0 and list(pm) == [2, 0]
    options = [([1.75, -3.75], 0.25), ([1.75, -5.0], -0.25)]
    seen = set()
    for seed in range(8):
        *_, pwa, pba, _ = plain_run(X, np.array([1, -1]), seed)
        match = [k for k, (ow, ob) in enumerate(options) if np.allclose(pwa, ow, atol=1e-15) and pba == ob]
        assert len(match) == 1
        seen.add(match[0])
        wa, ba, _ = ref.averaged_perceptron(X, np.array([1, -1]), np.random.default_rng(seed))
        np.testing.assert_allclose(wa, pwa, atol=1e-15)
        assert abs(ba - pba) <= 1e-15
    assert seen == {0, 1}
    # The examples of challenge.yaml.
    w, b, m = ref.perceptron(X, np.array([1, 1]), np.random.default_rng(0))
    np.testing.assert_array_equal(w, [0.0, 5.0])
    assert b == 2.0 and list(m) == [2, 0]
    w, b, m = ref.perceptron(np.array([[2.0], [1.0], [-1.0], [-3.0]]), np.array([1, 1, -1, -1]),
                             np.random.default_rng(0))
    np.testing.assert_array_equal(np.random.default_rng(0).permutation(4), [2, 0, 1, 3])
    assert w.tolist() == [2.0] and b == 0.0 and list(m) == [2, 0]
    *_, pwa, pba, _ = plain_run(X, np.array([1, 1]), 0)
    np.testing.assert_allclose(pwa, [0.25, 3.75], atol=1e-15)
    assert pba == 1.75


def averages_of_the_usual_slips(X, y, seed, max_epochs=100, lr=1.0):
    """(name, w, b) of the averages a slip would give: w_0 = 0 included (T + 1 terms), the
    weights at the end of each epoch, the weights after each update only."""
    rng = np.random.default_rng(seed)
    w, b = np.zeros(X.shape[1]), 0.0
    after_steps, epoch_ends, after_updates = [], [], []
    for _ in range(max_epochs):
        count = 0
        for i in rng.permutation(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w, b, count = w + lr * y[i] * X[i], b + lr * y[i], count + 1
                after_updates.append(np.append(w, b))
            after_steps.append(np.append(w, b))
        epoch_ends.append(np.append(w, b))
        if count == 0:
            break
    with_zero = np.sum(after_steps, axis=0) / (len(after_steps) + 1)
    return [("w_0 included", with_zero), ("epoch ends", np.mean(epoch_ends, axis=0)),
            ("updates only", np.mean(after_updates, axis=0))]


@pytest.mark.parametrize("case", range(len(RUNS)), ids=RUN_IDS)
def test_averaging_slips_fail_the_averaged_tests(case):
    """The bonus tests have power (the variant test cannot show it: bonus failures leave a grade
    passed): each usual averaging slip is far outside the tolerance of the agreement test."""
    _, X, y, seed, kwargs = RUNS[case]
    wa, ba, mistakes = ref.averaged_perceptron(X, y, np.random.default_rng(seed), **kwargs)
    atol = grader.average_atol(mistakes, X, kwargs.get("lr", 1.0))
    for name, wrong in averages_of_the_usual_slips(X, y, seed, **kwargs):
        assert np.abs(wrong - np.append(wa, ba)).max() > 1000 * atol, name


def test_averaging_slips_fail_the_hand_case():
    X, y = np.array([[1.0, 0.0], [-1.0, 5.0]]), np.array([1, -1])
    options = [np.array([1.75, -3.75, 0.25]), np.array([1.75, -5.0, -0.25])]
    for seed in range(8):
        for name, wrong in averages_of_the_usual_slips(X, y, seed):
            assert all(np.abs(wrong - o).max() > 0.1 for o in options), name


def test_reference_rules():
    X, y = grader.integer_data(5, 20, 2)
    for bad in ([0, 1] * 10, [2] * 20, [0.5] * 20, [np.nan] * 20):
        with pytest.raises(ValueError):
            ref.perceptron(X, np.array(bad), np.random.default_rng(0))
    with pytest.raises(ValueError):
        ref.perceptron(X, y, np.random.default_rng(0), max_epochs=0)
    with pytest.raises(ValueError):
        ref.perceptron(X, y, np.random.default_rng(0), lr=0.0)
    with pytest.raises(ValueError):
        ref.perceptron(X[:, 0], y, np.random.default_rng(0))
    X_before, y_before = X.copy(), y.copy()
    ref.averaged_perceptron(X, y, np.random.default_rng(0))
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    # An rng left in the same state gives the same run; rng.shuffle of arange(n) draws the same order.
    a = np.random.default_rng(9).permutation(20)
    b = np.arange(20)
    np.random.default_rng(9).shuffle(b)
    np.testing.assert_array_equal(a, b)
