"""The meeting_point reference against independent oracles, and the grader's assumptions.

Oracles:
- Manhattan: brute-force search over every integer point of the bounding box
  (the total distance in exact integer arithmetic), the lowest optimal point
  being the coordinate-wise minimum of the optimal set (a box);
- Euclidean: scipy.optimize.minimize (Nelder-Mead with tolerances near
  machine precision, from several starts), and exact optimality conditions:
  at a data point p_k, 0 is a subgradient iff ||R_k|| <= eta_k; elsewhere the
  duality bound f* >= (f(x) - g.(x - c)) / (1 + ||g|| / W) for the gradient g
  (from f(x) = max over ||u_i|| <= 1 of sum_i w_i u_i.(x - p_i), with
  u_i = (x - p_i) / d_i shifted to make sum_i w_i u_i = 0);
- the Weiszfeld / Vardi-Zhang map written as a plain loop over the points,
  for the positions after 1 to 3 steps.

scipy is a test-only dependency.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed

optimize = pytest.importorskip("scipy.optimize")

ref = load_module(REPO / "reference" / "meeting_point.py", "meeting_point_reference")
grader = load_module(REPO / "graders" / "meeting_point.py", "meeting_point_grader_data")

# Fixed stand-ins for the secret each timed test draws (budget.seed).
SECRETS = [bytes([i]) * 16 for i in range(3)]


# -- Manhattan -------------------------------------------------------------------------------------

def brute_force_lowest(P, w):
    """The lowest optimal grid point by trying every integer point of the bounding box."""
    P = [[int(v) for v in row] for row in P]
    w = [int(v) for v in w]
    lows = [min(c) for c in zip(*P)]
    highs = [max(c) for c in zip(*P)]
    best, optimal = None, []
    for x in itertools.product(*[range(lo, hi + 1) for lo, hi in zip(lows, highs)]):
        cost = sum(wi * sum(abs(pj - xj) for pj, xj in zip(p, x)) for p, wi in zip(P, w))
        if best is None or cost < best:
            best, optimal = cost, [x]
        elif cost == best:
            optimal.append(x)
    lowest = tuple(min(c) for c in zip(*optimal))
    assert lowest in optimal                      # the optimal set is a box
    return np.array(lowest)


@pytest.mark.parametrize("seed", range(12))
def test_manhattan_matches_brute_force(seed):
    g = np.random.default_rng(seed)
    n, d = int(g.integers(1, 9)), int(g.integers(1, 4))
    P = g.integers(-6, 7, size=(n, d))
    np.testing.assert_array_equal(ref.manhattan_median(P), brute_force_lowest(P, [1] * n))
    w = g.integers(0, 5, size=n)
    w[0] = max(w[0], 1)
    np.testing.assert_array_equal(ref.manhattan_median(P, w), brute_force_lowest(P, w))


def test_manhattan_grader_cases_by_brute_force():
    cases = [(np.array([[1, 10], [4, -2]]), [1, 1], [1, -2]),
             (np.array([[0, 9], [5, 3], [10, 6]]), [1, 1, 2], [5, 6]),
             (np.array([[0, 0], [10, 10], [20, 20]]), [1, 1, 5], [20, 20]),
             (np.array([[0, 0], [1, 5], [5, 1]]), [1, 1, 1], [1, 1]),
             (np.array([[-100, 50], [0, 1], [3, 2], [100, -40]]), [0, 1, 2, 0], [3, 2]),
             (np.array([[6], [1], [6], [1], [6]]), [1] * 5, [6]),
             (np.array([[1, 4], [6, 4]]), [3, 4], [6, 4])]
    for P, w, expected in cases:
        got = brute_force_lowest(P, w)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(ref.manhattan_median(P, np.array(w, dtype=float)), expected)
    # half weights: doubled, the same problem in integers
    P = np.array([[2], [-1], [4], [8]])
    np.testing.assert_array_equal(brute_force_lowest(P, [1, 3, 2, 2]), [2])


def test_manhattan_float_weights_have_no_near_ties():
    """On the grader's random float weights no cumulative weight is within 1e-6 W of W / 2."""
    g = np.random.default_rng(11)
    for seed, n, d in ((12, 9, 2), (13, 200, 3)):
        P = grader.random_points(seed, n, d)
        g.integers(1, 10, size=n)
        w = g.random(n) + 0.5
        for j in range(d):
            cum = np.cumsum(w[np.argsort(P[:, j], kind="stable")])
            values = np.sort(P[:, j])
            last = np.r_[values[1:] != values[:-1], True]   # cumulative weight after each distinct value
            assert np.min(np.abs(cum[last] - cum[-1] / 2)) > 1e-6 * cum[-1]


