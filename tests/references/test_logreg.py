"""The logreg reference against independent implementations.

Oracles:
- scipy.special.expit and log_expit for sigmoid and the log-loss (expit flushes
  results below ~1e-308 to 0, which the challenge allows), and 50-digit mpmath
  for the extreme logits;
- scikit-learn's LogisticRegression(C=1/l2) at a tight tolerance for
  fit_logistic (newton-cholesky and lbfgs) and for fit_softmax (multinomial
  lbfgs, whose intercepts sum to zero);
- autograd's gradient of the objective written with autograd.numpy, and
  central finite differences of it, for the gradient at the answer;
- plain loops for the first Newton step.

The constants the grader relies on (cond(H0) < 100 in its max_iter test, the
rounding allowance being negligible, the reference meeting every bound with
room) are checked here too. scipy, scikit-learn, autograd and mpmath are
test-only dependencies.
"""

import warnings

import numpy as np
import pytest

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed
from trainer.grading.checks import GradeFailure

special = pytest.importorskip("scipy.special")
linear_model = pytest.importorskip("sklearn.linear_model")
autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")
mpmath = pytest.importorskip("mpmath")

ref = load_module(REPO / "reference" / "logreg.py", "logreg_reference")
grader = load_module(REPO / "graders" / "logreg.py", "logreg_grader_data")
ALTERNATIVES = sorted((REPO / "tests" / "alternatives" / "logreg").glob("*.py"))

EPS = np.finfo(np.float64).eps


# -- sigmoid and log_loss -------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1.0, 6.0, 40.0, 300.0])
def test_sigmoid_matches_expit(scale):
    z = np.random.default_rng(int(scale)).normal(size=(50, 7)) * scale
    got = ref.sigmoid(z)
    expected = special.expit(z)
    tiny = np.finfo(np.float64).tiny
    np.testing.assert_allclose(got, expected, rtol=4 * EPS, atol=tiny)
    assert got.dtype == np.float64 and got.shape == z.shape


def test_sigmoid_float32_matches_expit_in_float64():
    z = np.random.default_rng(3).normal(size=200).astype(np.float32) * 30
    got = ref.sigmoid(z)
    assert got.dtype == np.float32
    expected = special.expit(z.astype(np.float64))
    eps32 = np.finfo(np.float32).eps
    np.testing.assert_allclose(got, expected, rtol=4 * eps32, atol=np.finfo(np.float32).tiny)


@pytest.mark.parametrize("z", [-1e4, -800.0, -745.0, -720.0, -700.0, -100.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 700.0, 1e4])
def test_sigmoid_against_mpmath(z):
    mpmath.mp.dps = 50
    exact = 1 / (1 + mpmath.exp(-mpmath.mpf(z)))
    got = float(ref.sigmoid(np.array([z]))[0])
    assert abs(got - float(exact)) <= 4 * EPS * float(exact) + 5e-324


def test_sigmoid_prints_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):   # underflow to 0 is fine
            ref.sigmoid(np.array([-1e4, -1000.0, 0.0, 1000.0, 1e4]))
            ref.sigmoid(np.array([-1e4, -100.0, 100.0, 1e4], dtype=np.float32))


def _mpmath_sigmoid(z):
    mpmath.mp.dps = 50
    return float(1 / (1 + mpmath.exp(-mpmath.mpf(float(z)))))


