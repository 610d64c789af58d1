"""The k-means reference against independent implementations, and the
assumptions the kmeans grader makes about its own data sets.

Oracles:
- a plain loop over points and centroids (exact distances, the challenge's
  tie and empty-cluster rules written out one point at a time);
- scikit-learn's KMeans(init=C0, n_init=1, algorithm="lloyd") where its rules
  coincide with the challenge's (no empty cluster along the way, no exact tie);
- exact k-means++ probabilities by enumeration, checked against
  scikit-learn's `kmeans_plusplus(..., n_local_trials=1)` (plain k-means++;
  its default is the greedy variant with 2 + log k local trials).

scikit-learn's `tol` is not the challenge's: it is relative (multiplied by the
mean per-feature variance of X) and compared with the *total squared* movement
of all centres, and sklearn also stops as soon as the labels stop changing
("strict convergence"). With tol=0 both stop exactly at the first fixed point
of Lloyd's map, and with max_iter=m both perform m assignment+update steps and
return the labels of the final centres, so the comparisons use tol=0.
sklearn also relocates empty clusters to far points instead of keeping them,
so the trajectories compared here are checked to have no empty cluster.
scikit-learn is a test-only dependency.
"""

import functools
import itertools

import numpy as np
import pytest

from trainer.grading.budget import secret_seed
from trainer.grading.stats import binomial_halfwidth

from tests.helpers import REPO, load_module

ref = load_module(REPO / "reference" / "kmeans.py", "reference_kmeans")
grader = load_module(REPO / "graders" / "kmeans.py", "grader_kmeans")


# -- an independent plain implementation ----------------------------------------------------

def plain_lloyd(X, C0, max_iters=100, tol=1e-4):
    """Lloyd's algorithm one point at a time; returns (centroids, labels, trace).

    trace holds, per iteration, the smallest relative gap between the nearest
    and the second nearest centroid over all points, the largest move, and
    whether a cluster was empty.
    """
    X = [list(map(float, row)) for row in np.asarray(X)]
    C = [list(map(float, row)) for row in np.asarray(C0)]
    k, d = len(C), len(X[0])

    def nearest(x, C):
        dists = [sum((x[f] - c[f]) ** 2 for f in range(d)) for c in C]
        best = min(range(k), key=lambda j: (dists[j], j))  # ties: lowest index
        others = [dists[j] for j in range(k) if j != best]
        scale = sum(v * v for v in x) + max(sum(v * v for v in c) for c in C)
        gap = (min(others) - dists[best]) / scale if others else np.inf
        return best, gap

    trace = []
    for _ in range(max_iters):
        assigned = [nearest(x, C) for x in X]
        labels = [a for a, _ in assigned]
        new, empty = [], False
        for j in range(k):
            members = [X[i] for i in range(len(X)) if labels[i] == j]
            if members:
                new.append([sum(m[f] for m in members) / len(members) for f in range(d)])
            else:
                new.append(list(C[j]))
                empty = True
        move = max(sum((new[j][f] - C[j][f]) ** 2 for f in range(d)) ** 0.5 for j in range(k))
        trace.append(dict(gap=min(g for _, g in assigned), move=move, empty=empty))
        C = new
        if move <= tol:
            break
    labels = [nearest(x, C)[0] for x in X]
    return np.array(C), np.array(labels), trace


def all_grader_runs():
    for given, X, k, kwargs in grader.agreement_cases() + grader.partial_run_cases() + grader.convergence_cases():
        yield given, X, k, kwargs


RUN_IDS = [given for given, *_ in all_grader_runs()]


@functools.lru_cache(maxsize=None)
def plain_run(case, tol=None):
    """plain_lloyd on grader run `case` (with its own tol unless one is given), computed once."""
    given, X, k, kwargs = list(all_grader_runs())[case]
    return plain_lloyd(X, kwargs["init"], kwargs.get("max_iters", 100), kwargs.get("tol", 1e-4) if tol is None else tol)


# -- the reference against the oracles -------------------------------------------------------

