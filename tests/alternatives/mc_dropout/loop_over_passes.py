"""Running sums over the T passes (a Python loop over passes, vectorised over n and C), the
mutual information as the mean KL divergence of each pass from the predictive mean, and
dropout with np.where on the uniforms drawn flat and reshaped (the same stream)."""

import numpy as np


def _passes(probs):
    P = np.asarray(probs)
    if P.ndim != 3:
        raise ValueError("probs must be 3-D (T, n, C)")
    T, n, C = P.shape
    if T < 1 or C < 1:
        raise ValueError("need at least one pass and one class")
    return P, T


def _neg_plogp(q):
    """-q log q elementwise in float64, 0 where q == 0."""
    q = q.astype(np.float64)
    positive = q > 0
    return -q * np.log(np.where(positive, q, 1.0))


def predictive_mean(probs):
    P, T = _passes(probs)
    total = np.zeros(P.shape[1:])
    for t in range(T):
        total += P[t]
    return total / T


def predictive_entropy(probs):
    return _neg_plogp(predictive_mean(probs)).sum(axis=1)


def expected_entropy(probs):
    P, T = _passes(probs)
    total = np.zeros(P.shape[1])
    for t in range(T):
        total += _neg_plogp(P[t]).sum(axis=1)
    return total / T


def mutual_information(probs):
    P, T = _passes(probs)
    mean = predictive_mean(P)
    log_mean = np.log(np.where(mean > 0, mean, 1.0))
    total = np.zeros(P.shape[1])
    for t in range(T):
        p = P[t].astype(np.float64)
        # KL(p_t || mean): p > 0 implies mean > 0, so only p's zeros need care.
        total += np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - log_mean), 0.0).sum(axis=1)
    return np.clip(total / T, 0.0, None)


def dropout(x, p, rng):
    if not (0 <= p <= 1):
        raise ValueError("p must lie in [0, 1]")
    x = np.asarray(x)
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    x = x.astype(dtype)
    u = rng.random(x.size).reshape(x.shape)
    if p == 1:
        return np.zeros_like(x)
    return np.where(u < 1 - p, x / (1 - p), 0).astype(dtype, copy=False)
