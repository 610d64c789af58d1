"""permutation_test: the reference beside scipy.stats.permutation_test on the same problems.

Both sides: permutation_type "independent", the difference of means
(scipy's statistic vectorised), the same alternative. Exact: every one of
the C(21, 10) = 352 716 splits (scipy with n_resamples=np.inf). Monte Carlo:
10^4 permutations of n = 1000 (scipy with n_resamples=10 000; its own draws).
"""

import numpy as np
from scipy import stats

from benchmarks.libraries import Case


def _statistic(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def _data(n1, n2, seed):
    g = np.random.default_rng(seed)
    return g.normal(size=n1), g.normal(0.1, 1.0, size=n2)


CASES = [
    Case("exact n1=10 n2=11 (352716 splits)", lambda: _data(10, 11, 1),
         lambda ref, x, y: ref.permutation_test(x, y, np.random.default_rng(0), max_exact=400_000),
         lambda x, y: stats.permutation_test((x, y), _statistic, vectorized=True, n_resamples=np.inf)),
    Case("Monte Carlo n=1000 m=10^4", lambda: _data(400, 600, 2),
         lambda ref, x, y: ref.permutation_test(x, y, np.random.default_rng(0), n_resamples=10_000),
         lambda x, y: stats.permutation_test((x, y), _statistic, vectorized=True, n_resamples=10_000,
                                             rng=np.random.default_rng(0))),
]
