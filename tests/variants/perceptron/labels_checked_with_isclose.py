"""Labels are checked with np.isclose(|y|, 1): 0, 2 and 0.5 are refused, but 1 + 1e-9 or -1 + 1e-7 pass
the check and are trained on, where the labels must be exactly -1 or +1."""

import numpy as np

CAUGHT_BY = ('test_labels_must_be_minus_one_or_plus_one',)


def _check(X, y, max_epochs, lr):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError("X must be 2-D with at least one row")
    if y.shape != (X.shape[0],):
        raise ValueError("y must have shape (n,)")
    yf = y.astype(np.float64)
    if not np.all(np.isclose(np.abs(yf), 1.0)):
        raise ValueError("labels must be -1 or +1")
    if not max_epochs >= 1:
        raise ValueError("max_epochs must be >= 1")
    if not lr > 0:
        raise ValueError("lr must be > 0")
    return X.astype(np.float64), yf, int(max_epochs), float(lr)


def _run(X, y, rng, max_epochs, lr, average):
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    sw = np.zeros(d)
    sb = 0.0
    mistakes = []
    for _ in range(max_epochs):
        order = rng.permutation(n)
        count = 0
        for i in order:
            xi = X[i]
            yi = y[i]
            if yi * (xi @ w + b) <= 0:
                step = lr * yi
                w = w + step * xi
                b = b + step
                count += 1
            if average:
                sw += w
                sb += b
        mistakes.append(count)
        if count == 0:
            break
    T = n * len(mistakes)
    m = np.array(mistakes, dtype=np.int64)
    if average:
        return sw / T, float(sb / T), m
    return w, float(b), m


def perceptron(X, y, rng, max_epochs=100, lr=1.0):
    X, y, max_epochs, lr = _check(X, y, max_epochs, lr)
    return _run(X, y, rng, max_epochs, lr, False)


def averaged_perceptron(X, y, rng, max_epochs=100, lr=1.0):
    X, y, max_epochs, lr = _check(X, y, max_epochs, lr)
    return _run(X, y, rng, max_epochs, lr, True)
