"""Stops after an epoch that left (w, b) unchanged, instead of after an epoch with no mistake:
an epoch whose updates cancel out (one point with both labels) made mistakes, and the run must
go on; this one stops after it, with a last entry that is not 0.
"""

CAUGHT_BY = ('test_stops_after_a_mistake_free_epoch',)


import numpy as np

# The rows are gathered in the epoch's order a chunk at a time: a chunk of
# 256 rows stays in the CPU cache while its margins are computed (some more
# than once), where a copy of all n rows would not.
CHUNK = 256
# The first block; after a mistake, twice the gap before it plus this.
MIN_BLOCK = 8


def _checked_inputs(X, y, max_epochs, lr):
    """X as an (n, d) array and y as a float64 array, or ValueError."""
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
    return X, y.astype(np.float64)


def _signed_rows(X, labels):
    """Z with rows z_i = y_i (x_i, 1), in float64 whatever the dtype of X (a new array: X is never written)."""
    n, d = X.shape
    Z = np.empty((n, d + 1))
    Z[:, :d] = X                          # converted to float64 before any product
    Z[:, d] = 1.0
    Z *= labels[:, None]
    return Z


def _train(X, labels, rng, max_epochs, lr, average):
    """The perceptron's run: ((w, b) as one vector, mistakes per epoch, u for the average, steps)."""
    n, d = X.shape
    Z = _signed_rows(X, labels)           # the margin y_i (w.x_i + b) is z_i.(w, b)
    updates = float(lr) * Z               # row i: the update lr y_i (x_i, 1), rounded as (lr y_i) x_i is
    wb = np.zeros(d + 1)                  # (w, b)
    u = np.zeros(d + 1)
    step = 0                              # steps of the epochs before this one
    block = MIN_BLOCK
    mistakes = []
    for _ in range(max_epochs):
        wb_start = wb.copy()
        order = rng.permutation(n)
        updated = []                      # the steps of this epoch (0-based) that updated
        for start in range(0, n, CHUNK):
            rows = order[start:start + CHUNK]
            Zc = np.take(Z, rows, axis=0)   # this chunk's z_i, in the epoch's order
            rows = rows.tolist()
            pos = 0                       # the next step, within the chunk
            while pos < len(rows):
                # The margins of the next `block` steps under the current (w, b) are
                # right up to the first mistake among them (a margin of 0 is one too).
                first = pos
                for margin in Zc[pos:pos + block].dot(wb).tolist():
                    if margin <= 0:
                        break
                    first += 1
                else:                     # no mistake: every one of them was right
                    pos = first
                    block = min(2 * block, CHUNK)
                    continue
                wb += updates[rows[first]]
                updated.append(start + first)
                block = 2 * (first - pos) + MIN_BLOCK
                pos = first + 1
        if average:                       # each update times the number of steps before it
            at = np.array(updated, dtype=np.int64)
            u += (step + at).astype(np.float64) @ updates[order[at]]
        step += n
        mistakes.append(len(updated))
        if np.array_equal(wb, wb_start):
            break
    return wb, np.array(mistakes, dtype=np.int64), u, step


def perceptron(X, y, rng, max_epochs=100, lr=1.0):
    """(w, b, mistakes_per_epoch): the perceptron from w = 0, b = 0; labels -1/+1."""
    X, labels = _checked_inputs(X, y, max_epochs, lr)
    wb, mistakes, _, _ = _train(X, labels, rng, max_epochs, lr, average=False)
    return wb[:-1].copy(), float(wb[-1]), mistakes


def averaged_perceptron(X, y, rng, max_epochs=100, lr=1.0):
    """(w_avg, b_avg, mistakes_per_epoch): the mean of (w, b) after every step of every epoch."""
    X, labels = _checked_inputs(X, y, max_epochs, lr)
    wb, mistakes, u, steps = _train(X, labels, rng, max_epochs, lr, average=True)
    average = wb - u / steps
    return average[:-1].copy(), float(average[-1]), mistakes
