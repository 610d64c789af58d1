"""Hidden grader for the logreg challenge (sigmoid, log_loss, fit_logistic; bonus fit_softmax).

Oracles. Everything is recomputed here in float64 from the definitions:
sigmoid as 1/(1 + e) or e/(1 + e) with e = exp(-|z|) (within 3 ulps); each
log-loss term as softplus(-z) for y = 1 and softplus(z) for y = 0, with
softplus(t) = max(t, 0) + log1p(exp(-|t|)) (no cancellation: relative error
a few ulps); the gradient of the fitting objective from its formula. The
fits are judged by the gradient at the answer (what `tol` promises) and by
their distance to the reference's answer (tests/references/test_logreg.py
checks the reference against scikit-learn, scipy and autograd).

Tolerances.
- sigmoid: a formula that rounds a number of size |z| before exponentiating
  (z itself, or logaddexp(0, -z)) changes exp's result by a relative
  eps/2 * |z|; exp, one addition and one division add about 3 ulps. So
  rtol = eps * (|z| + 4) per entry, eps of the output dtype, and an absolute
  allowance of the smallest normal number (a result below it may flush to 0,
  as scipy.special.expit does). 0.5 * (1 + tanh(z / 2)) is off by a relative
  ~1e-8 at z = -20 and by 100% below -40.
- log_loss on moderate logits (|z| < 10): 1e-10 relative to max(1, loss)
  (stated). Any stable formula is within ~1e-15; going through probabilities
  loses at most eps / (1 - p) ~ 5e-12 there, and semantic errors (a sum, a
  swapped label, a missing term) are off by O(1). On large logits (|z| from
  30 to 1e4): 4 eps (max|z| + |loss| + 4): each term softplus(z) - y z adds and
  subtracts numbers of size |z| (eps * |z| each), the mean adds eps * |loss|.
- Fit gradients: the gradient at theta is A^T (p - y) + l2 (w, 0); computed in
  float64 its entries are off by at most ~(d + 4) eps * sum_i |a_ij| (1 + |z_i|)
  (z_i = a_i . theta rounded with ~d eps |z_i|, which moves p_i by as much; the
  sum of n terms adds n eps of its absolute terms, bounded by the same sum).
  The candidate's own gradient (used to stop) has the same error, so the
  allowance is twice that with a factor 4 of room: 8 (d + 4) eps * sum_i
  |a_ij| (1 + |z_i|) + 8 eps l2 |w_j|. For the data here it is below 1e-9 *
  tol * n.
- Agreement: J is strongly convex with modulus at least lambda_min(H) near the
  optimum, so ||theta - theta*|| <= ||g(theta)|| / lambda_min. Two answers are
  then within (||g_1|| + ||g_2||) / lambda_min of each other: for the
  candidate's the promised gradient (tol * n per entry) plus the rounding
  allowance, for the reference's its gradient as computed here plus its
  allowance; times 4 for the change of
  H between the answers and the optimum (the answers are ~1e-6 apart at most,
  H changes by a relative ~1e-6).
- max_iter=1: one Newton step from zero solves H0 s = g0 with
  H0 = A^T A / 4 + l2 diag(1, .., 1, 0); any solver is within ~cond(H0) * eps
  relative, and cond(H0) < 100 on the data of that test (checked in
  tests/references/test_logreg.py): rtol 1e-9. The same for max_iter=2 and
  3, with H at each iterate (cond < 100 there too).

Each rule is tested on inputs where the other rules are not at stake: dtypes
only in the dtype tests (the others compare values), warnings in the
warnings test (on inputs where even a naive sigmoid's values are right; the
timed sigmoid calls hold to the same rule, on such inputs too), the
fit's objective in the gradient and agreement tests on well-conditioned data,
the stop in the stopping-rule test (at zero, where every p is 1/2 and the
gradient of small integer data is exact, and after one step compared with
the candidate's own max_iter=1 answer, whatever its objective), scales and
large margins in the stability tests, validation in the edge-case tests.
Timed calls: every run gets its own data, and every result is checked
(sigmoid against the reference's result, within the sum of both bounds, and
for warnings, on a z with a secret share of entries where exp(-z) overflows;
fit gradients against the bound).
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.grading import Call, checks

EPS = np.finfo(np.float64).eps


# -- oracles ---------------------------------------------------------------------------------------

def sig(z):
    """The sigmoid in float64 (for float32 inputs: of the float32 values)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def softplus(t):
    t = np.asarray(t, dtype=np.float64)
    return np.maximum(t, 0.0) + np.log1p(np.exp(-np.abs(t)))


def loss_oracle(y, z):
    """Mean log-loss: softplus(-z) for y = 1, softplus(z) for y = 0 (no cancellation)."""
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    return float(np.mean(np.where(y == 1, softplus(-z), softplus(z))))


def output_dtype(z):
    return np.dtype(np.float32) if np.asarray(z).dtype == np.float32 else np.dtype(np.float64)


def design(X):
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def gradient(X, y, l2, theta):
    """(gradient of J at theta = (w, b), rounding allowance per entry) -- module docstring."""
    A = design(X)
    y = np.asarray(y, dtype=np.float64)
    z = A @ theta
    reg = np.full(theta.shape, float(l2))
    reg[-1] = 0.0
    g = A.T @ (sig(z) - y) + reg * theta
    d = A.shape[1] - 1
    allowance = 8 * (d + 4) * EPS * (np.abs(A).T @ (1 + np.abs(z))) + 8 * EPS * reg * np.abs(theta)
    return g, allowance


def softmax_gradient(X, y, l2, theta):
    """(gradient of the multinomial objective at theta = [W; b] (d + 1, K), allowance), as above."""
    A = design(X)
    n, K = A.shape[0], theta.shape[1]
    Z = A @ theta
    Zs = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Zs)
    P /= P.sum(axis=1, keepdims=True)
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1.0
    reg = np.full(theta.shape, float(l2))
    reg[-1] = 0.0
    g = A.T @ (P - Y) + reg * theta
    d = A.shape[1] - 1
    scale = (np.abs(A).T @ (1 + np.abs(Z).max(axis=1)))[:, None] * np.ones((1, K))
    allowance = 8 * (d + K + 4) * EPS * scale + 8 * EPS * reg * np.abs(theta)
    return g, allowance


# -- data ------------------------------------------------------------------------------------------

