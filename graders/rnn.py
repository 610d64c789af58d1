"""Hidden grader for the rnn challenge (rnn_forward, rnn_backward, clip_grad_norm).

Oracles live here, in the trusted process, in float64: the recurrence
h_t = tanh(x_t @ Wxh + h_{t-1} @ Whh + b) one step at a time (`_forward`),
backpropagation through time with the weight gradients accumulated step by
step (`_backward`), central differences of L = sum(dh_all * h_all) along
random directions (`_directional_fd`), and the global norm summed exactly
(math.fsum, scaled by a power of two so that no square overflows or
underflows).

Tolerances are rounding-error bounds, not tuned numbers (u = 2^-53 is the unit
roundoff, gamma_m = m u / (1 - m u) bounds a sum of m terms in any order
relative to the sum of their absolute values: Higham, "Accuracy and Stability
of Numerical Algorithms", eq. 3.5):

- Forward. a_t = x_t @ Wxh + h_{t-1} @ Whh + b is a sum of D + H + 1 terms,
  with error <= gamma_{D+H+2} A_t, A_t = |x_t| @ |Wxh| + |h_{t-1}| @ |Whh| + |b|;
  tanh is 1-Lipschitz and its own evaluation adds a few ulps (4u allowed,
  also for tanh written through exp); an error in h_{t-1} reaches h_t through
  Whh, at most E_{t-1} @ |Whh|. So E_t = gamma A_t + 4u + E_{t-1} @ |Whh|
  bounds any correct evaluation order; the test weights make |Whh| a
  contraction (every row and column sum of |Whh| is 0.9), so E stays about
  gamma * max A. Candidate and oracle each err by E: the tolerance is 2E.
- Backward. Every gradient entry is a sum over at most K = N T + T (H + 2) +
  D + H + 2 chained products; the same recursion with every factor replaced
  by its absolute value (and 1 - h^2, |h| by 1) gives S, a bound on the sum
  of |terms| at every node, so rounding contributes gamma_K S. The forward
  errors (at most Emax in each h) perturb 1 - h^2 by 2 Emax and h_{t-1} by
  Emax: at most 3 Emax S more. Both sides: tolerance 2 (gamma_K + 4 Emax) S.
- Finite differences. L(theta + eps V) is evaluated by the oracle; the
  truncation error of the central difference with step eps/2 is estimated
  by Richardson's comparison with step eps (|D(eps) - D(eps/2)| / 3, since
  the error is c eps^2 + O(eps^4)), rounding adds 2 (Emax + gamma) sum|dh_all|
  / eps, and the candidate's <grad, V> errs by its backward bound times |V|.
  Twice the sum is allowed.
- clip_grad_norm. A sum of k squares has relative error <= gamma_{k+1}, the
  square root halves it, the factor max_norm / norm adds 2u: the norm
  within 2 gamma_{k+2} relative, the clipped arrays within 2 gamma_{k+4}.
  A result in the subnormal range (gradients of 1e-310) is rounded to a
  fixed spacing 2^-1074 instead: fl(x op y) = (x op y)(1 + d) + e with
  |d| <= u and |e| <= 2^-1075 (Higham, section 2.1), so each of the k + 2
  operations behind the norm adds at most 2^-1075 absolute. A clipped
  entry g max_norm / norm is at most max_norm < norm in size, so the
  absolute error of the norm reaches it scaled down, and the factor and
  the product add one 2^-1075 each. Both sides: (k + 2) 2^-1074 and
  (k + 4) 2^-1074 on top of the relative bounds (below 1e-321: nothing in
  the normal range).

Each rule is tested on inputs where the others cannot change the answer:
N, T, D and H all differ, so a transposed Wxh or swapped axes fail loudly;
the backward tests grade the gradients of the candidate's own forward pass
(whose states are checked first: a wrong forward pass fails them too, with
the forward's message), except the dh_all test, which needs only the
cache; the test of rnn_forward's arguments looks at them alone, not at the
states; clip_grad_norm's scaling, returned norm, the norm's type, zero
norm, empty dict, inputs and ValueError each have their own test.

The timed calls each get their own x, h0 and weights (and dh_all), drawn
from `budget.seed`, under a secret drawn for the test, so that no file can
build them (and their answers) before the grading. Every timed h_all is
checked against the reference's, within the forward bound; rnn_backward is
timed on each side's own cache (output_of runs that side's rnn_forward in
the call), and its gradients are checked against the oracle's, within the
backward bound.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from trainer.grading import Call, checks, output_of

U = np.finfo(np.float64).eps / 2
TINY = 2.0 ** -1074             # the spacing of the subnormal numbers: twice their largest rounding error
KEYS = ("dx", "dh0", "dWxh", "dWhh", "db")


def gamma(m: int) -> float:
    return m * U / (1 - m * U)


# -- oracles ----------------------------------------------------------------------------------

def _forward(x, h0, Wxh, Whh, b):
    """h_all (N, T, H), one time step after the other."""
    h = h0
    out = np.empty((x.shape[0], x.shape[1], Whh.shape[0]))
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wxh + h @ Whh + b)
        out[:, t] = h
    return out


def _forward_bound(x, h0, Wxh, Whh, b, h_all):
    """E (N, T, H): a bound on |computed h - exact h| for any correct evaluation (module docstring)."""
    g = gamma(x.shape[2] + Whh.shape[0] + 2)
    ax, aw, ab = np.abs(Wxh), np.abs(Whh), np.abs(b)
    err = np.zeros_like(h0)
    prev = np.abs(h0)
    out = np.empty_like(h_all)
    for t in range(x.shape[1]):
        big_a = np.abs(x[:, t]) @ ax + prev @ aw + ab
        err = g * big_a + 4 * U + err @ aw
        out[:, t] = err
        prev = np.abs(h_all[:, t])
    return out


def _backward(dh_all, x, h0, Wxh, Whh, h_all, *, absolute=False):
    """Gradients of sum(dh_all * h_all) by BPTT, accumulated one step at a time.

    With absolute=True every factor is replaced by its absolute value and
    1 - h^2 and |h| by 1: the result bounds the sum of |terms| of every entry.
    """
    n, t_len, hidden = h_all.shape
    if absolute:
        dh_all, x, Wxh, Whh = np.abs(dh_all), np.abs(x), np.abs(Wxh), np.abs(Whh)
    grads = {"dx": np.empty_like(x), "dWxh": np.zeros_like(Wxh), "dWhh": np.zeros_like(Whh),
             "db": np.zeros(hidden)}
    carry = np.zeros((n, hidden))
    for t in reversed(range(t_len)):
        if absolute:
            da = dh_all[:, t] + carry
            prev = np.ones((n, hidden))
        else:
            da = (dh_all[:, t] + carry) * (1 - h_all[:, t] ** 2)
            prev = h_all[:, t - 1] if t else h0
        grads["dx"][:, t] = da @ Wxh.T
        grads["dWxh"] += x[:, t].T @ da
        grads["dWhh"] += prev.T @ da
        grads["db"] += da.sum(axis=0)
        carry = da @ Whh.T
    grads["dh0"] = carry
    return grads


class Problem:
    """One RNN input with its oracle answers and tolerances."""

    def __init__(self, seed, n, t, d, hidden, *, x_scale=1.0, contraction=0.9):
        r = np.random.default_rng(seed)
        self.x = r.standard_normal((n, t, d)) * x_scale
        self.h0 = r.uniform(-1, 1, (n, hidden))
        self.Wxh = r.standard_normal((d, hidden)) / math.sqrt(d)
        whh = r.standard_normal((hidden, hidden))
        a = np.abs(whh)
        # Every row and column sum of |Whh| at most `contraction`: rounding errors do not grow through time.
        self.Whh = whh * (contraction / max(a.sum(axis=0).max(), a.sum(axis=1).max()))
        self.b = r.standard_normal(hidden) * 0.5
        self.dh_all = r.standard_normal((n, t, hidden))
        self.shape = (n, t, d, hidden)
        self.given = (f"x ({n}, {t}, {d}) N(0, {x_scale:g}^2), h0 ({n}, {hidden}) U(-1, 1), Wxh ({d}, {hidden}), "
                      f"Whh ({hidden}, {hidden}), b ({hidden},)")
        self._h = self._grads = None

    @property
    def args(self):
        return self.x, self.h0, self.Wxh, self.Whh, self.b

    @property
    def h_all(self):
        if self._h is None:
            self._h = _forward(*self.args)
            self.h_tol = 2 * _forward_bound(*self.args, self._h)
        return self._h

    @property
    def grads(self):
        if self._grads is None:
            h = self.h_all
            self._grads = _backward(self.dh_all, self.x, self.h0, self.Wxh, self.Whh, h)
            s = _backward(self.dh_all, self.x, self.h0, self.Wxh, self.Whh, h, absolute=True)
            n, t, d, hidden = self.shape
            k = n * t + t * (hidden + 2) + d + hidden + 2
            factor = 2 * (gamma(k) + 4 * float(self.h_tol.max()))
            self.grad_tol = {key: factor * s[key] for key in KEYS}
        return self._grads


# -- checks ------------------------------------------------------------------------------------

def _within(got, expected, tol, *, what, given, law):
    """got == expected within the elementwise bound tol, with a message naming the first miss."""
    arr = checks.as_array(got, what, given)
    checks.that(arr.shape == expected.shape, f"{what} for {given} should have shape {expected.shape}, "
                                             f"got shape {arr.shape}")
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~(np.abs(arr.astype(np.float64) - expected) <= tol)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        worst = np.unravel_index(int(np.argmax(np.where(bad, np.nan_to_num(np.abs(arr - expected), nan=np.inf), 0))),
                                 bad.shape)
        checks.fail(f"{what} for {given} differs from {law} in {int(bad.sum())} of "
                    f"{checks.count(bad.size, 'entry', 'entries')}.\n"
                    f"  first at index {first}: expected {float(expected[first])!r}, got {float(arr[first])!r} "
                    f"(rounding allows {float(tol[first]):.3g})\n"
                    f"  largest difference at index {tuple(int(i) for i in worst)}: expected "
                    f"{float(expected[worst])!r}, got {float(arr[worst])!r}")


def forward_result(got, p: Problem, given):
    """(h_all, cache) from rnn_forward, h_all checked for shape; returns both."""
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        checks.fail(f"rnn_forward for {given} should return a pair (h_all, cache), got {checks.show(got, 200)}")
    h_all, cache = got
    n, t, _, hidden = p.shape
    arr = checks.as_array(h_all, "h_all", given)
    checks.that(arr.shape == (n, t, hidden),
                f"h_all for {given} should have shape (N, T, H) = {(n, t, hidden)} (h_all[:, t] is the state "
                f"after step t; h0 is not included), got shape {arr.shape}")
    return arr, cache


def check_forward(got, p: Problem, given):
    h_all, cache = forward_result(got, p, given)
    _within(h_all, p.h_all, p.h_tol, what="h_all", given=given,
            law="h_t = tanh(x_t @ Wxh + h_{t-1} @ Whh + b)")
    return cache


def check_grads(got, p: Problem, given, *, law="backpropagation through time"):
    if not isinstance(got, dict):
        checks.fail(f"rnn_backward for {given} should return a dict with keys {', '.join(KEYS)}, got "
                    f"{checks.show(got, 200)}")
    checks.that(set(got) == set(KEYS),
                f"rnn_backward for {given} should return a dict with exactly the keys {', '.join(KEYS)}, "
                f"got the keys {sorted(map(str, got))}")
    expected = p.grads
    for key in KEYS:
        _within(got[key], expected[key], p.grad_tol[key], what=key, given=given, law=law)


def check_grads_shape_only(got, p: Problem, given):
    """The container and shapes of rnn_backward's result (values are checked elsewhere)."""
    if not (isinstance(got, dict) and set(got) == set(KEYS)):
        checks.fail(f"rnn_backward for {given} should return a dict with exactly the keys {', '.join(KEYS)}, got "
                    f"{checks.show(got, 200)}")
    for key, arg in zip(KEYS, p.args):
        checks.shape(got[key], np.shape(arg), what=key, given=given)


