"""Tolerances for statistical checks, derived rather than tuned.

Graders of randomised functions count outcomes over many fixed seeds and
compare each count with its binomial distribution. The tolerance here holds
for any number of trials (no normal approximation, which is unreliable far in
the tail), so a correct solution fails with at most the stated probability.
"""

from __future__ import annotations

import math


def bernstein_halfwidth(trials: int, variance: float, bound: float, fail_prob: float) -> float:
    """t with P(|S - E S| >= t) <= fail_prob, S a sum of `trials` independent terms.

    Each term lies within `bound` of its mean and has the given variance.
    Bernstein's inequality: P(|S - E S| >= t) <= 2 exp(-t² / (2 (N v + b t / 3))).
    Setting the right side to fail_prob and solving the quadratic in t gives
    t = b L/3 + sqrt(b² L²/9 + 2 L N v) with L = ln(2 / fail_prob).
    """
    if not 0 < fail_prob < 1:
        raise ValueError("fail_prob must be in (0, 1)")
    big_l = math.log(2.0 / fail_prob)
    return bound * big_l / 3.0 + math.sqrt((bound * big_l) ** 2 / 9.0 + 2.0 * big_l * trials * variance)


def binomial_halfwidth(trials: int, p: float, fail_prob: float) -> float:
    """t with P(|Binomial(trials, p) - trials·p| >= t) <= fail_prob.

    Bernstein's inequality for a sum of independent terms bounded by 1 (see
    bernstein_halfwidth): the terms are Bernoulli(p), of variance p (1 - p).
    """
    return bernstein_halfwidth(trials, p * (1.0 - p), 1.0, fail_prob)
