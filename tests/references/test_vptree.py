"""The VP-tree reference against independent implementations, and the
assumptions the vptree grader and description make about it.

Oracles:
- a plain loop: every point's distance, sorted as (distance, index) tuples;
- scikit-learn's NearestNeighbors(algorithm="brute") for k-NN and radius
  queries on continuous data (no exact ties, so its tie order does not matter).

scikit-learn is a test-only dependency.
"""

import math

import numpy as np
import pytest

from tests.helpers import HOSTILE, REPO, load_module
from trainer.grading.budget import secret_seed

ref = load_module(REPO / "reference" / "vptree.py", "vptree_reference")

# Fixed stand-ins for the secret each counted test draws (budget.rng).
SECRETS = [bytes([i]) * 16 for i in range(3)]


class CountingMetric:
    """Euclidean metric counting the rows it evaluates (like the harness's)."""

    def __init__(self):
        self.count = 0

    def __call__(self, a, B):
        B = np.atleast_2d(B)
        self.count += len(B)
        diff = B - a
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))


def loop_knn(P, q, k):
    """Brute force one point at a time, exact (distance, index) order."""
    pairs = sorted((math.sqrt(sum((float(a) - float(b)) ** 2 for a, b in zip(p, q))), i) for i, p in enumerate(P))
    return [d for d, _ in pairs[:k]], [i for _, i in pairs[:k]]


def sorted_knn(P, q, k):
    """Brute force, vectorised: a stable sort of all distances (ties by the lower index)."""
    diff = P - q
    return np.argsort(np.sqrt((diff * diff).sum(axis=1)), kind="stable")[:k].tolist()


def test_every_point_stored_exactly_once():
    rng = np.random.default_rng(0)
    for P in (rng.integers(0, 4, size=(300, 2)).astype(float), rng.random((500, 3)), np.zeros((50, 2))):
        tree = ref.VPTree(P, rng=rng)
        assert sorted(tree._vp.tolist()) == list(range(len(P)))


@pytest.mark.parametrize("side", [3, 7])
def test_matches_a_plain_loop_with_ties_and_duplicates(side):
    rng = np.random.default_rng(side)
    P = rng.integers(0, side, size=(120, 2)).astype(float)
    tree = ref.VPTree(P, rng=rng)
    queries = list(P[:40]) + list(rng.integers(-1, side + 1, size=(20, 2)) / 1.0) + list(rng.random((10, 2)) * side)
    for q in queries:
        for k in (1, 5, 17, len(P)):
            d, idx = tree.query(q, k)
            exp_d, exp_i = loop_knn(P, q, k)
            assert idx.tolist() == exp_i
            assert d.tolist() == exp_d
        for r in (0.0, 1.0, math.sqrt(2.0), 2.0):
            expected = [i for i, p in enumerate(P) if math.dist(p, q) <= r]
            assert tree.query_radius(q, r).tolist() == expected


def test_collinear_points_keep_exact_ties():
    # Points on a diagonal: d(q, x) = d(q, vp) - d(x, vp) holds exactly in the
    # reals, and pruning must not lose the tie to rounding.
    P = np.array([[i, i] for i in range(40)] * 2, dtype=float)
    for seed in range(20):
        tree = ref.VPTree(P, rng=np.random.default_rng(seed))
        for q in P[::7]:
            for k in (2, 3, 6):
                assert tree.query(q, k)[1].tolist() == loop_knn(P, q, k)[1]


@pytest.mark.parametrize("d", [2, 8])
def test_matches_sklearn_nearest_neighbors(d):
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(10 + d)
    P = rng.random((3000, d))
    Q = rng.uniform(-0.1, 1.1, size=(50, d))
    tree = ref.VPTree(P, rng=rng)
    nn = NearestNeighbors(algorithm="brute").fit(P)
    sk_d, sk_i = nn.kneighbors(Q, n_neighbors=10)
    radii = rng.uniform(0.05, 0.4, size=len(Q))
    sk_r = nn.radius_neighbors(Q, radius=float(radii.max()), return_distance=True)
    for j, q in enumerate(Q):
        dists, idx = tree.query(q, 10)
        assert idx.tolist() == sk_i[j].tolist()
        np.testing.assert_allclose(dists, sk_d[j], rtol=0, atol=1e-12)
        expected = np.sort(sk_r[1][j][sk_r[0][j] <= radii[j]])
        assert tree.query_radius(q, radii[j]).tolist() == expected.tolist()


