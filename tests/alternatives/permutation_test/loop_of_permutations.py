"""A loop of rng.permutation(z) calls (permuting the values, not indices) with numpy means per draw,
and exact enumeration by Python sums over itertools.combinations of the values themselves; the
comparison written with explicit sign handling."""

import itertools
import math

import numpy as np


def _as_sample(a, name):
    a = np.asarray(a)
    if a.ndim != 1 or len(a) == 0 or a.dtype.kind not in "biuf":
        raise ValueError(f"{name}: a non-empty 1-D numeric array is required")
    a = np.array(a, dtype=np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: NaN or infinite value")
    return a


def permutation_test(x, y, rng, alternative="two-sided", n_resamples=9999, max_exact=100_000):
    x = _as_sample(x, "x")
    y = _as_sample(y, "y")
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError("bad alternative")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise ValueError("n_resamples must be an integer >= 1")
    if isinstance(max_exact, bool) or not isinstance(max_exact, (int, np.integer)) or max_exact < 0:
        raise ValueError("max_exact must be an integer >= 0")
    n1, n2 = len(x), len(y)
    z = np.concatenate([x, y])
    d = np.mean(x) - np.mean(y)
    tol = 1e-12 * np.abs(z).max()

    def extreme(t):
        if alternative == "greater":
            return t - d >= -tol
        if alternative == "less":
            return d - t >= -tol
        return np.abs(t) - abs(d) >= -tol

    total = math.comb(n1 + n2, n1)
    if total <= max_exact:
        values = z.tolist()
        s = float(np.sum(z))
        sums = np.fromiter((sum(c) for c in itertools.combinations(values, n1)), dtype=np.float64, count=total)
        t = sums / n1 - (s - sums) / n2
        return float(d), float(np.count_nonzero(extreme(t)) / total)
    b = 0
    for _ in range(n_resamples):
        zp = rng.permutation(z)
        b += bool(extreme(zp[:n1].mean() - zp[n1:].mean()))
    return float(d), (b + 1) / (n_resamples + 1)
