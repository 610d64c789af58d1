"""Log likelihoods evaluated directly (with an xlogy helper for 0 log 0 = 0) and subtracted; the
constrained maxima from the trigonometric form of the cubic, polished by Newton steps, on every
state at once (log Lambda_b masked to 0 outside the band afterwards). sequential_glr looks at the
pairs in chunks of 64 and stops at the first crossing. simulate_glr advances all running streams
together in the task's rounds of 16 pairs, the last one cut at max_n, drawing each round's
uniforms of x and then of y with one rng.random((2, m, k)) (the same numbers as the task's u and
then v)."""

import math

import numpy as np


def _xlogy(k, p):
    """k * log(p) with 0 * log(0) = 0."""
    k = np.asarray(k, dtype=np.float64)
    safe = np.where(k > 0, p, 1.0)
    with np.errstate(divide="ignore"):
        return np.where(k > 0, k * np.log(safe), 0.0)


def _loglik(sx, sy, n, p1, p2):
    return _xlogy(sx, p1) + _xlogy(n - sx, 1.0 - p1) + _xlogy(sy, p2) + _xlogy(n - sy, 1.0 - p2)


def _line_argmax(a, b, delta):
    """argmax over p in [0, 1 - delta] of the log likelihood at (p, p + delta), for rates a, b."""
    # g(p) = (a - p) q (1 - q) + (b - q) p (1 - p), q = p + delta: 2 p^3 + c2 p^2 + c1 p + c0
    c2 = 3.0 * delta - 2.0 - a - b
    c1 = a * (1.0 - 2.0 * delta) + b - delta * (2.0 - delta)
    c0 = a * delta * (1.0 - delta)
    # depressed cubic t^3 + P t + Q with p = t - c2 / 6
    P = c1 / 2.0 - c2 * c2 / 12.0
    Q = c2 ** 3 / 108.0 - c2 * c1 / 12.0 + c0 / 2.0
    m = np.sqrt(np.maximum(-P / 3.0, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = np.where(m > 0, -Q / (2.0 * m ** 3), 0.0)
    theta = np.arccos(np.clip(arg, -1.0, 1.0)) / 3.0
    # the three roots are 2 m cos(theta - 2 pi k / 3), theta in [0, pi / 3]: k = 0 gives
    # the largest, k = 2 the smallest, k = 1 the middle one
    p = 2.0 * m * np.cos(theta - 2.0 * np.pi / 3.0) - c2 / 6.0
    hi = 1.0 - delta
    for _ in range(3):
        p = np.clip(p, 0.0, hi)
        q = p + delta
        g = (a - p) * q * (1.0 - q) + (b - q) * p * (1.0 - p)
        dg = -q * (1.0 - q) + (a - p) * (1.0 - 2.0 * q) - p * (1.0 - p) + (b - q) * (1.0 - 2.0 * p)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(dg < 0, p - g / dg, p)
    return np.clip(p, 0.0, hi)


def glr_statistics(sx, sy, n, delta):
    sx, sy, n = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (sx, sy, n)))
    a, b = sx / n, sy / n
    top = _loglik(sx, sy, n, a, b)
    pooled = (sx + sy) / (2.0 * n)
    log_a = np.maximum(top - _loglik(sx, sy, n, pooled, pooled), 0.0)
    p = _line_argmax(a, b, delta)        # line p2 = p1 + delta
    r = _line_argmax(b, a, delta)        # line p1 = p2 + delta
    best = np.maximum(_loglik(sx, sy, n, p, p + delta), _loglik(sx, sy, n, r + delta, r))
    log_b = np.where(np.abs(a - b) > delta, 0.0, np.maximum(top - best, 0.0))
    if log_a.ndim == 0:
        return float(log_a), float(log_b)
    return log_a, log_b


def sequential_glr(x, y, delta, b0, b1):
    x = np.asarray(x).astype(np.int64)
    y = np.asarray(y).astype(np.int64)
    log_b0, log_b1 = math.log(b0), math.log(b1)
    sx = sy = 0
    for start in range(0, len(x), 64):
        cx = sx + np.cumsum(x[start:start + 64])
        cy = sy + np.cumsum(y[start:start + 64])
        n = np.arange(start + 1, start + len(cx) + 1)
        la, lb = glr_statistics(cx, cy, n, delta)
        reject = la >= log_b0
        accept = lb >= log_b1
        hits = np.flatnonzero(reject | accept)
        if hits.size:
            i = hits[0]
            return ("reject_h0" if reject[i] else "accept_h0"), start + int(i) + 1
        sx, sy = int(cx[-1]), int(cy[-1])
    return "continue", len(x)


def simulate_glr(p1, p2, delta, b0, b1, n_sims, rng, max_n=100_000):
    log_b0, log_b1 = math.log(b0), math.log(b1)
    running = np.arange(n_sims)
    sx = np.zeros(n_sims)
    sy = np.zeros(n_sims)
    rejects = 0
    total_n = 0
    n = 0
    while running.size and n < max_n:
        k = min(16, max_n - n)
        # All the uniforms of x, then all those of y: the task's u and v of a round.
        draws = rng.random((2, running.size, k))
        cx = sx[running, None] + np.cumsum(draws[0] < p1, axis=1)
        cy = sy[running, None] + np.cumsum(draws[1] < p2, axis=1)
        steps = np.arange(n + 1, n + k + 1, dtype=np.float64)[None, :]
        la, lb = glr_statistics(cx, cy, steps, delta)
        reject = la >= log_b0
        stop = reject | (lb >= log_b1)
        stopped = stop.any(axis=1)
        first = stop.argmax(axis=1)
        rows = np.flatnonzero(stopped)
        rejects += int(reject[rows, first[rows]].sum())
        total_n += int((n + 1 + first[rows]).sum())
        sx[running], sy[running] = cx[:, -1], cy[:, -1]
        running = running[~stopped]
        n += k
    total_n += running.size * max_n          # undecided after max_n pairs
    return rejects / n_sims, total_n / n_sims
