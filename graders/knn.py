"""Hidden grader for the knn challenge.

Oracles. Exact squared distances are computed here from coordinate
differences, ((a - b) ** 2).sum(): relative error at most about d * eps
(~1e-15), with no cancellation whatever the offset of the data, and exactly
0 for equal points. The brute-force classifier below applies the challenge's
rules one query at a time from those distances (neighbours ordered by
(distance, training index); votes counted label by label). Predictions are
also compared with the reference's.

Tolerances. Any correct way of computing squared distances (differences,
or the expansion ||a||^2 - 2 a.b + ||b||^2 on data centred at a point c
inside the data) has an absolute error of at most about
(d + 3) * eps * (||a - c||^2 + ||b - c||^2) <= ~1e-14 * (largest squared
distance) on the data sets used here. The agreement tests allow 1e-10 times
the largest squared distance; a wrong formula is off by O(1) of it.
Far from the origin (spread 1e-3, offset 1e4, d = 8) the uncentred expansion
cancels ||a||^2 ~ 8e8 against itself: its error is ~ulp(8e8) ~ 1e-7, while
the squared distances are ~1e-5 and the smallest ~1e-7. The centred
expansion's error is ~1e-16 * 1e-5 = 1e-21. The stability test requires a
relative 1e-8 per entry, six orders above the one and five below the other.

Exact ties. Tie rules are tested on small integer coordinates placed
symmetrically about the origin (so the mean of the training set, of the
queries and of both is exactly 0): every distance formula, centred at a mean,
at a data point or not at all, is then exact, and equal distances come out
equal. Predictions on random data are decided by clear margins (checked for
these seeds in tests/references/test_knn.py).

Timed data sets. Every timed run gets its own data set (`big_problem`, a
fresh seed per run) and every timed or memory-measured result is checked:
predictions identical to the reference's (uniform votes are integer
counts, so only the choice of neighbours could differ), squared distances
against the exact ones as in the agreement tests (1e-10 of the largest).
With the centres N(0, 4) per coordinate, every squared norm is below ~550,
so even the uncentred expansion rounds a squared distance by at most
(d + 3) * eps * (||a||^2 + ||b||^2) ~ 67 * 2.2e-16 * 1100 ~ 1.6e-11 (d = 64;
5e-12 for d = 32), below 1e-12 of the k-th smallest squared distance (above
~70 for d = 64, ~17 for d = 32), while the gap between the k-th and the
(k+1)-th nearest training point of every query is above 1e-9 of it: every
correct solution picks the same neighbours. tests/references/test_knn.py
checks both inequalities for these seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.grading import Call, checks

EPS = np.finfo(np.float64).eps
AGREEMENT_RTOL_OF_MAX = 1e-10   # see the module docstring
FAR_RTOL = 1e-8                 # stated in the description


# -- oracles ----------------------------------------------------------------------------------

def exact_sq_dists(A, B):
    """(len(A), len(B)) squared distances from coordinate differences, row by row."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    return np.array([((B - a) ** 2).sum(axis=1) for a in A]).reshape(len(A), len(B))


def brute_neighbours(X, q, k):
    """Indices of the k nearest training points of q: by distance, then by index."""
    d2 = ((X - q) ** 2).sum(axis=1)
    return np.lexsort((np.arange(len(X)), d2))[:k], d2


def brute_predict(X, y, Q, k, weights="uniform"):
    """The challenge's rules written out one query and one label at a time."""
    X = np.asarray(X, dtype=np.float64)
    out = []
    for q in np.asarray(Q, dtype=np.float64):
        idx, d2 = brute_neighbours(X, q, k)
        dist = np.sqrt(d2[idx])
        if weights == "distance" and np.any(dist == 0):
            votes = [(y[i], 1.0) for i, d in zip(idx, dist) if d == 0]
        elif weights == "distance":
            votes = [(y[i], 1.0 / d) for i, d in zip(idx, dist)]
        else:
            votes = [(y[i], 1.0) for i in idx]
        total = {}
        for label, w in votes:
            total[label] = total.get(label, 0.0) + w
        best = None
        for label in sorted(total):          # ascending: a tie keeps the smallest label
            if best is None or total[label] > total[best]:
                best = label
        out.append(best)
    return np.array(out, dtype=np.asarray(y).dtype)