@pytest.mark.parametrize("case", range(len(RUN_IDS)), ids=RUN_IDS)
def test_reference_matches_plain_loops(case):
    given, X, k, kwargs = list(all_grader_runs())[case]
    C, L = ref.kmeans(X, k, **kwargs)
    C_plain, L_plain, _ = plain_run(case)
    np.testing.assert_allclose(C, C_plain, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(L, L_plain)
    assert C.dtype == np.float64 and L.dtype == np.int64


@pytest.mark.parametrize("case", range(len(RUN_IDS)), ids=RUN_IDS)
def test_reference_matches_sklearn_lloyd(case):
    cluster = pytest.importorskip("sklearn.cluster")
    given, X, k, kwargs = list(all_grader_runs())[case]
    max_iters = kwargs.get("max_iters", 100)
    _, _, trace = plain_run(case, 0.0)
    if any(step["empty"] for step in trace):
        pytest.skip("an empty cluster: sklearn relocates it, the challenge keeps it")
    C, L = ref.kmeans(X, k, init=kwargs["init"], max_iters=max_iters, tol=0.0)
    km = cluster.KMeans(n_clusters=k, init=kwargs["init"], n_init=1, algorithm="lloyd", tol=0.0,
                        max_iter=max_iters).fit(X)
    np.testing.assert_allclose(C, km.cluster_centers_, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(L, km.labels_)


def test_sklearn_comparison_is_not_vacuous():
    """Most grader runs have no empty cluster, so the sklearn comparison runs on them."""
    empty = sum(any(s["empty"] for s in plain_run(case, 0.0)[2]) for case in range(len(RUN_IDS)))
    assert empty <= 2, empty


def test_edge_case_expectations_match_plain_loops():
    """The hand-computed expectations of the tie and empty-cluster tests."""
    cases = [
        ([[-3, 0], [-1, 0], [0, 0], [1, 0], [3, 0]], [[-2, 0], [2, 0]], [[-4 / 3, 0], [2, 0]], [0, 0, 0, 1, 1]),
        ([[10, 10], [11, 10], [9, 10], [0, 0], [4, 0], [-2, 1], [-2, -1], [-1, 2], [1, 2]],
         [[10, 10], [2, 0], [-2, 0], [0, 2]], [[10, 10], [2, 0], [-2, 0], [0, 2]], [0, 0, 0, 1, 1, 2, 2, 3, 3]),
        ([[0, 0], [1, 0], [0, 1], [10, 0], [11, 0], [10, 1]], [[0, 0], [10, 0], [100, 100]],
         [[1 / 3, 1 / 3], [31 / 3, 1 / 3], [100, 100]], [0, 0, 0, 1, 1, 1]),
        ([[1, 0], [2, 0], [3, 0], [7, 0], [8, 0]], [[11, 0], [4, 0], [1, 0]], [[7.5, 0], [5, 0], [2, 0]],
         [2, 2, 2, 0, 0]),
    ]
    for X, C0, C_expected, L_expected in cases:
        X, C0 = np.array(X, float), np.array(C0, float)
        for C, L, *_ in (plain_lloyd(X, C0), ref.kmeans(X, len(C0), init=C0)):
            np.testing.assert_allclose(C, C_expected, atol=1e-12)
            np.testing.assert_array_equal(L, L_expected)
    # The second empty-cluster case really empties a cluster that had points.
    _, _, trace = plain_lloyd(np.array(cases[3][0], float), np.array(cases[3][1], float))
    assert not trace[0]["empty"] and trace[1]["empty"]
    # The tie cases stop after one iteration (the second moves nothing) and have
    # no empty cluster: they involve neither the stopping nor the empty-cluster rule.
    for X, C0, *_ in cases[:2]:
        _, _, trace = plain_lloyd(np.array(X, float), np.array(C0, float))
        assert len(trace) <= 2 and trace[-1]["move"] == 0 and not any(t["empty"] for t in trace)
    # The one-feature case of test_one_point_and_one_feature.
    X1 = np.array([[0], [1], [2], [10], [11], [12], [20], [21]], float)
    for C, L, *_ in (plain_lloyd(X1, np.array([[0.0], [10.0], [20.0]])), ref.kmeans(X1, 3, init=np.array([[0.0], [10.0], [20.0]]))):
        np.testing.assert_array_equal(C, [[1.0], [11.0], [20.5]])
        np.testing.assert_array_equal(L, [0, 0, 0, 1, 1, 1, 2, 2])


def test_tol_boundary_case():
    """test_stops_when_the_largest_move_equals_tol: the first iteration's largest move is
    exactly 1.0 (one centroid moves, the other does not) and stopping matters: with any
    tol below 1.0 the run goes on and moves the centroids again."""
    X = np.array([[-1, 0], [1, 0], [3, 0], [4.25, 0], [7, 0], [8, 0], [9, 0], [11.75, 0]], float)
    C0 = np.array([[0.0, 0.0], [8.0, 0.0]])
    C, _, trace = plain_lloyd(X, C0, tol=1.0)
    assert [t["move"] for t in trace] == [1.0]
    np.testing.assert_array_equal(C, [[1.0, 0.0], [8.0, 0.0]])
    np.testing.assert_array_equal(ref.kmeans(X, 2, init=C0, tol=1.0)[0], C)
    C_more, _, trace = plain_lloyd(X, C0, tol=np.nextafter(1.0, 0.0))
    assert len(trace) >= 2 and trace[1]["move"] > 0.5
    assert not np.allclose(C_more, C)
    # Only one centroid moves in iteration 1, so the total squared move is 1.0 too:
    # the case is about <= versus <, not about which norm of the moves is compared.
    _, new = grader.lloyd_step(X, C0)
    assert ((new - C0) ** 2).sum() == 1.0


def test_euclidean_move_below_tol_with_larger_l1_length():
    """test_a_move_is_the_euclidean_distance, second case: iteration 1 moves centroid 0 by
    (0.375, 0.5), a Euclidean length of 0.625 <= tol = 0.75 whose coordinate changes add up
    to 0.875 > tol, and centroid 1 not at all; the run stops there, while one more iteration
    moves the centroids. The largest coordinate change (0.5) and the total squared move
    (0.390625) are below tol too, and tol is not at the boundary: only the L1 length decides."""
    X = np.array([-1, 1, 3, 4.25, 7, 8, 9, 11.75])[:, None] * np.array([3.0, 4.0]) / 8
    C0 = np.array([[0.0, 0.0], [3.0, 4.0]])
    C, _, trace = plain_lloyd(X, C0, tol=0.75)
    assert [t["move"] for t in trace] == [0.625] and not trace[0]["empty"]
    np.testing.assert_array_equal(C, [[0.375, 0.5], [3.0, 4.0]])
    np.testing.assert_array_equal(ref.kmeans(X, 2, init=C0, tol=0.75)[0], C)
    m = X.mean(axis=0)
    np.testing.assert_array_equal(ref.kmeans(X - m, 2, init=C0 - m, tol=0.75)[0] + m, C)
    _, new = grader.lloyd_step(X, C0)
    move = new - C0
    assert np.abs(move).sum(axis=1).max() == 0.875 and np.abs(move).max() == 0.5
    assert (move ** 2).sum() == 0.390625
    C_more, _, trace = plain_lloyd(X, C0, tol=0.5)
    assert len(trace) >= 2 and trace[1]["move"] > 0.1 and not np.allclose(C_more, C)


def test_small_int_cases_are_exact_fixed_points():
    """test_uint8_and_int32_input_do_not_wrap_around: from the init (the true centres)
    every point's nearest centroid is its own centre by a wide margin, every cluster's
    mean is exactly its centre (so the first step moves nothing), and the values
    really wrap around or overflow in the input's dtype."""
    for given, X, init, expected_c, expected_l in grader.small_int_cases():
        Xf = X.astype(float)
        C, L, trace = plain_lloyd(Xf, init.astype(float))
        assert len(trace) == 1 and trace[0]["move"] == 0, given
        # Relative to ||x||^2 + max ||c||^2 (as in plain_lloyd): far above the ~1e-15
        # rounding of any distance formula, the ||x||^2 - 2 x.c + ||c||^2 expansion included.
        assert trace[0]["gap"] > 1e-4, given
        np.testing.assert_array_equal(C, expected_c)
        np.testing.assert_array_equal(L, expected_l)
        Cr, Lr = ref.kmeans(X, len(init), init=init)
        np.testing.assert_array_equal(Cr, expected_c)
        np.testing.assert_array_equal(Lr, expected_l)
        # Sums per cluster exceed the dtype's range (a one-hot product in the input dtype wraps).
        sums = np.array([Xf[expected_l == j].sum(axis=0) for j in range(len(init))])
        assert sums.max() > np.iinfo(X.dtype).max, given
    for given, X, k in grader.small_int_kpp_data():
        Xf = X.astype(float)
        d2 = ((Xf[:, None, :] - Xf[None, :, :]) ** 2).sum(axis=2)
        assert d2.max() > np.iinfo(X.dtype).max, given


def test_far_from_origin_case_is_exact_and_defeats_the_uncentred_expansion():
    """test_points_far_from_the_origin_get_their_nearest_centroid: every point's nearest
    centre is its own (squared distances differ by 3 or 15), the centres are the clusters'
    means (so nothing moves), the reference and the plain loops give exactly that, the
    centred expansion too, and the uncentred ||x||^2 - 2 x.c + ||c||^2 mislabels points
    in several summation orders."""
    X, C, L = grader.far_from_origin_case()
    assert X.dtype == np.float64 and np.array_equal(X, np.round(X))
    assert grader.FAR_BASE[0] - 2 <= X.min() and X.max() <= grader.FAR_BASE[1] + 4
    D = grader.squared_distances(X, C)
    gaps = np.sort(D, axis=1)[:, 1] - np.sort(D, axis=1)[:, 0]
    assert set(gaps.tolist()) == {3.0, 15.0} and np.array_equal(np.argmin(D, axis=1), L)
    for j in range(2):
        assert np.array_equal(X[L == j].mean(axis=0), C[j])
    C_plain, L_plain, trace = plain_lloyd(X, C)
    assert len(trace) == 1 and trace[0]["move"] == 0
    C_ref, L_ref = ref.kmeans(X, 2, init=C)
    for got_C, got_L in ((C_plain, L_plain), (C_ref, L_ref)):
        np.testing.assert_array_equal(got_C, C)
        np.testing.assert_array_equal(got_L, L)
    m = X.mean(axis=0)
    Xc, Cc = X - m, C - m
    centred = (Xc * Xc).sum(1)[:, None] - 2 * Xc @ Cc.T + (Cc * Cc).sum(1)[None, :]
    assert np.array_equal(np.argmin(centred, axis=1), L)
    for uncentred in ((X * X).sum(1)[:, None] - 2 * X @ C.T + (C * C).sum(1)[None, :],
                      np.einsum("ij,ij->i", X, X)[:, None] - 2.0 * (X @ C.T) + np.einsum("ij,ij->i", C, C)[None, :],
                      np.stack([(X * X).sum(1) - 2 * X @ c + c @ c for c in C], axis=1)):
        assert (np.argmin(uncentred, axis=1) != L).sum() >= 5


def test_float32_case_needs_float64():
    """test_float32_input_is_computed_in_float64: both values are float32 numbers, their
    mean is exact in float64 and rounds to 10000 in float32."""
    X = np.array([[10000.0], [10000.0009765625]], dtype=np.float32)
    assert np.array_equal(X.astype(np.float64), [[10000.0], [10000.0009765625]])
    assert X.astype(np.float64).mean() == 10000.00048828125
    assert (X[0] + X[1]) / np.float32(2) == np.float32(10000.0)
    np.testing.assert_array_equal(ref.kmeans(X, 1, init=np.array([[0.0]]))[0], [[10000.00048828125]])


def test_float32_init_case_needs_float64():
    """test_float32_input_is_computed_in_float64, float32 init: the reference returns the
    float64 mean; the same mean in float32 centroids rounds to 10000."""
    X = np.array([[10000.0], [10000.0009765625]])
    C, L = ref.kmeans(X, 1, init=np.array([[0.0]], dtype=np.float32))
    assert C.dtype == np.float64
    np.testing.assert_array_equal(C, [[10000.00048828125]])
    np.testing.assert_array_equal(L, [0, 0])
    assert np.float32(X.mean()) == np.float32(10000.0)


def test_float32_distance_case_needs_float64_distances():
    """test_points_far_from_the_origin_get_their_nearest_centroid, second case: the point
    0 is nearer to centroid 1 by 2.44 in squared distance, exactly in float64 and in every
    distance formula; float32 rounds both squared distances to 1e8 (and c0 to -10000);
    the init is a fixed point."""
    c0 = -(10000.0 + 2.0 ** -13)
    X = np.array([[c0], [0.0], [20000.0]])
    C0 = np.array([[c0], [10000.0]])
    D = grader.squared_distances(X, C0)
    assert D[1, 0] - D[1, 1] > 2.4 and np.argmin(D, axis=1).tolist() == [0, 1, 1]
    assert np.float32(D[1, 0]) == np.float32(D[1, 1]) == np.float32(1e8)
    assert np.float32(c0) == np.float32(-10000.0)
    m = X.mean(axis=0)
    for A, B in ((X, C0), (X - m, C0 - m)):
        expansion = (A * A).sum(1)[:, None] - 2 * A @ B.T + (B * B).sum(1)[None, :]
        assert np.argmin(expansion, axis=1).tolist() == [0, 1, 1]
        assert expansion[1, 0] - expansion[1, 1] > 2.4
    for C, L, *_ in (plain_lloyd(X, C0), ref.kmeans(X, 2, init=C0)):
        np.testing.assert_array_equal(C, C0)
        np.testing.assert_array_equal(L, [0, 1, 1])
    _, _, trace = plain_lloyd(X, C0)
    assert len(trace) == 1 and trace[0]["move"] == 0 and not trace[0]["empty"]


def test_tiny_scale_tie_case_has_no_tie_and_no_underflow():
    """test_ties_go_to_lowest_index, tiny-scale case: no tie, a fixed point, squared
    distances normal even in float32 (so a float32 distance buffer is not involved), and
    below 2e-35, so that an absolute tie tolerance of 1e-12 (or 1e-30) swallows them."""
    s = 2.0 ** -60
    X = np.array([[-1.0], [0.0], [1.0], [3.0], [5.0]]) * s
    C0 = np.array([[0.0], [4.0]]) * s
    D = grader.squared_distances(X, C0)
    assert np.all(np.abs(D[:, 0] - D[:, 1]) >= 8 * s * s)
    positive = D[D > 0]
    assert positive.min() >= np.finfo(np.float32).tiny and np.array_equal(positive.astype(np.float32), positive)
    assert D.max() < 2e-35 and 8 * s * s < 1e-35
    for C, L, *_ in (plain_lloyd(X, C0), ref.kmeans(X, 2, init=C0)):
        np.testing.assert_array_equal(C, C0)
        np.testing.assert_array_equal(L, [0, 0, 0, 1, 1])
    _, _, trace = plain_lloyd(X, C0)
    assert len(trace) == 1 and trace[0]["move"] == 0 and not trace[0]["empty"]
    # With a tolerance of 1e-12 every point is "tied" with centroid 0.
    assert np.all(D[:, 1] >= D[:, 0] - 1e-12) and np.all(D[:, 0] <= D.min(axis=1) + 1e-12)


def test_int64_kpp_case_wraps_to_zero():
    """test_uint8_and_int32_input_do_not_wrap_around, int64 case: every difference is exact
    in int64, every squared difference wraps around to exactly 0 there, and is 2^64 or
    2^66 in float64."""
    given, X, k = grader.small_int_kpp_data()[2]
    assert X.dtype == np.int64
    diff = X[:, None, :] - X[None, :, :]
    assert np.array_equal(diff.astype(np.float64), X.astype(float)[:, None, :] - X.astype(float)[None, :, :])
    assert not (diff * diff).any()
    d2 = grader.squared_distances(X, X)
    assert set(d2[~np.eye(3, dtype=bool)].tolist()) == {2.0 ** 64, 2.0 ** 66}


def test_fresh_process_check_bound():
    """test_kmeans_randomness_comes_from_rng: two fresh processes' FRESH_CALLS results agree
    with probability at most (1/12)^FRESH_CALLS for a solution whose first centroid alone
    is drawn afresh: negligible."""
    assert (1 / 12) ** grader.FRESH_CALLS < 3e-9


def test_reference_rules():
    X = grader.blobs(5, n=50, d=3, k=2)
    C, L = ref.kmeans(X, 1, rng=np.random.default_rng(0))
    np.testing.assert_allclose(C[0], X.mean(axis=0), atol=1e-12)
    assert not L.any()
    for k in (0, -1, 51):
        with pytest.raises(ValueError):
            ref.kmeans(X, k)
        with pytest.raises(ValueError):
            ref.kmeans_plus_plus_init(X, k, np.random.default_rng(0))
    Xi = np.round(X * 3).astype(np.int32)
    init = Xi[:2].copy()
    C, _ = ref.kmeans(Xi, 2, init=init)
    Ci, _ = ref.kmeans(Xi.astype(float), 2, init=init.astype(float))
    np.testing.assert_array_equal(C, Ci)
    X_before, init_before = X.copy(), X[:3].copy()
    init = X[:3].copy()
    ref.kmeans(X, 3, init=init)
    ref.kmeans_plus_plus_init(X, 3, np.random.default_rng(1))
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(init, init_before)


# -- the grader's assumptions ---------------------------------------------------------------

@pytest.mark.parametrize("case", range(len(RUN_IDS)), ids=RUN_IDS)
def test_grader_runs_have_no_near_ties(case):
    """Every assignment along the reference's trajectory is decided by a relative
    margin >= 1e-6, and no iteration's largest move is within 1e-6 of tol: a
    correct solution with another distance formula or summation order (rounding
    ~1e-15 relative) makes the same decisions, so 1e-8 on the centroids is fair."""
    given, X, k, kwargs = list(all_grader_runs())[case]
    tol = kwargs.get("tol", 1e-4)
    _, _, trace = plain_run(case)
    assert min(step["gap"] for step in trace) >= 1e-6, given
    # A move of exactly 0 (the same assignment twice gives bit-identical means
    # in any deterministic implementation) is <= any tol >= 0.
    assert all(step["move"] == 0 or abs(step["move"] - tol) >= 1e-6 for step in trace), given


def lloyd_trace(X, C, iterations):
    """Exact Lloyd steps, vectorised (for the large timed data sets): per
    assignment (each iteration's and the final one) the smallest relative gap
    between the nearest and the second nearest centroid and the number of labels
    that differ from the previous assignment's (None for the first), and per
    iteration the largest move. Scale as in plain_lloyd: ||x||^2 + max ||c||^2."""
    gaps, changed, moves = [], [], []
    previous = None
    for step in range(iterations + 1):
        D = np.stack([((X - c) ** 2).sum(axis=1) for c in C], axis=1)
        two = np.partition(D, 1, axis=1)[:, :2]
        scale = (X * X).sum(axis=1) + (C * C).sum(axis=1).max()
        gaps.append(float(((two[:, 1] - two[:, 0]) / scale).min()))
        labels = np.argmin(D, axis=1)
        changed.append(None if previous is None else int((labels != previous).sum()))
        previous = labels
        if step == iterations:
            break
        new = np.array([X[labels == j].mean(axis=0) if np.any(labels == j) else C[j] for j in range(len(C))])
        moves.append(float(np.sqrt(((new - C) ** 2).sum(axis=1)).max()))
        C = new
    return gaps, changed, moves


def secret_of(i):
    """The fixed secret that stands for a grading's in these tests (budget.seed)."""
    return bytes([i]) * 16


# A grading draws each timed run's data set from budget.seed(seed): run i of each timed test
# is checked here under the secret secret_of(i), six secrets per test. The memory-measured data
# set too (budget.seed(LLOYD_MEMORY_SEED)), under MEMORY_SECRETS secrets.
MEMORY_SECRETS = 6   # as many as each timed test has
TIMED_CALLS = ([pytest.param(grader.lloyd_call, secret_seed(secret_of(i), seed), id=f"d16-{seed}-secret{i}")
                for i, seed in enumerate(grader.LLOYD_TIME_SEEDS)]
               + [pytest.param(functools.partial(grader.lloyd_call, n=grader.LLOYD_MEMORY_N),
                               secret_seed(secret_of(i), grader.LLOYD_MEMORY_SEED),
                               id=f"d16-memory-{grader.LLOYD_MEMORY_SEED}-secret{i}")
                  for i in range(MEMORY_SECRETS)]
               + [pytest.param(grader.low_d_call, secret_seed(secret_of(i), seed), id=f"d2-{seed}-secret{i}")
                  for i, seed in enumerate(grader.LOW_D_TIME_SEEDS)])


@pytest.mark.parametrize("make_call, seed", TIMED_CALLS)
def test_grader_timed_runs_have_no_near_ties(make_call, seed):
    """The timed and memory-measured data sets (n = 100 000 in d = 16: 6 blobs, init = their
    centres, at least BLOB_SEPARATION apart; 200 000 in d = 2: 2 blobs, init = one point of
    each; both with the chain of grader.CHAIN_AT and its two init centroids), for a sample of
    secrets, decide every assignment by a relative margin >= 1e-6, like the agreement runs
    (why that holds for any secret: grader.timed_blobs and grader.low_d_call), along the
    whole run to its fixed point. The labels change in the 2nd, 3rd and 4th assignments, and
    the centroids move in each of the first 4 iterations and not in the 5th: a timed run
    (max_iters = 2, tol = 0: 3 assignments, 2 updates) is not one assignment and update, or
    two assignments, and every implementation performs both its iterations."""
    call = make_call(seed, 2)
    X, k = call.args
    init = call.kwargs["init"]
    if k == 8:                                   # timed_blobs: the d = 16 data sets
        apart = np.sqrt(((init[:6, None, :] - init[None, :6, :]) ** 2).sum(axis=2))
        assert apart[np.triu_indices(6, 1)].min() >= grader.BLOB_SEPARATION
    gaps, changed, moves = lloyd_trace(X, init, 5)
    assert min(gaps) >= 1e-6, (seed, gaps)
    assert all(c > 0 for c in changed[1:4]) and changed[4] == changed[5] == 0, (seed, changed)
    assert min(moves[:4]) >= 1e-3 and moves[4] == 0, (seed, moves)
    _, labels = ref.kmeans(*call.args, **call.kwargs)
    assert np.bincount(labels, minlength=k).min() > 0


def test_grader_chain_trajectory_keeps_its_margin():
    """grader.CHAIN_AT without noise (each group at its centre, CHAIN_WEIGHT points): from
    CHAIN_INIT, Lloyd's steps on the line move one group to the left centroid at each of the
    2nd, 3rd and 4th assignments, stop moving after the 4th update, and keep every group at
    least CHAIN_MARGIN from the bisector at every assignment (grader.timed_blobs)."""
    at, weight = np.array(grader.CHAIN_AT), np.array(grader.CHAIN_WEIGHT, dtype=float)
    c = np.array(grader.CHAIN_INIT)
    margins, lefts, blob_margins = [], [], []
    for _ in range(6):
        mid = (c[0] + c[1]) / 2
        margins.append(np.abs(at - mid).min())
        # A group is at least CHAIN_OFFSET - 20 + t (along x_1) from every blob centre.
        blob_margins.append((grader.CHAIN_OFFSET - 20 + at - np.abs(at[:, None] - c[None, :]).min(axis=1)).min())
        right = at > mid
        lefts.append(int((~right).sum()))
        c = np.array([np.average(at[~right], weights=weight[~right]), np.average(at[right], weights=weight[right])])
    assert lefts == [1, 2, 3, 4, 4, 4], lefts
    assert min(margins) >= grader.CHAIN_MARGIN and min(margins) < grader.CHAIN_MARGIN + 0.1, margins
    # Every group is more than 60 nearer its nearest chain centroid than any blob centre
    # (x_1 <= 10 in d = 16, 20 in d = 2).
    assert min(blob_margins) > 60, blob_margins


@pytest.mark.parametrize("seed", [pytest.param(secret_seed(secret_of(i), seed), id=f"{seed}-secret{i}")
                                  for i, seed in enumerate(grader.KPP_TIME_SEEDS)])
def test_grader_timed_kpp_data_have_distinct_rows(seed):
    """The timed k-means++ check requires k distinct rows: X has no repeated row (for a sample
    of secrets; continuous data repeat none for any), so a correct draw (a chosen row has
    D = 0) never repeats one; the reference's passes."""
    call = grader.kpp_call(seed)
    X, k, rng = call.args
    assert len(np.unique(X, axis=0)) == len(X)
    grader.check_timed_kpp(ref.kmeans_plus_plus_init(X, k, rng), None, call)


def test_grader_timed_kpp_check_rejects_what_is_not_k_distinct_rows():
    """The timed k-means++ check (rows looked up by their first coordinate) rejects
    a centroid one ulp off a row in a later coordinate, a point that shares only
    its first coordinate with a row, a repeated row, and float32 rows."""
    call = grader.kpp_call(grader.KPP_TIME_SEEDS[0])
    X, k, rng = call.args
    good = ref.kmeans_plus_plus_init(X, k, rng)
    off = good.copy()
    off[3, -1] = np.nextafter(off[3, -1], np.inf)
    mixed = good.copy()
    mixed[5, 1:] = X[0, 1:] + 1.0
    repeated = good.copy()
    repeated[7] = repeated[2]
    for bad in (off, mixed, repeated, good.astype(np.float32)):
        with pytest.raises(AssertionError):
            grader.check_timed_kpp(bad, None, call)


def _covered_blobs_distribution(waste, groups_of=None):
    """Distribution of the number of covered groups after KPP_K draws, for a process that
    covers one group at the first draw and, with m groups covered after t draws, draws into
    a covered group with probability waste(m, t) (else covers a new one)."""
    k = grader.KPP_K
    groups = groups_of or k
    dist = {1: 1.0}
    for t in range(1, k):
        nxt = {}
        for m, p in dist.items():
            w = waste(m, t) if m < groups else 1.0
            nxt[m] = nxt.get(m, 0.0) + p * w
            if m < groups:
                nxt[m + 1] = nxt.get(m + 1, 0.0) + p * (1.0 - w)
        dist = nxt
    return dist


GROUPS = grader.KPP_K + grader.KPP_ISOLATED
FAR = grader.KPP_FAR - (grader.KPP_SPREAD * 4 + grader.KPP_NOISE_RADIUS)   # L: an isolated point's distance to any row


def test_grader_kpp_group_bound_follows_from_the_chain():
    """The timed k-means++ check's KPP_MIN_GROUPS (grader.kpp_blobs): in the chain that
    bounds a correct draw, fewer covered groups (blobs and isolated points) have probability
    below 4e-10, and the bound is the highest this argument gives at 1e-9."""
    k, m0 = grader.KPP_K, grader.KPP_N // grader.KPP_K
    R, S = grader.KPP_NOISE_RADIUS, grader.KPP_SEPARATION
    assert m0 * k == grader.KPP_N and FAR ** 2 >= m0 * (S - 2 * R) ** 2
    covered, uncovered = (2 * R) ** 2, (S - 2 * R) ** 2     # D^2 per point: at most, at least

    def d2_waste(m, t):
        return m * m0 * covered / (m * m0 * covered + (GROUPS - m) * m0 * uncovered)

    bound = _covered_blobs_distribution(d2_waste, GROUPS)
    below = sum(p for m, p in bound.items() if m < grader.KPP_MIN_GROUPS)
    assert below <= 4e-10, below
    assert sum(p for m, p in bound.items() if m <= grader.KPP_MIN_GROUPS) > 1e-9
    assert sum(bound.values()) == pytest.approx(1.0, rel=1e-12)


def _isolated_left_distribution():
    """The chain of grader.kpp_blobs for the isolated points: u = KPP_ISOLATED not chosen,
    and at each of KPP_K - 2 draws u falls by one with probability 1 - B / (B + u L^2)."""
    B = grader.KPP_N * (2 * grader.KPP_SPREAD * 4 + 2 * grader.KPP_NOISE_RADIUS) ** 2
    dist = {grader.KPP_ISOLATED: 1.0}
    for _ in range(grader.KPP_K - 2):
        nxt = {}
        for u, p in dist.items():
            w = B / (B + u * FAR ** 2) if u > 0 else 1.0
            nxt[u] = nxt.get(u, 0.0) + p * w
            if u > 0:
                nxt[u - 1] = nxt.get(u - 1, 0.0) + p * (1.0 - w)
        dist = nxt
    return dist


def test_grader_kpp_isolated_bound_follows_from_the_chain():
    """KPP_MIN_ISOLATED (grader.kpp_blobs): a correct draw picks fewer isolated points with
    probability below 5e-11, and one more would be above 1e-10 (the highest bound this
    argument gives there). A draw over a tenth of the rows keeps about 4 of the 40."""
    dist = _isolated_left_distribution()
    assert sum(dist.values()) == pytest.approx(1.0, rel=1e-12)
    fewer = sum(p for u, p in dist.items() if grader.KPP_ISOLATED - u < grader.KPP_MIN_ISOLATED)
    assert fewer <= 5e-11, fewer
    assert sum(p for u, p in dist.items() if grader.KPP_ISOLATED - u <= grader.KPP_MIN_ISOLATED) > 1e-10
    stats = pytest.importorskip("scipy.stats")
    n = grader.KPP_N + grader.KPP_ISOLATED        # a sample of 1024 rows: hypergeometric
    assert stats.hypergeom.sf(grader.KPP_MIN_ISOLATED - 1, n, grader.KPP_ISOLATED, 1024) < 1e-20


def test_grader_kpp_chains_against_simulation():
    """The chains' steps bound real draws: on a timed data set, at every step of 5
    k-means++ draws (exact D^2; 635 steps), the D^2 mass of the covered groups is at
    most the fraction f(m) of the whole, and once a blob row is chosen the blob rows'
    D^2 is at most B (grader.kpp_blobs); every draw picks all 40 isolated points."""
    X, group, _ = grader.kpp_blobs(secret_seed(secret_of(99), grader.KPP_TIME_SEEDS[0]))
    k = grader.KPP_K
    R, S = grader.KPP_NOISE_RADIUS, grader.KPP_SEPARATION
    blob_row = group < k
    B = grader.KPP_N * (2 * grader.KPP_SPREAD * 4 + 2 * R) ** 2
    g = np.random.default_rng(5)
    for _ in range(5):
        first = int(g.integers(len(X)))
        d2 = ((X - X[first]) ** 2).sum(axis=1)
        covered = {int(group[first])}
        seen = group == group[first]
        for _ in range(1, k):
            m = len(covered)
            f = m * (2 * R) ** 2 / (m * (2 * R) ** 2 + (GROUPS - m) * (S - 2 * R) ** 2)
            assert d2[seen].sum() / d2.sum() <= f
            if np.any(seen & blob_row):
                assert d2[blob_row].sum() <= B
                assert d2[~blob_row & ~seen].min(initial=np.inf) >= FAR ** 2
            i = int(g.choice(len(X), p=d2 / d2.sum()))
            if int(group[i]) not in covered:
                covered.add(int(group[i]))
                seen |= group == group[i]
            d2 = np.minimum(d2, ((X - X[i]) ** 2).sum(axis=1))
        assert set(range(k, GROUPS)) <= covered


@pytest.mark.parametrize("seed", [pytest.param(secret_seed(secret_of(i), seed), id=f"{seed}-secret{i}")
                                  for i, seed in enumerate(grader.KPP_TIME_SEEDS)])
def test_grader_timed_kpp_blobs_keep_their_guarantees(seed):
    """kpp_blobs (for a sample of secrets; by construction for any): 80 points per blob,
    every point within KPP_NOISE_RADIUS of its blob's centre, centres at least
    KPP_SEPARATION apart, the isolated points at least FAR from every other row;
    blobs_covered counts the groups and isolated_chosen the isolated points of any rows
    as their memberships do."""
    X, group, centres = grader.kpp_blobs(seed)
    k = grader.KPP_K
    assert X.shape == (GROUPS - k + grader.KPP_N, 16) and centres.shape == (k, 16)
    assert np.array_equal(np.bincount(group, minlength=GROUPS),
                          np.r_[np.full(k, grader.KPP_N // k), np.ones(grader.KPP_ISOLATED, dtype=int)])
    blob = group < k
    assert np.sqrt(((X[blob] - centres[group[blob]]) ** 2).sum(axis=1)).max() <= grader.KPP_NOISE_RADIUS + 1e-9
    apart = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    assert apart[np.triu_indices(k, 1)].min() >= grader.KPP_SEPARATION
    iso = X[~blob]
    to_rows = np.sqrt(((iso[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    to_rows[to_rows == 0] = np.inf
    assert to_rows.min() >= FAR
    g = np.random.default_rng(seed % 1000)
    for size in (1, 2, 32, 100, 128):
        for _ in range(20):
            rows = g.choice(len(X), size=size, replace=False)
            assert grader.blobs_covered(X[rows]) == len(set(group[rows].tolist()))
            assert grader.isolated_chosen(X[rows]) == int((group[rows] >= k).sum())
    # Rows of a few blobs only (many rows per blob), and every isolated point.
    few = np.r_[np.flatnonzero(group < 3)[:200], np.flatnonzero(~blob)]
    assert grader.blobs_covered(X[few]) == len(set(group[few].tolist()))
    assert grader.isolated_chosen(X[few]) == grader.KPP_ISOLATED


# 8 secrets for each of the 6 runs of the timed test: 48 timed data sets.
KPP_COVERAGE_SECRETS = [pytest.param(secret_seed(secret_of(i), seed), id=f"{seed}-secret{i}")
                        for i in range(8) for seed in grader.KPP_TIME_SEEDS]


@pytest.mark.parametrize("seed", KPP_COVERAGE_SECRETS)
def test_reference_kpp_covers_enough_blobs(seed):
    """The reference's k-means++ draw on timed data sets, for a sample of secrets, covers
    at least KPP_MIN_GROUPS groups and KPP_MIN_ISOLATED isolated points (counted by
    membership) and passes the timed check."""
    call = grader.kpp_call(seed)
    X, k, rng = call.args
    _, group, _ = grader.kpp_blobs(seed)
    C = ref.kmeans_plus_plus_init(X, k, rng)
    rows = [int(np.flatnonzero((X == c).all(axis=1))[0]) for c in C]
    assert len(set(group[rows].tolist())) >= grader.KPP_MIN_GROUPS
    assert int((group[rows] >= k).sum()) >= grader.KPP_MIN_ISOLATED
    grader.check_timed_kpp(C, None, call)


def test_grader_timed_kpp_check_rejects_uniform_rows():
    """k distinct rows of X drawn uniformly (no D^2 weighting) fail the timed check on
    each of 24 timed data sets (they pass the row checks)."""
    for i in range(4):
        for seed in grader.KPP_TIME_SEEDS:
            call = grader.kpp_call(secret_seed(secret_of(i), seed))
            X, k, _ = call.args
            C = X[np.random.default_rng([seed, i]).choice(len(X), size=k, replace=False)]
            with pytest.raises(AssertionError, match="only .* of the 168 groups"):
                grader.check_timed_kpp(C, None, call)


def test_grader_timed_kpp_check_rejects_a_draw_on_a_sample():
    """k-means++ (the reference's) on a random tenth of the rows covers enough groups but
    keeps about 4 of the 40 isolated points: it fails the timed check on each of 12 timed
    data sets, by the isolated points' count alone."""
    for i in range(2):
        for seed in grader.KPP_TIME_SEEDS:
            call = grader.kpp_call(secret_seed(secret_of(i), seed))
            X, k, _ = call.args
            g = np.random.default_rng([seed, i, 2])
            C = ref.kmeans_plus_plus_init(X[g.choice(len(X), size=len(X) // 10, replace=False)], k, g)
            assert grader.blobs_covered(C) >= grader.KPP_MIN_GROUPS
            with pytest.raises(AssertionError, match="picked only .* of the 40 isolated points"):
                grader.check_timed_kpp(C, None, call)


def _rows_in_groups(group, blobs_used, isolated_used, g):
    """KPP_K distinct rows: one in each of blobs_used blobs and isolated_used isolated points,
    the others in those blobs."""
    k = grader.KPP_K
    which = g.permutation(k)[:blobs_used]
    rows = [int(g.choice(np.flatnonzero(group == b))) for b in which]     # one row in each blob used
    rows += list(np.flatnonzero(group >= k)[:isolated_used])
    rest = np.setdiff1d(np.flatnonzero(np.isin(group, which)), rows)
    rows += list(g.choice(rest, size=k - len(rows), replace=False))        # the others in those blobs
    return g.permutation(rows)


def test_grader_timed_kpp_check_counts_groups():
    """The group rule on its own: 128 distinct rows of X (float64) with every isolated point
    in KPP_MIN_GROUPS groups pass the timed check, in one group fewer fail it."""
    seed = grader.KPP_TIME_SEEDS[0]
    call = grader.kpp_call(seed)
    X, k, _ = call.args
    _, group, _ = grader.kpp_blobs(seed)
    g = np.random.default_rng(7)
    for groups_used in (grader.KPP_MIN_GROUPS, grader.KPP_MIN_GROUPS - 1):
        C = X[_rows_in_groups(group, groups_used - grader.KPP_ISOLATED, grader.KPP_ISOLATED, g)].copy()
        assert C.dtype == np.float64 and len(np.unique(C, axis=0)) == k
        if groups_used >= grader.KPP_MIN_GROUPS:
            grader.check_timed_kpp(C, None, call)
        else:
            with pytest.raises(AssertionError, match=f"only {groups_used} of the 168 groups"):
                grader.check_timed_kpp(C, None, call)


def test_grader_timed_kpp_check_counts_isolated_points():
    """The isolated-point rule on its own: 128 distinct rows of X in 128 groups (so many
    groups that the group rule holds), KPP_MIN_ISOLATED of them isolated points, pass the
    timed check; with one isolated point fewer (one more blob) they fail it."""
    seed = grader.KPP_TIME_SEEDS[1]
    call = grader.kpp_call(seed)
    X, k, _ = call.args
    _, group, _ = grader.kpp_blobs(seed)
    g = np.random.default_rng(8)
    for isolated_used in (grader.KPP_MIN_ISOLATED, grader.KPP_MIN_ISOLATED - 1):
        C = X[_rows_in_groups(group, k - isolated_used, isolated_used, g)].copy()
        assert grader.blobs_covered(C) == k
        if isolated_used >= grader.KPP_MIN_ISOLATED:
            grader.check_timed_kpp(C, None, call)
        else:
            with pytest.raises(AssertionError, match=f"picked only {isolated_used} of the 40 isolated points"):
                grader.check_timed_kpp(C, None, call)


# -- the timed k-means++ calls' draws, checked as draws ---------------------------------------

def test_grader_kpp_transforms_by_hand():
    """X = (0,0), (1,0), (3,0), (0,2) drawn in that order: D^2 after (0,0) is 0, 1, 9, 4 (sum 14), so (1,0)
    has no weight below it and 1/14 at its value: U/14. Then D^2 = 0, 0, 4, 4: (3,0)'s value 4 carries all
    the weight, 8/8: U. Then D^2 = 0, 0, 0, 4: (0,2) again U."""
    X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
    u = np.random.default_rng(0)
    U = np.random.default_rng(0).random(3)
    W = grader.kpp_transforms(X, X, u)
    assert np.allclose(W, [U[0] / 14, U[1], U[2]], rtol=0, atol=1e-15)


def test_grader_ks_distance_matches_scipy():
    from scipy import stats
    g = np.random.default_rng(3)
    for W in (g.random(127), g.random(762) ** 1.3, np.linspace(0.01, 0.5, 40)):
        assert grader.ks_distance_to_uniform(W) == pytest.approx(stats.kstest(W, "uniform").statistic, abs=1e-12)


def test_grader_ks_bound_is_massarts():
    """P(D_N > eps) <= 2 exp(-2 N eps^2) (Massart), each of the test's calls a share of the failure budget."""
    calls = len(grader.KPP_TIME_SEEDS)
    for N in (127, 762):
        eps = grader.ks_bound(N, calls)
        assert calls * 2 * np.exp(-2 * N * eps ** 2) == pytest.approx(grader.KPP_DRAWS_FALSE_FAILURE, rel=1e-9)
    assert round(grader.ks_bound(127, calls), 2) == 0.30 and round(grader.ks_bound(762, calls), 2) == 0.12


def test_grader_kpp_transforms_of_correct_draws_are_uniform():
    """The reference's and scikit-learn's plain k-means++ draws on timed data sets (6 calls, 762 draws): their
    transforms pass at every call, and a Kolmogorov-Smirnov test sees nothing (p > 1e-3)."""
    from scipy import stats
    from sklearn.cluster import kmeans_plusplus
    for label, draw in (("reference", lambda X, k, rng: ref.kmeans_plus_plus_init(X, k, rng)),
                        ("sklearn", lambda X, k, rng: kmeans_plusplus(X, k, n_local_trials=1,
                                                                      random_state=int(rng.integers(2 ** 31)))[0])):
        check = grader.kpp_draw_check()
        W = []
        for seed in grader.KPP_TIME_SEEDS:
            call = grader.kpp_call(secret_seed(secret_of(5), seed))
            C = draw(*call.args)
            check(C, None, call)
            W.extend(grader.kpp_transforms(call.args[0], C, np.random.default_rng(seed)))
        assert stats.kstest(W, "uniform").pvalue > 1e-3, label


SPREAD = load_module(REPO / "tests" / "variants" / "kmeans" / "kpp_spread_rows_when_large.py", "kmeans_spread_rows")


def test_grader_kpp_draw_check_rejects_rows_spread_by_a_rule():
    """The variant's rows (largest norms, then blob rows kept by their distance) pass the group and isolated
    counts on every timed data set but fail the draw check by the second call, for 4 secrets."""
    for i in range(4):
        check = grader.kpp_draw_check()
        with pytest.raises(AssertionError, match="do not follow D\\^2"):
            for run, seed in enumerate(grader.KPP_TIME_SEEDS):
                call = grader.kpp_call(secret_seed(secret_of(i), seed))
                C = SPREAD.kmeans_plus_plus_init(*call.args)
                grader.check_timed_kpp(C, None, call)
                assert run < 2
                check(C, None, call)


def test_grader_kpp_draw_check_rejects_the_farthest_point():
    """The farthest row each time after a uniform first: each transform lies in [1 - p, 1], p the row's own
    D^2 share, so near 1, and the check fails at the first call."""
    call = grader.kpp_call(secret_seed(secret_of(0), grader.KPP_TIME_SEEDS[0]))
    X, k, rng = call.args
    chosen = [int(rng.integers(len(X)))]
    d2 = ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(k - 1):
        chosen.append(int(np.argmax(d2)))
        d2 = np.minimum(d2, ((X - X[chosen[-1]]) ** 2).sum(axis=1))
    assert np.mean(grader.kpp_transforms(X, X[chosen], np.random.default_rng(0))) > 0.95
    with pytest.raises(AssertionError, match="large D\\^2 too often"):
        grader.kpp_draw_check()(X[chosen], None, call)


@pytest.mark.parametrize("case", range(3))
def test_grader_convergence_runs_end_at_a_fixed_point(case):
    """The converged-result test assumes the reference stops before max_iters at a
    fixed point, so one more step moves nothing."""
    given, X, k, kwargs = grader.convergence_cases()[case]
    max_iters = kwargs.get("max_iters", 100)
    C, _, trace = plain_lloyd(X, kwargs["init"], max_iters, kwargs.get("tol", 1e-4))
    assert len(trace) < max_iters, given
    _, after = grader.lloyd_step(X, C)
    np.testing.assert_allclose(after, C, atol=1e-12, rtol=0)


def _enumerate_kpp(X, k, power=2, last_only=False):
    """Exact k-means++ outcome probabilities by brute-force enumeration of index tuples.

    power=1 gives the "proportional to D" bug, last_only=True the "D to the last
    chosen centroid only" bug.
    """
    n = len(X)
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    _, row_id = np.unique(X, axis=0, return_inverse=True)
    out = {}
    for seq in itertools.permutations(range(n), k):
        p = 1.0 / n
        for step in range(1, k):
            chosen = [seq[step - 1]] if last_only else list(seq[:step])
            w = D[chosen].min(axis=0) ** power
            p *= w[seq[step]] / w.sum()
        key = tuple(int(row_id.ravel()[i]) for i in seq)
        out[key] = out.get(key, 0.0) + p
    return {key: p for key, p in out.items() if p > 0}


TINY = np.array([[0, 0], [1, 0], [3, 0], [3, 0], [7, 1]], dtype=np.float64)
COPIES = grader.KPP_EXACT_X[2]    # 16 copies of (0, 0), 64 of (1, 0) and one (8, 0)


@pytest.mark.parametrize("X, k", [(TINY, 1), (TINY, 2), (TINY, 3), (COPIES, 2)], ids=["tiny-1", "tiny-2", "tiny-3",
                                                                                  "copies-2"])
def test_grader_kpp_distribution_matches_enumeration(X, k):
    exact = grader.kpp_exact_distribution(X, k)
    brute = _enumerate_kpp(X, k)
    assert exact.keys() == brute.keys()
    for key in exact:
        assert exact[key] == pytest.approx(brute[key], rel=1e-12)
    assert sum(exact.values()) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("X", [TINY, COPIES], ids=["tiny", "copies"])
def test_grader_kpp_distribution_matches_sklearn_kmeans_plusplus(X):
    """An independent k-means++ (scikit-learn's, with one local trial) lands within
    the grader's tolerance at k=2."""
    cluster = pytest.importorskip("sklearn.cluster")
    probs = grader.kpp_exact_distribution(X, 2)
    uniq = np.unique(X, axis=0)
    trials = 2000
    counts = {}
    for seed in range(trials):
        C, _ = cluster.kmeans_plusplus(X, 2, n_local_trials=1, random_state=seed)
        key = tuple(int(np.flatnonzero((uniq == c).all(axis=1))[0]) for c in C)
        counts[key] = counts.get(key, 0) + 1
    delta = grader.FALSE_FAILURE / len(probs)
    assert set(counts) <= set(probs)
    for key, p in probs.items():
        assert abs(counts.get(key, 0) - trials * p) <= binomial_halfwidth(trials, p, delta), key


def _uniform_rows(X, k):
    """Outcome probabilities of k distinct rows drawn uniformly (the D^2 weighting forgotten)."""
    _, row_id = np.unique(X, axis=0, return_inverse=True)
    out = {}
    sequences = list(itertools.permutations(range(len(X)), k))
    for seq in sequences:
        key = tuple(int(row_id.ravel()[i]) for i in seq)
        out[key] = out.get(key, 0.0) + 1.0 / len(sequences)
    return out


def _farthest_point(X, k):
    """Outcome probabilities of the "farthest point" bug: the first row uniform, then
    always the row farthest from the chosen ones (unique here)."""
    _, row_id = np.unique(X, axis=0, return_inverse=True)
    out = {}
    for first in range(len(X)):
        chosen = [first]
        while len(chosen) < k:
            chosen.append(int(np.argmax(((X[:, None, :] - X[chosen][None]) ** 2).sum(axis=2).min(axis=1))))
        key = tuple(int(row_id.ravel()[i]) for i in chosen)
        out[key] = out.get(key, 0.0) + 1.0 / len(X)
    return out


@pytest.mark.parametrize("k, bug", [(2, "D"), (2, "farthest"), (2, "uniform"), (3, "farthest"), (3, "last_only")])
def test_grader_kpp_test_has_power(k, bug):
    """In the exact-probabilities test, each usual k-means++ bug fails with
    probability above 1 - 1e-6, like a correct solution passes: the chance that
    a bug's draws stay inside the tolerance of its most displaced cell (exact
    binomial), or never show an outcome of probability 0, is at most 1e-6."""
    stats = pytest.importorskip("scipy.stats")
    trials = grader.KPP_EXACT_TRIALS[k]
    X = grader.KPP_EXACT_X[k]
    probs = grader.kpp_exact_distribution(X, k)
    cells = sum(len(grader.kpp_exact_distribution(grader.KPP_EXACT_X[j], j)) for j in grader.KPP_EXACT_TRIALS)
    delta = grader.FALSE_FAILURE / cells
    wrong = {"D": lambda: _enumerate_kpp(X, k, power=1), "farthest": lambda: _farthest_point(X, k),
             "uniform": lambda: _uniform_rows(X, k),
             "last_only": lambda: _enumerate_kpp(X, k, last_only=True)}[bug]()
    impossible = sum(q for key, q in wrong.items() if key not in probs)
    missed = (1.0 - impossible) ** trials
    for key, p in probs.items():
        half = binomial_halfwidth(trials, p, delta)
        q = wrong.get(key, 0.0)
        inside = (stats.binom.cdf(np.floor(trials * p + half), trials, q)
                  - stats.binom.cdf(np.ceil(trials * p - half) - 1, trials, q))
        missed = min(missed, inside)
    assert missed <= 1e-6, (k, bug, missed)


