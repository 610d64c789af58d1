"""simulate_glr draws each round of the task's draw order for all running streams at once, then
handles the streams one after another in a Python loop: each finds its first crossing in the
round's 16 pairs with numpy, then the next stream. Correct, but a round of numpy calls per stream
and round (about 100 microseconds) makes 10 000 streams take about 3.5 s, some 12 times the
reference, which handles all running streams together (and about 8 times it on the 4 000 streams
of the power test, within the 10x + 1 s a correctness call may take)."""

CAUGHT_BY = ('test_simulation_speed',)


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


# --- the simulation: one stream at a time within each round -----------------------------------

def _xl_lean(k, p):
    return k * np.log(np.where(k > 0, p, 1.0))


def _ll_lean(sx, sy, n, p1, p2):
    return _xl_lean(sx, p1) + _xl_lean(n - sx, 1 - p1) + _xl_lean(sy, p2) + _xl_lean(n - sy, 1 - p2)


def _root_lean(a, b, d):
    """The maximiser on the line p2 = p1 + d: the middle root of the cubic, by the trigonometric formula."""
    c2 = 3 * d - 2 - a - b
    c1 = a * (1 - 2 * d) + b - d * (2 - d)
    c0 = a * d * (1 - d)
    P = c1 / 2 - c2 * c2 / 12
    Q = c2 ** 3 / 108 - c2 * c1 / 12 + c0 / 2
    m = np.sqrt(np.maximum(-P / 3, 1e-300))
    th = np.arccos(np.clip(-Q / (2 * m ** 3), -1, 1)) / 3
    return np.clip(2 * m * np.cos(th - 2 * np.pi / 3) - c2 / 6, 0, 1 - d)


def _decide_stream(cx, cy, n, d, lb0, lb1):
    """Which prefixes of one stream cross the reject and the accept thresholds."""
    a, b = cx / n, cy / n
    top = _ll_lean(cx, cy, n, a, b)
    s, m = cx + cy, (a + b) / 2
    reject = top - _xl_lean(s, m) - _xl_lean(2 * n - s, 1 - m) >= lb0
    inside = np.abs(a - b) <= d
    if not inside.any():                 # log Lambda_b = 0 < log b1 outside the band
        return reject, inside
    p = _root_lean(a, b, d)
    r = _root_lean(b, a, d)
    lb = top - np.maximum(_ll_lean(cx, cy, n, p, p + d), _ll_lean(cx, cy, n, r + d, r))
    return reject, inside & (lb >= lb1)


def simulate_glr(p1, p2, delta, b0, b1, n_sims, rng, max_n=100_000):
    lb0, lb1 = math.log(b0), math.log(b1)
    sx = np.zeros(n_sims)
    sy = np.zeros(n_sims)
    stop_n = np.full(n_sims, max_n)
    rejected = np.zeros(n_sims, dtype=bool)
    active = list(range(n_sims))
    done = 0
    while active and done < max_n:
        # A round of the task's draw order for the streams still running, then one stream at a time.
        k = min(16, max_n - done)
        xs = np.cumsum(rng.random((len(active), k)) < p1, axis=1)
        ys = np.cumsum(rng.random((len(active), k)) < p2, axis=1)
        n = np.arange(done + 1, done + k + 1, dtype=float)
        running = []
        for row, s in enumerate(active):
            cx = sx[s] + xs[row]
            cy = sy[s] + ys[row]
            with np.errstate(all="ignore"):
                reject, accept = _decide_stream(cx, cy, n, delta, lb0, lb1)
            stop = reject | accept
            if stop.any():
                i = int(np.argmax(stop))
                rejected[s] = reject[i]
                stop_n[s] = done + i + 1
            else:
                sx[s], sy[s] = cx[-1], cy[-1]
                running.append(s)
        active = running
        done += k
    return rejected.mean(), stop_n.mean()
