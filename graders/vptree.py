"""Hidden grader for the vptree challenge.

Exactness is checked against a brute-force scan done here, in the grading
process: results must be equal, ties (broken by the lower index) included.
Efficiency is checked by counting metric evaluations, which is
deterministic: no timing noise. The counted trees get opaque points (ids)
and a metric that the grading process computes and counts
(`counting_metric`): the tree learns a distance only by asking for it, so a
solution cannot compute distances on its own and report fewer, and nothing
in its worker can change the count.

Exact ties only exist on purpose: the tie tests use small integer coordinates,
for which every squared distance is an exact small integer and its square root
is correctly rounded, so any sensible way of computing the Euclidean distance
(this module's, the candidate's default, the harness's counting metric) gives
bit-identical distances. On random continuous data ties have probability 0,
and the distances are compared with a tolerance of 1e-12 (absolute, for
distances of order 1): different but valid formulas differ by a few ulps,
~1e-16.
"""

import time

import numpy as np
import pytest

from trainer.grading import Call, checks
from trainer.grading.harness import counting_metric

DIST_ATOL = 1e-12


def _distances(P, q):
    diff = P - q
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))


def brute_knn(P, q, k):
    """k nearest rows of P to q, ascending by (distance, index)."""
    d = _distances(P, q)
    order = np.lexsort((np.arange(len(P)), d))[:k]
    return d[order], order


def scan_knn(P, q, k):
    """A fast vectorised brute-force k-NN (for timing): partial sort, then order the k."""
    d = _distances(P, q)
    part = np.argpartition(d, k - 1)[:k] if k < len(P) else np.arange(len(P))
    order = part[np.lexsort((part, d[part]))]
    return d[order], order


def brute_radius(P, q, r):
    return np.flatnonzero(_distances(P, q) <= r)


def _fmt_point(q):
    return "(" + ", ".join(f"{float(x):g}" for x in np.asarray(q)) + ")"


def check_knn(tree, P, q, k, given, exact_dists=False, ask=None):
    """The candidate's tree.query(q, k) equals brute force (indices exactly).

    `ask` is what the tree is queried with when it holds opaque points (the
    id of q); q itself, the coordinates, are for the brute-force scan.
    """
    check_knn_result(tree.query(q if ask is None else ask, k), P, q, k, given, exact_dists)


def check_knn_result(got, P, q, k, given, exact_dists=False):
    """A result of query(q, k) equals brute force (indices exactly)."""
    checks.that(isinstance(got, tuple) and len(got) == 2,
                f"query(q, k) should return a tuple (dists, idx), got {checks.show(got)} for {given}")
    dists = checks.as_array(got[0], "dists", given)
    idx = checks.as_array(got[1], "idx", given)
    exp_d, exp_i = brute_knn(P, q, k)
    where = f"{given}, query q = {_fmt_point(q)}, k = {k}"
    checks.that(idx.shape == (k,) and dists.shape == (k,),
                f"query should return {k} neighbours for {where}; got idx of shape {idx.shape} "
                f"and dists of shape {dists.shape}: idx = {checks.show(idx)}")
    checks.that(idx.dtype.kind in "iu", f"idx should be an integer array for {where}, got dtype {idx.dtype}")
    if not np.array_equal(idx, exp_i):
        j = int(np.flatnonzero(idx != exp_i)[0])
        dup = len(np.unique(idx)) < len(idx)
        why = " (the result repeats an index: is a point stored twice?)" if dup else ""
        got_j = int(idx[j])
        got_dist = (f"at distance {float(_distances(P[got_j:got_j + 1], q)[0])!r}"
                    if 0 <= got_j < len(P) else "which is not a valid index")
        checks.fail(
            f"query disagrees with a brute-force scan for {where}{why}.\n"
            f"  first difference at rank {j}: expected index {int(exp_i[j])} at distance {float(exp_d[j])!r}, "
            f"got index {got_j} {got_dist}\n"
            f"  expected idx: {checks.show(exp_i)}\n  got idx:      {checks.show(idx)}\n"
            "Neighbours are sorted by distance, ties broken by the lower index.")
    if exact_dists:
        checks.equal(dists, exp_d, what="dists", given=where)
    else:
        checks.close(dists, exp_d, atol=DIST_ATOL, what="dists", given=where)


def tie_grid(rng, n=300, side=7, d=2):
    """n points on a small integer grid: many duplicates and exact distance ties."""
    return rng.integers(0, side, size=(n, d)).astype(np.float64)


