"""The dropout mask keeps an entry when 1 - u > p instead of u < 1 - p: equal in exact arithmetic, but 1 - u
and 1 - p round differently, so a uniform exactly 1 - p (in float64) is kept when 1 - u comes out above p."""

import numpy as np

CAUGHT_BY = ('test_dropout_agrees',)


def _checked_probs(probs):
    """probs as a float64 (T, n, C) array with T >= 1 and C >= 1, or ValueError."""
    P = np.asarray(probs)
    if P.ndim != 3 or P.shape[0] == 0 or P.shape[2] == 0:
        raise ValueError(f"probs must have shape (T, n, C) with T >= 1 and C >= 1, got shape {P.shape}")
    # float64 input is used as it is (never written to); anything else is converted.
    return P.astype(np.float64, copy=False)


def _entropy(P):
    """-sum over the last axis of p log p, with 0 log 0 = 0."""
    logs = np.zeros_like(P)
    np.log(P, out=logs, where=P > 0)
    logs *= P
    return -logs.sum(axis=-1)


def predictive_mean(probs):
    """The mean over the T passes: (n, C)."""
    return _checked_probs(probs).mean(axis=0)


def predictive_entropy(probs):
    """The entropy of the predictive mean, in nats: (n,)."""
    return _entropy(predictive_mean(probs))


def expected_entropy(probs):
    """The mean over the passes of each pass's entropy, in nats: (n,)."""
    return _entropy(_checked_probs(probs)).mean(axis=0)


def mutual_information(probs):
    """predictive_entropy - expected_entropy (BALD), clipped at 0: (n,)."""
    P = _checked_probs(probs)
    return np.maximum(_entropy(P.mean(axis=0)) - _entropy(P).mean(axis=0), 0.0)


def dropout(x, p, rng):
    """Inverted dropout: keep where rng.random(x.shape) < 1 - p, scale kept entries by 1 / (1 - p)."""
    p = float(p)
    if not 0.0 <= p <= 1.0:                     # NaN fails too
        raise ValueError(f"p must be in [0, 1], got {p}")
    x = np.asarray(x)
    x = x.astype(np.float32 if x.dtype == np.float32 else np.float64, copy=False)
    keep = 1.0 - rng.random(x.shape) > p
    if p == 1.0:                                # everything dropped; 1 / (1 - p) is never formed
        return np.zeros(x.shape, dtype=x.dtype)
    out = x * keep                              # a new array; a float32 x stays float32
    out *= 1.0 / (1.0 - p)                      # a Python float: the dtype of out is kept
    return out
