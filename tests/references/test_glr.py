"""Checks of the glr reference against independent computations.

- glr_statistics against the definition evaluated with 50-digit mpmath
  arithmetic (the constrained maxima at the root of the cubic found by a
  bracketing solver, mpmath.findroot, or at an end point of the interval);
- the operating characteristics against an exact dynamic programme over the
  (S_x, S_y) states, which also pins the constants the grader uses and the
  facts `mltrainer show glr` displays;
- sequential_glr against the decision rule applied to mpmath statistics;
- glr_max_sample_size against a plain re-implementation of the scan.
"""

import ast
import math
import re

import mpmath as mp
import numpy as np
import pytest
import yaml

from tests.helpers import REPO, load_module

glr = load_module(REPO / "reference" / "glr.py", "reference_glr")
grader = load_module(REPO / "graders" / "glr.py", "grader_glr")

DELTA, B0, B1 = 0.2, 98.0, 14.6


# ---------------------------------------------------------------- mpmath oracle

def _mp_loglik(sx, sy, n, p1, p2):
    def term(k, p):
        return mp.mpf(0) if k == 0 else k * mp.log(p)   # 0 log 0 = 0
    return term(sx, p1) + term(n - sx, 1 - p1) + term(sy, p2) + term(n - sy, 1 - p2)


def _sign_just_inside(coeffs, x, side):
    """Sign of the cubic (descending coeffs) just to the right (side = 1) or left (-1) of x."""
    c3, c2, c1, c0 = coeffs
    derivatives = (((c3 * x + c2) * x + c1) * x + c0, (3 * c3 * x + 2 * c2) * x + c1, 6 * c3 * x + 2 * c2, 6 * c3)
    for k, value in enumerate(derivatives):
        if value != 0:
            return mp.sign(value) * side ** k
    return 0


def _mp_line_max(sa, sb, n, d):
    """max of the log likelihood over p in [0, 1 - d] on the line (p, p + d).

    The log likelihood a log p + (1 - a) log(1 - p) + b log q + (1 - b) log(1 - q),
    q = p + d, is a sum of concave terms, one of them strictly concave: its
    derivative decreases, so it has at most one zero inside the interval, the
    maximum, and otherwise the maximum is at an end point. The derivative times
    p (1 - p) q (1 - q) > 0 is a cubic in p with the same sign inside; its
    root is found by a bracketing solver (Anderson-Bjorck) between points where
    the cubic is positive and negative."""
    a, b = mp.mpf(sa) / n, mp.mpf(sb) / n
    coeffs = [mp.mpf(2), 3 * d - 2 - a - b, a * (1 - 2 * d) + b - d * (2 - d), a * d * (1 - d)]

    def cubic(p):
        return ((coeffs[0] * p + coeffs[1]) * p + coeffs[2]) * p + coeffs[3]

    lo, hi = mp.mpf(0), 1 - d
    candidates = [lo, hi]
    if _sign_just_inside(coeffs, lo, 1) > 0 and _sign_just_inside(coeffs, hi, -1) < 0:
        # An end point may be a root of the cubic (a = 0 at p = 0): step inside
        # it, by halving, to where the cubic has the sign it has just inside.
        t = (hi - lo) / 2
        while not cubic(lo + t) > 0:
            t /= 2
        lo, t = (lo if cubic(lo) > 0 else lo + t), (hi - lo) / 2
        while not cubic(hi - t) < 0:
            t /= 2
        hi = hi if cubic(hi) < 0 else hi - t
        root = mp.findroot(cubic, (lo, hi), solver="anderson")
        assert lo < root < hi and abs(cubic(root)) < mp.mpf(10) ** (5 - mp.mp.dps), (sa, sb, n, d)
        candidates.append(root)
    values = []
    for p in candidates:
        try:
            values.append(_mp_loglik(sa, sb, n, p, p + d))
        except ValueError:  # log(0) with a positive count: -inf, not a maximum
            pass
    return max(values)