def make_data(seed, n, d, *, scale=1.0, signal=1.5, bias=0.3):
    """X ~ N(0, scale^2), y ~ Bernoulli(sigmoid(X w* + b)) with |X w*| ~ signal; both classes present."""
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, d)) * scale
    w_true = g.normal(size=d) * (signal / np.sqrt(d) / scale)
    y = (g.random(n) < sig(X @ w_true + bias)).astype(np.int64)
    y[:2] = (0, 1)
    return X, y


# (description, X, y, l2): n from 120 to 300, d from 1 to 20, l2 from 1e-4 to 100
def fit_cases():
    cases = []
    X, y = make_data(11, 200, 5)
    cases.append(("X (200, 5) N(0, 1), y in {0, 1}, l2=1", X, y, 1.0))
    X, y = make_data(12, 150, 1, bias=-0.5)
    cases.append(("X (150, 1) N(0, 1), l2=0.01", X, y, 0.01))
    X, y = make_data(13, 300, 20, signal=3.0)
    cases.append(("X (300, 20) N(0, 1), l2=100", X, y, 100.0))
    X, y = make_data(14, 120, 3, signal=4.0)
    cases.append(("X (120, 3) N(0, 1), strong signal, l2=1e-4", X, y, 1e-4))
    return cases


def describe_result(got, d):
    return f"should return (w, b) with w of shape ({d},) and b a scalar, got {checks.show(got)}"


def as_theta(got, d, given, what="fit_logistic"):
    """The candidate's (w, b) as one float64 vector theta, after checking the structure."""
    checks.that(isinstance(got, (tuple, list)) and len(got) == 2, f"{what} for {given} {describe_result(got, d)}")
    w = checks.as_array(got[0], "w", given)
    b = checks.as_array(got[1], "b", given)
    if w.shape != (d,):
        checks.fail(f"w for {given} should have shape ({d},), got shape {w.shape}: {checks.show(w)}")
    if b.ndim != 0:
        checks.fail(f"b for {given} should be a scalar, got {checks.show(got[1])}")
    theta = np.concatenate([w.astype(np.float64), [float(b)]])
    if not np.all(np.isfinite(theta)):
        checks.fail(f"{what} for {given} returned (w, b) = {checks.show(theta)}: "
                    f"every entry should be finite")
    return theta


def check_gradient(theta, X, y, l2, tol, given, who="your answer"):
    g, allowance = gradient(X, y, l2, theta)
    n = len(y)
    bound = tol * n + allowance
    bad = np.abs(g) > bound
    if bad.any():
        j = int(np.argmax(np.abs(g) - bound))
        name = "b" if j == len(theta) - 1 else f"w[{j}]"
        checks.fail(f"the gradient of J = sum of log-losses + l2/2 ||w||^2 at {who} for {given} is too large: "
                    f"dJ/d{name} = {g[j]:.4g}, while tol * n = {tol:g} * {n} = {tol * n:.4g} "
                    f"(+ rounding allowance {allowance[j]:.2g}). Your (w, b) = {checks.show(theta)} is not the "
                    f"minimiser: check the objective (summed loss, l2/2, intercept not penalised) and that "
                    f"Newton's method runs until every |g_j| <= tol * n.")
    return g, allowance


def check_agreement(theta, theta_ref, X, y, l2, given, tol=1e-8):
    """||theta - theta_ref|| within the strong-convexity bound of the module docstring."""
    A = design(X)
    z = A @ theta_ref
    s = sig(z) * sig(-z)
    reg = np.full(theta.shape, float(l2))
    reg[-1] = 0.0
    H = (A.T * s) @ A + np.diag(reg)
    lam = float(np.linalg.eigvalsh(H)[0])
    _, a1 = gradient(X, y, l2, theta)
    g2, a2 = gradient(X, y, l2, theta_ref)
    # The answer's gradient is promised to be at most tol * n (+ allowance) per entry: that, not its actual
    # gradient (the gradient test's business), bounds its distance to the minimiser.
    bound = 4 * (np.linalg.norm(tol * len(y) + a1) + np.linalg.norm(np.abs(g2) + a2)) / lam
    dist = float(np.linalg.norm(theta - theta_ref))
    if not (dist <= bound):
        checks.fail(f"(w, b) for {given} is {dist:.3g} away from the minimiser (expected (w, b) = "
                    f"{checks.show(theta_ref)}, got {checks.show(theta)}); the gradients allow at most {bound:.3g}. "
                    f"Minimise the SUM of the log-losses plus l2/2 ||w||^2, with b not penalised.")


# -- sigmoid: correctness ----------------------------------------------------------------------------

