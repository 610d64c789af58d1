"""Harness-side helpers: things a grader passes that cannot cross as data.

Each is placed among a call's arguments. For a marker, the worker builds the
real object on its side; the grader metric stays in the grading process and
the worker asks it for every distance (see docs/authoring.md).
"""

from __future__ import annotations

import itertools

import numpy as np

_ids = itertools.count(1)


class _Marker:
    def __init__(self, name: str, **spec) -> None:
        self.spec = {"name": name, **spec}

    def __mltrainer_wire__(self, worker):
        return "$h", self.spec

    def __repr__(self) -> str:
        return f"<{self.spec['name']}>"


def one_pass(items) -> _Marker:
    """An iterator over `items` (an array or a list) that can be read only once."""
    return _Marker("one_pass", data=np.asarray(items) if not isinstance(items, list) else items)


def one_pass_range(n: int) -> _Marker:
    """A lazy one-pass iterator over the ints 0..n-1; nothing is materialised."""
    return _Marker("one_pass_range", n=int(n))


def seeded_rng() -> _Marker:
    """Inside `solution.repeat(...)`: a fresh np.random.default_rng(seed) per repetition."""
    return _Marker("seeded_rng")


class GraderMetric:
    """A Euclidean metric over points whose coordinates stay in the grader; it counts every distance.

    The solution gets opaque points, `metric.points` (an (n, 1) int64 array
    of ids), and queries `metric.query(j)`; `metric(a, B)` called in the
    worker asks the grader for the distances (one request per call), so the
    solution learns a distance only by paying for it, and `metric.count`
    (the rows evaluated) is kept here, out of the solution's reach.
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
        self.max_rows = len(self._coords)
        self.key = next(_ids)

    def query(self, j: int) -> np.ndarray:
        """The id of query point j, shaped like one point of `points`."""
        return np.array([self.n + int(j)], dtype=np.int64)

    def serve(self, first: int, ids: np.ndarray) -> np.ndarray:
        """Distances from point `first` to the points `ids` (called for the worker, counted)."""
        if not 0 <= first < self.max_rows or (ids.size and not (0 <= ids.min() and ids.max() < self.max_rows)):
            raise ValueError("a distance between points that do not exist")
        self.count += int(ids.size)
        self.calls += 1
        diff = self._coords[ids] - self._coords[first]
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))

    def __mltrainer_wire__(self, worker):
        worker.services[self.key] = self
        return "$h", {"name": "grader_metric", "id": self.key}

    def __repr__(self) -> str:
        return "<grader metric>"


def counting_metric(points, queries=None) -> GraderMetric:
    """A metric the grader computes and counts, over opaque points (see GraderMetric)."""
    return GraderMetric(points, queries)