def test_manhattan_large_values_and_timed_inputs():
    big = 2 ** 62
    P = np.array([[big + 1, -big - 3], [big + 3, -big - 1], [big + 5, -big + 7], [big + 7, 5], [big + 2, -big]])
    assert ref.manhattan_median(P).tolist() == [big + 3, -big]
    assert ref.manhattan_median(P, np.array([1.0, 2, 1, 1, 2])).tolist() == [big + 3, -big]
    call = grader.manhattan_call(secret_seed(SECRETS[0], 1000 + 1))
    X = call.args[0]
    expected = [sorted(X[:, j].tolist())[(len(X) - 1) // 2] for j in range(X.shape[1])]
    assert ref.manhattan_median(X).tolist() == expected


# -- Euclidean -------------------------------------------------------------------------------------

def f(x, P, w):
    return grader.objective(x, P, w)


def certified_gap(x, P, w):
    """An upper bound on (f(x) - f*) / f(x), from the exact optimality conditions."""
    P = np.asarray(P, dtype=np.float64)
    w = np.ones(len(P)) if w is None else np.asarray(w, dtype=np.float64)
    keep = w > 0
    P, w = P[keep], w[keep]
    W = w.sum()
    c = (w @ P) / W
    s = np.max(np.abs(P - c))            # rescaled: no underflow or overflow in the norms below
    P, x, c = (P - c) / s, (np.asarray(x) - c) / s, np.zeros_like(c)
    fx = f(x, P, w)
    # at the nearest data point: optimal iff ||R|| <= eta (then f* = f(p_k))
    k = int(np.argmin(np.linalg.norm(P - x, axis=1)))
    at = np.all(P == P[k], axis=1)
    others = ~at
    diff = P[others] - P[k]
    R = (w[others] / np.linalg.norm(diff, axis=1)) @ diff
    if np.linalg.norm(R) <= w[at].sum():
        return (fx - f(P[k], P, w)) / fx
    d = np.linalg.norm(P - x, axis=1)
    g = (w / d) @ (x - P)
    lower = (fx - g @ (x - c)) / (1 + np.linalg.norm(g) / W)
    return (fx - lower) / fx


def scipy_minimum(P, w, starts):
    best = np.inf
    for x0 in starts:
        res = optimize.minimize(lambda x: f(x, P, w), x0, method="Nelder-Mead",
                                options=dict(xatol=1e-13, fatol=1e-15, maxiter=200000, maxfev=200000))
        best = min(best, res.fun)
    return best


def grader_sets():
    """The sets of test_geometric_median_accuracy and _weighted, weights drawn as the grader draws them."""
    sets = [(given, P, None) for given, P in grader.ACCURACY_CASES]
    g = np.random.default_rng(61)
    for given, P in grader.ACCURACY_CASES[1:4]:
        sets.append((given + ", random weights", P, g.random(len(P)) * 3 + 0.1))
    return sets


@pytest.mark.parametrize("index", range(len(grader_sets())))
def test_geometric_matches_scipy_and_is_certified(index):
    # The certificate bounds the gap linearly in ||g|| while the true gap is quadratic: it is
    # loose by orders of magnitude; 1e-11 is still 100 times below the tolerance 1e-9.
    given, P, w = grader_sets()[index]
    x = ref.geometric_median(P, w)
    assert certified_gap(x, P, w) <= 1e-11, given
    if P.shape[1] <= 3:
        c = P.mean(axis=0)
        best = scipy_minimum(P, w, [x + 1e-3, c])
        assert f(x, P, w) <= best * (1 + 1e-12), given


def test_constructed_landing_cases():
    for P, expected_r, eta in ((grader.LAND_OPTIMAL, 0.44, 1), (grader.LAND_NOT_OPTIMAL, 2.56, 1),
                               (grader.LAND_DUPLICATE, 1.2, 2)):
        c = P.mean(axis=0)
        assert np.array_equal(c, [0.0, 0.0])
        others = np.any(P != 0, axis=1)
        R = sum(p / np.linalg.norm(p) for p in P[others])
        assert abs(np.linalg.norm(R) - expected_r) < 0.005
        assert np.sum(~others) == eta
    assert np.array_equal(ref.geometric_median(grader.LAND_OPTIMAL), [0.0, 0.0])
    assert np.array_equal(ref.geometric_median(grader.LAND_DUPLICATE, max_iter=1), [0.0, 0.0])
    x = ref.geometric_median(grader.LAND_NOT_OPTIMAL)
    assert certified_gap(x, grader.LAND_NOT_OPTIMAL, None) <= 1e-11
    assert f(x, grader.LAND_NOT_OPTIMAL, None) <= scipy_minimum(grader.LAND_NOT_OPTIMAL, None, [x + 1e-3]) * (1 + 1e-12)


def plain_step(P, w, x):
    """One Weiszfeld / Vardi-Zhang step as a loop over the points."""
    S, R, eta = 0.0, [0.0] * len(x), 0.0
    for p, wi in zip(P.tolist(), w.tolist()):
        dist = math.sqrt(sum((a - b) ** 2 for a, b in zip(p, x)))
        if dist == 0:
            eta += wi
            continue
        S += wi / dist
        R = [r + wi * (a - b) / dist for r, a, b in zip(R, p, x)]
    r = math.sqrt(sum(v * v for v in R))
    if eta > 0 and r <= eta:
        return list(x)
    factor = 1 - eta / r if eta > 0 else 1.0
    return [b + factor * v / S for b, v in zip(x, R)]


def test_steps_match_a_plain_loop():
    P = grader.gaussian(71, 12, 2)
    w = np.random.default_rng(72).random(12) + 0.5
    for weights in (np.ones(12), w):
        x = list((weights @ P) / weights.sum())
        for k in (1, 2, 3):
            x = plain_step(P, weights, x)
            np.testing.assert_allclose(ref.geometric_median(P, weights, max_iter=k), x, rtol=0, atol=1e-13)
    P = grader.LAND_NOT_OPTIMAL
    np.testing.assert_allclose(ref.geometric_median(P, max_iter=1), plain_step(P, np.ones(len(P)), [0.0, 0.0]), atol=1e-14)


def test_heavy_point_and_collinear_optima():
    P = np.vstack([[[1.5, -0.5]], grader.gaussian(81, 8, 2, 3.0)])
    w = np.concatenate([[6.0], np.ones(8)])
    diff = P[1:] - P[0]
    assert np.linalg.norm((1 / np.linalg.norm(diff, axis=1)) @ diff) <= 6 * 0.75     # optimal, with margin
    assert certified_gap(ref.geometric_median(P, w), P, w) <= 1e-11
    # weight 4.5: still optimal, with ||R|| / eta in [0.96, 0.97], the slowest the description requires
    r = np.linalg.norm((1 / np.linalg.norm(diff, axis=1)) @ diff)
    assert 0.96 * 4.5 <= r <= 0.97 * 4.5
    w = np.concatenate([[4.5], np.ones(8)])
    assert f(ref.geometric_median(P, w), P, w) <= f(P[0], P, w) * (1 + 1e-11)
    for ts, opt in (([-7, -2, 0, 1, 5, 9, 10], 1.0), ([-3, -1, 2, 6], 0.5)):
        t = np.array(ts, dtype=float)
        assert sum(abs(t - opt)) == min(sum(abs(t - v)) for v in np.linspace(-10, 10, 2001))
        P1 = t[:, None]
        assert f(ref.geometric_median(P1), P1, None) <= sum(abs(t - opt)) * (1 + 1e-12)


@pytest.mark.parametrize("factor, shift", [(1e-6, 0.0), (1e6, 0.0), (1e-3, 1e6), (1e170, 0.0), (1e-170, 0.0)])
def test_scaled_and_shifted_sets(factor, shift):
    base = grader.gaussian(101 if factor < 1e100 and factor > 1e-100 else 111, 40 if abs(np.log10(factor)) < 100 else 30,
                           2 if abs(np.log10(factor)) < 100 else 3)
    x_base = ref.geometric_median(base)
    P = base * factor + shift
    x = ref.geometric_median(P)
    # the same problem: the answer scales with the points (up to the representation of the shifted points)
    assert f(x, P, None) <= f(x_base * factor + shift, P, None) * (1 + 1e-10)
    if shift == 0:
        assert certified_gap(x, P, None) <= 1e-11
    else:   # x carries the rounding of coordinates of 1e6 (1e-10), which the linear certificate magnifies
        assert certified_gap(x_base, base, None) <= 1e-11


@pytest.mark.parametrize("secret", SECRETS, ids=[f"secret{i}" for i in range(len(SECRETS))])
def test_timed_inputs_are_certified(secret):
    """The timed runs' points, drawn from budget.seed under a sample of secrets (the warm-up's and the
    first timed run's seeds): the reference's gap is certified below 1e-11 whatever the secret."""
    for run in (0, 1):
        P = grader.geometric_call(secret_seed(secret, 2000 + run)).args[0]
        assert certified_gap(ref.geometric_median(P), P, None) <= 1e-11


def fixed_steps(P, k):
    """k plain Weiszfeld steps from the centroid, no convergence test (the shortcut a timed call must not allow)."""
    c = P.mean(axis=0)
    s = np.max(np.abs(P - c))
    Q, y = (P - c) / s, np.zeros(P.shape[1])
    for _ in range(k):
        diff = Q - y
        inv = 1 / np.sqrt(np.einsum("ij,ij->i", diff, diff))
        y = y + (inv @ diff) / inv.sum()
    return c + s * y


def reference_steps(P):
    """The number of steps the reference's rule takes on unit weights: max_iter=k returns the k-th iterate,
    equal to the result from that number on (every earlier step is nonzero), so a bisection on k finds it."""
    x = ref.geometric_median(P)
    lo, hi = 0, 1000                                         # x_lo != x, x_hi == x
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if np.array_equal(ref.geometric_median(P, max_iter=mid), x) else (mid, hi)
    return hi


@pytest.mark.parametrize("secret", SECRETS, ids=[f"secret{i}" for i in range(len(SECRETS))])
def test_timed_inputs_need_a_convergence_test(secret):
    """The timed points of one grade (the warm-up's and three runs' seeds), under a sample of secrets: the
    reference meets the check; 7 fixed steps (a shortcut that passed on the earlier Gaussian clouds) and a
    fifth of the reference's steps fail it on every draw; and 15 fixed steps (a third of the reference's
    ~45-60 steps on average) fail it on some draw of the grade.

    A third of the reference's own steps can pass on a draw: the check's gap is quadratic in the distance
    to the optimum (1e-9 is ~3e-5 of the spread) and the reference's stopping rule is on the distance
    (1e-12), so with linear convergence the check's bound is reached after ~1/4-1/3 of the steps. What
    keeps a fixed count from passing is that the number of steps varies with the draw (see
    grader.geometric_call)."""
    fifteen_fails = False
    for run in (0, 1, 2, 3):
        P = grader.geometric_call(secret_seed(secret, 2000 + run)).args[0]
        x = ref.geometric_median(P)
        call = grader.Call(P)
        grader.check_geometric_timed(x, x, call)
        k = reference_steps(P) if run == 1 else None
        if k is not None:
            assert 30 <= k <= 80                             # the timed cost stays in range
        for steps in (7,) + ((k // 5,) if k else ()):
            with pytest.raises(grader.checks.GradeFailure):
                grader.check_geometric_timed(fixed_steps(P, steps), x, call)
        try:
            grader.check_geometric_timed(fixed_steps(P, 15), x, call)
        except grader.checks.GradeFailure:
            fifteen_fails = True
    assert fifteen_fails
