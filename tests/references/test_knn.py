"""The knn reference against independent implementations, and the
assumptions the knn grader makes about its own data sets.

Oracles:
- scikit-learn's KNeighborsClassifier(algorithm="brute") on random data
  without ties (its neighbour order among equal distances is not the
  challenge's lower-index rule, so ties are checked against the plain loop);
  for distance weights scikit-learn also lets only exact matches vote when a
  neighbour is at distance 0, and breaks label ties towards the smallest
  class, like the challenge;
- scipy.spatial.distance.cdist("sqeuclidean") for the squared distances;
- a plain loop over queries and training points applying the rules one
  at a time (sorted by (distance, index); votes counted label by label).

scikit-learn and scipy are test-only dependencies.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

sklearn_neighbors = pytest.importorskip("sklearn.neighbors")
scipy_distance = pytest.importorskip("scipy.spatial.distance")

ROOT = Path(__file__).resolve().parents[2]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load("knn_reference", ROOT / "reference" / "knn.py")
grader = _load("knn_grader_data", ROOT / "graders" / "knn.py")


def plain_loop_predict(X, y, Q, k, weights="uniform"):
    """One query, one training point, one label at a time."""
    out = []
    for q in Q:
        dists = []
        for i, x in enumerate(X):
            s = 0.0
            for a, b in zip(x, q):
                s += (float(a) - float(b)) ** 2
            dists.append((s, i))
        dists.sort()                                   # by distance, then by index
        chosen = dists[:k]
        exact = [i for s, i in chosen if s == 0.0]
        totals = {}
        for s, i in chosen:
            if weights == "distance":
                if exact:
                    w = 1.0 if s == 0.0 else 0.0
                else:
                    w = 1.0 / s ** 0.5
            else:
                w = 1.0
            totals[y[i]] = totals.get(y[i], 0.0) + w
        best = max(totals.values())
        out.append(min(label for label, t in totals.items() if t == best))
    return np.array(out, dtype=np.asarray(y).dtype)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pairwise_matches_cdist(seed):
    g = np.random.default_rng(seed)
    A = g.normal(size=(70, 6)) * 2 + 1
    B = g.normal(size=(40, 6))
    expected = scipy_distance.cdist(A, B, "sqeuclidean")
    got = ref.pairwise_sq_dists(A, B)
    assert got.shape == (70, 40) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * expected.max())


def test_pairwise_far_from_origin_relative_1e8_and_uncentred_fails():
    A, B = grader.far_cluster(21, n=300, m=100)
    exact = grader.exact_sq_dists(A, B)
    np.testing.assert_allclose(scipy_distance.cdist(A, B, "sqeuclidean"), exact, rtol=1e-12)
    got = ref.pairwise_sq_dists(A, B)
    assert np.max(np.abs(got - exact) / exact) < 1e-12
    naive = (A * A).sum(1)[:, None] - 2 * A @ B.T + (B * B).sum(1)[None, :]
    assert np.max(np.abs(naive - exact) / exact) > 1e-3          # the trap is real at this size
    assert exact.min() > 1e-8                                      # no near-duplicate pair: relative error is meaningful


@pytest.mark.parametrize("k", [1, 4, 7, 15])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_predict_matches_sklearn(k, weights):
    X, y = grader.blobs(41, n=150, d=3, classes=4)
    Q, _ = grader.blobs(42, n=60, d=3, classes=4)
    clf = sklearn_neighbors.KNeighborsClassifier(n_neighbors=k, weights=weights, algorithm="brute").fit(X, y)
    np.testing.assert_array_equal(ref.knn_predict(X, y, Q, k, weights=weights), clf.predict(Q))


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_predict_string_labels_matches_sklearn(weights):
    X, y = grader.blobs(51, n=100, d=2, classes=3)
    Q, _ = grader.blobs(52, n=30, d=2, classes=3)
    ys = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = sklearn_neighbors.KNeighborsClassifier(n_neighbors=5, weights=weights, algorithm="brute").fit(X, ys)
    got = ref.knn_predict(X, ys, Q, 5, weights=weights)
    assert got.dtype.kind == "U"
    np.testing.assert_array_equal(got, clf.predict(Q))


def test_exact_match_rule_matches_sklearn():
    g = np.random.default_rng(81)
    P = g.normal(size=(40, 5)) * 2.0 + 3.0
    P[[7, 19, 33]] = P[7]
    labels = g.integers(0, 3, size=40)
    labels[[7, 19, 33]] = [2, 1, 2]
    clf = sklearn_neighbors.KNeighborsClassifier(n_neighbors=6, weights="distance", algorithm="brute").fit(P, labels)
    assert clf.predict(P[[19]])[0] == 2
    assert ref.knn_predict(P, labels, P[[19]], 6, weights="distance")[0] == 2


def test_tie_data_matches_plain_loop_and_is_exact():
    X, y, Q, expected5, nearest = grader.tie_groups(71)
    assert np.all(X == np.round(X)) and np.all(X.sum(axis=0) == 0) and np.all(Q.sum(axis=0) == 0)
    np.testing.assert_array_equal(plain_loop_predict(X, y, Q, 5), expected5)
    np.testing.assert_array_equal(ref.knn_predict(X, y, Q, 5), expected5)
    ids = np.arange(len(X))
    np.testing.assert_array_equal(ref.knn_predict(X, ids, Q, 1), nearest)
    np.testing.assert_array_equal(plain_loop_predict(X, ids, Q, 1), nearest)
    # The data really has ties at the k-th place, so an arbitrary choice among them changes the vote.
    d2 = np.array([np.sum((X - q) ** 2, axis=1) for q in Q])
    assert np.all(np.sum(d2 == 4, axis=1) == 30) and np.all(np.sum(d2 == 1, axis=1) == 2)


@pytest.mark.parametrize("k, weights", [(1, "uniform"), (4, "uniform"), (7, "distance"), (25, "distance")])
def test_predict_matches_plain_loop(k, weights):
    X, y = grader.blobs(91, n=25, d=2, classes=3)
    Q, _ = grader.blobs(92, n=10, d=2, classes=3)
    np.testing.assert_array_equal(ref.knn_predict(X, y, Q, k, weights=weights),
                                  plain_loop_predict(X, y, Q, k, weights))
    np.testing.assert_array_equal(grader.brute_predict(X, y, Q, k, weights), plain_loop_predict(X, y, Q, k, weights))


def test_random_data_sets_have_clear_margins():
    """The grader's random data sets decide neighbours and votes by clear margins."""
    for (X, y), (Q, _), ks in ((grader.blobs(41, n=150, d=3, classes=4), grader.blobs(42, n=60, d=3, classes=4),
                                (1, 4, 7, 15)),
                               (grader.blobs(43, n=120, d=6, classes=3, spread=2.5),
                                grader.blobs(44, n=40, d=6, classes=3, spread=2.5), (1, 4, 7, 15))):
        d2 = grader.exact_sq_dists(Q, X)
        srt = np.sort(d2, axis=1)
        for k in ks:
            gap = (srt[:, k] - srt[:, k - 1]) / srt[:, k]
            assert gap.min() > 1e-9, k                           # far above rounding (~1e-15)
    X, Q = grader.far_cluster(121, n=400, m=120)
    srt = np.sort(grader.exact_sq_dists(Q, X), axis=1)
    assert ((srt[:, 1] - srt[:, 0]) / srt[:, 1]).min() > 1e-9
    assert ((srt[:, 5] - srt[:, 4]) / srt[:, 5]).min() > 1e-9


