"""logreg: the reference beside scikit-learn's LogisticRegression and scipy's expit.

The fit cases solve the same problem to a comparable precision: the
reference's Newton iterations stop when every gradient entry of the summed
objective is at most tol * n (tol = 1e-8); scikit-learn's newton-cholesky
solver (also Newton's method on the same objective, C = 1 / l2) stops on a
gradient tolerance of 1e-8 too; lbfgs, the default solver, with tol = 1e-8.
Both reach the same minimiser (tests/references/test_logreg.py).
"""

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from benchmarks.libraries import Case


def _fit_data(n, d, seed=7):
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, d))
    w = g.normal(size=d) * (1.5 / np.sqrt(d))
    y = (g.random(n) < expit(X @ w + 0.3)).astype(np.int64)
    return X, y


def _sklearn(solver):
    def fit(X, y):
        LogisticRegression(C=1.0, tol=1e-8, solver=solver, max_iter=1000).fit(X, y)
    return fit


def _z():
    return (np.random.default_rng(8).normal(size=8_000_000) * 10.0,)


CASES = [
    Case("fit_logistic n=100000 d=40 vs newton-cholesky", lambda: _fit_data(100_000, 40),
         lambda ref, X, y: ref.fit_logistic(X, y, l2=1.0), _sklearn("newton-cholesky")),
    Case("fit_logistic n=100000 d=40 vs lbfgs", lambda: _fit_data(100_000, 40),
         lambda ref, X, y: ref.fit_logistic(X, y, l2=1.0), _sklearn("lbfgs")),
    Case("sigmoid 8e6 float64 vs scipy.special.expit", _z,
         lambda ref, z: ref.sigmoid(z), lambda z: expit(z)),
]
