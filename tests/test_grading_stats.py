"""The statistical tolerance graders use must hold for exact binomial tails."""

import numpy as np
import pytest

from trainer.grading.stats import binomial_halfwidth

scipy_stats = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("trials, p", [(20000, 0.1), (5000, 0.003), (6000, 1 / 12), (30000, 0.5), (100, 0.01)])
@pytest.mark.parametrize("fail_prob", [1e-6, 1e-6 / 24, 1e-3])
def test_the_bound_is_conservative(trials, p, fail_prob):
    t = binomial_halfwidth(trials, p, fail_prob)
    tail = (scipy_stats.binom.sf(np.ceil(trials * p + t) - 1, trials, p)
            + scipy_stats.binom.cdf(np.floor(trials * p - t), trials, p))
    assert tail <= fail_prob


def test_the_bound_is_not_absurdly_wide():
    # Within 1.5x of the exact two-sided quantile for a typical count.
    trials, p, fail_prob = 20000, 0.1, 1e-6
    exact = scipy_stats.binom.isf(fail_prob / 2, trials, p) - trials * p
    assert binomial_halfwidth(trials, p, fail_prob) < 1.5 * exact


def test_fail_prob_must_be_a_probability():
    with pytest.raises(ValueError):
        binomial_halfwidth(10, 0.5, 0)