def mp_statistics(sx, sy, n, delta):
    """(log Lambda_a, log Lambda_b) from the definition, with mp.dps digits."""
    d = mp.mpf(delta)  # the double delta exactly
    top = _mp_loglik(sx, sy, n, mp.mpf(sx) / n, mp.mpf(sy) / n)
    pooled = mp.mpf(sx + sy) / (2 * n)
    log_a = top - _mp_loglik(sx, sy, n, pooled, pooled)
    if abs(mp.mpf(sx - sy)) / n > d:
        return log_a, mp.mpf(0)
    return log_a, top - max(_mp_line_max(sx, sy, n, d), _mp_line_max(sy, sx, n, d))


def _accuracy_states():
    rng = np.random.default_rng(7)
    rows = set()
    for n in (1, 2, 5, 37, 358, 10000):
        for delta in (0.2, 0.05, 0.37, 0.75, 0.001):
            band = int(n * delta)
            s = {0, 1, n - 1, n, n // 2, n // 2 + 1, band, band + 1, n - band}
            s |= set(rng.integers(0, n + 1, 2).tolist())
            s = sorted(v for v in s if 0 <= v <= n)
            for sx in s:
                # the band edges |sx - sy| = delta n and just inside them,
                # where log Lambda_b is smallest and hardest to get right
                partners = s + [sx + band, sx - band, sx + band - 1, sx - band + 1]
                for sy in partners:
                    if 0 <= sy <= n:
                        rows.add((sx, sy, n, delta))
    return sorted(rows)


@pytest.mark.slow
def test_statistics_match_high_precision():
    """Relative error <= 1e-11 for n <= 10 000, S = 0 and S = n included."""
    rows = _accuracy_states()
    assert len(rows) > 700
    worst = 0.0
    with mp.workdps(50):
        for sx, sy, n, delta in rows:
            got = glr.glr_statistics(sx, sy, n, delta)
            exact = mp_statistics(sx, sy, n, delta)
            for g, e, what in zip(got, exact, ("log_lambda_a", "log_lambda_b")):
                assert math.isfinite(g), (what, sx, sy, n, delta, g)
                err = abs(mp.mpf(g) - e)
                # 1e-11 relative. The absolute 1e-25 only matters for states
                # exactly on a line p2 = p1 +- delta, where the exact value is
                # of order n * (rounding of delta)^2 < 1e-25 and a relative
                # error means nothing.
                assert err <= 1e-11 * abs(e) + 1e-25, (what, sx, sy, n, delta, g, mp.nstr(e, 20))
                if abs(e) > 1e-20:
                    worst = max(worst, float(err / abs(e)))
    # Computed as a sum of non-negative deviances, without cancellation:
    # the worst case, just inside a band edge at n = 10 000, is a few 1e-12.
    assert worst < 1e-11


def test_statistics_are_vectorised_and_match_scalar_calls():
    rng = np.random.default_rng(3)
    n = rng.integers(1, 500, 200).astype(float)
    sx = np.floor(rng.random(200) * (n + 1))
    sy = np.floor(rng.random(200) * (n + 1))
    la, lb = glr.glr_statistics(sx.reshape(10, 20), sy.reshape(10, 20), n.reshape(10, 20), 0.1)
    assert la.shape == lb.shape == (10, 20)
    for i in range(0, 200, 17):
        a, b = glr.glr_statistics(sx[i], sy[i], n[i], 0.1)
        assert a == la.ravel()[i] and b == lb.ravel()[i]


# -------------------------------------------------------- exact operating curve

def exact_operating_characteristics(p1, p2, delta, b0, b1, max_n):
    """Dynamic programme over the states (S_x, S_y) of the streams still running.

    Returns P(reject), P(accept), P(undecided at max_n), E[T], Var[T] (an
    undecided stream counts as T = max_n), the last n at which a stream
    can still be running, and P(T = n) and P(T = n and reject) for
    n = 0..max_n (without the undecided streams).
    """
    lb0, lb1 = math.log(b0), math.log(b1)
    mass = np.ones((1, 1))
    reject = accept = e_t = e_t2 = 0.0
    last = 0
    stop_pmf = np.zeros(max_n + 1)
    reject_pmf = np.zeros(max_n + 1)
    for n in range(1, max_n + 1):
        new = np.zeros((n + 1, n + 1))
        new[:-1, :-1] += (1 - p1) * (1 - p2) * mass
        new[1:, :-1] += p1 * (1 - p2) * mass
        new[:-1, 1:] += (1 - p1) * p2 * mass
        new[1:, 1:] += p1 * p2 * mass
        sx, sy = np.nonzero(new)
        if sx.size == 0:
            mass = new
            break
        last = n
        la, lb = glr.glr_statistics(sx, sy, n, delta)
        rej = la >= lb0
        acc = ~rej & (lb >= lb1)
        w = new[sx, sy]
        p_rej, p_acc = w[rej].sum(), w[acc].sum()
        reject += p_rej
        accept += p_acc
        stop_pmf[n] = p_rej + p_acc
        reject_pmf[n] = p_rej
        e_t += n * (p_rej + p_acc)
        e_t2 += n * n * (p_rej + p_acc)
        new[sx[rej | acc], sy[rej | acc]] = 0.0
        mass = new
    rest = mass.sum()
    e_t += max_n * rest
    e_t2 += max_n * max_n * rest
    return dict(reject=reject, accept=accept, undecided=rest, mean_n=e_t, var_n=e_t2 - e_t * e_t, last=last,
                stop_pmf=stop_pmf, reject_pmf=reject_pmf)


@pytest.fixture(scope="module")
def null_curve():
    return exact_operating_characteristics(0.5, 0.5, DELTA, B0, B1, 1000)


@pytest.fixture(scope="module")
def alternative_curve():
    return exact_operating_characteristics(0.0, 0.2, DELTA, B0, B1, 1000)


@pytest.fixture(scope="module")
def timed_curve():
    """At the parameters of the grader's timed simulation."""
    return exact_operating_characteristics(0.35, 0.65, DELTA, B0, B1, 1000)


@pytest.fixture(scope="module")
def far_curve():
    """At a difference far beyond delta (the grader's second power check)."""
    return exact_operating_characteristics(0.0, 0.5, DELTA, B0, B1, 1000)


@pytest.fixture(scope="module")
def low_b1_curve():
    """Under H0 with the acceptance threshold lowered to 2.5 (the grader's second null check)."""
    return exact_operating_characteristics(0.5, 0.5, DELTA, B0, 2.5, 1000)


def _grader_constants():
    tree = ast.parse((REPO / "graders" / "glr.py").read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.startswith("EXACT_"):
                out[name] = ast.literal_eval(node.value)
    return out


def test_published_operating_characteristics(null_curve, alternative_curve):
    """alpha = 0.0499, power = 0.909, E[T] = 100.8 for delta = 0.2, [98, 14.6]."""
    assert round(null_curve["reject"], 4) == 0.0499
    assert round(null_curve["mean_n"], 1) == 100.8
    assert round(alternative_curve["reject"], 3) == 0.909
    assert null_curve["undecided"] == 0.0 and alternative_curve["undecided"] == 0.0
    # Probabilities are conserved by the programme (sums of ~1e5 terms).
    assert abs(null_curve["reject"] + null_curve["accept"] - 1.0) < 1e-12


def test_grader_constants_equal_the_exact_values(null_curve, alternative_curve, timed_curve, far_curve,
                                                 low_b1_curve):
    consts = _grader_constants()
    assert far_curve["undecided"] == 0.0 and low_b1_curve["undecided"] == 0.0
    expected = {
        "EXACT_FAR_POWER": far_curve["reject"],
        "EXACT_LOW_B1_REJECT": low_b1_curve["reject"],
        "EXACT_LOW_B1_MEAN_N": low_b1_curve["mean_n"],
        "EXACT_LOW_B1_SD_N": math.sqrt(low_b1_curve["var_n"]),
        "EXACT_LOW_B1_LONGEST_STREAM": low_b1_curve["last"],
        "EXACT_NULL_REJECT": null_curve["reject"],
        "EXACT_NULL_MEAN_N": null_curve["mean_n"],
        "EXACT_NULL_SD_N": math.sqrt(null_curve["var_n"]),
        "EXACT_POWER": alternative_curve["reject"],
        "EXACT_TIMED_REJECT": timed_curve["reject"],
        "EXACT_TIMED_MEAN_N": timed_curve["mean_n"],
        "EXACT_TIMED_SD_N": math.sqrt(timed_curve["var_n"]),
        "EXACT_LONGEST_STREAM": null_curve["last"],
    }
    assert set(consts) == set(expected)
    for name, value in expected.items():
        # Summation order aside, the constants are these numbers.
        assert consts[name] == pytest.approx(value, rel=1e-12, abs=1e-14), name


def test_power_simulations_max_n_changes_nothing(alternative_curve, far_curve):
    """The power simulations pass max_n = POWER_MAX_N: the exact values they are
    checked against are those of that max_n, no stream is undecided there, and
    none comes near it (the last still running n is 345, by the same
    programme), so cutting at max_n cannot change a correct simulation."""
    assert grader.POWER_MAX_N == 1000   # the max_n of the fixtures
    for curve in (alternative_curve, far_curve):
        assert curve["undecided"] == 0.0 and curve["last"] <= grader.EXACT_LONGEST_STREAM < grader.POWER_MAX_N


def test_worst_case_sample_size_bounds_every_stream(null_curve):
    """The scan's 358 is an upper bound: no stream actually runs past 345."""
    assert glr.glr_max_sample_size(DELTA, B0, B1) == 358
    # For 0 < p < 1 every state is reachable, so the last running n does not
    # depend on p: the scan must bound it.
    assert null_curve["last"] == 345
    assert null_curve["last"] <= glr.glr_max_sample_size(DELTA, B0, B1)


def test_timed_simulations_rarely_repeat_a_result(timed_curve):
    """The grader fails a timed simulate_glr that returns the same result in all
    four runs. For a correct one that needs four independent sums of 10 000
    stopping times to be equal: with the exact distribution of the sum (the
    stopping time's, convolved 10 000 times, by FFT), probability 1.0e-12;
    two runs agree with probability 9e-5."""
    assert timed_curve["undecided"] == 0.0 and timed_curve["last"] == 345
    pmf = timed_curve["stop_pmf"][:timed_curve["last"] + 1]
    size = 1 << 22                       # > 10 000 * 345: no wrap-around
    sums = np.fft.irfft(np.fft.rfft(pmf, size) ** 10_000, size)
    assert abs(sums.sum() - 1.0) < 1e-9
    assert sums.max() == pytest.approx(1 / math.sqrt(2 * math.pi * 10_000 * timed_curve["var_n"]), rel=0.01)
    assert 8e-5 < (sums ** 2).sum() < 1e-4
    assert (sums ** 4).sum() < 1.1e-12


def test_randomness_check_rarely_repeats_a_result():
    """The grader's seed check fails a correct simulate_glr (1000 streams at
    p1 = 0.3, p2 = 0.5, [b0, b1] = [98, 2.5]) when two seeds give the same
    (number of rejections, sum of stopping times). The sums alone agree with
    probability 2.3e-4 (exact, by FFT); the pair, by the local normal
    approximation with the exact covariance of one stream's (rejected,
    stopping time), about 4.4e-6."""
    curve = exact_operating_characteristics(0.3, 0.5, DELTA, B0, 2.5, 1000)
    assert curve["undecided"] == 0.0 and curve["last"] == 232
    assert curve["reject"] == pytest.approx(0.676, abs=5e-4)
    assert curve["mean_n"] == pytest.approx(58.6, abs=0.05)
    assert math.sqrt(curve["var_n"]) == pytest.approx(39.5, abs=0.05)
    n_sims = 1000
    pmf = curve["stop_pmf"][:curve["last"] + 1]
    size = 1 << 18                       # > 1000 * 232: no wrap-around
    sums = np.fft.irfft(np.fft.rfft(pmf, size) ** n_sims, size)
    assert abs(sums.sum() - 1.0) < 1e-9
    assert 2.2e-4 < (np.clip(sums, 0.0, None) ** 2).sum() < 2.35e-4
    t = np.arange(pmf.size)
    p, mean, var = curve["reject"], curve["mean_n"], curve["var_n"]
    cov = (t * curve["reject_pmf"][:pmf.size]).sum() - p * mean
    assert cov / math.sqrt(p * (1 - p) * var) == pytest.approx(0.20, abs=0.005)
    det = p * (1 - p) * var - cov ** 2
    assert 4.3e-6 < 1 / (4 * math.pi * n_sims * math.sqrt(det)) < 4.5e-6


def _scan_criterion(n, delta, b0, b1):
    """The worst-case scan's test at one n, as plain loops over single states."""
    sx = sy = n // 2
    gap_a = None
    j = 0
    while sy <= n and sx >= 0:
        la, _ = glr.glr_statistics(sx, sy, n, delta)
        if la >= math.log(b0):
            gap_a = abs(sx - sy) / n
            break
        if j % 2 == 0:
            sy += 1
        else:
            sx -= 1
        j += 1
    sx, sy, j = 0, n, 0
    gap_b = None
    while sy >= n // 2 and sx <= n // 2:
        _, lb = glr.glr_statistics(sx, sy, n, delta)
        if lb >= math.log(b1):
            gap_b = abs(sx - sy) / n
            break
        if j % 2 == 0:
            sy -= 1
        else:
            sx += 1
        j += 1
    return gap_a is not None and gap_b is not None and gap_a <= gap_b


def test_max_sample_size_matches_plain_scan():
    # The plain scan is slow (one call per state), so it runs on every 25th n
    # below the answer and on the two n around it: the criterion must fail
    # before 358 and hold at 358.
    assert glr.glr_max_sample_size(DELTA, B0, B1) == 358
    for n in list(range(1, 358, 25)) + [357]:
        assert not _scan_criterion(n, DELTA, B0, B1), n
    assert _scan_criterion(358, DELTA, B0, B1)


# ---------------------------------------------------------- simulation and test

def test_simulation_agrees_with_exact_values(null_curve):
    n_sims = 10_000
    rate, mean_n = glr.simulate_glr(0.5, 0.5, DELTA, B0, B1, n_sims, np.random.default_rng(2024))
    se_rate = math.sqrt(null_curve["reject"] * (1 - null_curve["reject"]) / n_sims)
    se_mean = math.sqrt(null_curve["var_n"] / n_sims)
    # 4 standard errors with a fixed seed: deterministic, and a wrong
    # simulation (off by one pair, or a few percent in the rate) is far out.
    assert abs(rate - null_curve["reject"]) <= 4 * se_rate
    assert abs(mean_n - null_curve["mean_n"]) <= 4 * se_mean


def test_simulation_counts_undecided_streams_as_max_n():
    curve = exact_operating_characteristics(0.5, 0.5, DELTA, B0, B1, 100)
    assert 0.3 < curve["undecided"] < 0.5
    n_sims = 5_000
    rate, mean_n = glr.simulate_glr(0.5, 0.5, DELTA, B0, B1, n_sims, np.random.default_rng(5), max_n=100)
    assert abs(rate - curve["reject"]) <= 4 * math.sqrt(curve["reject"] * (1 - curve["reject"]) / n_sims)
    assert abs(mean_n - curve["mean_n"]) <= 4 * math.sqrt(curve["var_n"] / n_sims)
    assert glr.simulate_glr(0.5, 0.5, DELTA, 1e12, 1e12, 50, np.random.default_rng(0), max_n=40) == (0.0, 40.0)


def test_sequential_decisions_match_high_precision_rule():
    rng = np.random.default_rng(11)
    with mp.workdps(30):
        for p1, p2 in ((0.5, 0.5), (0.0, 0.2), (0.9, 0.5), (0.3, 0.3)):
            x = (rng.random(60) < p1).astype(int)
            y = (rng.random(60) < p2).astype(int)
            expected = ("continue", 60)
            for n in range(1, 61):
                la, lb = mp_statistics(int(x[:n].sum()), int(y[:n].sum()), n, DELTA)
                if la >= mp.log(B0):
                    expected = ("reject_h0", n)
                    break
                if lb >= mp.log(B1):
                    expected = ("accept_h0", n)
                    break
            assert glr.sequential_glr(x, y, DELTA, B0, B1) == expected, (p1, p2)


# ------------------------------------------------------------- displayed facts

def test_extra_facts_equal_the_computed_values(null_curve, alternative_curve):
    data = yaml.safe_load((REPO / "challenges" / "glr" / "challenge.yaml").read_text(encoding="utf-8"))
    facts = data["extra_facts"]
    worst = next(v for k, v in facts.items() if k.startswith("Worst-case sample size"))
    fixed = next(v for k, v in facts.items() if k.startswith("Fixed-sample test"))
    bold = [re.findall(r"\*\*([0-9.]+)\*\*", text) for text in (worst, fixed)]
    assert bold[0] == [str(glr.glr_max_sample_size(DELTA, B0, B1)), str(null_curve["last"])]
    n_fixed = glr.fixed_sample_size(DELTA, p=0.5, alpha=0.05, beta=0.10)
    assert bold[1] == [f"{n_fixed:.2f}", str(math.ceil(n_fixed)), f"{null_curve['mean_n']:.1f}",
                       f"{alternative_curve['mean_n']:.1f}"]
    # The quantiles shown in the formula, against scipy.
    from scipy.stats import norm
    assert f"{norm.ppf(0.975):.5f}" in fixed and f"{norm.ppf(0.9):.5f}" in fixed
    assert n_fixed == pytest.approx(2 * (norm.ppf(0.975) + norm.ppf(0.9)) ** 2 * 0.25 / 0.04, rel=1e-12)


# ------------------------------------------------ the grader's constructed cases

def _first_crossing(sx, sy, delta, b0, b1):
    """(decision, n) of the rule applied to mpmath statistics along cumulative counts."""
    for n in range(1, len(sx) + 1):
        la, lb = mp_statistics(int(sx[n - 1]), int(sy[n - 1]), n, delta)
        if la >= mp.log(b0):
            return "reject_h0", n
        if lb >= mp.log(b1):
            return "accept_h0", n
    return "continue", len(sx)


def test_max_n_cases_cross_where_the_grader_says():
    """test_no_stream_runs_past_max_n: p1 = 0, p2 = 1 rejects first at n = m with
    b0 = 2^(2m - 1); p1 = p2 = 1 accepts first at n = m with b1 = 2^(m - 1/2)
    (delta = 0.5); and the reference simulation stops every stream at max_n."""
    with mp.workdps(30):
        for m in (1, 2, 7, 8, 37, 38):
            zeros, ones = np.zeros(m + 2), np.arange(1, m + 3)
            assert _first_crossing(zeros, ones, 0.5, 2.0 ** (2 * m - 1), 1e30) == ("reject_h0", m)
            assert _first_crossing(ones, ones, 0.5, 98.0, 2.0 ** (m - 0.5)) == ("accept_h0", m)
    for max_n in (1, 7, 37):
        for stops_at in (max_n, max_n + 1):
            rng = np.random.default_rng(0)
            got = glr.simulate_glr(0.0, 1.0, 0.5, 2.0 ** (2 * stops_at - 1), 1e30, 5, rng, max_n=max_n)
            assert got == ((1.0, float(max_n)) if stops_at == max_n else (0.0, float(max_n)))
            got = glr.simulate_glr(1.0, 1.0, 0.5, 98.0, 2.0 ** (stops_at - 0.5), 1, rng, max_n=max_n)
            assert got == (0.0, float(max_n))


@pytest.mark.slow
def test_small_integer_stream_case():
    """test_small_integer_streams_do_not_wrap: the stream accepts at pair 274, and
    with its counts wrapped at 256 it would reject at pair 262."""
    x = np.ones(300, dtype=np.int64)
    x[5::10] = 0
    y = np.ones(300, dtype=np.int64)
    y[7::50] = 0
    sx, sy = np.cumsum(x), np.cumsum(y)
    with mp.workdps(30):
        assert _first_crossing(sx, sy, 0.2, 1e30, 640000.0) == ("accept_h0", 274)
        assert _first_crossing(sx % 256, sy % 256, 0.2, 1e30, 640000.0) == ("reject_h0", 262)
    for dtype in (np.uint8, np.int8):
        assert glr.sequential_glr(x.astype(dtype), y.astype(dtype), 0.2, 1e30, 640000.0) == ("accept_h0", 274)
