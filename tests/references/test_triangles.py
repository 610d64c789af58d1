"""The triangles reference against independent implementations, and the grader's assumptions.

Oracles:
- a plain loop over users with Python sets and collections.Counter (the
  friends of the friends of x, minus x and x's friends, ordered by
  (-count, id));
- scipy.sparse: the symmetric 0/1 adjacency A, the product A @ A with the
  diagonal and the friendships removed, and every row's entries ordered by
  np.lexsort.

scipy is a test-only dependency.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed

ref = load_module(REPO / "reference" / "triangles.py", "triangles_reference")
grader = load_module(REPO / "graders" / "triangles.py", "triangles_grader_data")

# Fixed stand-ins for the secret each timed test draws (budget.seed).
SECRETS = [bytes([i]) * 16 for i in range(3)]


def loop_oracle(edges, n, k):
    friends = {x: set() for x in range(n)}
    for u, v in np.asarray(edges).tolist():
        if u != v:
            friends[u].add(v)
            friends[v].add(u)
    ids = np.full((n, k), -1, dtype=np.int64)
    counts = np.zeros((n, k), dtype=np.int64)
    for x in range(n):
        reach = Counter(v for w in friends[x] for v in friends[w])
        best = sorted(((-c, v) for v, c in reach.items() if v != x and v not in friends[x]))[:k]
        for j, (c, v) in enumerate(best):
            ids[x, j], counts[x, j] = v, -c
    return ids, counts


def scipy_oracle(edges, n, k):
    E = np.asarray(edges, dtype=np.int64)
    E = E[E[:, 0] != E[:, 1]]
    A = sp.coo_matrix((np.ones(len(E)), (E[:, 0], E[:, 1])), shape=(n, n)).tocsr()
    A = ((A + A.T) > 0).astype(np.int64)
    C = (A @ A).tolil()
    C.setdiag(0)
    C = sp.csr_matrix(C) - sp.csr_matrix(C).multiply(A)
    C = sp.coo_matrix(C)
    keep = C.data > 0
    row, col, cnt = C.row[keep], C.col[keep], C.data[keep]
    ids = np.full((n, k), -1, dtype=np.int64)
    counts = np.zeros((n, k), dtype=np.int64)
    for x in range(n):
        mine = row == x
        order = np.lexsort((col[mine], -cnt[mine]))[:k]
        ids[x, :len(order)] = col[mine][order]
        counts[x, :len(order)] = cnt[mine][order]
    return ids, counts


def random_cases():
    g = np.random.default_rng(5)
    for trial in range(60):
        n = int(g.integers(1, 50))
        m = int(g.integers(0, 150))
        yield trial, g.integers(0, n, size=(m, 2)), n, int(g.integers(1, 9))


@pytest.mark.parametrize("oracle", [loop_oracle, scipy_oracle], ids=["loop", "scipy"])
def test_reference_matches_oracles_on_random_graphs_with_duplicates_and_self_loops(oracle):
    for trial, E, n, k in random_cases():
        got, want = ref.recommend_friends(E, n, k), oracle(E, n, k)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), (trial, n, k)


@pytest.mark.parametrize("oracle", [loop_oracle, scipy_oracle], ids=["loop", "scipy"])
def test_reference_matches_oracles_on_the_graders_graphs(oracle):
    for given, edges, n, ks in grader.agreement_cases():
        for k in ks:
            got, want = ref.recommend_friends(edges, n, k), oracle(edges, n, k)
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), (given, k)


def test_graders_plain_loop_is_the_loop_oracle():
    for given, edges, n, ks in grader.agreement_cases():
        for k in ks:
            a, b = grader.plain_recommend(edges, n, k), loop_oracle(edges, n, k)
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]), given


def test_reference_matches_scipy_on_a_timed_graph():
    E = grader.community(secret_seed(SECRETS[0], grader.GROUP_SEEDS[1]), 50_000, 100_000)
    got = ref.recommend_friends(E, 50_000, 10)
    # scipy's product, ordered for all rows at once (the per-row loop above is too slow here).
    want = load_module(REPO / "benchmarks" / "library" / "triangles.py", "triangles_library")._scipy(E, 50_000, 10)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_tie_graphs_have_what_the_order_test_needs():
    """More than k candidates in every row, and every candidate's count below the user's degree."""
    for seed, left, right, degree, k in ((61, 40, 25, 6, 5), (62, 60, 16, 4, 6)):
        edges, n = grader.bipartite(seed, left, right, degree)
        friends = grader.friend_sets(edges, n)
        for x in range(n):
            cand = grader.candidates(friends, x)
            assert len(cand) > k, (seed, x)
            assert max(cand.values()) < len(friends[x]), (seed, x)
            assert all(not (friends[x] & friends[w]) for w in friends[x])   # friends share no friend


def test_padding_graphs_are_triangle_free_with_no_tie_and_diameter_two():
    for E, n in (([[0, 1], [1, 2]], 3), ([[0, 1], [1, 2], [2, 3], [3, 0]], 4), ([[1, 0]], 2)):
        friends = grader.friend_sets(np.array(E), n)
        for x in range(n):
            cand = grader.candidates(friends, x)
            others = set(range(n)) - {x} - friends[x]
            assert set(cand) == others                                     # nobody at distance > 2
            assert len(set(cand.values())) == len(cand)                     # no tie
            assert all(not (friends[x] & friends[w]) for w in friends[x])


def test_timed_graphs_have_the_stated_number_of_paths():
    """Under any secret: the sum of squared degrees of 100 000 or 50 000 random edges varies by under 1%."""
    for secret in SECRETS:
        for E, n, low, high in ((grader.community(secret_seed(secret, grader.GROUP_SEEDS[0]), 50_000, 100_000),
                                 50_000, 0.8e6, 1.3e6),
                                (grader.popular(secret_seed(secret, grader.POPULAR_SEEDS[0]), 20_000, 50_000, 10, 300),
                                 20_000, 1.2e6, 1.9e6)):
            pairs = np.unique(np.sort(E[E[:, 0] != E[:, 1]], axis=1), axis=0)
            degree = np.bincount(pairs.ravel(), minlength=n)
            assert low < float((degree.astype(np.float64) ** 2).sum()) < high, secret


def test_int32_overflow_case_really_overflows():
    assert 70_000 ** 2 > np.iinfo(np.uint32).max > np.iinfo(np.int32).max