def run_both(solution, p: Problem, given):
    """The candidate's forward (checked), then its backward on its own cache."""
    cache = check_forward(solution.rnn_forward(*p.args), p, given)
    return solution.rnn_backward(p.dh_all, cache)


# -- forward ---------------------------------------------------------------------------------------

@pytest.mark.correctness
def test_forward_matches_recurrence(solution, reference):
    """rnn_forward: h_t = tanh(x_t @ Wxh + h_{t-1} @ Whh + b), from h0, for every step"""
    for seed, shape in ((11, (3, 7, 4, 5)), (12, (6, 4, 2, 3)), (13, (2, 9, 5, 8))):
        p = Problem(seed, *shape)
        check_forward(reference.rnn_forward(*p.args), p, "the REFERENCE on " + p.given)
        check_forward(solution.rnn_forward(*p.args), p, p.given)


@pytest.mark.edge_case
def test_forward_does_not_modify_inputs(solution):
    """rnn_forward leaves x, h0, Wxh, Whh and b unchanged"""
    p = Problem(14, 3, 6, 4, 5)
    _, args_after, _ = solution.inputs_after("rnn_forward", *p.args)
    for name, before, after in zip(("x", "h0", "Wxh", "Whh", "b"), p.args, args_after):
        checks.equal(checks.as_array(after, f"{name} after the call"), before,
                     what=f"{name} after rnn_forward (the arguments must not be modified: write the states into "
                          f"new arrays, not into the caller's h0)", given=p.given)


