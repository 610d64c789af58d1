"""sequential_glr rejects only when log Lambda_a > log b0, strictly: a statistic equal to its
threshold must stop the test (>=), so log Lambda_a = 0 (S_x = S_y) with b0 = 1 rejects, where
this one continues (or accepts, when log Lambda_b reaches b1 at the same pair)."""

CAUGHT_BY = ('test_degenerate_thresholds_reject_first', 'test_thresholds_compared_exactly')


import math
from statistics import NormalDist

import numpy as np

# Terms of the series for bd0 when x is close to M: |v| < 0.1, so term j is
# below 0.01**j of the first one and 9 terms reach double precision.
_BD0_SERIES_TERMS = 9

# Pairs per round of the simulation: fixed by the task (its draw order).
ROUND = 16


def _bd0(x, m):
    """x log(x/m) + m - x, elementwise, accurate also when x is close to m.

    0 log 0 = 0, so bd0(0, m) = m; bd0(x > 0, 0) = inf.
    """
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    x, m = np.broadcast_arrays(x, m)
    out = np.empty(x.shape)
    near = np.abs(x - m) < 0.1 * (x + m)
    far = ~near
    with np.errstate(divide="ignore", invalid="ignore"):
        xf, mf = x[far], m[far]
        direct = np.where(xf > 0, xf * np.log(xf / mf), 0.0) + mf - xf
        direct[(xf > 0) & (mf <= 0)] = np.inf
        out[far] = direct
        xn, mn = x[near], m[near]
        v = (xn - mn) / (xn + mn)
        s = (xn - mn) * v
        term = 2.0 * xn * v
        v2 = v * v
        for j in range(1, _BD0_SERIES_TERMS + 1):
            term = term * v2
            s = s + term / (2 * j + 1)
        out[near] = s
    return out