# --------------------------------------------------------------------------
# correctness
# --------------------------------------------------------------------------

@pytest.mark.correctness
@pytest.mark.parametrize("d", [2, 5])
def test_knn_matches_brute_force(solution, rng, d):
    """k-NN queries equal a brute-force scan on random points"""
    n = 1500
    P = rng.random((n, d))
    tree = solution.VPTree(P, metric=None, rng=rng)
    # Queries inside and around the unit cube.
    Q = rng.uniform(-0.2, 1.2, size=(30, d))
    given = f"{n} uniform random points in {d}-D (default Euclidean metric)"
    for q in Q:
        for k in (1, 5, 40):
            check_knn(tree, P, q, k, given)


@pytest.mark.correctness
def test_query_radius_matches_brute_force(solution, rng):
    """query_radius returns every point within r, sorted, on random points"""
    n, d = 1200, 3
    P = rng.random((n, d))
    Q = rng.uniform(-0.1, 1.1, size=(25, d))
    metric = counting_metric(P, Q)   # opaque points: the tree must use the metric it is given
    tree = solution.VPTree(metric.points, metric=metric, rng=rng)
    for j, (q, r) in enumerate(zip(Q, rng.uniform(0.0, 0.5, size=25).tolist())):
        got = checks.as_array(tree.query_radius(metric.query(j), r), "query_radius result")
        expected = brute_radius(P, q, r)
        given = f"{n} uniform random points in 3-D given as ids with a metric, q = {_fmt_point(q)}, r = {r!r}"
        checks.that(got.ndim == 1 and (got.size == 0 or got.dtype.kind in "iu"),
                    f"query_radius should return a 1-D integer array for {given}, got {checks.show(got)}")
        if not np.array_equal(got, expected):
            missing = np.setdiff1d(expected, got)
            extra = np.setdiff1d(got, expected)
            checks.fail(
                f"query_radius disagrees with a brute-force scan for {given}.\n"
                f"  expected {len(expected)} indices (ascending), got {len(got)}"
                + (f"; missing {checks.show(missing)}" if len(missing) else "")
                + (f"; not within r: {checks.show(extra)}" if len(extra) else "")
                + ("" if len(missing) or len(extra) else "; same points, but not sorted ascending or repeated")
                + f"\n  expected: {checks.show(expected)}\n  got:      {checks.show(got)}")


@pytest.mark.correctness
def test_vantage_points_come_from_rng(solution):
    """Vantage points are drawn with the given rng: same rng, same tree; another rng, another tree"""
    n, k = 2000, 5
    data = np.random.default_rng(99)
    P = data.random((n, 2))
    Q = data.random((20, 2))

    def query_evaluations(seed):
        # The tree's shape shows in the evaluations a fixed batch of queries needs.
        metric = counting_metric(P, Q)
        tree = solution.VPTree(metric.points, metric=metric, rng=np.random.default_rng(seed))
        return _mean_query_evaluations(tree, metric, k) * len(Q)

    given = f"{n} uniform points in 2-D, 20 fixed k = {k} queries"
    first, again = query_evaluations(1), query_evaluations(1)
    checks.that(first == again,
                f"two trees built with identical rng states needed {first:.0f} and {again:.0f} metric "
                f"evaluations for the same queries ({given}): the build is not reproducible. Draw the "
                "vantage points from the `rng` argument (not np.random.* or a fresh default_rng()).")
    others = [query_evaluations(seed) for seed in (2, 3, 4)]
    checks.that(len({first, *others}) > 1,
                f"trees built with rng seeds 1, 2, 3, 4 needed exactly the same metric evaluations "
                f"({first:.0f}) for the same queries ({given}): the vantage points do not depend on `rng`. "
                "Pick each vantage point at random with rng.")


# --------------------------------------------------------------------------
# edge cases
# --------------------------------------------------------------------------

@pytest.mark.edge_case
def test_ties_and_duplicates_match_brute_force(solution, rng):
    """Exact ties and duplicate points: equal to brute force, ties by lower index"""
    P = tie_grid(rng)
    tree = solution.VPTree(P, metric=None, rng=rng)
    given = "300 points on a 7x7 integer grid (duplicates, many equal distances)"
    # 100 of the data points, grid points off the data, and half-integer points.
    Q = np.vstack([P[rng.choice(len(P), size=100, replace=False)], rng.integers(-1, 8, size=(40, 2)),
                   rng.integers(-2, 16, size=(20, 2)) / 2.0])
    for q in Q:
        for k in (1, 4, 13):
            check_knn(tree, P, q, k, given, exact_dists=True)