def test_timed_sigmoid_draw_catches_the_naive_formula_and_no_correct_one():
    """The timed z under several stand-ins for the test's secret: a few thousand entries in [-745, -710], where
    the exact sigmoid is below 0.21 * tiny (so values cannot tell a flushed 0 from it) and exp(-z) overflows;
    every correct sigmoid (the reference, the alternatives, scipy's expit) passes the timed check without a
    warning, the naive 1 / (1 + exp(-z)) passes on values but warns."""
    tiny = np.finfo(np.float64).tiny
    lo, hi = grader.SIGMOID_FAR
    for edge in (lo, hi):
        assert _mpmath_sigmoid(edge) < 0.21 * tiny
    correct = [("reference", ref.sigmoid), ("scipy.special.expit", special.expit)]
    correct += [(path.name, load_module(path, f"logreg_alternative_{path.stem}").sigmoid) for path in ALTERNATIVES]
    assert len(correct) >= 4
    counts = set()
    for i in range(3):
        call = grader.sigmoid_inputs(secret_seed(bytes([40 + i]) * 16, grader.SIGMOID_SEED + i))
        z = call.args[0]
        assert z.shape == (grader.SIGMOID_SIZE,) and z.dtype == np.float64
        far = z < -grader.SIGMOID_HALF_RANGE
        counts.add(int(far.sum()))
        assert grader.SIGMOID_SIZE // 2000 * 0.9 <= far.sum() <= grader.SIGMOID_SIZE // 200
        assert np.all((z[far] >= lo) & (z[far] <= hi)) and np.all(np.abs(z[~far]) <= grader.SIGMOID_HALF_RANGE)
        z.flags.writeable = False                        # as the timed call gets it
        expected = ref.sigmoid(z)
        for name, sigmoid in correct:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(over="raise", divide="raise", invalid="raise"):
                    got = sigmoid(z)
            grader.check_timed_sigmoid(got, expected, call, "")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            naive = 1 / (1 + np.exp(-z))
        assert any(issubclass(w.category, RuntimeWarning) and "overflow" in str(w.message) for w in caught)
        grader.check_timed_sigmoid(naive, expected, call, "")            # its values alone pass ...
        with pytest.raises(GradeFailure, match="printed a warning"):      # ... what it prints does not
            grader.check_timed_sigmoid(naive, expected, call, "x.py:3: RuntimeWarning: overflow encountered in exp")
    assert len(counts) == 3                              # the share is drawn per run, not fixed


def _loss_scipy(y, z):
    return float(np.mean(-(y * special.log_expit(z) + (1 - y) * special.log_expit(-z))))


@pytest.mark.parametrize("seed, scale", [(1, 1.0), (2, 3.0), (3, 30.0), (4, 3000.0)])
def test_log_loss_matches_log_expit(seed, scale):
    g = np.random.default_rng(seed)
    z = g.normal(size=40) * scale
    y = g.integers(2, size=40)
    expected = _loss_scipy(y, z)
    assert abs(ref.log_loss(y, z) - expected) <= 4 * EPS * (np.abs(z).max() + abs(expected) + 4)


@pytest.mark.parametrize("label, logit", [(0, 1e4), (1, -1e4), (1, 1e4), (1, 40.0), (0, 750.0), (1, -36.5)])
def test_log_loss_against_mpmath(label, logit):
    mpmath.mp.dps = 60
    # -log sigmoid(z) = log(1 + exp(-z)), -log(1 - sigmoid(z)) = log(1 + exp(z)), both exact in mpmath
    t = mpmath.mpf(-logit if label == 1 else logit)
    exact = mpmath.log(1 + mpmath.exp(t))
    got = ref.log_loss(np.array([label]), np.array([logit]))
    assert abs(got - float(exact)) <= 4 * EPS * (abs(logit) + float(exact) + 4)
    # the grader's oracle agrees too
    assert abs(grader.loss_oracle(np.array([label]), np.array([logit])) - float(exact)) <= 4 * EPS * (abs(logit) + 4)


def test_clipped_probabilities_are_rejected_by_the_bound():
    """The classic clipping to [1e-15, 1 - 1e-15] is far outside the stated bound."""
    p = np.clip(special.expit(1e4), 1e-15, 1 - 1e-15)
    clipped = -np.log(1 - p)
    assert abs(clipped - 1e4) > 1e3


# -- fit_logistic -----------------------------------------------------------------------------------

def _sklearn(X, y, l2, solver):
    model = linear_model.LogisticRegression(C=1.0 / l2, tol=1e-12, max_iter=10_000, solver=solver)
    model.fit(X, y)
    return np.r_[model.coef_[0], model.intercept_[0]]


def _objective(theta, A, y, l2):
    z = anp.dot(A, theta)
    loss = anp.sum(anp.logaddexp(0.0, z) - y * z)
    return loss + 0.5 * l2 * anp.sum(theta[:-1] ** 2)


ALL_FIT_CASES = grader.fit_cases() + [(f"scaled seed {s}", *grader.scaled_case(s, l2), l2) for s, l2 in ((91, 1.0), (92, 1e-4))]