def check_predictions(got, expected, *, given):
    checks.that(isinstance(got, np.ndarray),
                f"knn_predict should return a numpy array for {given}, got {checks.show(got)}")
    checks.shape(got, expected.shape, what="predictions", given=given)
    checks.that(got.dtype.kind == expected.dtype.kind or (got.dtype.kind in "iu" and expected.dtype.kind in "iu"),
                f"predictions for {given} should have the labels' dtype ({expected.dtype}), got {got.dtype}")
    checks.equal(got, expected, what="predictions", given=given)


def check_pairwise(got, A, B, *, given):
    """pairwise_sq_dists(A, B): shape (len(A), len(B)), float64, within 1e-10 of the largest of the exact values."""
    expected = exact_sq_dists(A, B)
    got = checks.shape(got, expected.shape, what="pairwise_sq_dists(A, B)", given=given)
    checks.dtype(got, np.float64, what="pairwise_sq_dists(A, B)", given=given)
    checks.close(got, expected, atol=AGREEMENT_RTOL_OF_MAX * expected.max(), what="squared distances", given=given)


# -- data ---------------------------------------------------------------------------------------

def blobs(seed, n, d, classes, spread=1.5, offset=0.0):
    """n points around `classes` centres in [-4, 4]^d (plus offset), labels 0..classes-1."""
    g = np.random.default_rng(seed)
    centres = g.uniform(-4, 4, size=(classes, d))
    y = g.integers(classes, size=n)
    return centres[y] + spread * g.normal(size=(n, d)) + offset, y.astype(np.int64)


def far_cluster(seed, n, m, d=8, spread=1e-3, offset=1e4):
    """Training and query points with coordinates offset + N(0, spread^2)."""
    g = np.random.default_rng(seed)
    return offset + spread * g.normal(size=(n, d)), offset + spread * g.normal(size=(m, d))


def tie_groups(seed, groups=6):
    """Integer data made of well-separated groups, each with a tie at the k-th place (k = 5).

    Group g sits at c = 1000 * (g + 1) * e_1 and its mirror image at -c. Around
    each centre: 2 points at squared distance 1 (the sure neighbours) and 30
    points at squared distance 4 (the tie: 3 of them are neighbours). The
    whole set is shuffled; then in every group the 3 lowest-indexed tie points
    get label 9 and all the others label 1, so the correct vote is 3 to 2 for
    label 9, and any other choice among the tied points makes label 1 win.
    Returns X (int coordinates as float64), y, the queries (the centres), and
    the expected predictions for k = 5, and for k = 1 the index of the nearest
    point (the lowest-indexed of the two at distance 1).
    """
    g = np.random.default_rng(seed)
    d = 4
    eye = np.eye(d)
    ring = np.vstack([2 * eye, -2 * eye, [[1, 1, 1, 1], [-1, -1, -1, -1], [1, -1, 1, -1], [-1, 1, -1, 1]]])
    near = np.array([eye[1], -eye[1]])                                # squared distance 1
    points, group_of, kind = [], [], []
    centres = []
    for gi in range(groups):
        tied = ring[g.integers(len(ring), size=30)]                  # squared distance 4
        tied[: len(ring)] = ring                                     # every ring point at least once
        for sign in (1, -1):                                         # the mirror group: the set is symmetric
            c = np.zeros(d)
            c[0] = 1000 * (gi + 1)
            centres.append(sign * c)
            for p in near:
                points.append(sign * (c + p)); group_of.append(len(centres) - 1); kind.append("near")
            for p in tied:
                points.append(sign * (c + p)); group_of.append(len(centres) - 1); kind.append("tie")
    points = np.array(points)
    group_of = np.array(group_of)
    kind = np.array(kind)
    order = g.permutation(len(points))
    X, group_of, kind = points[order], group_of[order], kind[order]
    y = np.ones(len(X), dtype=np.int64)
    nearest = []
    for gi in range(len(centres)):
        tied_idx = np.flatnonzero((group_of == gi) & (kind == "tie"))
        y[tied_idx[:3]] = 9
        nearest.append(np.flatnonzero((group_of == gi) & (kind == "near"))[0])
    return X, y, np.array(centres), np.full(len(centres), 9, dtype=np.int64), np.array(nearest)


# -- pairwise_sq_dists ---------------------------------------------------------------------------

