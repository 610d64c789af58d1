"""linear_svm beside scikit-learn: LinearSVC(loss="hinge", dual=True) and SVC(kernel="linear").

They do not solve quite the same problem. The reference and SVC minimise
0.5 ||w||^2 + C sum hinge with a free intercept. LinearSVC (liblinear's dual
coordinate descent) appends a constant feature and penalises its weight
like the others, which removes the dual's constraint y^T a = 0 and lets it
update one multiplier at a time: a different, easier problem, and the
library a user would reach for first. It runs with its default tolerance
(1e-4 on the projected gradient), far looser than the reference's duality
gap of 1e-10 relative; its max_iter is raised so that it stops on that
tolerance rather than on the iteration cap. SVC (libsvm's SMO) solves the
challenge's problem exactly, with its default tolerance (1e-3 on the
maximal violating pair); it is O(n^2) and is shown at a smaller n.

pegasos is not measured here: no library runs its step sequence, and its
closest relative, SGDClassifier(loss="hinge", learning_rate="optimal"), is
compiled code, while a sequential Python loop over the steps is what the
challenge asks for (its budget is against the reference in the grader).
"""

import warnings

import numpy as np

from benchmarks.libraries import Case


def _data(n, d, seed, sep=1.0):
    g = np.random.default_rng(seed)
    y = np.where(g.random(n) < 0.5, 1, -1)
    direction = g.normal(size=d)
    X = g.normal(size=(n, d)) + 0.5 * sep * y[:, None] * direction / np.linalg.norm(direction)
    return X, y


def _linear_svc(C):
    def fit(X, y):
        from sklearn.svm import LinearSVC
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # ConvergenceWarning, when it comes
            return LinearSVC(loss="hinge", dual=True, C=C, max_iter=100_000).fit(X, y)
    return fit


def _svc(C):
    def fit(X, y):
        from sklearn.svm import SVC
        return SVC(kernel="linear", C=C).fit(X, y)
    return fit


CASES = [
    Case("fit_svm vs LinearSVC (penalised b), 20 000 x 20", lambda: _data(20_000, 20, 1),
         lambda ref, X, y: ref.fit_svm(X, y, 1.0), _linear_svc(1.0)),
    Case("fit_svm vs LinearSVC (penalised b), 100 000 x 10", lambda: _data(100_000, 10, 2),
         lambda ref, X, y: ref.fit_svm(X, y, 1.0), _linear_svc(1.0)),
    Case("fit_svm vs SVC(kernel=linear), 5 000 x 20", lambda: _data(5_000, 20, 3),
         lambda ref, X, y: ref.fit_svm(X, y, 1.0), _svc(1.0)),
]