@pytest.mark.parametrize("case", range(len(ALL_FIT_CASES)))
def test_fit_matches_sklearn(case):
    given, X, y, l2 = ALL_FIT_CASES[case]
    w, b = ref.fit_logistic(X, y, l2=l2, tol=1e-13)
    theta = np.r_[w, b]
    solver = "newton-cholesky"
    expected = _sklearn(X, y, l2, solver)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(theta, expected, rtol=1e-6, atol=1e-7 * scale, err_msg=given)
    if X.shape[1] <= 5 and np.abs(X).max() < 100:   # lbfgs on well-scaled data as a second opinion
        np.testing.assert_allclose(theta, _sklearn(X, y, l2, "lbfgs"), rtol=1e-4, atol=1e-5 * scale, err_msg=given)


@pytest.mark.parametrize("case", range(len(ALL_FIT_CASES)))
def test_gradient_at_answer_by_autograd(case):
    """The reference's answer meets the grader's bound, by autograd's gradient and by the grader's own."""
    given, X, y, l2 = ALL_FIT_CASES[case]
    w, b = ref.fit_logistic(X, y, l2=l2)
    theta = np.r_[w, b]
    A = grader.design(X)
    g_auto = autograd.grad(_objective)(theta, A, y.astype(float), l2)
    g_grader, allowance = grader.gradient(X, y, l2, theta)
    n = len(y)
    # autograd's and the grader's gradients agree within the allowance
    assert np.all(np.abs(g_auto - g_grader) <= allowance + 1e-12 * n), given
    assert np.all(np.abs(g_grader) <= 1e-8 * n + allowance), given
    # the allowance is negligible against tol * n on the well-scaled data
    if np.abs(X).max() < 100:
        assert allowance.max() < 1e-3 * 1e-8 * n


def test_central_differences_match_the_grader_gradient():
    given, X, y, l2 = ALL_FIT_CASES[0]
    theta = np.random.default_rng(5).normal(size=X.shape[1] + 1) * 0.3
    A = grader.design(X)
    g, _ = grader.gradient(X, y, l2, theta)
    h = 1e-6
    numeric = np.array([(_objective(theta + h * e, A, y, l2) - _objective(theta - h * e, A, y, l2)) / (2 * h)
                        for e in np.eye(len(theta))])
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-6)


def test_first_newton_step_and_its_condition_number():
    X, y = grader.make_data(51, 100, 4)
    A = grader.design(X)
    reg = np.array([1.0] * 4 + [0.0])
    H0 = np.zeros((5, 5))
    g0 = np.zeros(5)
    for a, label in zip(A, y):                      # plain loops
        H0 += 0.25 * np.outer(a, a)
        g0 += a * (0.5 - label)
    H0 += np.diag(reg)
    assert np.linalg.cond(H0) < 100
    step = -np.linalg.solve(H0, g0)
    w, b = ref.fit_logistic(X, y, l2=1.0, max_iter=1)
    np.testing.assert_allclose(np.r_[w, b], step, rtol=1e-12)
    np.testing.assert_allclose(grader.newton_iterate(X, y, 1.0, 1), step, rtol=1e-12)
    w, b = ref.fit_logistic(X, y, l2=1.0, max_iter=0)
    assert np.all(w == 0) and b == 0
    # The full step lowers the objective there, so a damped Newton that takes full steps when they do
    # agrees with the grader's expectation.
    assert _objective(step, A, y, 1.0) < _objective(np.zeros(5), A, y, 1.0)


def test_reference_converges_within_ten_steps_on_the_timed_data():
    """The timed data's construction (at n = 20 000) under several stand-ins for the test's secret."""
    for i in range(3):
        X, y = grader.timed_data(secret_seed(bytes([i]) * 16, grader.FIT_SEED + i), 20_000, grader.FIT_D)
        for max_iter in (10,):
            w, b = ref.fit_logistic(X, y, l2=1.0, max_iter=max_iter)
            g, allowance = grader.gradient(X, y, 1.0, np.r_[w, b])
            assert np.all(np.abs(g) <= 1e-8 * len(y) + allowance), i


