"""decision_tree: the reference's CART beside scikit-learn's DecisionTreeClassifier.

Both grow the same kind of tree (gini, thresholds at midpoints, the same
stopping parameters); scikit-learn works on a float32 copy of X and draws a
random feature order for its tie-breaking, which costs it nothing measurable.
"""

from __future__ import annotations

import numpy as np

from benchmarks.libraries import Case


def _data(seed=1, n=20_000, d=10, noise=0.1):
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, d))
    s = X[:, 0] + 0.5 * X[:, 1] - X[:, 2] * (X[:, 3] > 0)
    y = np.digitize(s, [-0.5, 0.7]).astype(np.int64)
    flip = g.random(n) < noise
    y[flip] = g.integers(3, size=flip.sum())
    return X, y


def _sklearn_fit(X, y, **kwargs):
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(random_state=0, **kwargs).fit(X, y)


def _predict_setup():
    X, y = _data(seed=2, n=5_000)
    Q = np.random.default_rng(3).normal(size=(400_000, X.shape[1]))
    return X, y, Q


def _reference_predict(ref, X, y, Q, _cache={}):
    tree = _cache.get("tree")
    if tree is None:
        tree = _cache["tree"] = ref.fit_tree(X, y)
    return ref.predict(tree, Q)


def _library_predict(X, y, Q, _cache={}):
    clf = _cache.get("clf")
    if clf is None:
        clf = _cache["clf"] = _sklearn_fit(X, y)
    return clf.predict(Q)


CASES = [
    Case("fit n=20 000, d=10, min_samples_split=200", lambda: _data(),
         lambda ref, X, y: ref.fit_tree(X, y, min_samples_split=200),
         lambda X, y: _sklearn_fit(X, y, min_samples_split=200)),
    Case("fit n=20 000, d=10, fully grown (~5 000 nodes)", lambda: _data(),
         lambda ref, X, y: ref.fit_tree(X, y),
         lambda X, y: _sklearn_fit(X, y)),
    Case("fit n=20 000, d=10, max_depth=8, entropy", lambda: _data(),
         lambda ref, X, y: ref.fit_tree(X, y, max_depth=8, criterion="entropy"),
         lambda X, y: _sklearn_fit(X, y, max_depth=8, criterion="entropy")),
    Case("predict 400 000 points, tree of 5 000 samples", _predict_setup,
         _reference_predict, _library_predict),
]
