"""Group membership as a boolean mask: one rng.permutation(n) of the indices per Monte Carlo draw marks
group 1, and the statistic is z[mask].mean() - z[~mask].mean(); exact mode lists the index sets of
itertools.combinations into one array and forms every split's statistic from group sums."""

import itertools
import math

import numpy as np


def _sample(values, name):
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has NaN or infinite values")
    return arr


def _count(value, name, least):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}")
    return int(value)


def permutation_test(x, y, rng, alternative="two-sided", n_resamples=9999, max_exact=100_000):
    x = _sample(x, "x")
    y = _sample(y, "y")
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"unknown alternative {alternative!r}")
    m = _count(n_resamples, "n_resamples", 1)
    limit = _count(max_exact, "max_exact", 0)
    z = np.concatenate((x, y))
    n, n1 = len(z), len(x)
    observed = x.mean() - y.mean()
    slack = 1e-12 * float(np.max(np.abs(z)))

    def at_least_as_extreme(stat):
        if alternative == "two-sided":
            return np.abs(stat) >= abs(observed) - slack
        if alternative == "greater":
            return stat >= observed - slack
        return stat <= observed + slack

    splits = math.comb(n, n1)
    if splits <= limit:
        idx = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), n1)),
                          dtype=np.int64, count=splits * n1).reshape(splits, n1)
        first = z[idx].sum(axis=1)
        stat = first / n1 - (z.sum() - first) / (n - n1)
        return float(observed), float(np.count_nonzero(at_least_as_extreme(stat)) / splits)
    hits = 0
    for _ in range(m):
        mask = np.zeros(n, dtype=bool)
        mask[rng.permutation(n)[:n1]] = True
        hits += bool(at_least_as_extreme(z[mask].mean() - z[~mask].mean()))
    return float(observed), (hits + 1) / (m + 1)
