"""Hidden grader for the triangles challenge.

Oracle. `plain_recommend` applies the rules one user at a time with Python
sets: the friends of every user (duplicates and self-loops dropped), then for
each x a dict of the common-friend counts of every v reached by a path
x - w - v, v != x and v not a friend, sorted by (-count, id). Everything is
an integer: no tolerance anywhere, results are compared exactly.

Each rule has a test where the others do not decide:
- counts (`common_friends` of each listed pair, a property of every entry);
- no self and no friend (properties of every row; the friend test uses
  graphs full of triangles, where friends do share friends);
- no user with 0 common friends (several components and isolated users);
- order and ties (random bipartite graphs: friends there never share a
  friend, every row has more than k candidates, and every candidate's count
  is below the user's degree, so a row's own user, were it listed, would sit
  above the boundary; tests/references/test_triangles.py checks these);
- padding (a path, a square, one edge: triangle-free graphs of diameter 2
  with no tied candidates, where the friend, zero and tie rules are moot);
- duplicates, self-loops and the ids' dtype: the solution's own result on
  the clean int64 edge list is what is expected, so that only these rules
  decide.
The property tests (self, friends, order) look at the entries with a
positive count: zero-count entries and the padding have their own tests.
The agreement test sees them all at once on clean edge lists (each
friendship once, no self-loop), so that the duplicate rules stay in their
own test.
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.grading import Call, checks


# -- oracle ---------------------------------------------------------------------------------------

def friend_sets(edges, n):
    friends = [set() for _ in range(n)]
    for u, v in np.asarray(edges).tolist():
        if u != v:
            friends[u].add(v)
            friends[v].add(u)
    return friends


def plain_recommend(edges, n, k):
    """The rules written out one user at a time (module docstring)."""
    friends = friend_sets(edges, n)
    ids = np.full((n, k), -1, dtype=np.int64)
    counts = np.zeros((n, k), dtype=np.int64)
    for x in range(n):
        common = {}
        for w in friends[x]:
            for v in friends[w]:
                if v != x and v not in friends[x]:
                    common[v] = common.get(v, 0) + 1
        ranked = sorted(common.items(), key=lambda item: (-item[1], item[0]))[:k]
        for j, (v, c) in enumerate(ranked):
            ids[x, j] = v
            counts[x, j] = c
    return ids, counts


def candidates(friends, x):
    """{v: c(x, v)} for the candidates of x."""
    common = {}
    for w in friends[x]:
        for v in friends[w]:
            if v != x and v not in friends[x]:
                common[v] = common.get(v, 0) + 1
    return common


# -- graphs (fixed seeds) ---------------------------------------------------------------------------

def clean(E, seed):
    """Each friendship once (a random orientation), no self-loop, rows shuffled, int64."""
    g = np.random.default_rng(seed)
    E = np.asarray(E, dtype=np.int64)
    E = E[E[:, 0] != E[:, 1]]
    keys = np.unique(np.minimum(E[:, 0], E[:, 1]) * (1 << 32) + np.maximum(E[:, 0], E[:, 1]))
    E = np.stack([keys >> 32, keys & ((1 << 32) - 1)], axis=1)
    flip = g.random(len(E)) < 0.5
    E[flip] = E[flip][:, ::-1]
    return E[g.permutation(len(E))]


def community(seed, n, m, group=25, inside=0.8):
    """n users in groups of `group`; each edge inside a random group with probability `inside`, else anywhere."""
    g = np.random.default_rng(seed)
    groups = n // group
    within = g.random(m) < inside
    gid = g.integers(groups, size=m)
    a = gid * group + g.integers(group, size=m)
    b = gid * group + g.integers(group, size=m)
    anywhere = g.integers(n, size=(m, 2))
    return np.where(within[:, None], np.stack([a, b], axis=1), anywhere).astype(np.int64)


def popular(seed, n, m, hubs, hub_degree, group=25):
    """A community graph plus `hubs` users with `hub_degree` random friends each (m edges in all)."""
    g = np.random.default_rng([seed, 7])
    E = community(seed, n, m - hubs * hub_degree, group)
    h = g.choice(n, size=hubs, replace=False)
    H = np.stack([np.repeat(h, hub_degree), g.integers(n, size=hubs * hub_degree)], axis=1)
    E = np.vstack([E, H])
    return E[g.permutation(len(E))]


def random_graph(seed, n, m):
    return np.random.default_rng(seed).integers(n, size=(m, 2)).astype(np.int64)


def components(seed):
    """Small components (paths, stars, triangles, squares) and isolated users, ids shuffled: 60 users."""
    g = np.random.default_rng(seed)
    parts = [[(0, 1), (1, 2), (2, 3)], [(4, 5), (4, 6), (4, 7), (4, 8)], [(9, 10), (10, 11), (11, 9)],
             [(12, 13), (13, 14), (14, 15), (15, 12)], [(16, 17), (17, 18), (18, 19), (19, 20), (20, 16), (16, 18)],
             [(21, 22)], [(23, 24), (24, 25), (25, 26), (26, 27), (27, 28)]]
    E = np.array([e for p in parts for e in p], dtype=np.int64)
    relabel = g.permutation(60)
    return clean(relabel[E], seed), 60


def bipartite(seed, left, right, degree):
    """Each left user befriends `degree` distinct right users (ids: left 0.., right after, then shuffled)."""
    g = np.random.default_rng(seed)
    E = np.array([(u, left + r) for u in range(left) for r in g.choice(right, size=degree, replace=False)])
    relabel = g.permutation(left + right)
    return clean(relabel[E], seed), left + right


def agreement_cases():
    """(given, edges, n, ks) of the agreement runs: clean edge lists."""
    return [
        ("300 users in groups of 12, 900 edges (80% inside a group)", clean(community(11, 300, 900, 12), 11), 300,
         (1, 3, 10)),
        ("200 users, 400 random edges", clean(random_graph(12, 200, 400), 12), 200, (1, 5)),
        ("400 users in groups of 20, 3 users with 60 friends each, 1 400 edges",
         clean(popular(13, 400, 1400, 3, 60, 20), 13), 400, (4, 12)),
        ("60 users: paths, a star, a triangle, a square, a 5-cycle with a chord, one edge, isolated users",
         *components(14), (2, 4)),
        ("30 users, 120 random edges (dense)", clean(random_graph(15, 30, 120), 15), 30, (3, 40)),
        ("n=70 000 users, 900 edges among 300 of them with ids spread up to 69 999 (u * n + v reaches 4.9e9, "
         "beyond 32 bits)", *spread_ids(16, 70_000), (4,)),
    ]


def spread_ids(seed, n):
    """(edges, n): a community graph of 300 users whose ids are spread over 0..n - 1."""
    users = np.sort(np.random.default_rng(seed).choice(n, size=300, replace=False))[::-1].copy()
    return clean(users[community(seed + 1, 300, 900, 10)], seed + 1), n


# -- checks ----------------------------------------------------------------------------------------

def unpack(result, n, k, given):
    """(ids, counts) as int64 arrays of shape (n, k) (the types are test_return_types' business)."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        checks.fail(f"recommend_friends() should return a tuple (ids, counts) for {given}; got {checks.show(result)}")
    ids = checks.shape(result[0], (n, k), what="ids", given=given)
    counts = checks.shape(result[1], (n, k), what="counts", given=given)
    checks.that(ids.dtype.kind in "iu" and counts.dtype.kind in "iuf",
                f"ids should be integers for {given}, got {ids.dtype}")
    return ids.astype(np.int64), counts.astype(np.int64)


def check_agrees(result, edges, n, k, given, expected=None):
    ids, counts = unpack(result, n, k, given)
    exp_ids, exp_counts = expected if expected is not None else plain_recommend(edges, n, k)
    checks.equal(ids, exp_ids, what="ids", given=given)
    checks.equal(counts, exp_counts, what="counts", given=given)


def first_bad_row(mask):
    return int(np.flatnonzero(mask.any(axis=1))[0]) if mask.any() else None


# -- correctness --------------------------------------------------------------------------------------

@pytest.mark.correctness
def test_agrees_with_plain_loop(solution):
    """Agrees exactly with a plain loop over users (communities, random graphs, popular users, components)"""
    for given, edges, n, ks in agreement_cases():
        for k in ks:
            check_agrees(solution.recommend_friends(edges, n, k), edges, n, k, f"{given}, k={k}")


@pytest.mark.correctness
def test_counts_are_common_friends(solution):
    """Every listed count is the number of common friends"""
    for given, edges, n, k in (("300 users in groups of 12, 900 edges", clean(community(21, 300, 900, 12), 21), 300, 6),
                               ("150 users, 500 random edges", clean(random_graph(22, 150, 500), 22), 150, 8)):
        given = f"{given}, k={k}"
        ids, counts = unpack(solution.recommend_friends(edges, n, k), n, k, given)
        friends = friend_sets(edges, n)
        for x, j in zip(*np.nonzero(ids >= 0)):
            v = int(ids[x, j])
            if not 0 <= v < n:
                continue                    # not an id: the padding test's business
            c = len(friends[x] & friends[v])
            checks.that(counts[x, j] == c,
                        f"for {given}: user {x} and user {v} (ids[{x}, {j}]) have {c} common friends "
                        f"({sorted(friends[x] & friends[v])[:10]}), but counts[{x}, {j}] = {counts[x, j]}. "
                        f"Friendship is undirected: each friendship must count in both directions, once.")


@pytest.mark.correctness
def test_never_recommends_yourself(solution):
    """No user is recommended to themselves"""
    for given, edges, n, k in (("300 users in groups of 12, 900 edges", clean(community(31, 300, 900, 12), 31), 300, 5),
                               ("a star: user 0 with friends 1..6", np.array([[0, i] for i in range(1, 7)]), 7, 3)):
        given = f"{given}, k={k}"
        ids, counts = unpack(solution.recommend_friends(edges, n, k), n, k, given)
        bad = (ids == np.arange(n)[:, None]) & (counts > 0)
        x = first_bad_row(bad)
        checks.that(x is None,
                    f"for {given}: row {x} recommends user {x} to themselves (ids[{x}] = {ids[x].tolist() if x is not None else ''}). "
                    f"The diagonal of A @ A is each user's number of friends: exclude v == x.")


@pytest.mark.correctness
def test_never_recommends_an_existing_friend(solution):
    """No user is recommended someone who is already their friend (graphs full of triangles)"""
    cases = (("300 users in groups of 12, 900 edges", clean(community(41, 300, 900, 12), 41), 300, 6),
             ("5 cliques of 6 users, joined in a ring by one edge each",
              clean(np.array([(6 * c + i, 6 * c + j) for c in range(5) for i in range(6) for j in range(i + 1, 6)]
                             + [(6 * c, (6 * c + 9) % 30) for c in range(5)]), 42), 30, 4))
    for given, edges, n, k in cases:
        given = f"{given}, k={k}"
        ids, counts = unpack(solution.recommend_friends(edges, n, k), n, k, given)
        friends = friend_sets(edges, n)
        for x in range(n):
            listed = [int(v) for v, c in zip(ids[x], counts[x]) if c > 0 and int(v) in friends[x]]
            checks.that(not listed,
                        f"for {given}: row {x} = {ids[x].tolist()} recommends {listed}, already friends of user {x}. "
                        f"Friends share friends (triangles): remove the pairs that are friendships.")


@pytest.mark.correctness
def test_no_common_friend_is_never_recommended(solution):
    """A user with no common friend is never recommended (components, isolated users)"""
    edges, n = components(51)
    friends = friend_sets(edges, n)
    for k in (3, 8):
        given = f"60 users in small components (paths, a star, cycles, one edge) and isolated users, k={k}"
        ids, counts = unpack(solution.recommend_friends(edges, n, k), n, k, given)
        for x in range(n):
            bad = [int(v) for v in ids[x] if 0 <= v < n and not (friends[x] & friends[int(v)])]
            checks.that(not bad,
                        f"for {given}: row {x} = {ids[x].tolist()} (counts {counts[x].tolist()}) recommends {bad}, "
                        f"who share no friend with user {x}. Only users with at least one common friend are "
                        f"candidates; the places left are -1 (and 0 in counts).")


@pytest.mark.correctness
def test_ordered_by_count_then_lower_id(solution):
    """Rows are ordered by count (descending), ties by the lower id, and ties at the last place go to the lowest ids"""
    for seed, left, right, degree, k in ((61, 40, 25, 6, 5), (62, 60, 16, 4, 6)):
        edges, n = bipartite(seed, left, right, degree)
        friends = friend_sets(edges, n)
        given = (f"a random bipartite graph, {left} users with {degree} friends each among {right} others "
                 f"(ids shuffled), k={k}")
        ids, counts = unpack(solution.recommend_friends(edges, n, k), n, k, given)
        for x in range(n):
            row = [(int(v), int(c)) for v, c in zip(ids[x], counts[x]) if c > 0]
            keys = [(-c, v) for v, c in row]
            checks.that(keys == sorted(keys) and len(set(keys)) == len(keys),
                        f"for {given}: row {x} lists (id, count) = {row}: not ordered by count (descending), "
                        f"then id (ascending). Sort each row by (-count, id); a sort by count alone, an unstable "
                        f"sort, or a reversed ascending sort leaves equal counts in another order.")
            if not row:
                continue
            last = row[-1][1]
            cand = candidates(friends, x)
            tied = sorted(v for v, c in cand.items() if c == last)
            got = [v for v, c in row if c == last]
            want = tied[:len(got)]
            checks.that(got == want,
                        f"for {given}: user {x}'s candidates with {last} common friends are {tied}; the row "
                        f"keeps {len(got)} of them, which must be the lowest ids {want}, got {got}.")


# -- edge cases -------------------------------------------------------------------------------------

@pytest.mark.edge_case
def test_fewer_candidates_than_k_are_padded(solution):
    """Fewer than k candidates: the rest of the row is -1 (ids) and 0 (counts), also for k > n"""
    cases = [
        ("a path 0-1-2", np.array([[0, 1], [1, 2]]), 3, 2,
         [[2, -1], [-1, -1], [0, -1]], [[1, 0], [0, 0], [1, 0]]),
        ("a path 0-1-2, k=5 > n", np.array([[0, 1], [1, 2]]), 3, 5,
         [[2, -1, -1, -1, -1], [-1] * 5, [0, -1, -1, -1, -1]], [[1, 0, 0, 0, 0], [0] * 5, [1, 0, 0, 0, 0]]),
        ("a square 0-1-2-3-0", np.array([[0, 1], [1, 2], [2, 3], [3, 0]]), 4, 3,
         [[2, -1, -1], [3, -1, -1], [0, -1, -1], [1, -1, -1]], [[2, 0, 0], [2, 0, 0], [2, 0, 0], [2, 0, 0]]),
        ("one edge 0-1", np.array([[1, 0]]), 2, 1, [[-1], [-1]], [[0], [0]]),
        ("one user, no edges", np.zeros((0, 2), dtype=np.int64), 1, 2, [[-1, -1]], [[0, 0]]),
    ]
    for desc, edges, n, k, exp_ids, exp_counts in cases:
        given = f"{desc}, n={n}, k={k}"
        check_agrees(solution.recommend_friends(edges, n, k), edges, n, k, given,
                     expected=(np.array(exp_ids, dtype=np.int64), np.array(exp_counts, dtype=np.int64)))


@pytest.mark.edge_case
def test_no_edges(solution):
    """No edges: every row is -1 and 0"""
    for n, k in ((5, 3), (40, 1)):
        given = f"np.zeros((0, 2), dtype=np.int64), n={n}, k={k}"
        check_agrees(solution.recommend_friends(np.zeros((0, 2), dtype=np.int64), n, k), None, n, k, given,
                     expected=(np.full((n, k), -1, dtype=np.int64), np.zeros((n, k), dtype=np.int64)))


@pytest.mark.edge_case
def test_duplicate_edges_are_one_friendship(solution):
    """A friendship listed several times, in either order, counts once"""
    base = clean(community(71, 200, 600, 10), 71)
    g = np.random.default_rng(72)
    again = base[g.choice(len(base), size=300)]
    reversed_ = base[g.choice(len(base), size=300)][:, ::-1]
    own = unpack(solution.recommend_friends(base, 200, 6), 200, 6, f"200 users in groups of 10 ({len(base)} friendships, each once), k=6")
    for desc, extra in (("300 of the rows repeated as they are", again),
                        ("300 of the rows repeated in the other order (v, u)", reversed_)):
        E = np.vstack([base, extra])
        E = E[g.permutation(len(E))]
        given = f"200 users in groups of 10 ({len(base)} friendships) with {desc}, k=6"
        check_agrees(solution.recommend_friends(E, 200, 6), base, 200, 6,
                     given + " (expected: your own result for the edge list without the repeats)", expected=own)


@pytest.mark.edge_case
def test_self_loops_are_ignored(solution):
    """Self-loops (u, u) are ignored"""
    base = clean(community(81, 200, 600, 10), 81)
    g = np.random.default_rng(82)
    loops = np.repeat(g.choice(200, size=40, replace=False)[:, None], 2, axis=1)
    E = np.vstack([base, loops])
    E = E[g.permutation(len(E))]
    given = f"200 users in groups of 10 ({len(base)} friendships) and 40 self-loops (u, u), k=6"
    own = unpack(solution.recommend_friends(base, 200, 6), 200, 6, f"200 users in groups of 10 ({len(base)} friendships), k=6")
    check_agrees(solution.recommend_friends(E, 200, 6), base, 200, 6,
                 given + " (expected: your own result for the edge list without the self-loops)", expected=own)


@pytest.mark.edge_case
def test_ids_outside_range_raise_value_error(solution):
    """An id below 0 or above n - 1 raises ValueError"""
    base = np.array([[0, 1], [1, 2], [2, 3]])
    for desc, bad in (("an id equal to n", [3, 4]), ("an id of -1", [-1, 2]), ("an id of 10 n", [2, 40]),
                      ("a self-loop (-1, -1): an id of -1, even in a row that would be ignored", [-1, -1])):
        E = np.vstack([base, [bad]])
        checks.raises(ValueError, solution.recommend_friends, E, 4, 2, given=f"edges {E.tolist()} ({desc}), n=4")
    # 2^32 + 2 is 2 once cast to 32 bits: the range is checked on the ids as given. With n = 70 000 the
    # key 1 * n + (2^32 + 2) decodes to the pair (61 357, 47 298) of valid ids, so nothing fails later.
    for dtype in (np.int64, np.uint64):
        E = np.array([[0, 1], [1, 2**32 + 2]], dtype=dtype)
        checks.raises(ValueError, solution.recommend_friends, E, 70_000, 2,
                      given=f"edges {E.tolist()} as {np.dtype(dtype).name} (an id of 2^32 + 2, which is 2 "
                            f"in 32 bits), n=70 000")


@pytest.mark.edge_case
def test_bad_arguments_raise_value_error(solution):
    """A shape other than (m, 2), n < 1 or k < 1 raises ValueError"""
    E = np.array([[0, 1], [1, 2]])
    checks.raises(ValueError, solution.recommend_friends, np.array([[0, 1, 2], [1, 2, 0]]), 3, 2,
                  given="edges of shape (2, 3)")
    checks.raises(ValueError, solution.recommend_friends, np.array([0, 1, 1, 2]), 3, 2, given="edges of shape (4,)")
    for bad in (np.array([0, 1]), np.array([[[0, 1], [1, 2]]]), np.zeros((0, 3), dtype=np.int64),
                np.zeros((0,), dtype=np.int64)):
        checks.raises(ValueError, solution.recommend_friends, bad, 3, 2,
                      given=f"edges {bad.tolist()} of shape {bad.shape}, n=3")
    for n, k in ((3, 0), (3, -2), (0, 2)):
        edges = E if n else np.zeros((0, 2), dtype=np.int64)
        checks.raises(ValueError, solution.recommend_friends, edges, n, k, given=f"n={n}, k={k}")
    for desc, edges in (("one edge [[0, 1]] (no path of length 2)", np.array([[0, 1]])),
                        ("no edges", np.zeros((0, 2), dtype=np.int64))):
        checks.raises(ValueError, solution.recommend_friends, edges, 3, 0, given=f"{desc}, n=3, k=0")


@pytest.mark.edge_case
def test_numpy_integer_n_and_k(solution):
    """n and k as NumPy integers give the result for the same Python integers"""
    E = clean(community(93, 60, 150, 10), 93)
    own = unpack(solution.recommend_friends(E, 60, 4), 60, 4, f"60 users, {len(E)} edges, n=60, k=4 (Python ints)")
    for n, k in ((np.int64(60), np.int64(4)), (np.int32(60), np.uint8(4)), (np.uint64(60), np.int16(4))):
        given = (f"60 users, {len(E)} edges, n=np.{type(n).__name__}(60), k=np.{type(k).__name__}(4) (expected: "
                 f"your own result for n=60, k=4 as Python ints; n and k may be Python or NumPy integers)")
        check_agrees(solution.recommend_friends(E, n, k), E, 60, 4, given, expected=own)


@pytest.mark.edge_case
def test_edges_not_modified(solution):
    """edges is not modified"""
    E = clean(community(91, 100, 300, 10), 91)
    _, args_after, _ = solution.inputs_after("recommend_friends", E, 100, 4)
    checks.equal(args_after[0], E, what="edges after the call (recommend_friends must not modify edges, "
                                        "e.g. by sorting its rows in place)", given="100 users, 300 edges, k=4")


@pytest.mark.edge_case
def test_return_types(solution):
    """Returns a tuple of two int64 arrays of shape (n, k)"""
    E = clean(community(95, 60, 150, 10), 95)
    cases = [(E, 60, 4, f"60 users, {len(E)} edges, k=4"), (E, 60, 70, f"60 users, {len(E)} edges, k=70")]
    # Graphs where nobody has a candidate, each by another road: no edges; one
    # edge (no path x - w - v with v != x); a triangle (every path ends at a
    # friend). A solution that returns early there, with arrays built apart
    # from its main path, must give them the same types.
    cases += [(np.zeros((0, 2), dtype=np.int64), 5, 3, "np.zeros((0, 2), dtype=np.int64), n=5, k=3"),
              (np.array([[0, 1]]), 3, 2, "the one edge [[0, 1]], n=3, k=2"),
              (np.array([[0, 1], [1, 2], [0, 2]]), 3, 2, "the triangle [[0, 1], [1, 2], [0, 2]], n=3, k=2")]
    for edges, n, k, given in cases:
        result = solution.recommend_friends(edges, n, k)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            checks.fail(f"recommend_friends() should return (ids, counts) for {given}; got {checks.show(result)}")
        for name, value in zip(("ids", "counts"), result):
            if not isinstance(value, np.ndarray):
                checks.fail(f"{name} should be a NumPy array for {given}, got {checks.show(value, 120)}")
            checks.shape(value, (n, k), what=name, given=given)
            checks.dtype(value, np.int64, what=name, given=given)


# -- stability -----------------------------------------------------------------------------------

@pytest.mark.stability
def test_any_integer_dtype_gives_the_int64_result(solution):
    """Ids as int8, uint8, uint16, int32, uint64 give the int64 result, also where u * n + v overflows 32 bits"""
    E = clean(community(101, 120, 400, 10), 101)
    expected = unpack(solution.recommend_friends(E, 120, 5), 120, 5, f"120 users, {len(E)} edges as int64, k=5")
    for dtype in (np.int8, np.uint8, np.uint16, np.int32, np.uint64):
        given = f"120 users, {len(E)} edges as {np.dtype(dtype).name}, k=5"
        check_agrees(solution.recommend_friends(E.astype(dtype), 120, 5), E, 120, 5,
                     given + " (expected: your own result for the same edges as int64; work with int64 ids: "
                             "u * n + v overflows small dtypes)", expected=expected)
    # 70 000 users, ids spread over the whole range: n^2 = 4.9e9 > 2^32 - 1 > 2^31 - 1.
    big, _ = spread_ids(102, 70_000)
    expected = unpack(solution.recommend_friends(big, 70_000, 4), 70_000, 4,
                      "n=70 000 users, 900 edges among 300 of them, as int64, k=4")
    for dtype in (np.int32, np.uint32):
        given = f"n=70 000 users, 900 edges among 300 of them with ids up to 69 999, as {np.dtype(dtype).name}, k=4"
        check_agrees(solution.recommend_friends(big.astype(dtype), 70_000, 4), big, 70_000, 4,
                     given + f" (expected: your own result for the same edges as int64; u * n + v reaches "
                             f"4.9e9: beyond {np.dtype(dtype).name}, use int64)",
                     expected=expected)


# -- performance ------------------------------------------------------------------------------------

K = 10
# The warm-up and 3 timed runs, each on its own graph, drawn from budget.seed(GROUP_SEEDS[run]): a secret
# drawn for the test, so no file can build the graphs (and their answers) before the grading. The results
# are integers compared exactly with the reference's on the same graph: there is no tolerance, and no graph
# can make a correct solution's result differ from the reference's.
GROUP_SEEDS = tuple(range(201, 205))
POPULAR_SEEDS = tuple(range(211, 215))    # the same, for the popular users' graphs


def check_timed(result, expected, call):
    edges, n, k = call.args
    given = f"{n} users, {len(edges)} edges, k={k} (the reference's result)"
    exp_ids, exp_counts = expected
    check_agrees(result, edges, n, k, given, expected=(np.asarray(exp_ids), np.asarray(exp_counts)))


@pytest.mark.performance
def test_time_groups(budget):
    """50 000 users, 100 000 edges in groups of 25, within the time budget"""
    budget.time("recommend_friends",
                lambda run: Call(community(budget.seed(GROUP_SEEDS[run]), 50_000, 100_000), 50_000, K),
                check=check_timed, repeats=len(GROUP_SEEDS) - 1,
                label="recommend_friends, 50 000 users, 100 000 edges (groups of 25), k=10, a new graph per call")


@pytest.mark.performance
def test_time_popular_users(budget):
    """20 000 users, 50 000 edges, 10 users with 300 friends each, within the time budget"""
    # ~1.5 million paths of length 2, 0.9 million of them through the 10 users with 300 friends: the hubs
    # dominate, and the reference's call (~0.07 s) stays well above the timer's noise.
    budget.time("recommend_friends",
                lambda run: Call(popular(budget.seed(POPULAR_SEEDS[run]), 20_000, 50_000, 10, 300), 20_000, K),
                check=check_timed, repeats=len(POPULAR_SEEDS) - 1,
                label="recommend_friends, 20 000 users, 50 000 edges, 10 with 300 friends, k=10, a new graph per call")