def check_sigmoid(got, z, given, *, dtype=False):
    z = np.asarray(z)
    out = output_dtype(z)
    arr = checks.as_array(got, "sigmoid(z)", given)
    if arr.shape != z.shape:
        checks.fail(f"sigmoid(z) for {given} should have shape {z.shape}, got {arr.shape}: "
                    f"{checks.show(got)}")
    if dtype:
        checks.that(arr.dtype == out, f"sigmoid(z) for {given} should have dtype {out} (z is {z.dtype}: float32 in, "
                                      f"float32 out; any other dtype gives float64), got {arr.dtype}")
    eps = np.finfo(out).eps
    expected = sig(z)
    z64 = np.abs(np.asarray(z, dtype=np.float64))
    tol = eps * (z64 + 4) * expected + np.finfo(out).tiny
    act = arr.astype(np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.abs(act - expected) <= tol
    if not ok.all():
        i = tuple(int(k) for k in np.argwhere(~ok)[0])
        checks.fail(f"sigmoid(z) for {given} is wrong at index {i}: z = {float(np.asarray(z)[i])!r}, expected "
                    f"{float(expected[i])!r}, got {float(act[i])!r} (tolerance {float(tol[i]):.3g}: a relative "
                    f"eps * (|z| + 4), eps of the output dtype; {int((~ok).sum())} of {ok.size} entries off)")


def random_z(seed, shape, scale=6.0, dtype=np.float64):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(dtype)


@pytest.mark.correctness
def test_sigmoid_values(solution, reference):
    """sigmoid agrees with 1 / (1 + exp(-z)) to a few ulps, any shape, scalars too"""
    cases = [("1-D z of length 60, N(0, 6^2)", random_z(1, (60,))),
             ("2-D z (4, 7), N(0, 6^2)", random_z(2, (4, 7))),
             ("3-D z (2, 3, 4), N(0, 6^2)", random_z(3, (2, 3, 4))),
             ("z = [-30, -20.5, -12, -1, 0, 0.25, 17, 35]", np.array([-30, -20.5, -12, -1, 0, 0.25, 17, 35.0])),
             ("a 0-d array z = np.array(-1.5)", np.array(-1.5)),
             ("1-D z = [3.0] of length 1", np.array([3.0]))]
    for given, z in cases:
        check_sigmoid(reference.sigmoid(z), z, "the REFERENCE on " + given)
        check_sigmoid(solution.sigmoid(z), z, given)
    got = checks.as_array(solution.sigmoid(-2.5), "sigmoid(-2.5)", "a Python float")
    if got.shape != ():
        checks.fail(f"sigmoid(-2.5) of a Python float should be a scalar, got {checks.show(got)}")
    check_sigmoid(got, np.array(-2.5), "the Python float z = -2.5")


@pytest.mark.correctness
def test_sigmoid_float32_in_float32_out(solution):
    """float32 in, float32 out, accurate to float32 precision"""
    for given, z in (("float32 z (5, 8), N(0, 6^2)", random_z(21, (5, 8), dtype=np.float32)),
                     ("float32 1-D z of length 30, N(0, 20^2)", random_z(22, (30,), 20.0, np.float32)),
                     ("a 0-d float32 array z = np.float32(0.75)", np.array(0.75, dtype=np.float32))):
        check_sigmoid(solution.sigmoid(z), z, given, dtype=True)


@pytest.mark.correctness
def test_sigmoid_other_dtypes_give_float64(solution):
    """Every dtype but float32 (float64, integers, float16, bool) gives float64 values"""
    cases = [("float64 z (3, 4)", random_z(31, (3, 4))),
             ("int64 z [-40, -3, 0, 2, 40]", np.array([-40, -3, 0, 2, 40], dtype=np.int64)),
             ("int32 z [[1, -2], [30, -30]]", np.array([[1, -2], [30, -30]], dtype=np.int32)),
             ("int8 z [-128, -20, 0, 5, 127] (-(-128) is -128 in int8)", np.array([-128, -20, 0, 5, 127], np.int8)),
             ("uint8 z [0, 1, 7, 255]", np.array([0, 1, 7, 255], dtype=np.uint8)),
             ("float16 z [-15.5, -2.25, 0.5, 3]", np.array([-15.5, -2.25, 0.5, 3.0], dtype=np.float16)),
             ("bool z [True, False]", np.array([True, False]))]
    for given, z in cases:
        check_sigmoid(solution.sigmoid(z), z, f"{given} (convert it to float64)", dtype=True)


# -- log_loss: correctness -------------------------------------------------------------------------------

def check_loss(got, y, z, given, *, tight=False):
    expected = loss_oracle(y, z)
    if np.ndim(got) != 0:
        checks.fail(f"log_loss for {given} should be a scalar, got {checks.show(got)}")
    value = float(checks.as_array(got, "log_loss", given))
    if tight:   # large logits: the rounding of softplus(z) - y z (module docstring)
        atol = 4 * EPS * (float(np.max(np.abs(z))) + abs(expected) + 4)
    else:
        atol = 1e-10 * max(1.0, abs(expected))
    checks.close(value, expected, atol=atol, what="log_loss(y, z)", given=given)


@pytest.mark.correctness
def test_log_loss_values(solution, reference):
    """log_loss is the mean binary cross-entropy of the labels given the logits"""
    g = np.random.default_rng(41)
    cases = []
    for n in (1, 7, 50):
        z = np.clip(g.normal(size=n) * 3, -9.5, 9.5)
        y = g.integers(2, size=n)
        cases.append((f"y {checks.show(y, 80)}, z {n} logits N(0, 3^2)", y, z))
    z = np.clip(g.normal(size=(3, 4)) * 3, -9.5, 9.5)
    y = g.integers(2, size=(3, 4))
    cases.append(("2-D y and z (3, 4) (the mean over all 12 entries)", y, z))
    cases.append(("y = [1, 0, 1, 0], z = [2, 2, -1, -1]", np.array([1, 0, 1, 0]), np.array([2.0, 2.0, -1.0, -1.0])))
    cases.append(("0-d y = np.array(1) and z = np.array(2.0) (one entry: a loss of 0.127)", np.array(1), np.array(2.0)))
    for given, y, z in cases:
        check_loss(reference.log_loss(y, z), y, z, "the REFERENCE on " + given)
        check_loss(solution.log_loss(y, z), y, z, given)


@pytest.mark.correctness
def test_labels_of_any_numeric_dtype(solution):
    """Labels as bool, integers or floats 0.0 / 1.0 mean the same (log_loss and fit_logistic)"""
    # log_loss one entry per call (the averaging is test_log_loss_values' business).
    for label in (np.array([True]), np.array([0], dtype=np.int8), np.array([1], dtype=np.uint8),
                  np.array([0.0]), np.array([1.0], dtype=np.float32), np.array([False])):
        z = np.array([1.25])
        check_loss(solution.log_loss(label, z), label.astype(np.int64), z,
                   f"{label.dtype} label {checks.show(label, 80)}, z = [1.25]")
    # fit_logistic: the same answer as with int64 labels (the same float64 problem once converted: only
    # rounding-level differences are possible, 1e-9 relative is far above them).
    X, y = make_data(42, 80, 3)
    given = "X (80, 3) N(0, 1) and int64 labels, l2=1"
    base = as_theta(solution.fit_logistic(X, y, l2=1.0), 3, given)
    for label in (y.astype(bool), y.astype(np.int8), y.astype(np.float64), y.astype(np.float32)):
        given = f"X (80, 3) N(0, 1) and {label.dtype} labels {checks.show(label, 60)}, l2=1"
        theta = as_theta(solution.fit_logistic(X, label, l2=1.0), 3, given)
        checks.close(theta, base, rtol=1e-9, atol=1e-12, what="(w, b) with these labels vs with the same labels as "
                     "int64", given=given)


@pytest.mark.correctness
def test_log_loss_low_precision_logits(solution):
    """float32, float16 and small integer logits: log_loss is computed in float64 (of the logits' values)"""
    # One entry per call (the averaging is test_log_loss_values' business), |z| < 10, the stated 1e-10 * max(1, loss).
    # The oracle takes the float64 values of the given entries; softplus(z) - y z evaluated in float32 or float16
    # rounds to that dtype's epsilon (1.2e-7, 9.8e-4): off by 1e-8 to 1e-3 relative here, far above the tolerance.
    for dtype in (np.float32, np.float16):
        for label, logit in ((0, 3.3), (1, 1.9), (0, -0.4), (1, 8.8), (0, -2.6), (0, 0.0), (1, 5.5)):
            y, z = np.array([label]), np.array([logit], dtype=dtype)
            check_loss(solution.log_loss(y, z), y, z,
                       f"y = [{label}], {np.dtype(dtype)} z = [{logit:g}] (the {np.dtype(dtype)} value "
                       f"{float(z[0])!r}; compute in float64)")
    # Integer logits: np.exp of int8 or uint8 is float16, of int16 float32, and -|z| wraps around in uint8
    # (-|3| is 253, and exp(253) is inf in float16): unless converted first, the losses here are off by ~1e-6
    # (float16) or ~4e-9 (float32) relative, or inf, far beyond the 1e-10 tolerance.
    for dtype, label, logit in ((np.int8, 1, 5), (np.int8, 0, -3), (np.uint8, 0, 3), (np.uint8, 1, 7),
                                (np.int16, 0, 2), (np.int16, 1, -2)):
        y, z = np.array([label]), np.array([logit], dtype=dtype)
        check_loss(solution.log_loss(y, z), y, z,
                   f"y = [{label}], {np.dtype(dtype)} z = [{logit}] (convert it to float64 first)")


# -- fit_logistic: correctness ------------------------------------------------------------------------

@pytest.mark.correctness
def test_fit_gradient_at_answer(solution):
    """The gradient of J at the answer is at most tol * n per entry (tol = 1e-8 and 1e-3), whatever the step size"""
    for given, X, y, l2 in fit_cases():
        for tol in (1e-8, 1e-3):
            g = f"{given}, tol={tol:g}"
            kwargs = {"l2": l2} if tol == 1e-8 else {"l2": l2, "tol": tol}
            theta = as_theta(solution.fit_logistic(X, y, **kwargs), X.shape[1], g)
            check_gradient(theta, X, y, l2, tol, g)
    # One feature of size ~1e3: H is ~1.6e6 per unit of w, so a Newton step below tol says little about the
    # gradient (stopping after the first step below 1e-3 leaves a gradient of 0.94 here, against tol * n =
    # 0.008): only the gradient stops the loop.
    X = np.array([[696.0], [-979.0], [-1573.0], [-2925.0], [-353.0], [1248.0], [33.0], [512.0]])
    y = np.array([1, 0, 1, 0, 0, 1, 0, 1])
    given = "X = [[696], [-979], [-1573], [-2925], [-353], [1248], [33], [512]], y = [1, 0, 1, 0, 0, 1, 0, 1], " \
            "l2=0.01, tol=1e-3"
    theta = as_theta(solution.fit_logistic(X, y, l2=0.01, tol=1e-3), 1, given)
    check_gradient(theta, X, y, 0.01, 1e-3, given)


@pytest.mark.correctness
def test_fit_agrees_with_reference(solution, reference):
    """(w, b) is the minimiser: within the strong-convexity bound of the reference's answer"""
    for given, X, y, l2 in fit_cases():
        ref = as_theta(reference.fit_logistic(X, y, l2=l2), X.shape[1], "the REFERENCE on " + given)
        check_gradient(ref, X, y, l2, 1e-8, given, who="the REFERENCE's answer")
        theta = as_theta(solution.fit_logistic(X, y, l2=l2), X.shape[1], given)
        check_agreement(theta, ref, X, y, l2, given)


@pytest.mark.correctness
def test_fit_low_precision_X(solution):
    """float32 and float16 X: w is float64, and (w, b) is the answer for X's values in float64"""
    # The same float64 problem once X's values are converted (exactly): only rounding-level differences are
    # possible, 1e-9 relative is far above them; a fit computed in float32 rounds theta alone by ~6e-8 relative.
    X, y = make_data(43, 60, 3)
    for dtype in (np.float32, np.float16):
        Xl = X.astype(dtype)
        given = f"{np.dtype(dtype)} X (60, 3) N(0, 1), l2=1"
        got = solution.fit_logistic(Xl, y, l2=1.0)
        theta = as_theta(got, 3, given)
        w = np.asarray(got[0])
        checks.that(w.dtype == np.float64, f"w for {given} should be a float64 array (X of any numeric dtype is "
                                           f"computed in float64), got dtype {w.dtype}: {checks.show(w)}")
        base = as_theta(solution.fit_logistic(Xl.astype(np.float64), y, l2=1.0), 3,
                        "the same X converted to float64, l2=1")
        checks.close(theta, base, rtol=1e-9, atol=1e-12,
                     what=f"(w, b) for the {np.dtype(dtype)} X vs for its values converted to float64 (compute in "
                          f"float64)", given=given)


def newton_iterate(X, y, l2, steps):
    """theta after `steps` full Newton steps from zero: H and g at each iterate (the task's method)."""
    A = design(X)
    y = np.asarray(y, dtype=np.float64)
    reg = np.full(A.shape[1], float(l2))
    reg[-1] = 0.0
    theta = np.zeros(A.shape[1])
    for _ in range(steps):
        p = sig(A @ theta)
        H = A.T @ (A * (p * (1 - p))[:, None]) + np.diag(reg)
        theta = theta - np.linalg.solve(H, A.T @ (p - y) + reg * theta)
    return theta


@pytest.mark.correctness
def test_fit_max_iter(solution):
    """max_iter=0 returns zeros, max_iter=1, 2, 3 exactly that many Newton steps from zero"""
    X, y = make_data(51, 100, 4)
    given = "X (100, 4) N(0, 1), l2=1"
    theta = as_theta(solution.fit_logistic(X, y, l2=1.0, max_iter=0), 4, given + ", max_iter=0")
    checks.equal(theta, np.zeros(5), what="(w, b) after max_iter=0 steps (the start, w = 0 and b = 0)",
                 given=given)
    theta = as_theta(solution.fit_logistic(X, y, l2=1.0, max_iter=1), 4, given + ", max_iter=1")
    checks.close(theta, newton_iterate(X, y, 1.0, 1), rtol=1e-9, atol=1e-12,
                 what="(w, b) after max_iter=1: one full Newton step from w = 0, b = 0",
                 given=given + " (H0 = A^T A / 4 + l2 diag(1,..,1,0), g0 = A^T (1/2 - y), theta = -H0^-1 g0)")
    # The Hessian moves from step to step (p leaves 1/2): a Hessian kept from the start (a chord
    # method, which still converges) is 13% and 10% off after 2 and 3 steps, rounding ~1e-14.
    for steps in (2, 3):
        theta = as_theta(solution.fit_logistic(X, y, l2=1.0, max_iter=steps), 4, f"{given}, max_iter={steps}")
        checks.close(theta, newton_iterate(X, y, 1.0, steps), rtol=1e-9, atol=1e-12,
                     what=f"(w, b) after max_iter={steps}: {steps} full Newton steps from w = 0, b = 0, each with "
                          f"the gradient and the Hessian at the current (w, b)",
                     given=given)


STOP_X = np.array([[0.0], [1.0], [2.0], [3.0]])


@pytest.mark.correctness
def test_fit_stopping_rule(solution):
    """The iteration stops at the first iterate where every |g_j| <= tol * n: no later, not on the norm"""
    # The gradient bound at the answer is met by stopping late as well; here the stop itself is checked.
    # At theta = 0 every p is 1/2 exactly and the data are small integers, so the gradient there is exact in
    # any summation order: its largest entry equals tol * n exactly, and `<=` stops before the first step.
    for y, tol, g0 in (([0, 0, 1, 1], 0.5, "(-2, 0)"), ([0, 1, 1, 1], 0.75, "(-3, -1)")):
        y = np.array(y)
        given = f"X = [[0], [1], [2], [3]], y = {y.tolist()}, l2=1, tol={tol:g}"
        theta = as_theta(solution.fit_logistic(STOP_X, y, l2=1.0, tol=tol), 1, given)
        checks.equal(theta, np.zeros(2),
                     what=f"(w, b) (the gradient at w = 0, b = 0 is {g0}: its largest entry is at most tol * n = "
                          f"{tol:g} * 4 = {tol * 4:g}, so the iteration stops there before any step; compare the "
                          f"largest |g_j|, not the norm of g, with <= and with tol * n)",
                     given=given)
    # After one Newton step every entry is at most tol * n, with a margin far above rounding (0.447 against 0.46),
    # although the gradient's norm (0.478) is not, and at zero it is not (3 against 0.46): exactly one step.
    y = np.array([0, 1, 1, 1])
    tol = 0.115
    g1, _ = gradient(STOP_X, y, 1.0, newton_iterate(STOP_X, y, 1.0, 1))
    given = f"X = [[0], [1], [2], [3]], y = {y.tolist()}, l2=1, tol={tol:g}"
    theta = as_theta(solution.fit_logistic(STOP_X, y, l2=1.0, tol=tol), 1, given)
    one = as_theta(solution.fit_logistic(STOP_X, y, l2=1.0, tol=tol, max_iter=1), 1, given + ", max_iter=1")
    checks.close(theta, one, rtol=1e-9, atol=1e-12,
                 what=f"(w, b) vs your answer with max_iter=1 (the gradient at zero is (-3, -1), above tol * n = "
                      f"{tol * 4:g}; after one Newton step it is ({g1[0]:.3f}, {g1[1]:.3f}): every entry at most "
                      f"{tol * 4:g}, so the iteration stops after exactly one step, although the norm of g, "
                      f"{np.linalg.norm(g1):.3f}, is not)",
                 given=given)


# -- edge cases ---------------------------------------------------------------------------------------------

@pytest.mark.edge_case
def test_fit_rejects_nonpositive_l2(solution):
    """l2 <= 0 raises ValueError"""
    X, y = make_data(61, 30, 2)
    for l2 in (0.0, -1.0, 0):
        checks.raises(ValueError, solution.fit_logistic, X, y, l2=l2, given=f"X (30, 2), y in {{0, 1}}, l2={l2!r}")


@pytest.mark.edge_case
def test_fit_rejects_labels_other_than_0_1(solution):
    """Labels other than 0 and 1 raise ValueError (fit_logistic)"""
    X, y = make_data(62, 6, 2)
    for bad, desc in ((np.array([0, 1, 2, 1, 0, 1]), "a label 2"),
                      (np.array([-1, 1, 1, -1, 1, -1]), "labels -1 / +1"),
                      (np.array([0.0, 1.0, 0.5, 1.0, 0.0, 1.0]), "a label 0.5"),
                      # within np.isclose of 1 and 0: the labels must equal 0 or 1 exactly
                      (np.array([0.0, 1.0, 1 - 1e-9, 1.0, 0.0, 1.0]), "a label 1 - 1e-9 (not 1)"),
                      (np.array([0.0, 1.0, 1.0, 1e-9, 0.0, 1.0]), "a label 1e-9 (not 0)"),
                      # every comparison with NaN is False: a check by bounds (min < 0, max > 1, 0 < y < 1)
                      # lets it through, one by equality to 0 or 1 does not
                      (np.array([0.0, 1.0, np.nan, 1.0, 0.0, 1.0]), "a label NaN")):
        checks.raises(ValueError, solution.fit_logistic, X, bad, given=f"X (6, 2) and {desc}: {bad.tolist()}")


@pytest.mark.edge_case
def test_fit_rejects_a_single_class(solution):
    """A y with one class only raises ValueError (the intercept has no minimiser)"""
    X, _ = make_data(63, 8, 2)
    for label in (0, 1):
        y = np.full(8, label)
        checks.raises(ValueError, solution.fit_logistic, X, y, given=f"X (8, 2) and y all {label}")


@pytest.mark.edge_case
def test_log_loss_rejects_bad_input(solution):
    """log_loss: labels other than 0 / 1, shapes that differ and empty inputs raise ValueError"""
    z = np.array([0.5, -1.0, 2.0])
    for y, desc in ((np.array([0, 2, 1]), "a label 2"), (np.array([-1, 1, 1]), "a label -1"),
                    (np.array([0.5, 1.0, 0.0]), "a label 0.5"), (np.array([1 - 1e-9, 1.0, 0.0]), "a label 1 - 1e-9"),
                    (np.array([1e-9, 1.0, 0.0]), "a label 1e-9"),
                    # NaN passes every check by bounds (min < 0, max > 1, 0 < y < 1): not a label either
                    (np.array([0.0, np.nan, 1.0]), "a label NaN")):
        checks.raises(ValueError, solution.log_loss, y, z, given=f"z = [0.5, -1, 2] and {desc}: {y.tolist()}")
    checks.raises(ValueError, solution.log_loss, np.array([0, 1, 1, 0]), z,
                  given="y of shape (4,) and z of shape (3,)")
    checks.raises(ValueError, solution.log_loss, np.array([[0], [1], [1]]), z,
                  given="y of shape (3, 1) and z of shape (3,) (no broadcasting)")
    checks.raises(ValueError, solution.log_loss, np.array([], dtype=np.int64), np.array([]),
                  given="an empty y and z of shape (0,) (the mean of no losses is undefined)")


@pytest.mark.edge_case
def test_fit_degenerate_designs(solution, reference):
    """Duplicated and all-zero columns, more features than samples, two samples"""
    cases = []
    X, y = make_data(71, 90, 3)
    cases.append(("X (90, 4) whose column 3 repeats column 0, l2=1", np.column_stack([X, X[:, 0]]), y, 1.0))
    cases.append(("X (90, 4) whose column 1 is all zeros, l2=0.5", np.column_stack([X[:, :1], np.zeros(90), X[:, 1:]]),
                  y, 0.5))
    X, y = make_data(72, 12, 30)
    cases.append(("X (12, 30): more features than samples, l2=1", X, y, 1.0))
    cases.append(("X = [[1.0], [-2.0]], y = [1, 0] (two samples), l2=1", np.array([[1.0], [-2.0]]), np.array([1, 0]),
                  1.0))
    cases.append(("integer X (90, 3) with entries in -3..3, l2=1", np.rint(make_data(73, 90, 3)[0] * 1.5).astype(np.int64),
                  make_data(73, 90, 3)[1], 1.0))
    for given, X, y, l2 in cases:
        d = X.shape[1]
        theta = as_theta(solution.fit_logistic(X, y, l2=l2), d, given)
        check_gradient(theta, X, y, l2, 1e-8, given)
        ref = as_theta(reference.fit_logistic(X, y, l2=l2), d, "the REFERENCE on " + given)
        check_agreement(theta, ref, X, y, l2, given)


@pytest.mark.edge_case
def test_inputs_not_modified(solution):
    """sigmoid, log_loss and fit_logistic leave their inputs unchanged"""
    z = random_z(81, (5, 6))
    _, args, _ = solution.inputs_after("sigmoid", z)
    checks.equal(args[0], z, what="z after sigmoid(z)", given="float64 z (5, 6)")
    y = np.array([1, 0, 1, 1, 0])
    zz = np.array([2.0, -1.0, -3.0, 0.5, 4.0])
    _, args, _ = solution.inputs_after("log_loss", y, zz)
    checks.equal(args[0], y, what="y after log_loss(y, z)", given="y (5,), z (5,)")
    checks.equal(args[1], zz, what="z after log_loss(y, z)", given="y (5,), z (5,)")
    X, yy = make_data(82, 40, 3)
    _, args, _ = solution.inputs_after("fit_logistic", X, yy)
    checks.equal(args[0], X, what="X after fit_logistic(X, y)", given="X (40, 3), y (40,)")
    checks.equal(args[1], yy, what="y after fit_logistic(X, y)", given="X (40, 3), y (40,)")


# -- numerical stability ----------------------------------------------------------------------------------

@pytest.mark.stability
def test_sigmoid_extreme_logits(solution):
    """sigmoid of logits up to +-1e4 (float64 and float32) is finite and exact: 0, 1 or the tiny exact value"""
    cases = [("z = [-1e4, -800, -700, -100, 100, 700, 800, 1e4]",
              np.array([-1e4, -800, -700, -100, 100, 700, 800, 1e4])),
             ("float32 z = [-1e4, -100, -80, -50, 50, 80, 100, 1e4]",
              np.array([-1e4, -100, -80, -50, 50, 80, 100, 1e4], dtype=np.float32))]
    for given, z in cases:
        check_sigmoid(solution.sigmoid(z), z, given)


@pytest.mark.stability
def test_sigmoid_no_warnings(solution):
    """sigmoid prints no RuntimeWarning (overflow, invalid value) for logits up to +-1e4"""
    solution.output()                                   # what the import printed is not this test's business
    for given, z in (("z = [-1e4, -1000, -720, 0, 720, 1000, 1e4]", np.array([-1e4, -1000, -720, 0, 720, 1000, 1e4])),
                     ("float32 z = [-1e4, -100, -90, 0, 90, 100, 1e4]",
                      np.array([-1e4, -100, -90, 0, 90, 100, 1e4], dtype=np.float32))):
        solution.sigmoid(z)
        printed = solution.output()
        checks.that("Warning" not in printed,
                    f"sigmoid(z) for {given} printed a warning: {printed.strip()[:600]!r}. Exponentiate only "
                    f"-|z| (never a positive number); np.where computes both branches for every entry, so "
                    f"neither branch may overflow.")


@pytest.mark.stability
def test_log_loss_large_logits(solution):
    """log_loss of logits from 30 to 1e4 in size is finite and exact (no inf, no clipping)"""
    # One entry per call: the averaging is test_log_loss_values' business.
    for label, logit, note in ((0, 1e4, "a loss of 1e4"), (1, -1e4, "a loss of 1e4"), (1, 1e4, "a loss of 0"),
                               (0, -1e4, "a loss of 0"), (1, 40.0, "a loss of 4.2e-18"), (0, 40.0, "a loss of 40"),
                               (1, -800.0, "a loss of 800"), (0, 750.0, "a loss of 750"), (1, 30.0, "a loss of 9.4e-14"),
                               (0, -36.5, "a loss of 1.4e-16")):
        y, z = np.array([label]), np.array([logit])
        check_loss(solution.log_loss(y, z), y, z, f"y = [{label}], z = [{logit:g}] ({note})", tight=True)


def scaled_case(seed, l2):
    """Features of scales 1e-3, 1 and 1e3 (the last centred at 3e3): cond(H) from ~5e8 to ~4e12 at the answer."""
    g = np.random.default_rng(seed)
    n = 300
    X = np.column_stack([g.normal(size=n) * 1e-3, g.normal(size=n), g.normal(size=n) * 1e3 + 3e3])
    y = (g.random(n) < sig(X[:, 0] * 1e3 + X[:, 1] + (X[:, 2] - 3e3) / 1e3)).astype(np.int64)
    return X, y


@pytest.mark.stability
def test_fit_features_of_different_scales(solution, reference):
    """Features of scales 1e-3, 1 and 1e3 centred far from 0: Newton converges regardless"""
    for seed, l2 in ((91, 1.0), (92, 1e-4)):
        X, y = scaled_case(seed, l2)
        given = (f"X (300, 3) with columns N(0, 1e-3^2), N(0, 1), N(3e3, 1e3^2), l2={l2:g} (the Hessian's "
                 f"condition number is up to ~4e12 at the answer; Newton's steps do not mind, gradient descent does)")
        theta = as_theta(solution.fit_logistic(X, y, l2=l2), 3, given)
        check_gradient(theta, X, y, l2, 1e-8, given)
        ref = as_theta(reference.fit_logistic(X, y, l2=l2), 3, "the REFERENCE on " + given)
        check_agreement(theta, ref, X, y, l2, given)


# -- performance ------------------------------------------------------------------------------------------------

FIT_N, FIT_D = 100_000, 40
# ~0.05 s of reference CPU per call, about the least that gives a steady ratio (the reference against itself
# within 0.95-1.05 over repeated grades); 48 MB in and out, above the 32 MiB where glibc's mmap threshold can
# make the ratio depend on the worker's history. Moving the data costs more than the work, and is taken off
# both sides.
SIGMOID_SIZE = 6_000_000


def timed_data(seed, n, d, *, signal=1.5, bias=0.3):
    """As `make_data`, with X's entries uniform of mean 0 and variance 1: uniform numbers are drawn several
    times faster than normal ones, and Newton's method needs no more than well-conditioned features."""
    g = np.random.default_rng(seed)
    X = g.random((n, d))
    X *= np.sqrt(12.0)
    X -= np.sqrt(3.0)
    w_true = g.standard_normal(d) * (signal / np.sqrt(d))
    y = (g.random(n) < sig(X @ w_true + bias)).astype(np.int64)
    y[:2] = (0, 1)
    return X, y


# Run r's data come from budget.seed(FIT_SEED + r), under a secret drawn for the test: no file can build
# them (and fit them) before the grading. Any draw is well conditioned (n = 100 000 samples of 40 features of
# variance 1, both classes present): the reference reaches the gradient bound in a few Newton steps
# (tests/references/test_logreg.py checks it under several secrets).
FIT_SEED = 1000


def fit_inputs(seed):
    X, y = timed_data(seed, FIT_N, FIT_D)
    return Call(X, y, l2=1.0)


def check_timed_fit(got, expected, call):
    X, y = call.args
    given = f"X ({FIT_N}, {FIT_D}) uniform of variance 1, l2=1"
    theta = as_theta(got, FIT_D, given)
    check_gradient(theta, X, y, 1.0, 1e-8, given)


@pytest.mark.performance
def test_fit_time(budget):
    """fit_logistic on n = 100 000, d = 40 within the time budget"""
    budget.time("fit_logistic", lambda run: fit_inputs(budget.seed(FIT_SEED + run)), check=check_timed_fit,
                repeats=3,
                label=f"fit_logistic: X ({FIT_N}, {FIT_D}), l2=1, default tol, new data per call")


# z of run r: uniform on [-20, 20] (far cheaper to draw than normal numbers), from budget.seed(SIGMOID_SEED + r)
# under a secret drawn for the test: every run gets its own z, and no file can build it before the grading.
# A secret share of the entries (0.05% to 0.5%, at secret places) is instead uniform on [-745, -710], where
# exp(-z) overflows: the textbook 1 / (1 + exp(-z)) warns there (RuntimeWarning, "overflow encountered in
# exp"), and the rule "no overflow, no warnings" holds for timed calls as for any other. Its values cannot give
# it away: the exact sigmoid there is exp(z) (1 + O(exp(z))) <= exp(-710) = 4.5e-309 < 0.21 * tiny, below the
# smallest normal number, where any result from 0 up to the exact value + tiny is within the stated bound (and
# scipy.special.expit gives 0). So the check reads what the call printed.
# A correct solution passes the values check on these entries too: both its result and the reference's are in
# [0, 0.21 * tiny * (1 + 745 * eps) + tiny] (the stated bound), so they differ by less than 1.3 * tiny, within
# the check's atol of 2 * tiny whatever the rtol; and it prints nothing (exp of -|z| underflows at most, which
# numpy does not report). tests/references/test_logreg.py checks the draw under several secrets.
SIGMOID_HALF_RANGE = 20.0
SIGMOID_FAR = (-745.0, -710.0)
SIGMOID_FAR_SHARE = (1 / 2000, 1 / 200)
SIGMOID_REPEATS = 3
SIGMOID_SEED = 2000


def sigmoid_inputs(seed):
    g = np.random.default_rng(seed)
    z = g.random(SIGMOID_SIZE)
    z *= 2 * SIGMOID_HALF_RANGE
    z -= SIGMOID_HALF_RANGE
    lo, hi = (int(SIGMOID_SIZE * share) for share in SIGMOID_FAR_SHARE)
    far = g.integers(0, SIGMOID_SIZE, size=int(g.integers(lo, hi + 1)))
    z[far] = g.uniform(*SIGMOID_FAR, size=far.size)
    return Call(z)


SIGMOID_TIMED_GIVEN = (f"float64 z of 6 000 000 entries, uniform on [-20, 20] but for a few thousand on "
                       f"[{SIGMOID_FAR[0]:g}, {SIGMOID_FAR[1]:g}]")


def check_timed_sigmoid(got, expected, call, printed=""):
    z = call.args[0]
    checks.that("RuntimeWarning" not in printed,
                f"sigmoid(z) for {SIGMOID_TIMED_GIVEN} printed a warning: {printed.strip()[:600]!r}. Exponentiate "
                f"only -|z| (never a positive number): exp(-z) overflows for z < -709.8.")
    arr = checks.as_array(got, "sigmoid(z)", "float64 z of 6 000 000 entries")
    if not (arr.shape == z.shape and arr.dtype == np.float64):
        checks.fail(f"sigmoid(z) for float64 z of 6 000 000 entries should be float64 of shape {z.shape}, got "
                    f"{arr.dtype} {arr.shape}")
    # Against the reference's result: both within eps (|z| + 4) of the exact value, |z| at most 20 here but
    # on the far entries, where both are below 1.3 * tiny (see above) and the atol covers them.
    checks.close(arr, expected, rtol=2 * EPS * (SIGMOID_HALF_RANGE + 4), atol=2 * np.finfo(np.float64).tiny,
                 what="sigmoid(z)", given=SIGMOID_TIMED_GIVEN)


@pytest.mark.performance
def test_sigmoid_time(budget, solution):
    """sigmoid on 6 million float64 entries within the time budget (and with no warning)"""
    solution.output()                          # not this test's business: what earlier calls printed

    def check(got, expected, call):
        # What the solution printed since the last look: this call's output (and its fresh worker's import).
        check_timed_sigmoid(got, expected, call, solution.output())

    budget.time("sigmoid", lambda run: sigmoid_inputs(budget.seed(SIGMOID_SEED + run)), check=check,
                repeats=SIGMOID_REPEATS,
                label="sigmoid: float64 z of 6 000 000 entries, a new z per call")


# -- bonus: multinomial -------------------------------------------------------------------------------------

def make_multiclass(seed, n, d, K):
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, d))
    W = g.normal(size=(d, K)) * 1.5 / np.sqrt(d)
    Z = X @ W + g.normal(size=K) * 0.3
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) < g.random((n, 1))).sum(axis=1)
    y = np.minimum(y, K - 1)
    y[:K] = np.arange(K)
    return X, y.astype(np.int64)