@pytest.mark.correctness
def test_pairwise_matches_exact_distances(solution):
    """pairwise_sq_dists agrees with exact squared distances, shape (len(A), len(B))"""
    g = np.random.default_rng(11)
    cases = [
        ("A (60, 5) and B (45, 5) standard normal", g.normal(size=(60, 5)), g.normal(size=(45, 5))),
        ("A (30, 3) around (2, -1, 5), B (7, 3)", g.normal(size=(30, 3)) * 3 + [2, -1, 5], g.normal(size=(7, 3)) * 3),
        ("A (1, 4) and B (20, 4)", g.normal(size=(1, 4)), g.normal(size=(20, 4))),
        ("integer A (12, 2) and B (9, 2)", g.integers(-5, 6, size=(12, 2)), g.integers(-5, 6, size=(9, 2))),
    ]
    for given, A, B in cases:
        check_pairwise(solution.pairwise_sq_dists(A, B), A, B, given=given)


@pytest.mark.stability
def test_pairwise_precise_far_from_origin(solution):
    """Spread 1e-3 shifted by 1e4: squared distances to a relative 1e-8 (centre the data first)"""
    A, B = far_cluster(21, n=300, m=100)
    given = "A (300, 8) and B (100, 8) with coordinates 1e4 + N(0, (1e-3)^2)"
    expected = exact_sq_dists(A, B)
    got = checks.shape(solution.pairwise_sq_dists(A, B), expected.shape, what="pairwise_sq_dists(A, B)",
                       given=given)
    got = np.asarray(got, dtype=np.float64)
    rel = np.abs(got - expected) / expected
    worst = np.unravel_index(int(np.argmax(rel)), rel.shape)
    checks.that(
        rel.max() <= FAR_RTOL,
        f"squared distances for {given} are off by up to a relative {rel.max():.3g} (allowed {FAR_RTOL:g}): "
        f"at {tuple(int(i) for i in worst)} expected {expected[worst]:.10g}, got {got[worst]:.10g}. "
        f"||a||^2 - 2 a.b + ||b||^2 on raw coordinates cancels terms of size ~8e8 (rounding ~1e-7) to get "
        f"distances of ~1e-5: subtract a common centre (e.g. the mean of A) from A and B first.")


@pytest.mark.stability
def test_pairwise_never_negative(solution):
    """Squared distances are never negative, also between equal points"""
    g = np.random.default_rng(31)
    P = g.normal(size=(200, 16)) * 3.0 + 0.5
    far_a, _ = far_cluster(32, n=100, m=1)
    for given, A, B in (("A = B = 200 standard-ish normal points in 16-D", P, P),
                        ("A = B = 100 points at 1e4 + N(0, (1e-3)^2) in 8-D", far_a, far_a),
                        ("A = the 200 points, B = the same points in reverse order", P, P[::-1])):
        got = np.asarray(solution.pairwise_sq_dists(A, B), dtype=np.float64)
        checks.that(got.shape == (len(A), len(B)),
                    f"pairwise_sq_dists for {given} should have shape {(len(A), len(B))}, got {got.shape}")
        negative = np.argwhere(got < 0)
        checks.that(len(negative) == 0,
                    f"pairwise_sq_dists for {given} returned {len(negative)} negative values, e.g. "
                    f"{got[tuple(negative[0])] if len(negative) else 0:.3g} at {tuple(int(i) for i in negative[0]) if len(negative) else ()}: "
                    f"rounding in the ||a||^2 - 2 a.b + ||b||^2 expansion can go below 0 for equal points; "
                    f"clip at 0 (np.maximum(D, 0)).")
        scale = exact_sq_dists(A, B).max()
        diag = np.diag(got) if B is A else np.diag(got[:, ::-1])
        checks.close(diag, np.zeros(len(A)), atol=AGREEMENT_RTOL_OF_MAX * scale,
                     what="squared distances between equal points", given=given)


# -- knn_predict: agreement ------------------------------------------------------------------------

@pytest.mark.correctness
def test_predict_agrees_with_brute_force_and_reference(solution, reference):
    """Predictions agree with brute force and with the reference (uniform and distance weights)"""
    X, y = blobs(41, n=150, d=3, classes=4)
    Q, _ = blobs(42, n=60, d=3, classes=4)
    X5, y5 = blobs(43, n=120, d=6, classes=3, spread=2.5)
    Q5, _ = blobs(44, n=40, d=6, classes=3, spread=2.5)
    for Xt, yt, Xq, desc in ((X, y, Q, "4 overlapping blobs, 150 training and 60 query points in 3-D"),
                             (X5, y5, Q5, "3 blobs, 120 training and 40 query points in 6-D")):
        for k in (1, 4, 7, 15):
            for weights in ("uniform", "distance"):
                given = f"{desc}, k={k}, weights={weights!r}"
                expected = brute_predict(Xt, yt, Xq, k, weights)
                check_predictions(reference.knn_predict(Xt, yt, Xq, k, weights=weights), expected,
                                  given="the REFERENCE on " + given)
                check_predictions(solution.knn_predict(Xt, yt, Xq, k, weights=weights), expected, given=given)