@pytest.mark.edge_case
def test_query_at_each_point_returns_k(solution, rng):
    """A query equal to a stored point (the root's vantage point among them) returns k neighbours"""
    n, k = 200, 8
    P = rng.random((n, 2))
    metric = counting_metric(P)
    tree = solution.VPTree(metric.points, metric=metric, rng=rng)
    given = f"{n} uniform random points in 2-D given as ids with a metric, the query equal to a stored point"
    for i in range(n):
        got = tree.query(metric.points[i], k)
        idx = checks.as_array(got[1], "idx", given)
        checks.that(idx.shape == (k,),
                    f"query(P[{i}], k={k}) returned {idx.size} neighbours instead of {k} ({given}): "
                    f"idx = {checks.show(idx)}. Until k candidates are found the search radius tau must stay "
                    "infinite; shrinking it to the farthest candidate so far prunes everything when the "
                    "first candidate is at distance 0 (the query is the vantage point).")
        check_knn(tree, P, P[i], k, given, ask=metric.points[i])


@pytest.mark.edge_case
def test_k_equal_n_returns_every_point_once(solution, rng):
    """k = n returns every point exactly once (median ties kept, vantage points not duplicated)"""
    P = tie_grid(rng, n=250, side=5)
    n = len(P)
    metric = counting_metric(P, [[2.0, 2.0], [-3.0, 7.5]])
    tree = solution.VPTree(metric.points, metric=metric, rng=rng)
    given = f"{n} points on a 5x5 integer grid given as ids with a metric (many at exactly the median distance)"
    for q, ask in ((P[0], metric.points[0]), (np.array([2.0, 2.0]), metric.query(0)),
                   (np.array([-3.0, 7.5]), metric.query(1))):
        idx = checks.as_array(tree.query(ask, n)[1], "idx", given)
        counts = np.bincount(idx[(idx >= 0) & (idx < n)], minlength=n) if idx.size else np.zeros(n, int)
        lost = np.flatnonzero(counts == 0)
        twice = np.flatnonzero(counts > 1)
        checks.that(
            idx.shape == (n,) and not len(lost) and not len(twice),
            f"query(q = {_fmt_point(q)}, k = n = {n}) should return every point exactly once ({given}); "
            f"got {idx.size} indices, {len(lost)} points missing (e.g. {checks.show(lost[:5])}), "
            f"{len(twice)} repeated (e.g. {checks.show(twice[:5])}). A point at exactly the median distance "
            "must go to one child, and the vantage point must leave its own subtree.")
        check_knn(tree, P, q, n, given, exact_dists=True, ask=ask)
    radius_all = checks.as_array(tree.query_radius(metric.query(0), 1e9), "query_radius result", given)
    checks.equal(radius_all, np.arange(n), what="query_radius(q, r=1e9) (every point, ascending)", given=given)


@pytest.mark.edge_case
def test_identical_points(solution):
    """All points identical: ties resolved by index, every point kept"""
    n = 60
    P = np.tile(np.array([[0.5, -1.0, 2.0]]), (n, 1))
    tree = solution.VPTree(P, metric=None, rng=np.random.default_rng(5))
    given = f"{n} identical points in 3-D"
    check_knn(tree, P, P[0], 5, given, exact_dists=True)
    check_knn(tree, P, np.array([1.5, -1.0, 2.0]), n, given, exact_dists=True)
    got = checks.as_array(tree.query_radius(P[0], 0.0), "query_radius result", given)
    checks.equal(got, np.arange(n), what="query_radius(P[0], r=0) (all points at distance exactly 0)",
                 given=given)


@pytest.mark.edge_case
def test_single_point(solution):
    """A tree over a single point answers k = 1 and rejects k = 2"""
    P = np.array([[1.0, 2.0]])
    tree = solution.VPTree(P, rng=np.random.default_rng(0))
    check_knn(tree, P, np.array([4.0, 6.0]), 1, "a single point (1, 2)")
    checks.raises(ValueError, tree.query, np.array([0.0, 0.0]), 2, given="a single point, k = 2")


