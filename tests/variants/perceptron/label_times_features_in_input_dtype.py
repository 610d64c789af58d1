"""Keeps X and y in their own dtypes and updates with w += y_i * x_i * lr: for int8 features and labels
the product y_i * x_i is computed in int8, where -1 * -128 wraps around to -128; for float32 labels
b += lr * y_i is computed in float32 (lr = 0.1 becomes float32's 0.1).
"""

import numpy as np

CAUGHT_BY = ('test_label_dtypes_accepted', 'test_small_integer_dtypes_do_not_wrap')


def _checked_inputs(X, y, max_epochs, lr):
    """X as a float64 (n, d) array and y as a list of floats, or ValueError."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must be a 2-D array (n, d) with n >= 1, got shape {X.shape}")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if y.dtype.kind not in "iuf" or not np.all((y == 1) | (y == -1)):
        raise ValueError("y must contain only the labels -1 and +1")
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be at least 1, got {max_epochs}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    # astype copies, so nothing below can write into the caller's X.
    return X, y


def _train(X, labels, rng, max_epochs, lr, average):
    """The perceptron's run: (w, b, mistakes per epoch, (u_w, u_b, steps) for the average)."""
    n, d = X.shape
    lr = float(lr)
    w = np.zeros(d)
    b = 0.0
    u_w = np.zeros(d) if average else None
    u_b = 0.0
    step = 0                      # steps done so far, over all epochs
    mistakes = []
    for _ in range(max_epochs):
        count = 0
        for i in rng.permutation(n).tolist():
            x_i = X[i]
            y_i = labels[i]
            if y_i * (x_i @ w + b) <= 0:          # a zero margin is a mistake too
                delta = lr * y_i
                w += y_i * x_i * lr
                b += delta
                count += 1
                if average:
                    # This update is step + 1 (1-based); it counts in every later w_t.
                    u_w += (step * delta) * x_i
                    u_b += step * delta
            step += 1
        mistakes.append(count)
        if count == 0:
            break
    return w, b, np.array(mistakes, dtype=np.int64), (u_w, u_b, step)


def perceptron(X, y, rng, max_epochs=100, lr=1.0):
    """(w, b, mistakes_per_epoch): the perceptron from w = 0, b = 0; labels -1/+1."""
    X, labels = _checked_inputs(X, y, max_epochs, lr)
    w, b, mistakes, _ = _train(X, labels, rng, max_epochs, lr, average=False)
    return w, float(b), mistakes


def averaged_perceptron(X, y, rng, max_epochs=100, lr=1.0):
    """(w_avg, b_avg, mistakes_per_epoch): the mean of (w, b) after every step of every epoch."""
    X, labels = _checked_inputs(X, y, max_epochs, lr)
    w, b, mistakes, (u_w, u_b, steps) = _train(X, labels, rng, max_epochs, lr, average=True)
    return w - u_w / steps, float(b - u_b / steps), mistakes