SOFTMAX_CASES = [("X (200, 4) N(0, 1), 3 classes, l2=1", 301, 200, 4, 3, 1.0),
                 ("X (150, 2) N(0, 1), 5 classes, l2=0.1", 302, 150, 2, 5, 0.1),
                 ("X (120, 6) N(0, 1), 2 classes, l2=10", 303, 120, 6, 2, 10.0)]


def as_softmax_theta(got, d, K, given):
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        checks.fail(f"fit_softmax for {given} should return (W, b), got {checks.show(got)}")
    W = checks.shape(got[0], (d, K), what="W", given=given)
    b = checks.shape(got[1], (K,), what="b", given=given)
    theta = np.vstack([W.astype(np.float64), b.astype(np.float64)[None, :]])
    if not np.all(np.isfinite(theta)):
        checks.fail(f"fit_softmax for {given} returned W, b with entries that are not "
                    f"finite: W = {checks.show(W)}, b = {checks.show(b)}")
    return theta


def check_softmax_gradient(theta, X, y, l2, tol, given):
    g, allowance = softmax_gradient(X, y, l2, theta)
    bound = tol * len(y) + allowance
    bad = np.abs(g) > bound
    if bad.any():
        j, k = np.unravel_index(int(np.argmax(np.abs(g) - bound)), g.shape)
        name = f"b[{k}]" if j == g.shape[0] - 1 else f"W[{j}, {k}]"
        checks.fail(f"the gradient of the multinomial objective at your answer for {given} is too large: "
                    f"dJ/d{name} = {g[j, k]:.4g}, while tol * n = {tol * len(y):.4g} (+ rounding allowance "
                    f"{allowance[j, k]:.2g}). Minimise the summed cross-entropy plus l2/2 ||W||^2 (b not penalised) "
                    f"until every gradient entry is at most tol * n.")


