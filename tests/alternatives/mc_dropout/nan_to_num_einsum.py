"""p log p computed naively and its NaNs (0 * -inf at p = 0) replaced by 0 with nan_to_num,
sums with einsum, the clip by np.clip; dropout as x times a scaled mask of the output dtype."""

import numpy as np


def _check(probs):
    P = np.array(probs, dtype=np.float64)          # always a copy
    if P.ndim != 3 or 0 in (P.shape[0], P.shape[2]):
        raise ValueError("probs must have shape (T, n, C) with T, C >= 1")
    return P


def _entropy(Q):
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.nan_to_num(Q * np.log(Q), nan=0.0)
    return -np.einsum("...c->...", terms)


def predictive_mean(probs):
    return np.mean(_check(probs), axis=0)


def predictive_entropy(probs):
    return _entropy(predictive_mean(probs))


def expected_entropy(probs):
    return np.mean(_entropy(_check(probs)), axis=0)


def mutual_information(probs):
    P = _check(probs)
    return np.clip(_entropy(P.mean(axis=0)) - _entropy(P).mean(axis=0), 0.0, None)


def dropout(x, p, rng):
    if not (p >= 0 and p <= 1):
        raise ValueError(f"dropout probability {p} is not in [0, 1]")
    x = np.asarray(x)
    dtype = np.dtype(np.float32) if x.dtype == np.float32 else np.dtype(np.float64)
    mask = (rng.random(x.shape) < 1 - p).astype(dtype)
    if p == 1:
        return mask                                  # all zeros
    mask /= dtype.type(1 - p)
    return x.astype(dtype) * mask
