"""Correct calibration written unlike the reference: the confidences are sorted
once, each bin is a contiguous segment found with np.searchsorted on the sorted
values at the edges k / M (side="right": a confidence equal to an edge stays in
the bin below), segment sums with np.add.reduceat; the temperature by a coarse
scan over log T followed by a golden-section refinement, the softmax shifted by
the row maximum of logits / T at every evaluation.
"""

import math

import numpy as np


def _validate(probs, labels, n_bins):
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels)
    if probs.ndim != 2:
        raise ValueError("probs must be (N, C)")
    if labels.shape != (probs.shape[0],):
        raise ValueError("labels must be (N,)")
    if np.any(labels < 0) or np.any(labels >= probs.shape[1]):
        raise ValueError("labels out of range")
    if n_bins < 1:
        raise ValueError("n_bins must be >= 1")
    if np.any(~(np.abs(probs.sum(axis=1) - 1.0) <= 1e-6)):
        raise ValueError("rows of probs must sum to 1")
    return probs, labels


def _segments(probs, labels, n_bins):
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    order = np.argsort(conf, kind="stable")
    conf, correct = conf[order], correct[order]
    edges = np.arange(n_bins + 1) / n_bins
    # bounds[m]: number of confidences <= edges[m]; the last bin takes everything above.
    bounds = np.searchsorted(conf, edges, side="right")
    bounds[0] = 0
    bounds[-1] = len(conf)
    count = np.diff(bounds)
    conf_sum = np.zeros(n_bins)
    correct_sum = np.zeros(n_bins)
    full = count > 0
    starts = bounds[:-1][full]
    if len(starts):
        conf_sum[full] = np.add.reduceat(conf, starts)
        correct_sum[full] = np.add.reduceat(correct, starts)
    return count, conf_sum, correct_sum


def reliability_curve(probs, labels, n_bins=10):
    probs, labels = _validate(probs, labels, n_bins)
    count, conf_sum, correct_sum = _segments(probs, labels, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return conf_sum / count, correct_sum / count, count


def expected_calibration_error(probs, labels, n_bins=15):
    probs, labels = _validate(probs, labels, n_bins)
    count, conf_sum, correct_sum = _segments(probs, labels, n_bins)
    full = count > 0
    gaps = np.abs(correct_sum[full] / count[full] - conf_sum[full] / count[full])
    return float((count[full] * gaps).sum() / count.sum())


def fit_temperature(logits, labels):
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError("shapes do not match")
    if np.any(labels < 0) or np.any(labels >= logits.shape[1]):
        raise ValueError("labels out of range")
    rows = np.arange(len(labels))

    def nll(log_t):
        z = logits / math.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, labels]))

    lo, hi = math.log(1e-2), math.log(1e4)
    grid = np.linspace(lo, hi, 13)
    values = [nll(t) for t in grid]
    i = int(np.argmin(values))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    r = (math.sqrt(5) - 1) / 2
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = nll(c), nll(d)
    while b - a > 1e-8:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - r * (b - a)
            fc = nll(c)
        else:
            a, c, fc = c, d, fd
            d = a + r * (b - a)
            fd = nll(d)
    best = min([(fc, c), (fd, d), (values[0], lo), (values[-1], hi)])
    return float(math.exp(best[1]))