@pytest.mark.edge_case
def test_query_radius_includes_boundary(solution, rng):
    """query_radius includes points at exactly distance r (d <= r)"""
    P = tie_grid(rng, n=200, side=6)
    metric = counting_metric(P, [[2.0, 3.0], [0.0, 0.0], [0.5, 0.5]])
    tree = solution.VPTree(metric.points, metric=metric, rng=rng)
    given = "200 points on a 6x6 integer grid given as ids with a metric"
    # Radii equal to exact grid distances: sqrt of small integers.
    for q, ask in ((P[3], metric.points[3]), (np.array([2.0, 3.0]), metric.query(0)),
                   (np.array([0.0, 0.0]), metric.query(1))):
        for r in (0.0, 1.0, float(np.sqrt(2.0)), 2.0, float(np.sqrt(5.0))):
            got = checks.as_array(tree.query_radius(ask, r), "query_radius result", given)
            expected = brute_radius(P, q, r)
            on_boundary = np.setdiff1d(expected, got)
            checks.that(np.array_equal(got, expected),
                        f"query_radius(q = {_fmt_point(q)}, r = {r!r}) disagrees with brute force ({given}): "
                        f"expected {len(expected)} indices, got {len(got)}; missing {checks.show(on_boundary)}"
                        f" (points at exactly distance r count: d <= r).\n"
                        f"  expected: {checks.show(expected)}\n  got:      {checks.show(got)}")
    empty = checks.as_array(tree.query_radius(metric.query(2), 0.1), "query_radius result", given)
    checks.that(empty.size == 0,
                f"query_radius(q = (0.5, 0.5), r = 0.1) should be empty ({given}: the nearest point is at "
                f"distance {np.sqrt(0.5):.4f}), got {checks.show(empty)}")


@pytest.mark.edge_case
@pytest.mark.parametrize("k", [0, -1, 41])
def test_invalid_k_raises(solution, rng, k):
    """k < 1 or k > n raises ValueError"""
    P = rng.random((40, 2))
    tree = solution.VPTree(P, rng=rng)
    checks.raises(ValueError, tree.query, np.array([0.5, 0.5]), k, given=f"40 points, k = {k}")


# --------------------------------------------------------------------------
# performance: metric evaluations (deterministic)
# --------------------------------------------------------------------------

def _mean_query_evaluations(tree, metric, k):
    """Mean metric rows evaluated per query, over every query point the metric knows."""
    before = metric.count
    for j in range(metric.n_queries):
        tree.query(metric.query(j), k)
    return (metric.count - before) / metric.n_queries


def _require_metric_used(mean, k, given):
    checks.that(mean >= k,
                f"queries evaluated {mean:.1f} rows on average through the metric passed to VPTree ({given}, "
                f"k = {k}); a query must compute at least the k distances it returns with that metric. "
                "Use `metric` for every distance: it is how the tree is measured.")


@pytest.mark.performance
def test_query_evaluations_at_20000(solution, reference, budget, rng):
    """A k = 5 query on 20 000 points in 2-D evaluates at most 10% of them on average"""
    n, k = 20_000, 5
    P = rng.random((n, 2))
    Q = rng.random((100, 2))
    given = f"n = {n} uniform points in the unit square, 100 queries"
    metric = counting_metric(P, Q)
    tree = solution.VPTree(metric.points, metric=metric, rng=rng)
    mean = _mean_query_evaluations(tree, metric, k)
    _require_metric_used(mean, k, given)
    ref_metric = counting_metric(P, Q)
    ref_tree = reference.VPTree(ref_metric.points, metric=ref_metric, rng=rng)
    ref_mean = _mean_query_evaluations(ref_tree, ref_metric, k)
    budget.at_most(f"metric evaluations per k = {k} query ({given})", float(mean), 0.10 * n, unit="evaluations",
                   reference=ref_mean,
                   advice=f"That is {100 * mean / n:.1f}% of n; the budget is 10%. Prune a child whenever its "
                          "triangle-inequality bound exceeds tau, search the side q falls on first, and never "
                          "scan all points inside query.")
    for j in range(5):   # the counted tree must also be right
        check_knn(tree, P, Q[j], k, given, ask=metric.query(j))


# Each metric call is a round trip to the grading process (~50 µs): the
# sizes span a factor of 16, enough to tell n log n from n^2 and a sublinear
# query from a scan, at a few seconds per test.
GROWTH_SIZES = (2_500, 5_000, 10_000, 20_000, 40_000)


