"""Block look-ahead: between two mistakes w and b do not change, so the margins of the
next block of samples (in the epoch's order) come from one matrix-vector product, and
the loop jumps to the first mistake in it. The average adds w times the number of steps
it lasted, per block and per mistake."""

import numpy as np

BLOCK = 32


def _inputs(X, y, max_epochs, lr):
    X = np.array(X, dtype=np.float64, ndmin=1)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0 or y.shape != (X.shape[0],):
        raise ValueError("X must be (n, d) with n >= 1 and y (n,)")
    if y.dtype.kind not in "iuf":
        raise ValueError("labels must be numbers")
    labels = y.astype(np.float64)
    if np.any((labels != 1.0) & (labels != -1.0)):
        raise ValueError("labels must be -1 or +1")
    if not max_epochs >= 1:
        raise ValueError("max_epochs must be at least 1")
    if lr <= 0 or lr != lr:
        raise ValueError("lr must be positive")
    return X, labels


def _train(X, labels, rng, max_epochs, lr, keep_sum):
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    sum_w = np.zeros(d)
    sum_b = 0.0
    counts = []
    for _ in range(max_epochs):
        order = rng.permutation(n)
        Xo, yo = X[order], labels[order]
        count = 0
        pos = 0
        while pos < n:
            stop = min(n, pos + BLOCK)
            bad = np.flatnonzero(yo[pos:stop] * (Xo[pos:stop] @ w + b) <= 0)
            if bad.size == 0:
                if keep_sum:
                    sum_w += (stop - pos) * w
                    sum_b += (stop - pos) * b
                pos = stop
                continue
            j = pos + int(bad[0])
            if keep_sum:               # steps pos .. j-1 keep the current weights
                sum_w += (j - pos) * w
                sum_b += (j - pos) * b
            w = w + (lr * yo[j]) * Xo[j]
            b = b + lr * yo[j]
            if keep_sum:               # step j ends with the new weights
                sum_w += w
                sum_b += b
            count += 1
            pos = j + 1
        counts.append(count)
        if count == 0:
            break
    return w, b, np.array(counts, dtype=np.int64), sum_w, sum_b, n * len(counts)


def perceptron(X, y, rng, max_epochs=100, lr=1.0):
    X, labels = _inputs(X, y, max_epochs, lr)
    w, b, counts, *_ = _train(X, labels, rng, max_epochs, lr, keep_sum=False)
    return w, b, counts


def averaged_perceptron(X, y, rng, max_epochs=100, lr=1.0):
    X, labels = _inputs(X, y, max_epochs, lr)
    _, _, counts, sum_w, sum_b, steps = _train(X, labels, rng, max_epochs, lr, keep_sum=True)
    return sum_w / steps, sum_b / steps, counts
