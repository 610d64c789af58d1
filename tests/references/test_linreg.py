"""The linreg reference against independent implementations, and the
assumptions the linreg grader makes about its own data sets.

Oracles:
- scikit-learn's LinearRegression (centring, then scipy's lstsq: the
  minimum-norm solution) and Ridge(alpha=l2), with and without intercept;
- numpy.linalg.lstsq on differently built systems: the intercept eliminated
  by an orthonormal basis of the complement of the all-ones vector (no
  centring), and ridge as least squares on X stacked over sqrt(l2) I;
- mpmath at 60 digits for the ill-conditioned data (the exact minimiser of
  the float64 data), which also checks the grader's rational-arithmetic oracle;
- a plain loop over epochs, batches and rows for the SGD order, and gradient
  descent (batch_size >= n) converging to LinearRegression's solution.

scikit-learn, scipy and mpmath are test-only dependencies.
"""

import numpy as np
import pytest

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed

sklearn_linear = pytest.importorskip("sklearn.linear_model")
scipy_linalg = pytest.importorskip("scipy.linalg")
mpmath = pytest.importorskip("mpmath")

ref = load_module(REPO / "reference" / "linreg.py", "linreg_reference")
grader = load_module(REPO / "graders" / "linreg.py", "linreg_grader_data")

# Fixed stand-ins for the secret each timed test draws (budget.seed).
SECRETS = [bytes([i]) * 16 for i in range(3)]


def close_fit(got, expected, rtol):
    w, b = got
    w_exp, b_exp = expected
    scale = np.linalg.norm(w_exp)
    np.testing.assert_allclose(w, w_exp, rtol=0, atol=rtol * max(scale, 1e-300))
    assert abs(b - b_exp) <= rtol * (abs(b_exp) + scale * 10 + 1)


def complement_of_ones(n):
    """(n, n - 1) orthonormal basis of the vectors whose entries sum to 0."""
    Q, _ = np.linalg.qr(np.column_stack([np.ones(n), np.eye(n)[:, : n - 1]]))
    return Q[:, 1:]


def lstsq_without_centring(X, y):
    """Minimum-norm w with a free intercept: lstsq of Q^T X against Q^T y, Q spanning 1's complement."""
    Q = complement_of_ones(len(X))
    w = np.linalg.lstsq(Q.T @ X, Q.T @ y, rcond=None)[0]
    return w, float(np.mean(y - X @ w))