def test_wrong_objectives_are_outside_the_agreement_bound():
    """The mean loss and a penalised intercept give answers the agreement test rejects."""
    given, X, y, l2 = ALL_FIT_CASES[0]
    w, b = ref.fit_logistic(X, y, l2=l2)
    right = np.r_[w, b]
    mean_model = linear_model.LogisticRegression(C=1.0 / (l2 * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    wrong = np.r_[mean_model.coef_[0], mean_model.intercept_[0]]
    with pytest.raises(AssertionError):
        grader.check_agreement(wrong, right, X, y, l2, given)
    grader.check_agreement(right, right, X, y, l2, given)


# -- fit_softmax (bonus) -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", range(len(grader.SOFTMAX_CASES)))
def test_softmax_matches_sklearn(case):
    given, seed, n, d, K, l2 = grader.SOFTMAX_CASES[case]
    X, y = grader.make_multiclass(seed, n, d, K)
    W, b = ref.fit_softmax(X, y, l2=l2, tol=1e-13)
    model = linear_model.LogisticRegression(C=1.0 / l2, tol=1e-12, max_iter=10_000).fit(X, y)
    coef, intercept = model.coef_, model.intercept_
    if K == 2:
        # scikit-learn fits two classes as the binary model. The multinomial optimum has W0 = -W1 and
        # b0 = -b1, so w = W1 - W0 = 2 W1 and the penalty l2/2 (||W0||^2 + ||W1||^2) = l2/4 ||w||^2: the
        # binary model with l2 / 2, i.e. C = 2 / l2.
        binary = linear_model.LogisticRegression(C=2.0 / l2, tol=1e-12, max_iter=10_000).fit(X, y)
        np.testing.assert_allclose(W[:, 1] - W[:, 0], binary.coef_[0], rtol=1e-5, atol=1e-6, err_msg=given)
        np.testing.assert_allclose(b[1] - b[0], binary.intercept_[0], rtol=1e-5, atol=1e-6, err_msg=given)
        np.testing.assert_allclose(W[:, 0], -W[:, 1], rtol=1e-9, atol=1e-12)
        return
    np.testing.assert_allclose(W, coef.T, rtol=1e-5, atol=1e-6, err_msg=given)
    np.testing.assert_allclose(b, intercept - intercept.mean(), rtol=1e-5, atol=1e-6, err_msg=given)
    assert abs(b.sum()) <= 1e-12


@pytest.mark.parametrize("case", range(len(grader.SOFTMAX_CASES)))
def test_softmax_gradient_by_autograd(case):
    given, seed, n, d, K, l2 = grader.SOFTMAX_CASES[case]
    X, y = grader.make_multiclass(seed, n, d, K)
    W, b = ref.fit_softmax(X, y, l2=l2)
    theta = np.vstack([W, b])
    A = grader.design(X)
    Y = np.eye(K)[y]

    def objective(t):
        Z = anp.dot(A, t)
        lse = anp.log(anp.sum(anp.exp(Z - anp.max(Z, axis=1, keepdims=True)), axis=1)) + anp.max(Z, axis=1)
        return anp.sum(lse - anp.sum(Y * Z, axis=1)) + 0.5 * l2 * anp.sum(t[:-1] ** 2)

    g_auto = autograd.grad(objective)(theta)
    g, allowance = grader.softmax_gradient(X, y, l2, theta)
    assert np.all(np.abs(g_auto - g) <= allowance + 1e-12 * n)
    assert np.all(np.abs(g) <= 1e-8 * n + allowance)


def test_newton_iterates_and_their_condition_numbers():
    """The grader's Newton iterates against plain loops, with cond(H) < 100 at each; a chord method is far off."""
    X, y = grader.make_data(51, 100, 4)
    A = grader.design(X)
    reg = np.array([1.0] * 4 + [0.0])
    theta = np.zeros(5)
    H0 = None
    chord = np.zeros(5)
    for steps in (1, 2, 3):
        H, g = np.diag(reg), reg * theta
        for a, label in zip(A, y):                  # plain loops
            p = 1 / (1 + np.exp(-(a @ theta)))
            H += p * (1 - p) * np.outer(a, a)
            g += a * (p - label)
        assert np.linalg.cond(H) < 100
        H0 = H if H0 is None else H0
        theta = theta - np.linalg.solve(H, g)
        gc = A.T @ (1 / (1 + np.exp(-(A @ chord))) - y) + reg * chord
        chord = chord - np.linalg.solve(H0, gc)
        np.testing.assert_allclose(grader.newton_iterate(X, y, 1.0, steps), theta, rtol=1e-12)
        w, b = ref.fit_logistic(X, y, l2=1.0, max_iter=steps)
        np.testing.assert_allclose(np.r_[w, b], theta, rtol=1e-12)
        assert np.max(np.abs(grader.gradient(X, y, 1.0, theta)[0])) > 1e-8 * len(y)     # no stop before the last step
        if steps > 1:
            assert np.max(np.abs(chord - theta)) > 0.05 * np.max(np.abs(theta))
