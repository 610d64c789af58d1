"""Every log likelihood ratio written as n times a sum of Kullback-Leibler divergences between
Bernoulli rates (0 log 0 = 0), the constrained maxima found by a safeguarded Newton iteration
(bisection whenever Newton leaves the bracket) that stops once every state has converged.
simulate_glr draws each round of 16 pairs in the task's order (for the running streams, the
uniforms of x and then those of y) and advances the running streams through it one pair at a
time, so max_n is never overshot; sequential_glr evaluates every prefix at once."""

import math

import numpy as np


def _kl(a, p):
    """KL(Bernoulli(a) || Bernoulli(p)) elementwise, with 0 log 0 = 0."""
    a, p = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(p, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a / p), 0.0)
        t0 = np.where(a < 1, (1 - a) * np.log((1 - a) / (1 - p)), 0.0)
    return t1 + t0


def _maximiser(a, b, delta):
    """p in [0, 1 - delta] maximising the likelihood of rates (a, b) at (p, p + delta)."""
    lo = np.zeros_like(a)
    hi = np.full_like(a, 1.0 - delta)
    p = np.clip(0.5 * (a + b - delta), lo, hi)      # the projection of the unconstrained optimum

    def g(p):
        q = p + delta
        return (a - p) * q * (1 - q) + (b - q) * p * (1 - p)

    # g(0) >= 0 >= g(1 - delta): the root is bracketed; g is decreasing through it.
    for _ in range(200):
        gp = g(p)
        lo = np.where(gp > 0, p, lo)
        hi = np.where(gp > 0, hi, p)
        q = p + delta
        dg = -q * (1 - q) + (a - p) * (1 - 2 * q) - p * (1 - p) + (b - q) * (1 - 2 * p)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = p - gp / dg
        inside = np.isfinite(newton) & (newton >= lo) & (newton <= hi)
        nxt = np.where(inside, newton, 0.5 * (lo + hi))
        nxt = np.where(gp == 0, p, nxt)
        converged = np.abs(nxt - p) <= 1e-14
        p = nxt
        if converged.all():
            break
    return p


def glr_statistics(sx, sy, n, delta):
    sx, sy, n = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (sx, sy, n)))
    a, b = sx / n, sy / n
    m = 0.5 * (a + b)
    log_a = n * (_kl(a, m) + _kl(b, m))
    log_b = np.zeros(a.shape)
    band = np.abs(a - b) <= delta
    if band.any():
        ai, bi, ni = a[band], b[band], n[band]
        p = _maximiser(ai, bi, delta)                 # p2 = p1 + delta
        r = _maximiser(bi, ai, delta)                 # p1 = p2 + delta
        up = _kl(ai, p) + _kl(bi, p + delta)
        down = _kl(ai, r + delta) + _kl(bi, r)
        log_b[band] = ni * np.minimum(up, down)
    if log_a.ndim == 0:
        return float(log_a), float(log_b)
    return log_a, log_b


def sequential_glr(x, y, delta, b0, b1):
    x, y = np.asarray(x), np.asarray(y)
    if x.size == 0:
        return "continue", 0
    n = np.arange(1, x.size + 1)
    la, lb = glr_statistics(np.cumsum(x, dtype=np.int64), np.cumsum(y, dtype=np.int64), n, delta)
    reject = la >= math.log(b0)
    stop = reject | (lb >= math.log(b1))
    if not stop.any():
        return "continue", int(x.size)
    i = int(np.argmax(stop))
    return ("reject_h0" if reject[i] else "accept_h0"), i + 1


def simulate_glr(p1, p2, delta, b0, b1, n_sims, rng, max_n=100_000):
    log_b0, log_b1 = math.log(b0), math.log(b1)
    idx = np.arange(n_sims)
    sx = np.zeros(n_sims)
    sy = np.zeros(n_sims)
    stopped_at = np.full(n_sims, max_n, dtype=np.int64)
    rejected = np.zeros(n_sims, dtype=bool)
    n = 0
    while idx.size and n < max_n:
        # The task's draws for a round, then its pairs one at a time.
        k = min(16, max_n - n)
        x = rng.random((idx.size, k)) < p1
        y = rng.random((idx.size, k)) < p2
        live = np.arange(idx.size)                 # rows of x and y still running
        for j in range(k):
            if live.size == 0:
                break
            s = idx[live]
            sx[s] += x[live, j]
            sy[s] += y[live, j]
            la, lb = glr_statistics(sx[s], sy[s], float(n + j + 1), delta)
            rej = la >= log_b0
            stop = rej | (lb >= log_b1)
            rejected[s[rej]] = True
            stopped_at[s[stop]] = n + j + 1
            live = live[~stop]
        idx = idx[live]
        n += k
    return float(rejected.mean()), float(stopped_at.mean())