# -- backward --------------------------------------------------------------------------------------

@pytest.mark.correctness
def test_backward_matches_bptt(solution, reference):
    """rnn_backward: dx, dh0, dWxh, dWhh, db of sum(dh_all * h_all), by backpropagation through time"""
    for seed, shape in ((21, (3, 7, 4, 5)), (22, (5, 4, 6, 2)), (23, (2, 10, 3, 7))):
        p = Problem(seed, *shape)
        given = p.given + f", dh_all {p.dh_all.shape} N(0, 1)"
        check_grads(reference.rnn_backward(p.dh_all, check_forward(reference.rnn_forward(*p.args), p, given)),
                    p, "the REFERENCE on " + given)
        check_grads(run_both(solution, p, given), p, given)


def _directional_fd(p: Problem, key, direction, eps):
    """(L(theta + eps V) - L(theta - eps V)) / (2 eps), L = sum(dh_all * h_all), moving one input by V."""
    values = []
    for sign in (1, -1):
        args = list(p.args)
        args[KEYS.index(key)] = args[KEYS.index(key)] + sign * eps * direction
        values.append(math.fsum((p.dh_all * _forward(*args)).ravel()))
    return (values[0] - values[1]) / (2 * eps)


@pytest.mark.correctness
def test_backward_matches_finite_differences(solution, rng):
    """rnn_backward agrees with central differences of sum(dh_all * h_all) along random directions"""
    p = Problem(31, 3, 6, 4, 5)
    given = p.given + f", dh_all {p.dh_all.shape} N(0, 1)"
    got = run_both(solution, p, given)
    check_grads_shape_only(got, p, given)
    eps = 1e-4
    p.grads                                              # computes p.grad_tol and p.h_tol
    emax = float(p.h_tol.max())
    total = float(np.abs(p.dh_all).sum())
    for key, arg in zip(KEYS, p.args):
        for _ in range(2):
            v = rng.standard_normal(np.shape(arg))
            coarse = _directional_fd(p, key, v, eps)
            fine = _directional_fd(p, key, v, eps / 2)
            analytic = float(np.sum(np.asarray(got[key], dtype=np.float64) * v))
            tol = 2 * (abs(coarse - fine) / 3 + 2 * (emax + gamma(p.dh_all.size + 1)) * total / eps
                       + float(np.sum(p.grad_tol[key] * np.abs(v))))
            checks.that(abs(analytic - fine) <= tol,
                        f"{key} for {given} disagrees with central finite differences: along a random direction V "
                        f"of the same shape, sum({key} * V) = {analytic!r}, while (L(+h V) - L(-h V)) / 2h with "
                        f"L = sum(dh_all * h_all), h = {eps / 2:g}, gives {fine!r} (allowed difference {tol:.3g})")