def test_query_errors():
    tree = ref.VPTree(np.random.default_rng(0).random((10, 2)))
    for k in (0, -1, 11, 2.5):
        with pytest.raises(ValueError):
            tree.query(np.zeros(2), k)
    with pytest.raises(ValueError):
        tree.query(np.zeros(3), 1)


def test_deep_tree_of_duplicates_builds_and_answers():
    # A tree over identical points has depth n: no recursion limit may be hit
    # (the description promises 4 000 identical points).
    n = 4_000
    P = np.full((n, 1), 0.75)
    tree = ref.VPTree(P, rng=np.random.default_rng(1))
    d, idx = tree.query(P[0], 4)
    assert idx.tolist() == [0, 1, 2, 3] and d.tolist() == [0.0] * 4
    d, idx = tree.query(np.array([1.75]), n)
    assert idx.tolist() == list(range(n)) and np.all(d == 1.0)
    assert tree.query_radius(np.array([1.75]), 1.5).tolist() == list(range(n))


def test_heaps_of_duplicates_geometry():
    """The grader's mixed duplicates test: the 10 nearest of each distinct point
    are distinct points (the heaps are farther than any two distinct points)."""
    grader = load_module(REPO / "graders" / "vptree.py", "vptree_grader")
    data = np.random.default_rng(61)
    P = np.vstack([np.zeros((2000, 2)), np.tile([[10.0, 0.0]], (2000, 1)), data.uniform(4.0, 6.0, size=(60, 2))])
    P = P[data.permutation(len(P))]
    distinct = np.flatnonzero((P[:, 0] > 1.0) & (P[:, 0] < 9.0))
    assert len(distinct) == 60
    heaps = np.setdiff1d(np.arange(len(P)), distinct)
    for i in distinct:
        d = grader._distances(P, P[i])
        assert d[distinct].max() < d[heaps].min()
    tree = ref.VPTree(P, rng=np.random.default_rng(6))
    for i in distinct[:10]:
        assert tree.query(P[i], 10)[1].tolist() == loop_knn(P, P[i], 10)[1]


def test_line_without_three_term_progressions():
    """The boundary test's points: from any of them, all distances to the others differ."""
    grader = load_module(REPO / "graders" / "vptree.py", "vptree_grader")
    for seed in range(5):
        x = grader.no_three_term_progression(np.random.default_rng(seed), 100)
        assert len(np.unique(x)) == 100
        D = np.abs(x[:, None] - x[None, :])
        for row in D:
            assert len(np.unique(row)) == 100      # the 0 to itself and 99 distinct distances