@pytest.mark.parametrize("seed, shape", [(seed, grader.TIME_SHAPE) for seed in grader.TIME_SEEDS]
                         + [(grader.MEMORY_SEED, grader.MEMORY_SHAPE)])
def test_timed_data_sets_have_clear_margins(seed, shape):
    """The timed and memory-measured data sets: for every query, the k-th and the
    (k+1)-th nearest training points are apart by more than 1e-9 of the k-th squared
    distance, far above the rounding of any distance formula (the squared norms
    bound it, see the grader's docstring); so equal predictions can be required."""
    X, _, Q = grader.big_problem(seed, **shape)
    k = grader.K
    d2 = grader.exact_sq_dists(Q, X)                             # from coordinate differences
    two = np.partition(d2, [k - 1, k], axis=1)[:, k - 1:k + 1]
    assert ((two[:, 1] - two[:, 0]) / two[:, 0]).min() > 1e-9
    eps = np.finfo(np.float64).eps
    worst_rounding = (shape["d"] + 3) * eps * ((X * X).sum(axis=1).max() + (Q * Q).sum(axis=1).max())
    assert worst_rounding < 1e-12 * two[:, 0].min()


def test_invalid_arguments():
    X = np.zeros((10, 2))
    y = np.arange(10)
    for k in (0, -1, 11):
        with pytest.raises(ValueError):
            ref.knn_predict(X, y, X, k)
    with pytest.raises(ValueError):
        ref.knn_predict(X, y, X, 3, weights="inverse")
