"""perceptron beside scikit-learn's Perceptron (and SGDClassifier(loss="perceptron",
average=True) for the averaged perceptron), for the same number of epochs.

The data have 10% of their labels flipped, so no epoch is mistake-free: the
reference runs all `max_epochs` epochs, and scikit-learn runs `max_iter` of
them (tol=None: no early stop), both shuffling the samples at every epoch and
applying the same update (w += y x, b += y where y (w.x + b) <= 0). The
perceptron is sequential over the samples: the reference's step is a Python
iteration with one dot product (~1 us of interpreter work), scikit-learn's a
compiled loop (tens of ns). So the ratio depends on d: the Python overhead
per step dominates at small d and is amortised at large d.
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
