"""Harness-side helpers: things a grader passes that cannot cross as data.

Each is placed among a call's arguments. For a marker, the worker builds the
real object on its side with the builder registered under the marker's name
(`HARNESS_HELPERS` in trainer/sandbox/worker.py); the grader metric stays in
the grading process and the worker asks it for every distance. How to add a
helper: docs/authoring.md, "Adding a harness helper".
"""

from __future__ import annotations

import itertools

import numpy as np

from trainer.grading import checks
from trainer.sandbox.worker import HARNESS_HELPERS

_ids = itertools.count(1)


def _helper_spec(name: str, **spec) -> dict:
    """What a marker sends: the name of a helper the worker builds, and its spec (data only)."""
    if name not in HARNESS_HELPERS:
        raise ValueError(f"no harness helper {name!r} is registered in trainer/sandbox/worker.py")
    return {"name": name, **spec}


class Marker:
    """Stands for the harness helper `name` among a call's arguments; the worker builds the real object."""

    def __init__(self, name: str, *, shown: str | None = None, **spec) -> None:
        self.spec = _helper_spec(name, **spec)
        self.shown = shown or f"<{name}>"

    def __mltrainer_wire__(self, worker):
        return "$h", self.spec

    def __repr__(self) -> str:
        return self.shown


def one_pass(items) -> Marker:
    """An iterator over `items` (an array or a list) that can be read only once."""
    return Marker("one_pass", data=np.asarray(items) if not isinstance(items, list) else items)


def one_pass_range(n: int) -> Marker:
    """A lazy one-pass iterator over the ints 0..n-1; nothing is materialised."""
    return Marker("one_pass_range", n=int(n))


def scripted_source(items, *, name: str = "source") -> Marker:
    """A function of no arguments that returns `items` one per call (Python scalars), then raises StopIteration.

    For tasks built on a random source given as a function (rand10 from
    rand7): the grader scripts every draw, so a result can be checked
    exactly. `name` is how the function shows (`repr`, messages).
    """
    data = np.asarray(items).tolist() if not isinstance(items, list) else list(items)
    return Marker("scripted_source", shown=f"{name}()", data=data, fname=str(name))


def output_of(name: str, *args, index: int | None = None, **kwargs) -> Marker:
    """Stands for what the solution's own `name(*args, **kwargs)` returns (its item `index`).

    Computed in the worker when the call it is an argument of runs, by that
    worker's module: the candidate's function in the candidate's worker, the
    reference's in the reference's. So a second function can be called, and
    timed, on what the solution's first one made (a backward pass on its own
    forward pass's cache), and the timed work includes the first call.
    Only as a top-level argument of a call.
    """
    shown = f"{name}(...)" + (f"[{index}]" if index is not None else "")
    return Marker("output_of", shown=shown, target=str(name), args=list(args), kwargs=dict(kwargs),
                  index=None if index is None else int(index))


def seeded_rng() -> Marker:
    """Inside `solution.repeat(...)`: a fresh np.random.default_rng(seed) per repetition."""
    return Marker("seeded_rng")


class GraderMetric:
    """A Euclidean metric over points whose coordinates stay in the grader; it counts every distance.

    The solution gets opaque points, `metric.points` (an (n, 1) int64 array
    of ids), and queries `metric.query(j)`; `metric(a, B)` called in the
    worker asks the grader for the distances (one request per call), so the
    solution learns a distance only by paying for it, and `metric.count`
    (the rows evaluated) is kept here, out of the solution's reach. So is
    `metric.fingerprint`: a 64-bit sum of a hash of every (from, to) pair
    evaluated, the same whatever the order of the evaluations, so that two
    trees that evaluate the same number of distances but not the same ones
    are told apart.
    """

    def __init__(self, points, queries=None) -> None:
        points = np.asarray(points, dtype=np.float64)
        queries = np.empty((0, points.shape[1])) if queries is None else np.asarray(queries, dtype=np.float64)
        self._coords = np.concatenate([points, queries])
        self.n = len(points)
        self.n_queries = len(queries)
        self.query_points = queries
        self.points = np.arange(self.n, dtype=np.int64)[:, None]
        self.count = 0
        self.calls = 0
        self.fingerprint = 0
        self.max_rows = len(self._coords)
        self.key = next(_ids)

    def query(self, j: int) -> np.ndarray:
        """The id of query point j, shaped like one point of `points`."""
        return np.array([self.n + int(j)], dtype=np.int64)

    def serve(self, first: int, ids: np.ndarray) -> np.ndarray:
        """Distances from point `first` to the points `ids` (called for the worker, counted).

        Runs once per metric call of a tree, tens of thousands of times in a
        grading, and most calls ask for a few ids: those are checked and
        hashed on Python's integers, which costs less than numpy's per-call
        overhead (the fingerprint is the same either way).
        """
        rows = self.max_rows
        if ids.size <= _FEW_IDS:
            listed = ids.ravel().tolist()
            if not 0 <= first < rows or (listed and not (0 <= min(listed) and max(listed) < rows)):
                raise ValueError("a distance between points that do not exist")
            pairs = _pair_hash_sum_of_list(first, listed, rows)
        else:
            if not 0 <= first < rows or not (0 <= ids.min() and ids.max() < rows):
                raise ValueError("a distance between points that do not exist")
            pairs = _pair_hash_sum(first, ids, rows)
        self.count += int(ids.size)
        self.calls += 1
        self.fingerprint = (self.fingerprint + pairs) & _U64
        diff = self._coords[ids] - self._coords[first]
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))

    def __mltrainer_wire__(self, worker):
        worker.services[self.key] = self
        return "$h", _helper_spec("grader_metric", id=self.key)

    def __repr__(self) -> str:
        return "<grader metric>"