def test_far_slanted_line_has_exact_distances():
    """The boundary test's far slanted line: t = 5 u, u with 15 base-3 digits 0/1; with
    its queries (up to 6e6 beyond either end) every squared distance 5 (t - t')^2 is an
    exact integer below 2^53, and from any point all distances to the others differ."""
    grader = load_module(REPO / "graders" / "vptree.py", "vptree_grader")
    worst = 5 * (5 * (3 ** 15 - 1) // 2 + 6_000_000) ** 2
    assert worst < 2 ** 53
    for seed in range(5):
        t = 5.0 * grader.no_three_term_progression(np.random.default_rng(seed), 60, digits=15)
        assert t.max() <= 5 * (3 ** 15 - 1) // 2 and len(np.unique(t)) == 60
        for row in np.abs(t[:, None] - t[None, :]):
            assert len(np.unique(row)) == 60


@pytest.mark.slow
def test_randomness_test_tells_seeds_apart():
    """The grader's randomness test: (build evaluations, each query's evaluations)
    on its 7x7 grid differ between any two of 1000 seeds for the reference."""
    data = np.random.default_rng(99)                 # as in the grader
    P = data.integers(0, 7, size=(300, 2)).astype(np.float64)
    Q = data.uniform(-1.0, 8.0, size=(5, 2))
    seen = set()
    for seed in range(1000):
        metric = CountingMetric()
        tree = ref.VPTree(P, metric=metric, rng=np.random.default_rng(seed))
        result = [metric.count]
        for q in Q:
            before = metric.count
            tree.query(q, 5)
            result.append(metric.count - before)
        seen.add(tuple(result))
    assert len(seen) == 1000


def test_reference_is_well_inside_the_graders_evaluation_budgets():
    """The grader's limits (10% of n per query, slope 0.6, 2 n log2 n, x2.35)
    leave the reference a wide margin, so they judge the algorithm, not luck:
    on the growth test's draws under a few stand-ins for its secret."""
    grader = load_module(REPO / "graders" / "vptree.py", "vptree_grader")
    sizes = grader.GROWTH_SIZES
    for secret in SECRETS[:2]:
        rng = np.random.default_rng(secret_seed(secret, 20240))     # as in the grader, under this secret
        per_query, builds = [], []
        for n in sizes:
            P = rng.random((n, 2))
            metric = CountingMetric()
            tree = ref.VPTree(P, metric=metric, rng=np.random.default_rng(secret_seed(secret, n)))   # budget.rng(n)
            builds.append(metric.count)
            metric.count = 0
            for q in rng.random((40, 2)):
                assert tree.query(q, 5)[1].tolist() == sorted_knn(P, q, 5), (secret, n)   # as the grader checks
            per_query.append(metric.count / 40)
        slope = np.polyfit(np.log(sizes), np.log(per_query), 1)[0]
        assert slope < 0.2, secret
        # Under 1% of n at the largest size, the nearest to the 20 000 points
        # whose query the 10% limit counts: a tenth of that limit.
        assert per_query[-1] < 0.01 * sizes[-1], secret
        assert all(b <= 1.0 * n * np.log2(n) for n, b in zip(sizes, builds)), secret
        assert builds[-1] / builds[-2] < 2.2 < grader.BUILD_DOUBLING_MAX, secret


def test_reference_evaluations_at_20000_as_the_grader_shows_them():
    """The count that test_query_evaluations_at_20000 shows for the reference is
    its mean over the test's draws (40 stand-ins for the secret gave 43.07,
    from 40.8 to 45.8): the reference on the same points, queries and rng
    state, counted here under a few of them, is within 10% of it."""
    grader = load_module(REPO / "graders" / "vptree.py", "vptree_grader")
    for secret in SECRETS:
        rng = np.random.default_rng(secret_seed(secret, 20_000))     # as in the grader, under this secret
        P = rng.random((20_000, 2))
        Q = rng.random((100, 2))
        metric = CountingMetric()
        tree = ref.VPTree(P, metric=metric, rng=np.random.default_rng(secret_seed(secret, 1)))   # budget.rng(1)
        metric.count = 0
        for q in Q:
            assert tree.query(q, 5)[1].tolist() == sorted_knn(P, q, 5), secret   # as the grader checks
        assert abs(metric.count / len(Q) / grader.REFERENCE_EVALUATIONS_AT_20000 - 1) < 0.1, secret


def test_high_dimension_visits_nearly_every_point():
    """The description's claim: at d = 32 a query evaluates nearly all points."""
    rng = np.random.default_rng(32)
    n = 5000
    P = rng.random((n, 32))
    metric = CountingMetric()
    tree = ref.VPTree(P, metric=metric, rng=rng)
    metric.count = 0
    for q in rng.random((5, 32)):
        tree.query(q, 5)
    assert metric.count / 5 > 0.9 * n


# -- the tree's generator is not the one that drew the hidden points ---------------

class IdMetric(CountingMetric):
    """Like the grader's counting metric: points and queries are ids, rows of `coords` behind them."""

    def __init__(self, P, Q):
        super().__init__()
        self.coords = np.concatenate([P, Q])
        self.points = np.arange(len(P), dtype=np.int64)[:, None]

    def __call__(self, a, B):
        return super().__call__(self.coords[int(np.asarray(a).ravel()[0])], self.coords[np.asarray(B).ravel()])


def test_the_rewinding_fixture_cheats_when_given_the_generator_that_drew_the_points():
    """tests/fixtures/hostile/vptree_rewinds_rng.py is a real attack: handed the
    generator that drew the points and queries (the grader's counted tests did
    so), it steps it back, draws them again and pays k evaluations per query
    and n - 1 for the build; handed a generator of its own, it scans."""
    hostile = load_module(HOSTILE / "vptree_rewinds_rng.py", "vptree_rewinds_rng")
    n, k = 2_000, 5
    for shared in (True, False):
        rng = np.random.default_rng(20_000)
        P = rng.random((n, 2))
        Q = rng.random((40, 2))
        metric = IdMetric(P, Q)
        given = np.random.default_rng(1)
        if shared:   # as the worker got it: a copy of the state (the caller's is not advanced)
            given.bit_generator.state = rng.bit_generator.state
        tree = hostile.VPTree(metric.points, metric=metric, rng=given)
        assert metric.count == n - 1
        metric.count = 0
        for j, q in enumerate(Q):
            assert tree.query(np.array([n + j]), k)[1].tolist() == loop_knn(P, q, k)[1]
        assert metric.count == (k if shared else n) * len(Q), shared


@pytest.mark.slow
def test_grader_gives_the_tree_a_generator_that_drew_nothing_hidden():
    """Graded for real, the rewinding fixture fails both counted query tests: the
    generator each counted tree gets drew none of the points or queries, so
    the rewind finds other points and the file falls back to a scan. (Its build
    pays n - 1 evaluations whatever the generator, a linear build that the build
    test's limits allow.)"""
    from trainer.catalog import load_catalog
    from trainer.engine import grade

    scans = {"test_query_evaluations_at_20000": "candidate 20000 evaluations",
             "test_query_evaluations_grow_sublinearly": "n=1000: 1000 evaluations, n=2000: 2000 evaluations"}
    report = grade(load_catalog().get("vptree"), HOSTILE / "vptree_rewinds_rng.py", keyword=" or ".join(scans))
    assert report.status == "failed", (report.status, report.error)
    outcomes = {t.nodeid.split("::")[-1]: (t.outcome, t.message) for t in report.tests}
    assert sorted(outcomes) == sorted(scans), outcomes
    for name, scan in scans.items():
        assert outcomes[name][0] == "failed" and scan in outcomes[name][1], (name, outcomes[name])


# -- every counted query is checked, the very call that is counted -------------------

class QueryIdMetric(IdMetric):
    """IdMetric with the grader metric's view of its queries (what _mean_query_evaluations uses)."""

    def __init__(self, P, Q):
        super().__init__(P, Q)
        self.n_queries = len(Q)
        self.query_points = Q
        self.n = len(P)
        self.query_rows = 0    # (what the grader's QueryCountingMetric counts: see the test below)

    def __call__(self, a, B):   # ids, which a tree may hold as floats (the reference does: exact below 2^53)
        return super().__call__(np.asarray(a).astype(np.int64), np.asarray(B).astype(np.int64))

    def query(self, j):
        return np.array([len(self.points) + j], dtype=np.int64)


class PaysOnlyWhenAskedAgain:
    """The shape of the attack the counted tests now catch: the first ask of a
    query id is answered with k arbitrary points (k evaluations), a second ask
    of the same id with a full scan (a right answer)."""

    def __init__(self, points, metric=None, rng=None):
        self.points, self.metric, self.seen = points, metric, set()

    def query(self, q, k):
        n = len(self.points)
        rows = self.points if int(q[0]) in self.seen else self.points[:k]
        self.seen.add(int(q[0]))
        d = np.asarray(self.metric(q, rows))
        order = np.lexsort((np.arange(len(rows)), d))[:k]
        return d[order], order.astype(np.int64) if len(rows) == n else np.arange(k)[order]


def test_counted_queries_are_the_checked_queries():
    """_mean_query_evaluations checks the answer of every call it counts: a
    tree that pays k evaluations for a wrong first answer fails there (asked
    again, it would scan and answer right), and the reference passes with
    its count (every answer right)."""
    grader = load_module(REPO / "graders" / "vptree.py", "vptree_grader")
    rng = np.random.default_rng(7)
    n, k = 2_000, 5
    P, Q = rng.random((n, 2)), rng.random((20, 2))
    metric = QueryIdMetric(P, Q)
    cheat = PaysOnlyWhenAskedAgain(metric.points, metric=metric)
    with pytest.raises(grader.checks.GradeFailure, match="disagrees with a brute-force scan"):
        grader._mean_query_evaluations(cheat, metric, P, k, "test")
    assert metric.count == k                        # it failed on the first counted call
    again = cheat.query(metric.query(0), k)         # the same query again: right, as a later check would see
    assert again[1].tolist() == sorted_knn(P, Q[0], k)
    metric = QueryIdMetric(P, Q)
    tree = ref.VPTree(metric.points, metric=metric, rng=np.random.default_rng(1))
    metric.count = 0
    mean = grader._mean_query_evaluations(tree, metric, P, k, "test")
    assert mean == metric.count / len(Q) and k <= mean < 0.1 * n


def test_counted_draws_have_no_near_ties_among_the_nearest():
    """The grader checks every counted answer by index: that is safe for any
    correct tree, whatever its float formula for a distance, because on the
    counted draws no two of the k + 1 nearest distances are anywhere near a
    few ulps apart (the grader's argument: below 1e-12 per query). Measured on
    the draws of both counted query tests under a few stand-ins for the secret:
    the smallest relative gap is many orders of magnitude above 1e-15."""
    grader = load_module(REPO / "graders" / "vptree.py", "vptree_grader")
    k = 5
    for secret in SECRETS:
        draws = []
        rng = np.random.default_rng(secret_seed(secret, 20_000))        # test_query_evaluations_at_20000
        draws.append((rng.random((20_000, 2)), rng.random((100, 2))))
        rng = np.random.default_rng(secret_seed(secret, 20240))         # test_query_evaluations_grow_sublinearly
        for n in grader.GROWTH_SIZES:
            draws.append((rng.random((n, 2)), rng.random((40, 2))))
        smallest = min(
            np.min(np.diff(d) / d[1:])
            for P, Q in draws
            for d in (np.sort(np.sqrt(((P - q) ** 2).sum(axis=1)))[:k + 1] for q in Q))
        assert smallest > 1e-9, (secret, smallest)


def test_a_build_that_evaluates_query_distances_is_caught():
    """The grader's QueryCountingMetric counts the rows that involve a query id:
    none for the reference's build (nor for any tree, which is given its
    points only), all of them for a build that tabulates the queries'
    distances (n per query) to answer them later for k evaluations, and
    _mean_query_evaluations then fails before counting."""
    grader = load_module(REPO / "graders" / "vptree.py", "vptree_grader")
    rng = np.random.default_rng(8)
    n, k = 1_000, 5
    P, Q = rng.random((n, 2)), rng.random((4, 2))

    def wired(metric):   # the worker's metric(a, B): one request to the grader per call
        return lambda a, B: metric.serve(int(np.asarray(a).ravel()[0]), np.asarray(B).astype(np.int64).ravel())

    metric = grader.QueryCountingMetric(P, Q)
    tree = ref.VPTree(metric.points, metric=wired(metric), rng=np.random.default_rng(1))
    assert metric.query_rows == 0 and metric.count > 0
    mean = grader._mean_query_evaluations(tree, metric, P, k, "test")
    assert metric.query_rows == mean * len(Q)   # a query's rows are all query rows
    metric = grader.QueryCountingMetric(P, Q)
    tree = ref.VPTree(metric.points, metric=wired(metric), rng=np.random.default_rng(1))
    for j in range(len(Q)):                     # the tabulating build's extra requests
        wired(metric)(metric.query(j), metric.points)
    assert metric.query_rows == n * len(Q)
    with pytest.raises(grader.checks.GradeFailure, match="evaluated 4000 distances to query points"):
        grader._mean_query_evaluations(tree, metric, P, k, "test")