@pytest.mark.correctness
def test_gradient_flows_back_through_time(solution):
    """A gradient only at the last step reaches every earlier step through Whh"""
    p = Problem(41, 2, 8, 3, 4)
    p.dh_all[:, :-1] = 0.0
    given = p.given + ", dh_all zero except at the last step (t = T - 1)"
    got = run_both(solution, p, given)
    check_grads_shape_only(got, p, given)
    dx = np.asarray(got["dx"], dtype=np.float64)
    checks.that(np.abs(dx[:, 0]).max() > 0,
                f"dx[:, 0] for {given} is zero: the gradient of the last state never reached the first step. "
                f"In backpropagation through time, the gradient reaching h_t is dh_all[:, t] plus what step "
                f"t + 1 sends back, (dh_{{t+1}} * (1 - h_{{t+1}}^2)) @ Whh.T.")
    check_grads(got, p, given)


@pytest.mark.correctness
def test_backward_uses_only_its_arguments(solution):
    """rnn_backward works from its cache alone: another forward call in between changes nothing"""
    first = Problem(51, 3, 5, 4, 6)
    second = Problem(52, 3, 5, 4, 6)
    given = first.given + f", dh_all {first.dh_all.shape}"
    cache_first = check_forward(solution.rnn_forward(*first.args), first, given)
    check_forward(solution.rnn_forward(*second.args), second, "a second input " + second.given)
    got = solution.rnn_backward(first.dh_all, cache_first)
    check_grads(got, first, given + ", called with the first call's cache after a second rnn_forward call on "
                                    "other inputs (everything rnn_backward needs must be in the cache, not in "
                                    "module-level variables)")


@pytest.mark.edge_case
def test_backward_does_not_modify_dh_all(solution):
    """rnn_backward leaves dh_all unchanged"""
    p = Problem(61, 2, 5, 3, 4)
    given = p.given + f", dh_all {p.dh_all.shape}"
    _, cache = forward_result(solution.rnn_forward(*p.args), p, given)   # its values are the forward tests'
    _, args_after, _ = solution.inputs_after("rnn_backward", p.dh_all, cache)
    checks.equal(checks.as_array(args_after[0], "dh_all after the call"), p.dh_all,
                 what="dh_all after rnn_backward (it must not be modified: accumulate into a copy)", given=given)


