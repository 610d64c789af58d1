"""The default of n_resamples is 999 instead of the signature's 9999: a Monte Carlo call that leaves
n_resamples out draws ten times fewer permutations, and its p-value has another resolution (1/1000, not
1/10000) and another value."""

import itertools
import math

import numpy as np

CAUGHT_BY = ('test_monte_carlo_plus_one',)

ALTERNATIVES = ("two-sided", "greater", "less")
TIE_SLACK = 1e-12
BLOCK_ENTRIES = 1 << 20           # Monte Carlo permutations drawn per block: about 8 MB of indices


def _sample(values, name):
    values = np.asarray(values)
    if values.ndim != 1 or values.size < 1:
        raise ValueError(f"{name} must be a 1-D array with at least one value, got shape {values.shape}")
    if values.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {values.dtype}")
    values = values.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must hold finite numbers (no NaN or infinity)")
    return values


def _count_extreme(stats, observed, alternative, tol):
    if alternative == "greater":
        return int(np.count_nonzero(stats >= observed - tol))
    if alternative == "less":
        return int(np.count_nonzero(stats <= observed + tol))
    return int(np.count_nonzero(np.abs(stats) >= abs(observed) - tol))


def _exact_group1_sums(z, n1):
    """The sum of group 1 for every split, enumerating the smaller group's index sets."""
    n = len(z)
    k = min(n1, n - n1)
    count = math.comb(n, k)
    idx = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), k)),
                      dtype=np.intp, count=count * k).reshape(count, k)
    sums = z[idx].sum(axis=1)
    return sums if k == n1 else z.sum() - sums


def _monte_carlo_group1_sums(z, n1, rng, m):
    """Group 1's sum for each of m permutations rng.permutation(n), drawn in order."""
    n = len(z)
    rows = max(1, BLOCK_ENTRIES // n)
    out = np.empty(m)
    for start in range(0, m, rows):
        k = min(rows, m - start)
        perms = rng.permuted(np.broadcast_to(np.arange(n), (k, n)), axis=1)   # row i: the next rng.permutation(n)
        out[start:start + k] = z[perms[:, :n1]].sum(axis=1)
    return out


def permutation_test(x, y, rng, alternative="two-sided", n_resamples=999, max_exact=100_000):
    """(statistic, pvalue) of the permutation test of mean(x) - mean(y)."""
    x = _sample(x, "x")
    y = _sample(y, "y")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise ValueError(f"n_resamples must be an integer >= 1, got {n_resamples!r}")
    if isinstance(max_exact, bool) or not isinstance(max_exact, (int, np.integer)) or max_exact < 0:
        raise ValueError(f"max_exact must be an integer >= 0, got {max_exact!r}")
    n1, n2 = len(x), len(y)
    z = np.concatenate([x, y])
    total = z.sum()
    observed = float(x.mean() - y.mean())
    tol = TIE_SLACK * float(np.max(np.abs(z)))
    splits = math.comb(n1 + n2, n1)
    if splits <= max_exact:
        s1 = _exact_group1_sums(z, n1)
        stats = s1 / n1 - (total - s1) / n2
        return observed, _count_extreme(stats, observed, alternative, tol) / splits
    m = int(n_resamples)
    s1 = _monte_carlo_group1_sums(z, n1, rng, m)
    stats = s1 / n1 - (total - s1) / n2
    b = _count_extreme(stats, observed, alternative, tol)
    return observed, (b + 1) / (m + 1)