def _line_deviance(sa, sb, n, delta):
    """min over p of the deviance of (sa, sb) from (p, p + delta).

    The maximiser of the log likelihood on the line p2 = p1 + delta is the
    root in [0, 1 - delta] of its derivative times p (1 - p) q (1 - q),

        g(p) = (a - p) q (1 - q) + (b - q) p (1 - p),   q = p + delta,

    with a = sa/n, b = sb/n. The log likelihood is concave, so g changes sign
    once on [0, 1 - delta] (g(0) >= 0 >= g(1 - delta)); g is a cubic with
    leading coefficient 2, so it also has a root below 0 and one above
    1 - delta: ours is the middle one of three real roots, which the
    trigonometric formula gives directly. Two Newton steps then remove the
    rounding of the formula (it loses digits when two roots nearly meet). A
    maximum on the boundary needs no special case: it is a root of g too
    (p1 = 0 can only be the maximiser when sa = 0, and then g(0) = 0), the
    middle one, and the clip keeps rounding from leaving the interval.
    """
    a = sa / n
    b = sb / n
    hi = 1.0 - delta
    # g(p) = 2 p^3 + c2 p^2 + c1 p + c0, depressed with p = t - c2 / 6.
    c2 = 3.0 * delta - 2.0 - a - b
    c1 = a * (1.0 - 2.0 * delta) + b - delta * (2.0 - delta)
    c0 = a * delta * (1.0 - delta)
    B, C, D = c2 / 2.0, c1 / 2.0, c0 / 2.0
    P = C - B * B / 3.0
    Q = 2.0 * B ** 3 / 27.0 - B * C / 3.0 + D
    r = np.sqrt(np.maximum(-P / 3.0, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cos_phi = np.where(r > 0, -Q / (2.0 * r ** 3), 0.0)
    phi = np.arccos(np.clip(cos_phi, -1.0, 1.0))
    p = 2.0 * r * np.cos((phi - 2.0 * np.pi) / 3.0) - B / 3.0
    for _ in range(2):
        p = np.clip(p, 0.0, hi)
        q = p + delta
        g = (a - p) * q * (1.0 - q) + (b - q) * p * (1.0 - p)
        dg = (-q * (1.0 - q) + (a - p) * (1.0 - 2.0 * q)
              - p * (1.0 - p) + (b - q) * (1.0 - 2.0 * p))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(dg < 0, p - g / dg, p)
    p = np.clip(p, 0.0, hi)

    q = p + delta
    return (_bd0(sa, n * p) + _bd0(n - sa, n * (1.0 - p))
            + _bd0(sb, n * q) + _bd0(n - sb, n * (1.0 - q)))


def glr_statistics(sx, sy, n, delta):
    """(log Lambda_a, log Lambda_b) after n pairs with sums sx, sy.

    Vectorised: sx, sy and n broadcast against each other.
    """
    sx, sy, n = np.broadcast_arrays(np.asarray(sx, dtype=np.float64),
                                    np.asarray(sy, dtype=np.float64),
                                    np.asarray(n, dtype=np.float64))
    if np.any(n < 1) or np.any(sx < 0) or np.any(sy < 0) or np.any(sx > n) or np.any(sy > n):
        raise ValueError("need n >= 1 and 0 <= sx, sy <= n")
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    # Lambda_a: deviance from the pooled estimate m/n, m = (sx + sy) / 2.
    m = 0.5 * (sx + sy)
    log_a = _bd0(sx, m) + _bd0(sy, m) + _bd0(n - sx, n - m) + _bd0(n - sy, n - m)
    # Lambda_b: 0 outside the band |p1_hat - p2_hat| <= delta, otherwise the
    # deviance from the nearer of the two lines p2 = p1 + delta, p1 = p2 + delta.
    log_b = np.zeros(sx.shape)
    inside = np.abs(sx - sy) / n <= delta
    if np.any(inside):
        xi, yi, ni = sx[inside], sy[inside], n[inside]
        # Both lines in one pass: the second is the first with x and y swapped.
        both = _line_deviance(np.concatenate([xi, yi]), np.concatenate([yi, xi]),
                              np.concatenate([ni, ni]), delta)
        log_b[inside] = np.minimum(both[: xi.size], both[xi.size:])
    if log_a.ndim == 0:
        return float(log_a), float(log_b)
    return log_a, log_b


def _decide(log_a, log_b, b0, b1):
    """Index of the first stopping step and its decision (None if none)."""
    reject = log_a > math.log(b0)
    accept = log_b >= math.log(b1)
    stop = reject | accept
    if not stop.any():
        return None, None
    i = int(np.argmax(stop))
    return i, ("reject_h0" if reject[i] else "accept_h0")


def sequential_glr(x, y, delta, b0, b1):
    """Run the test on paired 0/1 observations; (decision, n_used)."""
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D of equal length, got {x.shape} and {y.shape}")
    if x.size == 0:
        return "continue", 0
    sx = np.cumsum(x, dtype=np.float64)
    sy = np.cumsum(y, dtype=np.float64)
    n = np.arange(1, x.size + 1, dtype=np.float64)
    log_a, log_b = glr_statistics(sx, sy, n, delta)
    i, decision = _decide(np.atleast_1d(log_a), np.atleast_1d(log_b), b0, b1)
    if i is None:
        return "continue", int(x.size)
    return decision, i + 1


def simulate_glr(p1, p2, delta, b0, b1, n_sims, rng, max_n=100_000):
    """Monte Carlo (reject_rate, mean_n) of the test on n_sims streams.

    The streams advance together in rounds of ROUND pairs, the last one cut
    at max_n (k = min(ROUND, max_n - done) pairs). A round draws, for the m
    streams still undecided at its start, in increasing stream order, first
    u = rng.random((m, k)) with x = u < p1, then v = rng.random((m, k)) with
    y = v < p2, and nothing else; a stream stops at its first stopping pair
    and ignores the rest of that round (the task's draw order, so that the
    result and the generator's final state are fixed by its initial state).
    A stream undecided after max_n pairs counts as not rejected and
    contributes max_n.
    """
    log_b0, log_b1 = math.log(b0), math.log(b1)
    active = np.arange(n_sims)
    sx = np.zeros(n_sims)
    sy = np.zeros(n_sims)
    rejected = np.zeros(n_sims, dtype=bool)
    n_used = np.full(n_sims, max_n, dtype=np.int64)
    done = 0
    while active.size and done < max_n:
        k = min(ROUND, max_n - done)
        cx = sx[active, None] + np.cumsum(rng.random((active.size, k)) < p1, axis=1)
        cy = sy[active, None] + np.cumsum(rng.random((active.size, k)) < p2, axis=1)
        steps = np.broadcast_to(np.arange(done + 1, done + k + 1, dtype=np.float64), cx.shape)
        log_a, log_b = glr_statistics(cx, cy, steps, delta)
        reject = log_a >= log_b0
        stop = reject | (log_b >= log_b1)
        stopped = stop.any(axis=1)
        first = np.argmax(stop, axis=1)
        rows = np.flatnonzero(stopped)
        idx = active[rows]
        rejected[idx] = reject[rows, first[rows]]
        n_used[idx] = done + 1 + first[rows]
        sx[active] = cx[:, -1]
        sy[active] = cy[:, -1]
        active = active[~stopped]
        done += k
    return float(rejected.mean()), float(n_used.mean())


def glr_max_sample_size(delta, b0, b1, n_limit=100_000):
    """Worst-case sample size: the first n at which every state is decided.

    At each n, walk from the centre (floor(n/2), floor(n/2)) raising S_y and
    lowering S_x in turn until Lambda_a >= b0, and from the corner (0, n)
    lowering S_y and raising S_x in turn until Lambda_b >= b1; the answer is
    the first n where the first |p1_hat - p2_hat| is at most the second.
    """
    log_b0, log_b1 = math.log(b0), math.log(b1)
    for n in range(1, n_limit + 1):
        half = n // 2
        # Each walk as arrays of states: step j has moved ceil(j/2) in S_y
        # and floor(j/2) in S_x.
        j = np.arange(0, 2 * n + 2)
        sy_c = half + (j + 1) // 2
        sx_c = half - j // 2
        keep = (sy_c <= n) & (sx_c >= 0)
        sx_c, sy_c = sx_c[keep], sy_c[keep]
        la, _ = glr_statistics(sx_c, sy_c, n, delta)
        hit = np.flatnonzero(la >= log_b0)
        if hit.size == 0:
            continue
        reject_gap = abs(sx_c[hit[0]] - sy_c[hit[0]]) / n
        sy_k = n - (j + 1) // 2
        sx_k = j // 2
        keep = (sy_k >= half) & (sx_k <= half)
        sx_k, sy_k = sx_k[keep], sy_k[keep]
        _, lb = glr_statistics(sx_k, sy_k, n, delta)
        hit = np.flatnonzero(lb >= log_b1)
        if hit.size == 0:
            continue
        accept_gap = abs(sx_k[hit[0]] - sy_k[hit[0]]) / n
        if reject_gap <= accept_gap:
            return n
    raise ValueError(f"no worst-case sample size below {n_limit}")


def fixed_sample_size(delta, p=0.5, alpha=0.05, beta=0.10):
    """Per-group n of the fixed-sample two-sided z-test with the same errors:
    2 (z_{1-alpha/2} + z_{1-beta})^2 p (1 - p) / delta^2 (not rounded)."""
    z = NormalDist()
    return 2.0 * (z.inv_cdf(1 - alpha / 2) + z.inv_cdf(1 - beta)) ** 2 * p * (1 - p) / delta ** 2