@pytest.mark.correctness
@pytest.mark.bonus
def test_softmax_gradient_at_answer(solution):
    """Bonus: fit_softmax's answer has every gradient entry at most tol * n"""
    for given, seed, n, d, K, l2 in SOFTMAX_CASES:
        X, y = make_multiclass(seed, n, d, K)
        theta = as_softmax_theta(solution.fit_softmax(X, y, l2=l2), d, K, given)
        check_softmax_gradient(theta, X, y, l2, 1e-8, given)


@pytest.mark.correctness
@pytest.mark.bonus
def test_softmax_agrees_with_reference(solution, reference):
    """Bonus: fit_softmax agrees with the reference (up to a common shift of the intercepts)"""
    for given, seed, n, d, K, l2 in SOFTMAX_CASES:
        X, y = make_multiclass(seed, n, d, K)
        theta = as_softmax_theta(solution.fit_softmax(X, y, l2=l2), d, K, given)
        ref = as_softmax_theta(reference.fit_softmax(X, y, l2=l2), d, K, "the REFERENCE on " + given)
        theta[-1] -= theta[-1].mean()            # the intercepts' shift is test_softmax_intercepts_sum_to_zero's
        # Both gradients are below tol * n = 1e-8 n; the objective's curvature on these data is above 1e-1 per
        # unit, so each answer is within ~1e-8 n / 0.1 of the minimiser: 1e-4 is far above that, far below an
        # error of the objective (O(0.1) or more).
        checks.close(theta, ref, atol=1e-4, what="(W; b) stacked, b centred", given=given)