# -- edge cases: lengths and size-one axes ---------------------------------------------------------------

@pytest.mark.edge_case
def test_sequence_of_length_one(solution):
    """Sequences of length T = 1: one step from h0"""
    p = Problem(71, 4, 1, 3, 5)
    given = p.given + f", dh_all {p.dh_all.shape}"
    check_grads(run_both(solution, p, given), p, given)


@pytest.mark.edge_case
def test_sequence_of_length_200(solution):
    """Sequences of length T = 200"""
    p = Problem(72, 3, 200, 2, 4)
    given = p.given + f", dh_all {p.dh_all.shape}"
    check_grads(run_both(solution, p, given), p, given)


@pytest.mark.edge_case
def test_size_one_axes(solution):
    """One sequence, one input feature, one hidden unit: every array keeps its axes"""
    for seed, shape in ((81, (1, 5, 1, 1)), (82, (1, 3, 2, 1)), (83, (4, 2, 1, 3))):
        p = Problem(seed, *shape)
        given = p.given + f", dh_all {p.dh_all.shape}"
        check_grads(run_both(solution, p, given), p, given)


# -- stability ----------------------------------------------------------------------------------------------

@pytest.mark.stability
def test_saturated_long_sequence(solution):
    """200 steps with saturated tanh (pre-activations in the thousands): no NaN, no overflow, exact gradients"""
    p = Problem(91, 3, 200, 4, 5, x_scale=1000.0)
    given = p.given + f" (|x @ Wxh| up to ~4000: tanh is +-1 to the last bit), dh_all {p.dh_all.shape}"
    got = run_both(solution, p, given)
    check_grads(got, p, given)


# -- clip_grad_norm -------------------------------------------------------------------------------------------

def _norm(grads) -> float:
    """The global L2 norm, summed exactly, scaled by a power of two (no overflow, no underflow)."""
    values = np.concatenate([np.ravel(np.asarray(g, dtype=np.float64)) for g in grads.values()])
    big = float(np.abs(values).max()) if values.size else 0.0
    if big == 0:
        return 0.0
    e = math.frexp(big)[1]
    scaled = np.ldexp(values, -e)                   # exact: a power of two
    return math.ldexp(math.sqrt(math.fsum((scaled * scaled).tolist())), e)


def _grads_of(seed, scale=1.0):
    r = np.random.default_rng(seed)
    return {"dWxh": r.standard_normal((4, 3)) * scale, "dWhh": r.standard_normal((3, 3)) * scale,
            "db": r.standard_normal(3) * scale, "dh0": r.standard_normal((2, 3)) * scale}


def _describe_grads(grads) -> str:
    return "grads {" + ", ".join(f"{k!r}: {np.shape(v)}" for k, v in grads.items()) + "}"


def _clip_result(got, grads, given):
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        checks.fail(f"clip_grad_norm for {given} should return (clipped grads, total norm), got {checks.show(got, 200)}")
    clipped, norm = got
    if not (isinstance(clipped, dict) and set(clipped) == set(grads)):
        checks.fail(f"clip_grad_norm for {given} should return a dict with the same keys {sorted(grads)}, got "
                    f"{checks.show(clipped, 200)}")
    if not (np.ndim(norm) == 0 and np.asarray(norm).dtype.kind == "f"):
        checks.fail(f"the total norm returned by clip_grad_norm for {given} should be a float, got {checks.show(norm)}")
    return clipped, float(norm)


def _entries(grads) -> int:
    return sum(int(np.size(g)) for g in grads.values())


@pytest.mark.correctness
def test_clip_scales_by_global_norm(solution):
    """Above max_norm, every array is scaled by the same factor max_norm / (global norm)"""
    grads = _grads_of(101, scale=3.0)
    norm = _norm(grads)
    for max_norm in (1.0, norm / 2):
        given = f"{_describe_grads(grads)} of global norm {norm:.6g}, max_norm={max_norm:.6g}"
        clipped, _ = _clip_result(solution.clip_grad_norm(grads, max_norm), grads, given)
        rtol = 2 * gamma(_entries(grads) + 4)
        for key, g in grads.items():
            checks.close(clipped[key], g * (max_norm / norm), rtol=rtol, what=f"clipped {key!r}",
                         given=given + " (one factor for all arrays, from the norm of all their entries together)")