@pytest.mark.correctness
def test_string_labels(solution):
    """String labels work and come back as strings"""
    X, y = blobs(51, n=100, d=2, classes=3)
    Q, _ = blobs(52, n=30, d=2, classes=3)
    names = np.array(["setosa", "versicolor", "virginica"])
    ys = names[y]
    for k, weights in ((1, "uniform"), (5, "uniform"), (6, "distance")):
        given = f"3 blobs in 2-D labelled 'setosa', 'versicolor', 'virginica', k={k}, weights={weights!r}"
        check_predictions(solution.knn_predict(X, ys, Q, k, weights=weights), brute_predict(X, ys, Q, k, weights),
                          given=given)


@pytest.mark.correctness
def test_negative_integer_labels(solution):
    """Negative integer labels (-1 / +1) work"""
    X, y = blobs(61, n=80, d=2, classes=2)
    Q, _ = blobs(62, n=25, d=2, classes=2)
    ypm = (2 * y - 1).astype(np.int64)
    for k in (1, 4, 5):
        given = f"2 blobs in 2-D labelled -1 and +1, k={k}"
        check_predictions(solution.knn_predict(X, ypm, Q, k), brute_predict(X, ypm, Q, k), given=given)


# -- knn_predict: the rules ------------------------------------------------------------------------

@pytest.mark.edge_case
def test_equal_distances_go_to_lower_training_index(solution):
    """Equal distances are broken by the lower training index"""
    X, y, Q, expected5, nearest = tie_groups(71)
    given = ("12 groups of integer points; around each query 2 points at distance 1 and 30 at distance 2, "
             "shuffled; label 9 on the 3 lowest-indexed points at distance 2, label 1 elsewhere; k=5")
    check_predictions(solution.knn_predict(X, y, Q, 5), expected5, given=given)
    ids = np.arange(len(X), dtype=np.int64)
    check_predictions(solution.knn_predict(X, ids, Q, 1), nearest,
                      given="the same points labelled by their index, k=1 (two points tie at distance 1)")
    # The tied points only (the two at distance 1 of every query removed; the set stays symmetric).
    sq = np.array([np.sum((X - q) ** 2, axis=1) for q in Q])         # (queries, n), exact integers
    keep = ~np.any(sq == 1, axis=0)
    Xt, idt = X[keep], ids[keep]
    expected1 = np.array([idt[np.flatnonzero(np.sum((Xt - q) ** 2, axis=1) == 4)[0]] for q in Q])
    check_predictions(solution.knn_predict(Xt, idt, Q, 1), expected1,
                      given="the 30 points at distance 2 of every query only, labelled by their index, k=1")
    for k in (3, 7):
        lab = (idt % 5).astype(np.int64)
        check_predictions(solution.knn_predict(Xt, lab, Q, k), brute_predict(Xt, lab, Q, k),
                          given=f"the 30 points at distance 2 of every query only, labels = index % 5, k={k}")


@pytest.mark.edge_case
def test_label_tie_goes_to_smallest_label(solution):
    """A tie between labels goes to the smallest label"""
    X = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, -4.0], [10.0, 10.0]])
    origin = np.zeros((1, 2))
    cases = [
        (np.array([5, 3, 8, 8, 0]), 2, 3, "nearest labelled 5, second labelled 3, k=2"),
        (np.array([5, 3, 5, 3, 0]), 4, 3, "labels 5, 3, 5, 3 by distance, k=4"),
        (np.array([7, 7, 2, 2, 0]), 4, 2, "labels 7, 7, 2, 2 by distance, k=4"),
        (np.array([4, -2, 9, 9, 9]), 2, -2, "nearest labelled 4, second labelled -2, k=2"),
    ]
    for labels, k, winner, desc in cases:
        given = f"query (0, 0), training points at distances 1, 2, 3, 4 (and one far away), {desc}"
        check_predictions(solution.knn_predict(X, labels.astype(np.int64), origin, k),
                          np.array([winner], dtype=np.int64), given=given)
    s = np.array(["pear", "apple", "fig", "fig", "fig"])
    check_predictions(solution.knn_predict(X, s, origin, 2), np.array(["apple"]),
                      given="query (0, 0), nearest labelled 'pear', second 'apple', k=2")