@pytest.mark.correctness
@pytest.mark.bonus
def test_softmax_intercepts_sum_to_zero(solution):
    """Bonus: the intercepts of fit_softmax sum to zero"""
    given, seed, n, d, K, l2 = SOFTMAX_CASES[0]
    X, y = make_multiclass(seed, n, d, K)
    theta = as_softmax_theta(solution.fit_softmax(X, y, l2=l2), d, K, given)
    b = theta[-1]
    # Centring at the end leaves ~K eps max|b|; keeping steps orthogonal to the shift, ~1e-16 per step.
    if not (abs(b.sum()) <= 1e-10 * (1 + np.abs(b).max())):
        checks.fail(f"the intercepts b for {given} should sum to 0 (the objective does not change when every b_k "
                    f"moves by the same amount; return the minimiser with sum(b) = 0), got b = {checks.show(b)} "
                    f"with sum {b.sum():.3g}")


@pytest.mark.edge_case
@pytest.mark.bonus
def test_softmax_rejects_bad_input(solution):
    """Bonus: fit_softmax raises ValueError for a missing class, one class, l2 <= 0 or negative labels"""
    X, y = make_multiclass(304, 12, 2, 3)
    cases = [(np.array([0, 0, 2, 2, 0, 2, 2, 0, 0, 2, 2, 0]), 1.0, "labels 0 and 2 only (class 1 missing)"),
             (np.zeros(12, dtype=np.int64), 1.0, "every label 0 (K = 1)"),
             (np.array([0, 1, 2, -1, 0, 1, 2, 0, 1, 2, 0, 1]), 1.0, "a label -1"),
             (y, 0.0, "l2=0"), (y, -2.0, "l2=-2")]
    for labels, l2, desc in cases:
        checks.raises(ValueError, solution.fit_softmax, X, labels, l2=l2, given=f"X (12, 2) and {desc}")