@pytest.mark.performance
def test_query_evaluations_grow_sublinearly(solution, budget):
    """Query evaluations grow sublinearly in n (log-log slope <= 0.6 over n = 2 500..40 000, d = 2)"""
    k = 5
    rng = np.random.default_rng(20240)

    def mean_evaluations(n):
        P = rng.random((n, 2))
        metric = counting_metric(P, rng.random((40, 2)))
        tree = solution.with_timeout(60).VPTree(metric.points, metric=metric, rng=rng)
        mean = _mean_query_evaluations(tree, metric, k)
        _require_metric_used(mean, k, f"n = {n} uniform points in 2-D")
        for j in range(2):   # counts of a wrong tree mean nothing
            check_knn(tree, P, metric.query_points[j], k, f"n = {n} uniform points in 2-D", ask=metric.query(j))
        return mean

    budget.growth(GROWTH_SIZES, mean_evaluations, max_exponent=0.6, unit="evaluations",
                  label=f"metric evaluations per k = {k} query, uniform points in 2-D, 40 queries per n")


@pytest.mark.performance
def test_build_evaluations_n_log_n(solution, budget):
    """The build uses O(n log n) metric evaluations (<= 2 n log2 n; x2.3 at most from n = 20 000 to 40 000)"""
    rng = np.random.default_rng(777)
    builds = []
    for n in GROWTH_SIZES:
        P = rng.random((n, 2))
        metric = counting_metric(P, P[:1])
        tree = solution.with_timeout(60).VPTree(metric.points, metric=metric, rng=rng)
        builds.append(metric.count)
        check_knn(tree, P, P[0], 3, f"n = {n} uniform points in 2-D", ask=metric.query(0))
    table = ", ".join(f"n={n}: {b}" for n, b in zip(GROWTH_SIZES, builds))
    checks.that(builds[-1] > 0,
                f"building the tree evaluated no distances through the metric passed to VPTree ({table}). "
                "Use `metric` for every distance: it is how the tree is measured.")
    per_n_log_n = [b / (n * np.log2(n)) for n, b in zip(GROWTH_SIZES, builds)]
    worst = int(np.argmax(per_n_log_n))
    budget.at_most(f"build evaluations / (n log2 n), worst over n = 2 500..40 000 (at n = {GROWTH_SIZES[worst]})",
                   float(per_n_log_n[worst]), 2.0, unit="x n log2 n",
                   advice=f"Build evaluations: {table}. One metric call per node, over the node's other points, "
                          "gives about n log2 n in total.")
    budget.at_most(f"build evaluations at n = {GROWTH_SIZES[-1]} / at n = {GROWTH_SIZES[-2]}",
                   float(builds[-1] / builds[-2]), 2.3, unit="x",
                   advice=f"Build evaluations: {table}. n log n gives about 2.14 per doubling, n^2 gives 4.")


# --------------------------------------------------------------------------
# for information: query time, high dimension
# --------------------------------------------------------------------------

def _mean_cpu_seconds(fn, inputs):
    """CPU time of fn per input, the mean over `inputs` (measured as budget.time measures)."""
    start = time.process_time()
    for x in inputs:
        fn(x)
    return (time.process_time() - start) / len(inputs)


@pytest.mark.performance
@pytest.mark.parametrize("d, n", [(2, 20_000), (32, 5_000)])
def test_wall_time_for_information(solution, reference, budget, rng, d, n):
    """CPU time of a query vs the reference tree and vs brute force (reported, not budgeted)"""
    k = 5
    P = rng.random((n, d))
    Q = rng.random((10, d))
    given = f"n = {n} uniform points in {d}-D"
    # The time, of trees on the coordinates with their own Euclidean metric,
    # built first so that both workers hold the same objects while timed...
    tree = solution.VPTree(P, metric=None, rng=rng)
    ref_tree = reference.VPTree(P, rng=rng)
    for q in Q[:3]:   # reported numbers are only worth something if the answers are right
        check_knn(tree, P, q, k, given)
    # The timed queries are points not queried before (no answer to them can
    # exist yet), one per run, and every answer is checked.
    timed = rng.random((6, d))
    timing = budget.time("query", lambda run: Call(timed[run], k), target=tree, reference_target=ref_tree,
                         check=lambda got, expected, call: check_knn_result(got, P, call.args[0], k, given),
                         repeats=len(timed) - 1, informational=True,
                         label=f"one k = {k} query, {given}, vs the reference tree")
    # ...then the fraction of points a query evaluates, counted on opaque points.
    metric = counting_metric(P, Q)
    counted = solution.VPTree(metric.points, metric=metric, rng=rng)
    mean = _mean_query_evaluations(counted, metric, k)
    scan = _mean_cpu_seconds(lambda q: scan_knn(P, q, k), timed)
    budget.note(f"one k = {k} query, {given}", timing.candidate, scan, unit="s",
                versus="a vectorised brute-force scan (numpy, one call)",
                note=f"the tree evaluated {100 * mean / n:.1f}% of the points per query")
