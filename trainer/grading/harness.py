"""Harness-side helpers: things a grader passes that cannot cross as data.

Each is a marker placed among a call's arguments; the worker builds the real
object on its side (see docs/authoring.md).
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


def counting_metric() -> _Marker:
    """A Euclidean metric(a, B) that counts the rows of B it evaluates.

    Read its running total with `solution.count(marker)`; the counter lives in
    the worker and starts at zero for every test.
    """
    return _Marker("counting_metric", id=next(_ids))
