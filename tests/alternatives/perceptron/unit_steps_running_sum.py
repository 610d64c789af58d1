"""Unit steps scaled at the end: from zero, the run with learning rate lr is lr times the
run with lr = 1 (the same decisions), so the loop adds +-x and +-1 and the results are
multiplied by lr once. Labels folded into the rows (z = y x, a new array), the order
from rng.shuffle of a fresh arange (the same draws as rng.permutation), and the average
as a plain running sum of w after every step."""

import numpy as np


def _check(X, y, max_epochs, lr):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError("X must be a non-empty 2-D array")
    if y.shape != (X.shape[0],):
        raise ValueError("y must have one label per row of X")
    if y.dtype.kind not in "iuf" or not set(np.unique(y).tolist()) <= {-1, 1}:
        raise ValueError("y must hold only -1 and +1")
    if max_epochs < 1:
        raise ValueError("max_epochs < 1")
    if not lr > 0:
        raise ValueError("lr <= 0")
    labels = y.astype(np.float64)
    return labels[:, None] * X.astype(np.float64), labels


def _epochs(Z, labels, rng, max_epochs, with_average):
    n, d = Z.shape
    w = np.zeros(d)
    b = 0.0
    acc_w = np.zeros(d)
    acc_b = 0.0
    history = []
    for _ in range(max_epochs):
        idx = np.arange(n)
        rng.shuffle(idx)
        wrong = 0
        for i in idx:
            if Z[i] @ w + labels[i] * b <= 0:      # = y_i (w.x_i + b)
                w += Z[i]
                b += labels[i]
                wrong += 1
            if with_average:
                acc_w += w
                acc_b += b
        history.append(wrong)
        if not wrong:
            break
    return w, b, np.array(history, dtype=np.int64), acc_w, acc_b, n * len(history)


def perceptron(X, y, rng, max_epochs=100, lr=1.0):
    Z, labels = _check(X, y, max_epochs, lr)
    w, b, history, *_ = _epochs(Z, labels, rng, max_epochs, False)
    return lr * w, float(lr * b), history


def averaged_perceptron(X, y, rng, max_epochs=100, lr=1.0):
    Z, labels = _check(X, y, max_epochs, lr)
    _, _, history, acc_w, acc_b, steps = _epochs(Z, labels, rng, max_epochs, True)
    return lr * (acc_w / steps), float(lr * (acc_b / steps)), history