@pytest.mark.correctness
def test_distance_weights_are_one_over_distance(solution):
    """weights='distance' weighs each neighbour by 1/d (Euclidean distance)"""
    origin = np.zeros((1, 2))
    # A at distance 1; B twice at 1.5: 1/d gives B 1.33 > 1, 1/d^2 would give B 0.89 < 1.
    X1 = np.array([[1.0, 0.0], [-1.5, 0.0], [0.0, 1.5], [9.0, 9.0]])
    y1 = np.array([0, 1, 1, 0], dtype=np.int64)
    # A at distance 1; B twice at 2.5: uniform gives B (2 votes to 1), 1/d gives A (1 > 0.8).
    X2 = np.array([[1.0, 0.0], [-2.5, 0.0], [0.0, 2.5], [9.0, 9.0]])
    for X, weights, winner, desc in (
            (X1, "distance", 1, "label 0 at distance 1, label 1 twice at distance 1.5 (weights 1/d: 1 vs 1.33)"),
            (X1, "uniform", 1, "label 0 at distance 1, label 1 twice at distance 1.5"),
            (X2, "distance", 0, "label 0 at distance 1, label 1 twice at distance 2.5 (weights 1/d: 1 vs 0.8)"),
            (X2, "uniform", 1, "label 0 at distance 1, label 1 twice at distance 2.5")):
        check_predictions(solution.knn_predict(X, y1, origin, 3, weights=weights), np.array([winner]),
                          given=f"query (0, 0), {desc}, k=3, weights={weights!r}")


@pytest.mark.edge_case
def test_exact_matches_vote_alone(solution):
    """weights='distance': if a neighbour is at distance 0, only the exact matches vote"""
    # Integer points symmetric about 0: every formula is exact here.
    X = np.array([[2, 0], [2, 0], [2, 0], [3, 0], [2, 1], [-2, 0], [-2, 0], [-2, 0], [-3, 0], [-2, -1]], float)
    y = np.array([5, 2, 5, 2, 2, 5, 5, 2, 2, 2], dtype=np.int64)
    Q = np.array([[2.0, 0.0], [-2.0, 0.0]])
    # Query (2, 0): exact matches labelled 5, 2, 5 -> 5 (2 votes to 1), whatever the two others at distance 1 say.
    check_predictions(solution.knn_predict(X, y, Q, 5, weights="distance"), np.array([5, 5]),
                      given="queries equal to three training points each (labels 5, 2, 5 and 5, 5, 2), two more "
                            "neighbours labelled 2 at distance 1, k=5, weights='distance'")
    y1 = np.array([7, 1, 1, 1, 1, 7, 1, 1, 1, 1], dtype=np.int64)
    X1 = X.copy()
    X1[1] = X1[2] = [2, -1]
    X1[6] = X1[7] = [-2, 1]
    check_predictions(solution.knn_predict(X1, y1, Q, 5, weights="distance"), np.array([7, 7]),
                      given="each query equal to one training point (label 7), four more neighbours labelled 1 "
                            "at distance 1, k=5, weights='distance'")
    check_predictions(solution.knn_predict(X1, y1, Q, 5, weights="uniform"), np.array([1, 1]),
                      given="the same data with weights='uniform' (4 votes to 1)")
    # Float coordinates: the query is one of three equal rows; distance 0 must be exactly 0.
    g = np.random.default_rng(81)
    P = g.normal(size=(40, 5)) * 2.0 + 3.0
    P[[7, 19, 33]] = P[7]
    labels = g.integers(0, 3, size=40).astype(np.int64)
    labels[[7, 19, 33]] = [2, 1, 2]
    check_predictions(solution.knn_predict(P, labels, P[[19]], 6, weights="distance"), np.array([2]),
                      given="40 random points in 5-D with float coordinates; the query equals rows 7, 19 and 33 "
                            "(labels 2, 1, 2), k=6, weights='distance' (exact matches must give a distance of "
                            "exactly 0, not a rounding residue)")


@pytest.mark.edge_case
def test_k_equal_to_n_and_k_one(solution):
    """k = 1 and k = number of training points"""
    X, y = blobs(91, n=25, d=2, classes=3)
    Q, _ = blobs(92, n=10, d=2, classes=3)
    for k in (1, 25):
        for weights in ("uniform", "distance"):
            given = f"25 training points, 10 queries, k={k}, weights={weights!r}"
            check_predictions(solution.knn_predict(X, y, Q, k, weights=weights),
                              brute_predict(X, y, Q, k, weights), given=given)