@pytest.mark.correctness
def test_clip_returns_global_norm(solution):
    """The total norm returned is the global L2 norm of all arrays before clipping"""
    for seed, scale, max_norm in ((111, 3.0, 1.0), (112, 0.1, 100.0)):
        grads = _grads_of(seed, scale)
        norm = _norm(grads)
        given = f"{_describe_grads(grads)} of global norm {norm:.6g}, max_norm={max_norm:g}"
        _, got = _clip_result(solution.clip_grad_norm(grads, max_norm), grads, given)
        checks.close(got, norm, rtol=2 * gamma(_entries(grads) + 2),
                     what="the total norm (sqrt of the sum of squares of every entry of every array, before clipping)",
                     given=given)


@pytest.mark.correctness
def test_clip_norm_is_a_float(solution):
    """The total norm is a Python float or a NumPy float64 scalar, not a 0-d array"""
    for seed, scale, max_norm in ((111, 3.0, 1.0), (112, 0.1, 100.0)):
        grads = _grads_of(seed, scale)
        given = f"{_describe_grads(grads)} of global norm {_norm(grads):.6g}, max_norm={max_norm:g}"
        got = solution.clip_grad_norm(grads, max_norm)
        _clip_result(got, grads, given)
        # np.float64 is a subclass of float; a 0-d array, np.float32 or an int is not.
        if not isinstance(got[1], float):
            checks.fail(f"the total norm returned by clip_grad_norm for {given} should be a float (a Python float "
                        f"or a NumPy float64 scalar, not a 0-d array), got {checks.show(got[1])} of type "
                        f"{type(got[1]).__name__}")


@pytest.mark.correctness
def test_clip_below_max_norm_unchanged(solution):
    """At or below max_norm, the arrays come back unchanged"""
    grads = _grads_of(121, scale=0.5)
    norm = _norm(grads)
    for max_norm in (norm * 1.5, 1e6):
        given = f"{_describe_grads(grads)} of global norm {norm:.6g}, max_norm={max_norm:.6g}"
        clipped, _ = _clip_result(solution.clip_grad_norm(grads, max_norm), grads, given)
        for key, g in grads.items():
            checks.equal(checks.as_array(clipped[key], f"clipped {key!r}", given), g,
                         what=f"clipped {key!r} (the norm is below max_norm: nothing is scaled)", given=given)
    exact = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    given = "grads {'a': [3, 0], 'b': [[4]]} of global norm exactly 5, max_norm=5"
    clipped, _ = _clip_result(solution.clip_grad_norm(exact, 5.0), exact, given)
    for key, g in exact.items():
        checks.equal(checks.as_array(clipped[key], f"clipped {key!r}", given), g, what=f"clipped {key!r}",
                     given=given)


@pytest.mark.edge_case
def test_clip_zero_norm(solution):
    """All-zero gradients: norm 0, arrays unchanged, no NaN"""
    grads = {"dW": np.zeros((3, 2)), "db": np.zeros(2)}
    given = "grads {'dW': zeros (3, 2), 'db': zeros (2,)}, max_norm=1"
    clipped, norm = _clip_result(solution.clip_grad_norm(grads, 1.0), grads, given)
    checks.that(norm == 0.0, f"the total norm for {given} should be 0.0, got {norm!r}")
    for key, g in grads.items():
        checks.equal(checks.as_array(clipped[key], f"clipped {key!r}", given), g, what=f"clipped {key!r}",
                     given=given + " (no division by a zero norm)")


@pytest.mark.edge_case
def test_clip_with_empty_arrays(solution):
    """Zero-size arrays among the gradients count for nothing and come back empty"""
    # Against your own results without the empty array: only the empty array is at stake here.
    grads = _grads_of(141, scale=3.0)
    with_empty = dict(grads, dx=np.zeros((0, 5, 4)))                    # a batch of no sequences
    given = f"{_describe_grads(with_empty)} (dx is empty), max_norm=1"
    clipped, total = _clip_result(solution.clip_grad_norm(with_empty, 1.0), with_empty, given)
    own, own_total = _clip_result(solution.clip_grad_norm(grads, 1.0), grads, "the same grads without 'dx'")
    rtol = 2 * gamma(_entries(grads) + 4)
    checks.close(total, own_total, rtol=rtol, what="the total norm (vs your own without the empty 'dx')",
                 given=given)
    checks.shape(clipped["dx"], (0, 5, 4), what="clipped 'dx'", given=given)
    for key in grads:
        checks.close(clipped[key], own[key], rtol=rtol, what=f"clipped {key!r} (vs your own without the empty 'dx')",
                     given=given)
    empty = {"dW": np.zeros((0, 4)), "db": np.zeros(0)}
    given = "grads {'dW': (0, 4), 'db': (0,)} (no entries at all: norm 0), max_norm=1"
    clipped, total = _clip_result(solution.clip_grad_norm(empty, 1.0), empty, given)
    checks.that(total == 0.0, f"the total norm for {given} should be 0.0, got {total!r}")
    for key, g in empty.items():
        checks.shape(clipped[key], g.shape, what=f"clipped {key!r}", given=given)