def plain_loop_sgd(X, y, lr, epochs, batch_size, seed):
    """The task's SGD order, one row at a time, in Python floats."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    rows = [[float(v) for v in row] for row in X]
    targets = [float(v) for v in y]
    w, b, losses = [0.0] * d, 0.0, []
    for _ in range(epochs):
        perm = rng.permutation(n).tolist()
        batches = [perm[i:i + batch_size] for i in range(0, n, batch_size)]
        for batch in batches:
            residuals = [sum(a * c for a, c in zip(rows[i], w)) + b - targets[i] for i in batch]
            grad_w = [sum(r * rows[i][j] for r, i in zip(residuals, batch)) / len(batch) for j in range(d)]
            grad_b = sum(residuals) / len(batch)
            w = [wj - lr * gj for wj, gj in zip(w, grad_w)]
            b = b - lr * grad_b
        sq = [(sum(a * c for a, c in zip(rows[i], w)) + b - targets[i]) ** 2 for i in range(n)]
        losses.append(0.5 * sum(sq) / n)
    return np.array(w), b, np.array(losses)


# -- fit_linear ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seed, n, d", [(1, 50, 3), (2, 200, 8), (3, 30, 1), (4, 7, 12)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_least_squares_matches_sklearn(seed, n, d, fit_intercept):
    X, y = grader.regression(seed, n, d)
    model = sklearn_linear.LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    expected = (model.coef_, float(model.intercept_))
    close_fit(ref.fit_linear(X, y, fit_intercept=fit_intercept), expected, 1e-10)
    close_fit(grader.svd_fit(X, y, 0.0, fit_intercept), expected, 1e-10)


@pytest.mark.parametrize("seed, n, d", [(5, 40, 4), (6, 100, 6), (7, 6, 10)])
@pytest.mark.parametrize("l2", [1e-3, 0.5, 20.0, 1e4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_matches_sklearn(seed, n, d, l2, fit_intercept):
    X, y = grader.regression(seed, n, d, intercept=50.0)
    model = sklearn_linear.Ridge(alpha=l2, fit_intercept=fit_intercept, solver="svd").fit(X, y)
    expected = (model.coef_, float(model.intercept_))
    close_fit(ref.fit_linear(X, y, l2=l2, fit_intercept=fit_intercept), expected, 1e-9)
    close_fit(grader.svd_fit(X, y, l2, fit_intercept), expected, 1e-9)
    # Ridge as least squares on a stacked system: [Xc; sqrt(l2) I] w ~ [yc; 0].
    xm = X.mean(0) if fit_intercept else np.zeros(d)
    ym = y.mean() if fit_intercept else 0.0
    w = np.linalg.lstsq(np.vstack([X - xm, np.sqrt(l2) * np.eye(d)]), np.r_[y - ym, np.zeros(d)], rcond=None)[0]
    close_fit(ref.fit_linear(X, y, l2=l2, fit_intercept=fit_intercept),
              (w, float(ym - xm @ w) if fit_intercept else 0.0), 1e-9)


def rank_deficient_cases():
    X, y = grader.full_rank_base(61)
    yield "duplicate", np.column_stack([X, X[:, 0]]), y, False
    yield "duplicate, times 2^-40", np.column_stack([X, X[:, 0]]) * 2.0 ** -40, y, False
    yield "duplicate, times 2^40", np.column_stack([X, X[:, 0]]) * 2.0 ** 40, y, False
    X88, y88 = grader.full_rank_base(88)
    yield "duplicate, other draw", np.column_stack([X88, X88[:, 0]]), y88, False
    yield "zero column", np.column_stack([X[:, :1], np.zeros(len(X)), X[:, 1:]]), y, False
    yield "2x column", np.column_stack([X, 2 * X[:, 1]]), y, False
    g = np.random.default_rng(62)
    yield "wide", g.normal(size=(5, 9)), g.normal(size=5), False
    X, _ = grader.full_rank_base(71, n=32)
    Xi = np.round(X * 4)
    yi = Xi @ np.array([1.0, -2.0, 0.5]) + 4.0 + 0.1 * np.random.default_rng(72).normal(size=32)
    yield "constant column", np.column_stack([Xi, np.full(32, 5.0)]), yi, True
    yield "duplicate, intercept", np.column_stack([Xi, Xi[:, 0]]), yi, True
    yield "one row", np.array([[3.0, -1.0, 2.0]]), np.array([7.0]), True
    g = np.random.default_rng(73)
    yield "wide, intercept", g.integers(-5, 6, size=(4, 7)).astype(np.float64), g.normal(size=4), True


@pytest.mark.parametrize("case", list(rank_deficient_cases()), ids=lambda c: c[0])
def test_minimum_norm_matches_lstsq_and_sklearn(case):
    """The rank-deficient inputs of the grader: the reference and the grader's oracle give the
    minimum-norm solution of lstsq on a system without centring and of scikit-learn."""
    _, X, y, fi = case
    if fi:
        expected = lstsq_without_centring(X, y)
    else:
        expected = (np.linalg.lstsq(X, y, rcond=None)[0], 0.0)
    model = sklearn_linear.LinearRegression(fit_intercept=fi).fit(X, y)
    close_fit((model.coef_, float(model.intercept_)), expected, 1e-10)
    close_fit(ref.fit_linear(X, y, fit_intercept=fi), expected, 1e-10)
    close_fit(grader.svd_fit(X, y, 0.0, fi), expected, 1e-10)
    # The description's claim: zero singular values at rounding level, the others above 1e-3.
    s = np.linalg.svd(X - X.mean(0) if fi else X, compute_uv=False)
    assert int(np.sum(s > 1e-12 * s[0])) < X.shape[1]                  # rank-deficient
    assert np.all((s <= 1e-15 * s[0]) | (s >= 1e-3 * s[0])), s / s[0]


def test_cut_offs_outside_the_range_fail():
    """The grader's scaled and other-draw duplicate-column inputs: a fixed cut-off (1e-10) cuts every
    singular value at 2^-40 and keeps the rounding-level one at 2^40; in the other draw the zero singular
    value comes out between machine epsilon and 1e-15 of the largest, and lstsq's rcond=-1 (a cut-off at
    eps) keeps it."""
    X, y = grader.full_rank_base(61)
    dup = np.column_stack([X, X[:, 0]])
    assert np.linalg.svd(dup * 2.0 ** -40, compute_uv=False)[0] < 1e-10
    assert np.linalg.svd(dup * 2.0 ** 40, compute_uv=False)[-1] > 1e-10
    X88, y88 = grader.full_rank_base(88)
    dup88 = np.column_stack([X88, X88[:, 0]])
    s = np.linalg.svd(dup88, compute_uv=False)
    assert np.finfo(np.float64).eps < s[-1] / s[0] < 1e-15
    assert np.linalg.norm(np.linalg.lstsq(dup88, y88, rcond=-1)[0]) > 1e6
    assert np.linalg.norm(np.linalg.lstsq(dup88, y88, rcond=None)[0]) < 10


def test_hand_built_minimum_norm_expectations():
    """The grader's hand-built expected w (equal shares of a duplicate, 1/5 and 2/5 for a 2x column)."""
    X, y = grader.full_rank_base(61)
    a = np.linalg.lstsq(X, y, rcond=None)[0]
    Xd = np.column_stack([X, X[:, 0]])
    np.testing.assert_allclose(np.linalg.lstsq(Xd, y, rcond=None)[0], np.r_[a[0] / 2, a[1:], a[0] / 2], atol=1e-12)
    X2 = np.column_stack([X, 2 * X[:, 1]])
    np.testing.assert_allclose(np.linalg.lstsq(X2, y, rcond=None)[0], np.r_[a[0], a[1] / 5, a[2], 2 * a[1] / 5],
                               atol=1e-12)