@pytest.mark.edge_case
def test_invalid_k_raises_value_error(solution):
    """k < 1 or k > len(X_train) raises ValueError"""
    X, y = blobs(101, n=10, d=2, classes=2)
    Q = X[:3]
    for k in (0, -1, 11, 100):
        checks.raises(ValueError, solution.knn_predict, X, y, Q, k, given=f"10 training points, k={k}")


@pytest.mark.edge_case
def test_unknown_weights_raises_value_error(solution):
    """An unknown weights option raises ValueError"""
    X, y = blobs(111, n=10, d=2, classes=2)
    for weights in ("distances", "inverse", None):
        checks.raises(ValueError, solution.knn_predict, X, y, X[:2], 3, weights=weights,
                      given=f"weights={weights!r}")


# -- knn_predict: numerical stability ------------------------------------------------------------------

@pytest.mark.stability
def test_predict_same_neighbours_far_from_origin(solution):
    """Spread 1e-3 shifted by 1e4: the same neighbours as exact distances give"""
    X, Q = far_cluster(121, n=400, m=120)
    ids = np.arange(len(X), dtype=np.int64)
    given = "400 training and 120 query points at 1e4 + N(0, (1e-3)^2) in 8-D"
    check_predictions(solution.knn_predict(X, ids, Q, 1), brute_predict(X, ids, Q, 1),
                      given=given + ", labelled by their index, k=1 (the nearest point itself)")
    y = (ids * 7919 % 3).astype(np.int64)
    for k, weights in ((5, "uniform"), (5, "distance")):
        check_predictions(solution.knn_predict(X, y, Q, k, weights=weights), brute_predict(X, y, Q, k, weights),
                          given=given + f", 3 labels, k={k}, weights={weights!r}")


# -- performance ---------------------------------------------------------------------------------

def big_problem(seed, n, m, d, classes=10):
    g = np.random.default_rng(seed)
    centres = g.normal(size=(classes, d)) * 2
    y = g.integers(classes, size=n)
    X = centres[y] + g.normal(size=(n, d))
    Q = centres[g.integers(classes, size=m)] + g.normal(size=(m, d))
    return X, y.astype(np.int64), Q


TIME_SEEDS = tuple(range(201, 205))   # the warm-up run and 3 timed repeats, each on its own data set
MEMORY_SEED = 221
TIME_SHAPE = dict(n=20_000, m=2_000, d=32)
MEMORY_SHAPE = dict(n=2_000, m=200, d=64)
K = 5


def describe_problem(X, Q):
    return f"{len(X)} training and {len(Q)} query points in {X.shape[1]}-D (10 classes), k={K}"


def check_timed_predictions(got, expected, call):
    X, _, Q, _ = call.args
    check_predictions(got, np.asarray(expected), given=describe_problem(X, Q) + " (the reference's predictions)")


def check_timed_pairwise(got, expected, call):
    A, B = call.args
    check_pairwise(got, A, B, given=f"A {A.shape} and B {B.shape}")


@pytest.mark.performance
def test_time_budget(budget):
    """20 000 training x 2 000 query points in 32-D, k = 5, within the time budget"""
    budget.time("knn_predict", lambda run: Call(*big_problem(TIME_SEEDS[run], **TIME_SHAPE), K),
                check=check_timed_predictions, repeats=len(TIME_SEEDS) - 1,
                label="knn_predict, 20 000 training x 2 000 queries, d=32, k=5, a new data set per call")


@pytest.mark.performance
def test_memory_budget(budget):
    """No (m, n, d) temporary: peak memory within the budget"""
    X, y, Q = big_problem(MEMORY_SEED, **MEMORY_SHAPE)
    budget.memory("knn_predict", Call(X, y, Q, K), check=check_timed_predictions,
                  label="knn_predict peak memory, 2 000 training x 200 queries, d=64 "
                        "(an (m, n, d) float64 array is 205 MB, the (m, n) distances 3.2 MB)")
    budget.memory("pairwise_sq_dists", Call(X, Q), check=check_timed_pairwise,
                  label="pairwise_sq_dists peak memory, A (2 000, 64), B (200, 64) "
                        "(an (n, m, d) float64 array is 205 MB, the result 3.2 MB)")