@pytest.mark.edge_case
def test_clip_empty_dict(solution):
    """An empty dict of gradients: norm 0.0 and an empty dict back"""
    for max_norm in (1.0, 1e-3):
        given = f"grads {{}} (no arrays at all), max_norm={max_norm:g}"
        clipped, total = _clip_result(solution.clip_grad_norm({}, max_norm), {}, given)
        checks.that(total == 0.0, f"the total norm for {given} should be 0.0 (a sum of no squares), got {total!r}")
        checks.that(clipped == {}, f"the clipped grads for {given} should be an empty dict {{}}, got "
                                   f"{checks.show(clipped, 200)}")


@pytest.mark.edge_case
def test_clip_does_not_modify_input(solution):
    """clip_grad_norm returns new arrays and leaves the grads it was given unchanged"""
    grads = _grads_of(131, scale=3.0)
    given = f"{_describe_grads(grads)} of global norm {_norm(grads):.6g}, max_norm=1"
    _, args_after, _ = solution.inputs_after("clip_grad_norm", grads, 1.0)
    after = args_after[0]
    if not (isinstance(after, dict) and set(after) == set(grads)):
        checks.fail(f"clip_grad_norm for {given} changed the keys of the dict it was given: {checks.show(after, 200)}")
    for key, g in grads.items():
        checks.equal(checks.as_array(after[key], key), g,
                     what=f"grads[{key!r}] after clip_grad_norm (scale copies, not the caller's arrays)", given=given)


@pytest.mark.edge_case
def test_clip_returns_new_arrays(solution):
    """Where nothing is scaled, clip_grad_norm returns copies, never the caller's own arrays"""
    grads = _grads_of(151, scale=0.5)
    norm = _norm(grads)
    for case, max_norm in (("below", norm * 1.5), ("at", norm)):
        given = f"{_describe_grads(grads)} of global norm {norm:.6g}, max_norm={max_norm:.6g} ({case} max_norm)"
        got, shared = solution.result_shares_inputs("clip_grad_norm", grads, max_norm)
        _clip_result(got, grads, given)
        checks.that(not shared, f"clip_grad_norm for {given} returned the caller's own arrays at "
                                f"{', '.join(shared[:5])}: a caller that then updates the clipped gradients in "
                                "place would change its own. Return copies (g.copy()) where nothing is scaled.")


@pytest.mark.edge_case
def test_clip_invalid_max_norm(solution):
    """max_norm <= 0 raises ValueError"""
    grads = _grads_of(141)
    for max_norm in (0.0, -1.0):
        checks.raises(ValueError, solution.clip_grad_norm, grads, max_norm,
                      given=f"{_describe_grads(grads)} and max_norm={max_norm:g}")


@pytest.mark.stability
def test_clip_norm_without_overflow_or_underflow(solution):
    """Gradients of 1e200, 1e-200, 1e-160 and 1e-310, all negative, or of mixed sizes: no overflow or underflow"""
    about = {1e200: "their squares overflow to inf", 1e-200: "their squares underflow to 0",
             1e-160: "their squares are subnormal, with only a few significant bits",
             1e-310: "they are subnormal themselves"}
    # max_norm = 1, then a max_norm of the gradients' own size (about a fifth of their norm: they are clipped).
    cases = [(_grads_of(151, scale), f"with entries of about {scale:g} ({about[scale]})", max_norm)
             for scale, max_norm in ((1e200, 1.0), (1e-200, 1.0), (1e-160, 1.0),
                                     (1e200, 1e200), (1e-200, 1e-200), (1e-310, 1e-310))]
    # A scale must be the largest |entry| of all the arrays together: here every entry is negative (the
    # largest entry is not the largest |entry|), then the first array is far smaller than the other (its
    # own largest |entry| is no scale for theirs).
    cases += [({key: -np.abs(g) for key, g in _grads_of(152, 1e200).items()},
               "with every entry negative, of about 1e200", 1.0),
              ({"a": np.array([1e-300]), "b": np.array([3e200, -4e200])},
               "with 'a' = [1e-300] first and 'b' = [3e200, -4e200] (the first array tiny, the other of "
               "about 1e200)", 1.0)]
    for grads, entries, max_norm in cases:
        norm = _norm(grads)
        k = _entries(grads)
        given = f"{_describe_grads(grads)} {entries}, global norm {norm:.6g}, max_norm={max_norm:g}"
        clipped, got = _clip_result(solution.clip_grad_norm(grads, max_norm), grads, given)
        checks.close(got, norm, rtol=2 * gamma(k + 2), atol=(k + 2) * TINY, what="the total norm", given=given)
        factor = min(1.0, max_norm / norm)
        for key, g in grads.items():
            checks.close(clipped[key], g * factor, rtol=2 * gamma(k + 4), atol=(k + 4) * TINY,
                         what=f"clipped {key!r}" + (f" (every array times max_norm / norm = {factor:.6g})"
                                                    if factor < 1 else " (unchanged: the norm is below max_norm)"),
                         given=given)