def mp_exact(X, y, fit_intercept, l2=0.0):
    """The minimiser at 60 digits from the normal equations of the float64 data (exact inputs), l2 on w only."""
    with mpmath.workdps(60):
        A = np.column_stack([X, np.ones(len(X))]) if fit_intercept else X
        M = mpmath.matrix(A.tolist())
        G = M.T * M
        for i in range(X.shape[1]):
            G[i, i] += mpmath.mpf(l2)
        sol = mpmath.lu_solve(G, M.T * mpmath.matrix(y.tolist()))
        out = np.array([float(v) for v in sol])
    return (out[:-1], float(out[-1])) if fit_intercept else (out, 0.0)


def stable_methods(X, y, fi):
    xm = X.mean(0) if fi else np.zeros(X.shape[1])
    ym = y.mean() if fi else 0.0
    Xc, yc = X - xm, y - ym
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    Q, R = np.linalg.qr(Xc)
    ws = {
        "np.linalg.lstsq": np.linalg.lstsq(Xc, yc, rcond=None)[0],
        "pinv": np.linalg.pinv(Xc) @ yc,
        "svd": Vt.T @ ((U.T @ yc) / s),
        "qr": scipy_linalg.solve_triangular(R, Q.T @ yc),
        "reference": ref.fit_linear(X, y, fit_intercept=fi)[0],
    }
    for driver in ("gelsd", "gelsy", "gelss"):
        ws[f"scipy {driver}"] = scipy_linalg.lstsq(Xc, yc, lapack_driver=driver)[0]
    return ws


def normal_equation_methods(X, y, fi):
    xm = X.mean(0) if fi else np.zeros(X.shape[1])
    Xc, yc = X - xm, y - (y.mean() if fi else 0.0)
    G, r = Xc.T @ Xc, Xc.T @ yc
    out = {"pinv(G)": np.linalg.pinv(G) @ r}
    for name, solve in (("inv(G)", lambda: np.linalg.inv(G) @ r), ("solve(G)", lambda: np.linalg.solve(G, r))):
        try:
            out[name] = solve()
        except np.linalg.LinAlgError:
            out[name] = np.full(X.shape[1], np.inf)
    return out


