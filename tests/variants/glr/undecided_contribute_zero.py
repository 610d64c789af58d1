"""simulate_glr starts every stopping time at 0, so a stream still undecided
after max_n pairs contributes 0 to the mean sample size instead of max_n."""

CAUGHT_BY = ('test_undecided_streams_in_simulation',)


import math

import numpy as np


def _xlogp(k, p):
    return np.where(k > 0, k * np.log(np.where(k > 0, p, 1.0)), 0.0)


def _loglik(sx, sy, n, p1, p2):
    return _xlogp(sx, p1) + _xlogp(n - sx, 1.0 - p1) + _xlogp(sy, p2) + _xlogp(n - sy, 1.0 - p2)


def _line_max(sa, sb, n, delta):
    a, b = sa / n, sb / n
    lo = np.zeros_like(a)
    hi = np.full_like(a, 1.0 - delta)

    def g_and_dg(p):
        q = p + delta
        g = (a - p) * q * (1 - q) + (b - q) * p * (1 - p)
        dg = -q * (1 - q) + (a - p) * (1 - 2 * q) - p * (1 - p) + (b - q) * (1 - 2 * p)
        return g, dg

    p = 0.5 * (lo + hi)
    for _ in range(200):
        g, dg = g_and_dg(p)
        lo = np.where(g > 0, p, lo)
        hi = np.where(g > 0, hi, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = p - g / dg
        ok = (newton >= lo) & (newton <= hi) & np.isfinite(newton)
        new = np.where(ok, newton, 0.5 * (lo + hi))
        done = np.all((np.abs(new - p) <= 1e-13) | (hi - lo <= 1e-13))
        p = new
        if done:
            break
    q = np.minimum(p + delta, 1.0)
    return _loglik(sa, sb, n, p, q)


def glr_statistics(sx, sy, n, delta):
    sx, sy, n = (a.astype(float) for a in np.broadcast_arrays(sx, sy, n))
    top = _loglik(sx, sy, n, sx / n, sy / n)
    pbar = (sx + sy) / (2 * n)
    la = top - _loglik(sx, sy, n, pbar, pbar)
    lb = np.zeros_like(la)
    inside = np.abs(sx / n - sy / n) <= delta
    if inside.any():
        x, y, m = sx[inside], sy[inside], n[inside]
        best = np.maximum(_line_max(x, y, m, delta), _line_max(y, x, m, delta))
        lb[inside] = top[inside] - best
    return la, lb


def sequential_glr(x, y, delta, b0, b1):
    x, y = np.asarray(x), np.asarray(y)
    if len(x) == 0:
        return "continue", 0
    n = np.arange(1, len(x) + 1)
    la, lb = glr_statistics(np.cumsum(x), np.cumsum(y), n, delta)
    for i in range(len(x)):
        if la[i] >= math.log(b0):
            return "reject_h0", i + 1
        if lb[i] >= math.log(b1):
            return "accept_h0", i + 1
    return "continue", len(x)


def simulate_glr(p1, p2, delta, b0, b1, n_sims, rng, max_n=100_000):
    log_b0, log_b1 = math.log(b0), math.log(b1)
    active = np.arange(n_sims)
    sx = np.zeros(n_sims)
    sy = np.zeros(n_sims)
    rejected = np.zeros(n_sims, dtype=bool)
    stop_n = np.zeros(n_sims)
    done = 0
    while active.size and done < max_n:
        k = min(16, max_n - done)
        cx = sx[active, None] + np.cumsum(rng.random((active.size, k)) < p1, axis=1)
        cy = sy[active, None] + np.cumsum(rng.random((active.size, k)) < p2, axis=1)
        steps = np.broadcast_to(np.arange(done + 1, done + k + 1, dtype=float), cx.shape)
        la, lb = (np.reshape(v, cx.shape) for v in glr_statistics(cx.ravel(), cy.ravel(), steps.ravel(), delta))
        rej = la >= log_b0
        stop = rej | (lb >= log_b1)
        stopped = stop.any(axis=1)
        first = np.argmax(stop, axis=1)
        rows = np.flatnonzero(stopped)
        rejected[active[rows]] = rej[rows, first[rows]]
        stop_n[active[rows]] = done + 1 + first[rows]
        sx[active] = cx[:, -1]
        sy[active] = cy[:, -1]
        active = active[~stopped]
        done += k
    return rejected.mean(), stop_n.mean()
