"""Bias folded into the weights: each row gets a constant feature 1, so (w, b) is one
vector updated by lr y (x, 1); the visiting order is a loop over numpy indices. The
average is kept as sum of each weight vector times the number of steps it lasted,
added when it changes (O(d) per mistake)."""

import numpy as np


def _validate(X, y, max_epochs, lr):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError("X must have shape (n, d) with n >= 1")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError("y must have shape (n,)")
    if not np.issubdtype(y.dtype, np.number) or not np.isin(y, [-1, 1]).all():
        raise ValueError("labels must be -1 or +1")
    if max_epochs < 1 or not lr > 0:
        raise ValueError("max_epochs must be >= 1 and lr > 0")
    augmented = np.ones((X.shape[0], X.shape[1] + 1))
    augmented[:, :-1] = X
    return augmented, y.astype(np.float64)


def _run(X, y, rng, max_epochs, lr):
    """(weights, mistakes per epoch, sum of the weights over every step, steps)."""
    n = len(X)
    weights = np.zeros(X.shape[1])
    total = np.zeros(X.shape[1])
    last_change = 0          # weights have been what they are since after this many steps
    step = 0
    mistakes = []
    for _ in range(max_epochs):
        errors = 0
        for i in rng.permutation(n):
            if y[i] * np.dot(X[i], weights) <= 0:
                total += weights * (step - last_change)
                last_change = step
                weights += (lr * y[i]) * X[i]
                errors += 1
            step += 1
        mistakes.append(errors)
        if errors == 0:
            break
    total += weights * (step - last_change)
    return weights, np.asarray(mistakes, dtype=np.int64), total, step


def perceptron(X, y, rng, max_epochs=100, lr=1.0):
    X, y = _validate(X, y, max_epochs, lr)
    weights, mistakes, _, _ = _run(X, y, rng, max_epochs, lr)
    return weights[:-1].copy(), float(weights[-1]), mistakes


def averaged_perceptron(X, y, rng, max_epochs=100, lr=1.0):
    X, y = _validate(X, y, max_epochs, lr)
    _, mistakes, total, steps = _run(X, y, rng, max_epochs, lr)
    mean = total / steps
    return mean[:-1].copy(), float(mean[-1]), mistakes