@pytest.mark.parametrize("seed, fi", [(101, False), (102, True)])
def test_ill_conditioned_data_and_margins(seed, fi):
    """The stability test's data: condition number 1e10; the rational oracle agrees with mpmath;
    every stable method is within 2e-7 (the test allows 1e-6) and every normal-equation method is
    off by more than 1e-2."""
    X, y = grader.ill_conditioned(seed, fit_intercept=fi)
    s = np.linalg.svd(X - X.mean(0) if fi else X, compute_uv=False)
    assert 0.9e10 < s[0] / s[-1] < 1.1e10
    exact = grader.exact_fit(X, y, fi)
    mp = mp_exact(X, y, fi)
    np.testing.assert_allclose(exact[0], mp[0], rtol=1e-14)
    assert abs(exact[1] - mp[1]) <= 1e-14 * (abs(mp[1]) + 1)
    norm = np.linalg.norm(exact[0])
    for name, w in stable_methods(X, y, fi).items():
        assert np.linalg.norm(w - exact[0]) / norm < 2e-7, name
    for name, w in normal_equation_methods(X, y, fi).items():
        assert not np.linalg.norm(w - exact[0]) / norm < 1e-2, name
    close_fit(ref.fit_linear(X, y, fit_intercept=fi), exact, 2e-7)


def stable_ridge_solutions(X, y, l2):
    """Ridge without intercept by the SVD filter factors, lstsq on X stacked over sqrt(l2) I, scikit-learn's
    Ridge(solver="svd") and the reference."""
    d = X.shape[1]
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    return {
        "svd": Vt.T @ (s / (s ** 2 + l2) * (U.T @ y)),
        "stacked lstsq": np.linalg.lstsq(np.vstack([X, np.sqrt(l2) * np.eye(d)]), np.r_[y, np.zeros(d)],
                                         rcond=None)[0],
        "sklearn": sklearn_linear.Ridge(alpha=l2, fit_intercept=False, solver="svd").fit(X, y).coef_,
        "reference": ref.fit_linear(X, y, l2, fit_intercept=False)[0],
    }


@pytest.mark.parametrize("scale, l2", [(1.0, 1e-28), (2.0 ** 50, 1.0)], ids=["tiny_l2", "scaled_X_l2_1"])
def test_ill_conditioned_ridge_margins(scale, l2):
    """The stability test's ridge cases on the condition-1e10 data, no intercept: l2 = 1e-28, and the data
    times 2^50 with l2 = 1 (far above 1e-8, and yet X^T X + l2 I has condition number ~1e20 as in the
    first). The rational oracle agrees with mpmath; the SVD filter factors, lstsq on X stacked over
    sqrt(l2) I, scikit-learn's Ridge(solver="svd") and the reference are within 2e-7, the ridge normal
    equations (what a fixed threshold on l2 picks in the scaled case) off by more than 1e-2; and the
    minimiser with n l2 (a mean objective) is within 1e-7 of it, so only the solver decides."""
    X, y = grader.ill_conditioned(101)
    X = X * scale
    s = np.linalg.svd(X, compute_uv=False)
    assert l2 < 1e-8 * s[-1] ** 2 and s[0] ** 2 / (s[-1] ** 2 + l2) > 1e19
    exact = grader.exact_fit(X, y, False, l2)
    np.testing.assert_allclose(exact[0], mp_exact(X, y, False, l2)[0], rtol=1e-14)
    norm = np.linalg.norm(exact[0])
    d = X.shape[1]
    G = X.T @ X + l2 * np.eye(d)
    for name, w in stable_ridge_solutions(X, y, l2).items():
        assert np.linalg.norm(w - exact[0]) / norm < 2e-7, name
    for name, w in (("solve", np.linalg.solve(G, X.T @ y)), ("pinv", np.linalg.pinv(G) @ (X.T @ y))):
        assert not np.linalg.norm(w - exact[0]) / norm < 1e-2, name
    mean_objective = grader.exact_fit(X, y, False, l2 * len(X))[0]
    assert np.abs(mean_objective - exact[0]).max() / norm < 1e-7


