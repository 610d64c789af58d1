"""linreg beside scikit-learn: LinearRegression (centring, then scipy's lstsq)
and Ridge (alpha = l2; its default solver uses the normal equations with
Cholesky on dense data), on the same centred problem with an intercept."""

import numpy as np

from benchmarks.libraries import Case


def _data(n, d, seed, cond=None):
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, d))
    if cond is not None:                            # columns scaled down to 1/cond: ill-conditioned
        X = X * np.logspace(0, -np.log10(cond), d)
    X += g.normal(size=d)
    return X, X @ g.normal(size=d) + 2.0 + 0.1 * g.normal(size=n)


def _linear_regression(X, y):
    from sklearn.linear_model import LinearRegression
    return LinearRegression().fit(X, y)


def _ridge(l2):
    def fit(X, y):
        from sklearn.linear_model import Ridge
        return Ridge(alpha=l2).fit(X, y)
    return fit


CASES = [
    Case("least squares, X (200 000, 50)", lambda: _data(200_000, 50, 1),
         lambda ref, X, y: ref.fit_linear(X, y), _linear_regression),
    Case("least squares, X (200 000, 50), cond 1e8", lambda: _data(200_000, 50, 2, cond=1e8),
         lambda ref, X, y: ref.fit_linear(X, y), _linear_regression),
    Case("ridge l2=1, X (200 000, 50)", lambda: _data(200_000, 50, 3),
         lambda ref, X, y: ref.fit_linear(X, y, l2=1.0), _ridge(1.0)),
    Case("ridge l2=10, X (20 000, 200)", lambda: _data(20_000, 200, 4),
         lambda ref, X, y: ref.fit_linear(X, y, l2=10.0), _ridge(10.0)),
]