# -- performance ---------------------------------------------------------------------------------------------

# A batch of 1024 sequences of 200 steps, D = 16, H = 32: the reference does 200
# steps of a (1024, 32) @ (32, 32) product and a tanh (one product for the
# inputs of all steps); a Python loop over the 1024 sequences inside each step
# makes 204 800 small numpy calls instead of 200 large ones.
SPEED = dict(n=1024, t=200, d=16, hidden=32)
# Run r's input is drawn from budget.seed(seed + r), under a secret drawn for the test: no file can build the
# inputs (and their answers) before the grading. Every result is checked within rounding bounds computed from
# the input itself, so no draw can make a correct result fail.
FORWARD_SPEED_SEED = 20261126
BACKWARD_SPEED_SEED = 20261127


def _speed_inputs(seed_of, seed):
    def inputs(run):
        r = np.random.default_rng(seed_of(seed + run))
        n, t, d, hidden = SPEED["n"], SPEED["t"], SPEED["d"], SPEED["hidden"]
        x = r.standard_normal((n, t, d))
        h0 = r.uniform(-1, 1, (n, hidden))
        Wxh = r.standard_normal((d, hidden)) / math.sqrt(d)
        whh = r.standard_normal((hidden, hidden))
        whh *= 0.9 / max(np.abs(whh).sum(axis=0).max(), np.abs(whh).sum(axis=1).max())
        return Call(x, h0, Wxh, whh, r.standard_normal(hidden) * 0.5)
    return inputs


def _check_timed(got, expected, call):
    x, h0, Wxh, Whh, b = call.args
    n, t, d = x.shape
    given = f"x {x.shape}, h0 {h0.shape}, Wxh {Wxh.shape}, Whh {Whh.shape}, b {b.shape}"
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        checks.fail(f"rnn_forward for {given} should return (h_all, cache), got {checks.show(got, 200)}")
    ref_h = np.asarray(expected[0])
    tol = 2 * _forward_bound(x, h0, Wxh, Whh, b, ref_h)
    _within(got[0], ref_h, tol, what="h_all", given=given, law="the reference")


@pytest.mark.performance
def test_forward_speed(budget):
    """rnn_forward on 1024 sequences of 200 steps within the time budget: vectorised over the batch"""
    budget.time("rnn_forward", _speed_inputs(budget.seed, FORWARD_SPEED_SEED), check=_check_timed, repeats=4,
                label="rnn_forward: N=1024 sequences, T=200, D=16, H=32, float64, new inputs per call")


# A quarter of the forward test's batch: each call allocates its input, the
# forward pass's cache and the gradients afresh (some 300 MB at N = 1024), and
# that much fresh memory per call made the same code time 1.5x-2x itself.
BACKWARD_SPEED = dict(SPEED, n=256)


def _backward_speed_inputs(seed_of, seed):
    """rnn_backward on each side's own cache: output_of runs that side's rnn_forward when the call runs."""
    problems: dict = {}

    def inputs(run):
        p = Problem(seed_of(seed + run), **BACKWARD_SPEED)
        call = Call(p.dh_all, output_of("rnn_forward", *p.args, index=1))
        problems[id(call)] = (call, p)
        return call

    def check(got, expected, call):
        _, p = problems[id(call)]
        check_grads(got, p, f"dh_all and the cache of rnn_forward({p.given})")
    return inputs, check


@pytest.mark.performance
def test_backward_speed(budget):
    """rnn_backward on 256 sequences of 200 steps within the time budget: vectorised over the batch"""
    # Each side's backward runs on the cache its own forward made, so the timed
    # work is forward + backward (the forward alone is timed above): a loop over
    # the batch in the backward pass only still takes several times the budget.
    inputs, check = _backward_speed_inputs(budget.seed, BACKWARD_SPEED_SEED)
    budget.time("rnn_backward", inputs, check=check, repeats=3,
                label="rnn_forward then rnn_backward on its cache: N=256, T=200, D=16, H=32, new inputs per call")