def test_float32_data_need_float64():
    """The float32 test's data: the reference matches LinearRegression on the same values in float64,
    and the exact w rounded to float32 is off by more than 2e-8 of ||w|| (the grader allows 1e-8)."""
    g = np.random.default_rng(51)
    X32 = (g.normal(size=(80, 4)) * np.array([1.0, 10.0, 100.0, 1000.0]) + 5.0).astype(np.float32)
    y32 = (X32.astype(np.float64) @ np.array([1.0, -2.0, 0.5, 0.01]) + g.normal(size=80)).astype(np.float32)
    assert X32.dtype == np.float32 and y32.dtype == np.float32
    for fi in (True, False):
        model = sklearn_linear.LinearRegression(fit_intercept=fi).fit(X32.astype(np.float64), y32.astype(np.float64))
        w, b = ref.fit_linear(X32, y32, fit_intercept=fi)
        assert w.dtype == np.float64
        close_fit((w, b), (model.coef_, float(model.intercept_)), 1e-10)
        rounded = model.coef_.astype(np.float32).astype(np.float64)
        assert np.abs(rounded - model.coef_).max() > 2e-8 * np.linalg.norm(model.coef_)


def test_invalid_arguments():
    X, y = grader.regression(91, 10, 2)
    for args in ((X[:, 0], y), (X, y[:, None]), (X, y[:9]), (np.zeros((0, 2)), np.zeros(0)), (np.zeros((10, 0)), y)):
        with pytest.raises(ValueError):
            ref.fit_linear(*args)
    for l2 in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError):
            ref.fit_linear(X, y, l2)
    for lr, epochs, batch in ((0.0, 1, 2), (np.nan, 1, 2), (0.1, 0, 2), (0.1, 1, 0), (0.1, 2.5, 2), (0.1, 2.0, 2),
                              (0.1, 2, 2.0), (0.1, True, 2), (0.1, 2, True)):
        with pytest.raises(ValueError):
            ref.sgd_linear(X, y, lr, epochs, batch, np.random.default_rng(0))
    for args in ((X[:0], y[:0]), (X[:, :0], y)):      # no rows, no columns
        with pytest.raises(ValueError):
            ref.sgd_linear(*args, 0.1, 1, 2, np.random.default_rng(0))


# -- sgd_linear ---------------------------------------------------------------------------------

SGD_CASES = [(111, 96, 0.05, 1, 1), (111, 96, 0.1, 1, 8), (111, 96, 0.2, 1, 32), (121, 64, 0.1, 3, 16),
             (121, 64, 0.1, 5, 16), (131, 48, 0.05, 4, 8), (141, 50, 0.1, 1, 16), (141, 50, 0.1, 1, 7),
             (151, 30, 0.1, 3, 30), (151, 30, 0.1, 3, 100)]


@pytest.mark.parametrize("data_seed, n, lr, epochs, batch", SGD_CASES)
def test_sgd_matches_plain_loop(data_seed, n, lr, epochs, batch):
    """The reference and the grader's loop against a row-by-row loop in Python floats, far inside
    the grader's 1e-9; no step expands a difference between two trajectories."""
    X, y = grader.sgd_data(data_seed, n)
    expected = plain_loop_sgd(X, y, lr, epochs, batch, 7)
    for w, b, losses in (ref.sgd_linear(X, y, lr, epochs, batch, np.random.default_rng(7)),
                         grader.plain_sgd(X, y, lr, epochs, batch, 7)):
        np.testing.assert_allclose(w, expected[0], rtol=0, atol=1e-12)
        assert abs(b - expected[1]) < 1e-12
        np.testing.assert_allclose(losses, expected[2], rtol=1e-12)
    # A batch's Hessian [x 1]^T [x 1] / m has its largest eigenvalue below the mean of its rows'
    # ||x||^2 + 1, so below the mean of the m largest: lr times that under 2 keeps every step
    # non-expanding, and rounding differences do not grow.
    m = min(batch, n)
    assert lr * np.sort((X ** 2).sum(axis=1) + 1)[-m:].mean() < 2


