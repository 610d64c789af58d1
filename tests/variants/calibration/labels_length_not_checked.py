"""The labels' length is never compared with the number of predictions N: labels
of length N - 1 happen to fail numpy's broadcasting, but a single label for N
predictions broadcasts (argmax == labels, z[rows, labels] against N rows) and
the three functions return a result instead of raising ValueError.
"""

CAUGHT_BY = ('test_invalid_input_raises',)


import math

import numpy as np

T_MIN, T_MAX = 1e-2, 1e4
# Golden-section search stops when the bracket in log T is below this width.
# At the minimum NLL(T) ~ L* + L''/2 (dT)^2, so a relative error of 1e-7 in T
# changes the loss by ~1e-14 relative: far inside the 1e-6 the task allows.
_LOG_T_TOL = 1e-7


def _validate_probs(probs, labels, n_bins):
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels)
    if probs.ndim != 2 or probs.shape[0] < 1 or probs.shape[1] < 1:
        raise ValueError(f"probs must be a non-empty (N, C) array, got shape {probs.shape}")
    _validate_labels(labels, probs.shape)
    if isinstance(n_bins, bool) or int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    row_sums = probs.sum(axis=1)
    bad = np.flatnonzero(~(np.abs(row_sums - 1.0) <= 1e-6))
    if len(bad):
        raise ValueError(f"row {bad[0]} of probs sums to {row_sums[bad[0]]!r}, not 1")
    return probs, labels.astype(np.int64), int(n_bins)


def _validate_labels(labels, shape):
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")

    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    if len(labels) and (labels.min() < 0 or labels.max() >= shape[1]):
        raise ValueError(f"labels must lie in [0, {shape[1] - 1}]")


def _binned(probs, labels, n_bins):
    """Per-bin count, sum of confidences and number correct."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels       # argmax: first maximum
    edges = np.arange(n_bins + 1) / n_bins          # the floats k / M
    bins = np.searchsorted(edges, confidence, side="left")
    bins = np.clip(bins, 1, n_bins) - 1             # 0-based bin index
    count = np.bincount(bins, minlength=n_bins)
    conf_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    correct_sum = np.bincount(bins, weights=correct, minlength=n_bins)
    return count, conf_sum, correct_sum


def reliability_curve(probs, labels, n_bins=10):
    """(bin_confidence, bin_accuracy, bin_count), each (n_bins,); NaN for empty bins."""
    probs, labels, n_bins = _validate_probs(probs, labels, n_bins)
    count, conf_sum, correct_sum = _binned(probs, labels, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return conf_sum / count, correct_sum / count, count


def expected_calibration_error(probs, labels, n_bins=15):
    """sum over non-empty bins of (count_m / N) * |acc_m - conf_m|."""
    probs, labels, n_bins = _validate_probs(probs, labels, n_bins)
    count, conf_sum, correct_sum = _binned(probs, labels, n_bins)
    full = count > 0
    gap = np.abs(correct_sum[full] / count[full] - conf_sum[full] / count[full])
    return float(np.sum(count[full] / len(labels) * gap))


def _nll_function(logits, labels):
    """NLL(T) for fixed data, with the row-max shift done once."""
    z = logits - logits.max(axis=1, keepdims=True)
    z_label = z[np.arange(len(labels)), labels]

    def nll(T):
        return float(np.mean(np.log(np.exp(z / T).sum(axis=1)) - z_label / T))

    return nll


def fit_temperature(logits, labels):
    """T in [1e-2, 1e4] minimising the mean NLL of softmax(logits / T)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2 or logits.shape[0] < 1 or logits.shape[1] < 1:
        raise ValueError(f"logits must be a non-empty (N, C) array, got shape {logits.shape}")
    _validate_labels(labels, logits.shape)
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits must be finite")
    nll = _nll_function(logits, labels.astype(np.int64))

    def loss(log_t):
        return nll(math.exp(log_t))

    # Golden-section search on log T; the NLL is unimodal there (see above).
    inv_phi = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = math.log(T_MIN), math.log(T_MAX)
    c, d = b - inv_phi * (b - a), a + inv_phi * (b - a)
    fc, fd = loss(c), loss(d)
    while b - a > _LOG_T_TOL:
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - inv_phi * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + inv_phi * (b - a)
            fd = loss(d)
    # The minimum may sit on an end of the interval (all predictions right:
    # the loss keeps falling as T -> 0); compare with the ends explicitly.
    candidates = [(fc, c), (fd, d), (loss(a), a), (loss(b), b)]
    candidates += [(loss(math.log(T_MIN)), math.log(T_MIN)), (loss(math.log(T_MAX)), math.log(T_MAX))]
    return float(math.exp(min(candidates)[1]))
