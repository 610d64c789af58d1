"""perceptron beside scikit-learn's Perceptron (and SGDClassifier(loss="perceptron",
average=True) for the averaged perceptron), for the same number of epochs.

The data have 10% of their labels flipped, so no epoch is mistake-free: the
reference runs all `max_epochs` epochs, and scikit-learn runs `max_iter` of
them (tol=None: no early stop), both shuffling the samples at every epoch and
applying the same update (w += y x, b += y where y (w.x + b) <= 0). About 26%
of the steps are mistakes at n=3000, d=200 and at n=20 000, d=20.

The perceptron is sequential over the samples. scikit-learn's step is a
compiled loop (~60 ns at d=20, ~200 ns at d=200). The reference computes the
margins of the next samples with one matrix-vector product and jumps to the
first mistake: its Python work is per mistake, about 1.7 us (the product,
then the update, numpy calls that each depend on the one before, and the
bookkeeping), plus the O(d) work of the products. So the ratio follows the
mistakes per step and falls as d grows: 2.6-2.9x at the graded size, 1.1x at
d=2000, 1.9-2.0x for the averaged perceptron (the per-sample loop: 4.1-4.5x,
1.2x and 3.3-3.5x).

n=20 000, d=20 stays above 3x, at about 7x (the per-sample loop: 12-13x):
its ~52 000 mistakes in 10 epochs take the reference ~90 ms, where
scikit-learn's whole run takes ~13 ms. Two dependent numpy calls per mistake
(>= 0.35 us each) alone come to ~37 ms, about 3x, before any slicing,
bookkeeping or arithmetic. Resolving the mistakes of a block together (its
Gram matrix, and the block's decisions by fixed-point iteration) needs
several iterations per block and measured 96 ms or more.
"""

import warnings

import numpy as np

from benchmarks.libraries import Case


def _data(n, d, seed):
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, d))
    y = np.where(X @ g.normal(size=d) + 0.5 > 0, 1, -1)
    y[g.random(n) < 0.1] *= -1
    return X, y


def _perceptron(epochs):
    def fit(X, y):
        from sklearn.linear_model import Perceptron
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")            # ConvergenceWarning: the epochs are fixed on purpose
            return Perceptron(max_iter=epochs, tol=None, shuffle=True, random_state=0).fit(X, y)
    return fit


def _averaged(epochs):
    def fit(X, y):
        from sklearn.linear_model import SGDClassifier
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return SGDClassifier(loss="perceptron", learning_rate="constant", eta0=1.0, penalty=None, average=True,
                                 max_iter=epochs, tol=None, shuffle=True, random_state=0).fit(X, y)
    return fit


def _reference(name, epochs):
    def run(ref, X, y):
        return getattr(ref, name)(X, y, np.random.default_rng(0), max_epochs=epochs)
    return run


CASES = [
    Case("perceptron, n=3000, d=200, 20 epochs (graded)", lambda: _data(3000, 200, 1),
         _reference("perceptron", 20), _perceptron(20)),
    Case("perceptron, n=20 000, d=20, 10 epochs", lambda: _data(20_000, 20, 2),
         _reference("perceptron", 10), _perceptron(10)),
    Case("perceptron, n=2000, d=2000, 10 epochs", lambda: _data(2000, 2000, 3),
         _reference("perceptron", 10), _perceptron(10)),
    Case("averaged, n=3000, d=200, 20 epochs (graded)", lambda: _data(3000, 200, 4),
         _reference("averaged_perceptron", 20), _averaged(20)),
]