def test_gradient_descent_converges_to_least_squares():
    """batch_size >= n is gradient descent on the half mean squared error: it converges to
    LinearRegression's solution, and the losses decrease to its half mean squared error."""
    X, y = grader.sgd_data(151, 30)
    model = sklearn_linear.LinearRegression().fit(X, y)
    w, b, losses = ref.sgd_linear(X, y, 0.2, 3000, 30, np.random.default_rng(0))
    np.testing.assert_allclose(w, model.coef_, atol=1e-8)
    assert abs(b - model.intercept_) < 1e-8
    assert np.all(np.diff(losses) <= 1e-15)
    r = X @ model.coef_ + model.intercept_ - y
    assert abs(losses[-1] - 0.5 * np.mean(r ** 2)) < 1e-12


def test_timed_sgd_data_contract():
    """Under sampled secrets, every timed run's data keep lr times a batch's largest Hessian eigenvalue below 2."""
    for secret in SECRETS:
        for seed in grader.SGD_TIME_SEEDS:
            X, _ = grader.sgd_data(secret_seed(secret, seed), 20_000, 20)
            assert 0.01 * (((X / 3.0) ** 2).sum(axis=1).max() + 1) < 2


def integer_gram_exact(X, y):
    """The minimiser with an intercept of the float64 data: the Gram matrix of [X, 1, y] in exact integer
    arithmetic (each column an integer vector times a power of two), its normal equations solved by mpmath at
    400 bits (their condition number, below 1e20, costs under 70 of them)."""
    A = np.column_stack([X, np.ones(len(X)), y])
    cols = []
    for a in A.T:
        k = int(np.frexp(a[a != 0])[1].min()) - 53         # every entry is an integer times 2^k
        cols.append(((a * 2.0 ** -k).astype(object).tolist(), k))
    cols = [(np.array([int(v) for v in ints], dtype=object), k) for ints, k in cols]
    p = A.shape[1] - 1
    with mpmath.workprec(400):
        G = mpmath.matrix(p, p)
        r = mpmath.matrix(p, 1)
        for i in range(p):
            for j in range(i, p + 1):
                v = mpmath.ldexp(mpmath.mpf(int(np.dot(cols[i][0], cols[j][0]))), cols[i][1] + cols[j][1])
                if j == p:
                    r[i] = v
                else:
                    G[i, j] = G[j, i] = v
        sol = np.array([float(v) for v in mpmath.lu_solve(G, r)])
    return sol[:-1], float(sol[-1])


def rel_error(got, expected, X):
    """The largest error of w per entry relative to ||w*||, and of b relative to |b*| + ||mean(X)|| ||w*||,
    the scales of the grader's check_fit."""
    (w, b), (w_exp, b_exp) = got, expected
    scale = np.linalg.norm(w_exp)
    return max(np.abs(np.asarray(w) - w_exp).max() / scale,
               abs(b - b_exp) / (abs(b_exp) + np.linalg.norm(X.mean(0)) * scale))


def normal_equations_fits(X, y):
    """The uncentred normal equations (X^T X - n m m^T) w = X^T y - n m mean(y), the centred ones, and the
    centred ones with two steps of iterative refinement on their Cholesky factor."""
    n = len(X)
    xm, ym = X.mean(0), y.mean()
    w_u = np.linalg.solve(X.T @ X - n * np.outer(xm, xm), X.T @ y - n * xm * ym)
    Xc, yc = X - xm, y - ym
    G = Xc.T @ Xc
    w_c = np.linalg.solve(G, Xc.T @ yc)
    fits = {"uncentred": (w_u, float(ym - xm @ w_u)), "centred": (w_c, float(ym - xm @ w_c))}
    try:
        L = np.linalg.cholesky(G)
        w_r = w_c.copy()
        for _ in range(2):
            w_r += scipy_linalg.cho_solve((L, True), Xc.T @ (yc - Xc @ w_r))
        fits["refined"] = (w_r, float(ym - xm @ w_r))
    except np.linalg.LinAlgError:
        pass                                   # not even positive definite in floating point
    return fits


