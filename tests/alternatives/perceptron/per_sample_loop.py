"""The straightforward per-sample loop, as most candidates write it: one dot product per step,
X[i] and y[i] indexed one sample at a time (numpy scalars), the update as w = w + ..., and the
average as a running sum of (w, b) after every step. O(d) work per step."""

import numpy as np


def _validate(X, y, max_epochs, lr):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError("X must have shape (n, d) with n >= 1")
    if y.shape != (X.shape[0],):
        raise ValueError("y must have shape (n,)")
    if y.dtype.kind not in "iuf" or not np.all((y == 1) | (y == -1)):
        raise ValueError("labels must be -1 or +1")
    if max_epochs < 1:
        raise ValueError("max_epochs must be at least 1")
    if not lr > 0:
        raise ValueError("lr must be positive")
    return X, y.astype(np.float64)


def _fit(X, y, rng, max_epochs, lr, keep_sum):
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    sum_w = np.zeros(d)
    sum_b = 0.0
    mistakes = []
    for _ in range(max_epochs):
        errors = 0
        for i in rng.permutation(n):
            if y[i] * (X[i] @ w + b) <= 0:
                w = w + lr * y[i] * X[i]
                b = b + lr * y[i]
                errors += 1
            if keep_sum:
                sum_w += w
                sum_b += b
        mistakes.append(errors)
        if errors == 0:
            break
    return w, float(b), np.array(mistakes), sum_w, float(sum_b), n * len(mistakes)


def perceptron(X, y, rng, max_epochs=100, lr=1.0):
    X, y = _validate(X, y, max_epochs, lr)
    w, b, mistakes, *_ = _fit(X, y, rng, max_epochs, lr, keep_sum=False)
    return w, b, mistakes


def averaged_perceptron(X, y, rng, max_epochs=100, lr=1.0):
    X, y = _validate(X, y, max_epochs, lr)
    _, _, mistakes, sum_w, sum_b, steps = _fit(X, y, rng, max_epochs, lr, keep_sum=True)
    return sum_w / steps, sum_b / steps, mistakes