# splitmix64's increment and multipliers; `serve` hashes up to _FEW_IDS ids on Python's integers.
_INCREMENT, _M1, _M2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_U64 = (1 << 64) - 1
_FEW_IDS = 32


def _pair_hash_sum(first: int, ids: np.ndarray, rows: int) -> int:
    """The sum, modulo 2^64, of splitmix64 of the pair number first * rows + id over `ids`."""
    z = ids.astype(np.uint64).ravel()
    z += np.uint64((first * rows + _INCREMENT) & _U64)
    z ^= z >> np.uint64(30)
    z *= np.uint64(_M1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_M2)
    z ^= z >> np.uint64(31)
    return int(z.sum(dtype=np.uint64))


def _pair_hash_sum_of_list(first: int, ids: list, rows: int) -> int:
    """`_pair_hash_sum` of a list of ids, on Python's integers."""
    base = first * rows + _INCREMENT
    total = 0
    for i in ids:
        z = (base + i) & _U64
        z = ((z ^ (z >> 30)) * _M1) & _U64
        z = ((z ^ (z >> 27)) * _M2) & _U64
        total += z ^ (z >> 31)
    return total & _U64


def counting_metric(points, queries=None) -> GraderMetric:
    """A metric the grader computes and counts, over opaque points (see GraderMetric)."""
    return GraderMetric(points, queries)


def same_result(a, b) -> bool:
    """Whether two results are the same: arrays by shape, dtype and values (NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same_result(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def check_randomness_from_rng(solution, run, *, what: str, given: str, seeds=(20240, 20241)) -> None:
    """`what` draws all its randomness from its `rng` argument, and only from it.

    `run(seed)` calls the solution with a fresh np.random.default_rng(seed)
    and returns what that randomness decides (a result, or something
    observed of it). Three runs: seed a, seed a again, seed b. The same seed
    must give the same result, a different seed a different one (choose an
    input where a correct solution's two results differ with probability
    ~1), and no run may touch the process-wide generators (numpy's global
    `np.random.*`, Python's `random`), checked in the worker around each run.
    """
    a, b = seeds
    observed = []
    for seed in (a, a, b):
        before = solution.global_rng_state()
        observed.append(run(seed))
        checks.that(solution.global_rng_state() == before,
                    f"{what} for {given} changed the global random state (np.random.seed, np.random.rand, "
                    f"np.random.choice, random.random...). All randomness must come from the rng argument, "
                    f"so that a seed decides the result and other code's random numbers are left alone.")
    if not same_result(observed[0], observed[1]):
        checks.fail(f"{what} for {given}, called twice with np.random.default_rng({a}), gave different results: "
                    f"{checks.show(observed[0], 200)} and then {checks.show(observed[1], 200)}. All randomness "
                    f"must come from the rng argument, so the same seed gives the same result.")
    if same_result(observed[0], observed[2]):
        checks.fail(f"{what} for {given} gave the same result with np.random.default_rng({a}) and "
                    f"default_rng({b}): {checks.show(observed[0], 200)}. The randomness must come from the rng "
                    f"argument (a different seed gives a different result), not from a fixed seed of your own.")


def check_fresh_randomness(solution, run, *, calls: int, what: str, given: str, shown=None, advice: str) -> None:
    """`run()` (the solution called with rng=None) draws fresh randomness at every call, never a global generator.

    The rule is that the calls do not all agree, not that two of them
    differ: a solution whose fresh draws can give only a few results (a
    k-means++ that draws only its first centroid, say) obeys the rule, and
    two of its calls agree now and then. If no single result has a
    probability over q, `calls` calls all agree with probability at most
    q ** (calls - 1); choose `calls` from that bound for the input. A fixed
    seed agrees every time. The process-wide generators must be the same
    after the calls as before them. `shown(result)` describes the result
    that every call gave (default: the result itself).
    """
    before = solution.global_rng_state()
    results = [run() for _ in range(calls)]
    checks.that(solution.global_rng_state() == before,
                f"{what} with rng=None ({given}) changed numpy's global random state (np.random.seed, "
                f"np.random.choice, random.random...). {advice}")
    if all(same_result(results[0], other) for other in results[1:]):
        described = shown(results[0]) if shown is not None else checks.show(results[0], 200)
        checks.fail(f"{what}, called {calls} times with rng=None ({given}), gave the same result every time: "
                    f"{described}. {advice}")