def test_timed_fit_data_stable_solvers_agree_normal_equations_fail():
    """Under sampled secrets, the centred timed X has a condition number within 10% of 1e8; the reference,
    numpy's lstsq, scipy's gelsd and gelsy and both alternatives agree to 1e-10 (the grader allows 1e-6), while
    the normal equations, centred or not, and with two steps of iterative refinement, are off by more than
    1e-5."""
    alternatives = [load_module(path, f"linreg_alt_{path.stem}")
                    for path in sorted((REPO / "tests" / "alternatives" / "linreg").glob("*.py"))]
    assert alternatives
    for secret, seed in zip(SECRETS, grader.FIT_TIME_SEEDS[1:]):
        X, y = grader.timed_regression(secret_seed(secret, seed), 100_000, 50)
        xm, ym = X.mean(0), y.mean()
        Xc, yc = X - xm, y - ym
        s = np.linalg.svd(Xc, compute_uv=False)
        assert 0.9e8 < s[0] / s[-1] < 1.1e8
        expected = ref.fit_linear(X, y)
        stable = {f"scipy {driver}": scipy_linalg.lstsq(Xc, yc, lapack_driver=driver)[0]
                  for driver in ("gelsd", "gelsy")}
        stable["np.linalg.lstsq"] = np.linalg.lstsq(Xc, yc, rcond=None)[0]
        fits = {name: (w, float(ym - xm @ w)) for name, w in stable.items()}
        fits.update({alt.__name__: alt.fit_linear(X, y) for alt in alternatives})
        for name, got in fits.items():
            assert rel_error(got, expected, X) < 1e-10, name
        for name, got in normal_equations_fits(X, y).items():
            assert rel_error(got, expected, X) > 1e-5, name


def test_timed_fit_data_reference_against_exact_oracle():
    """The timed data's construction with n = 2048 rows (the exact oracle is too slow for 100 000): under
    sampled secrets the reference is within 1e-8 of the exact minimiser (the error bound in the grader's
    docstring does not grow with n), and the normal equations are off by more than 1e-5."""
    for secret in SECRETS:
        X, y = grader.timed_regression(secret_seed(secret, grader.FIT_TIME_SEEDS[0]), 2048, 50)
        exact = integer_gram_exact(X, y)
        assert rel_error(ref.fit_linear(X, y), exact, X) < 1e-8
        for name, got in normal_equations_fits(X, y).items():
            assert rel_error(got, exact, X) > 1e-5, name


def test_ill_conditioned_ridge_with_a_moderate_l2():
    """The stability test's last case: l2 = 5e-12 on the condition-1e10 data with y along the two largest
    singular directions. X^T X + l2 I has condition number 1e14; the rational oracle agrees with mpmath; the
    SVD filter factors, stacked lstsq, scikit-learn's Ridge(solver="svd") and the reference are within 1e-10,
    the ridge normal equations (what a threshold of 1e-20 of the trace picks) off by more than 1e-3; the
    minimiser with n l2 (a mean objective) is within 1e-7 of it."""
    l2 = 5e-12
    X, y = grader.ill_conditioned(101, top=2)
    s = np.linalg.svd(X, compute_uv=False)
    assert l2 > 1e5 * s[-1] ** 2 and 0.9e14 < s[0] ** 2 / (s[-1] ** 2 + l2) < 1.1e14
    assert l2 >= 1e-20 * np.trace(X.T @ X)
    exact = grader.exact_fit(X, y, False, l2)
    np.testing.assert_allclose(exact[0], mp_exact(X, y, False, l2)[0], rtol=1e-14)
    norm = np.linalg.norm(exact[0])
    d = X.shape[1]
    for name, w in stable_ridge_solutions(X, y, l2).items():
        assert np.linalg.norm(w - exact[0]) / norm < 1e-10, name
    assert np.abs(np.linalg.solve(X.T @ X + l2 * np.eye(d), X.T @ y) - exact[0]).max() / norm > 1e-3
    mean_objective = grader.exact_fit(X, y, False, l2 * len(X))[0]
    assert np.abs(mean_objective - exact[0]).max() / norm < 1e-7
