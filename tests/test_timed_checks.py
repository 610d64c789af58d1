"""Every part of every timed result is checked, by checks that NaN fails.

A part of a timed result that no check looks at is work a file can skip where
the clock runs (the per-epoch losses of an SGD run, the statistic beside a
p-value), and a check written `if abs(p - expected) > tol: fail` lets a NaN
through. For each timed or memory-budgeted test of every grader, this runs
the test function against a budget that records instead of measuring, builds
the input of run 1 from a fixed secret, computes the reference's result for
it in this process, and calls the test's check with that result (it must
pass) and with it spoiled in one part at a time (it must fail): NaN for a
float or a float array, zeros (ones where it is all zeros) for an integer
array, n + 1 for an integer, another string for a string, every item of a
long list of scalars at once. Nothing runs in a worker and nothing is
timed: the checks are the grader's own functions, called directly.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest

from tests.helpers import REPO, grader_tests_marked, load_module
from trainer.catalog import load_catalog
from trainer.grading.budget import Call, secret_seed
from trainer.grading.checks import GradeFailure
from trainer.grading.harness import Marker

SECRET = bytes(range(16))

# Parts of a timed result no check needs to look at (with everything inside them), and why.
UNCHECKED = {
    ("rnn", "test_forward_speed", "[1]"):
        "the forward pass's cache is the solution's own choice; the backward pass's timed test runs each "
        "side's backward on its own cache (output_of)",
}

# Performance tests this cannot replay, and why: evaluation counts the grader keeps; the reservoir's
# peak memory (read from the kernel; its sample is random, and checked for validity); the VP-tree's
# wall time, for information (its calls are methods of a tree built in each worker).
NO_CHECKED_CALL = {
    ("sampling", "test_reservoir_memory_does_not_grow_with_the_stream"),
    ("rand10", "test_rand10_expected_draws"), ("rand10", "test_rand_n_expected_draws"),
    ("vptree", "test_query_evaluations_at_20000"), ("vptree", "test_query_evaluations_grow_sublinearly"),
    ("vptree", "test_build_evaluations_n_log_n"), ("vptree", "test_wall_time_for_information"),
}

CATALOG = {c.id: c for c in load_catalog()}


class _Recorded(Exception):
    """Stops a test function at its first budgeted call, which has been recorded."""


class RecordingBudget:
    """A `budget` that records the first checked call of a test instead of measuring it."""

    def __init__(self) -> None:
        self.recorded = None

    def seed(self, seed: int) -> int:
        return secret_seed(SECRET, seed)

    def rng(self, seed: int = 0) -> np.random.Generator:
        return np.random.default_rng(self.seed(seed))

    def time(self, name, inputs, *, check, target=None, **_):
        if target is not None:
            pytest.fail("a timed method of an object built in the worker: add the test to NO_CHECKED_CALL, with why")
        self.recorded = (name, inputs(1), check)
        raise _Recorded

    def memory(self, name, call, *, check, **_):
        self.recorded = (name, call, check)
        raise _Recorded


class InProcess:
    """The reference module where a test takes `solution` or `reference`: called in this process."""

    def __init__(self, module) -> None:
        self._module = module

    def __getattr__(self, name):
        return getattr(self._module, name)

    def with_timeout(self, _seconds):
        return self

    def output(self):
        """What the solution printed, for checks that look at it: nothing is kept in this process."""
        return ""


def _resolve(value, module):
    """An argument as the worker would build it (output_of: the reference's own output)."""
    if isinstance(value, Marker):
        spec = value.spec
        if spec["name"] != "output_of":
            pytest.fail(f"the harness helper {spec['name']} in a timed call: teach _resolve to build it")
        out = getattr(module, spec["target"])(*[_resolve(a, module) for a in spec["args"]],
                                              **{k: _resolve(v, module) for k, v in spec["kwargs"].items()})
        return out if spec["index"] is None else out[spec["index"]]
    return value


def _spoiled(value, path=""):
    """(path, the value with the part at path spoiled) for every part of `value`."""
    if isinstance(value, (tuple, list)) and not _scalar_list(value):
        for i, item in enumerate(value):
            for sub, bad in _spoiled(item, f"{path}[{i}]"):
                out = list(value)
                out[i] = bad
                yield sub, (tuple(out) if isinstance(value, tuple) else out)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            for sub, bad in _spoiled(item, f"{path}[{key!r}]"):
                yield sub, {**value, key: bad}
        return
    bad = _spoil(value)
    if bad is not None:
        yield path, bad


def _scalar_list(value) -> bool:
    return len(value) > 8 and all(isinstance(v, (int, float, str, np.generic)) for v in value)


def _spoil(value):
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, (float, np.floating)):
        return type(value)(np.nan)
    if isinstance(value, (int, np.integer)):
        return type(value)(value + 1)
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, np.ndarray) and value.size:
        if value.dtype.kind in "fc":
            return np.full_like(value, np.nan)
        if value.dtype.kind in "iu":
            return np.zeros_like(value) if value.any() else np.ones_like(value)
        if value.dtype.kind == "b":
            return ~value
    if isinstance(value, (list, tuple)) and value:          # a long list of scalars: every item at once
        return type(value)(_spoil(v) for v in value)
    return None


def _timed_tests():
    params = []
    for challenge_id, challenge in sorted(CATALOG.items()):
        for name in sorted(grader_tests_marked(challenge.grader_path, "performance")):
            if (challenge_id, name) not in NO_CHECKED_CALL:
                params.append(pytest.param(challenge_id, name, id=f"{challenge_id}/{name}"))
    return params


def _first_parameters(function) -> dict:
    """The first case of each @pytest.mark.parametrize on `function`."""
    chosen = {}
    for mark in getattr(function, "pytestmark", []):
        if mark.name == "parametrize":
            names, values = mark.args[0], mark.args[1]
            names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
            first = values[0]
            first = first.values if hasattr(first, "values") else first
            chosen.update(zip(names, first if len(names) > 1 else [first]))
    return chosen


@pytest.mark.slow
@pytest.mark.parametrize("challenge_id, test_name", _timed_tests())
def test_every_part_of_a_timed_result_is_checked(challenge_id, test_name):
    challenge = CATALOG[challenge_id]
    grader = load_module(challenge.grader_path, f"timed_checks_{challenge_id}")
    reference = load_module(REPO / "reference" / f"{challenge_id}.py", f"timed_checks_ref_{challenge_id}")
    budget = RecordingBudget()
    fixtures = {"budget": budget, "solution": InProcess(reference), "reference": InProcess(reference),
                "rng": np.random.default_rng(0), **_first_parameters(getattr(grader, test_name))}
    function = getattr(grader, test_name)
    arguments = {p: fixtures[p] for p in inspect.signature(function).parameters}
    with pytest.raises(_Recorded):
        function(**arguments)
    name, call, check = budget.recorded
    # The call as each worker receives it: a copy of its own (a generator is used up by the call).
    args = [_resolve(a, reference) for a in copy.deepcopy(call.args)]
    kwargs = {k: _resolve(v, reference) for k, v in copy.deepcopy(call.kwargs).items()}
    expected = getattr(reference, name)(*args, **kwargs)
    check(copy.deepcopy(expected), expected, call)       # the reference's own result passes
    missed = []
    for path, bad in _spoiled(expected):
        try:
            check(bad, expected, call)
        except (GradeFailure, AssertionError):
            continue
        except Exception as exc:                         # a check that breaks on the value fails the test too
            print(f"{path}: the check raised {type(exc).__name__}: {exc}")
            continue
        if not any(path.startswith(part) for (cid, test, part) in UNCHECKED if (cid, test) == (challenge_id, test_name)):
            missed.append(path or "the whole result")
    assert not missed, f"{name}'s timed check passes a result spoiled at {missed}"


def test_the_spoiled_parts_cover_a_nested_result():
    """Each part of a tuple, a dict and a long list is spoiled on its own; nothing else changes."""
    result = (np.array([1.0, 2.0]), 3, {"a": np.array([1, 2]), "b": "x"}, list(range(10)))
    spoiled = dict(_spoiled(result))
    assert set(spoiled) == {"[0]", "[1]", "[2]['a']", "[2]['b']", "[3]"}
    assert np.isnan(spoiled["[0]"][0]).all() and spoiled["[0]"][1] == 3
    assert spoiled["[1]"][1] == 4
    assert spoiled["[2]['a']"][2]["a"].tolist() == [0, 0] and spoiled["[2]['a']"][2]["b"] == "x"
    assert spoiled["[2]['b']"][2]["b"] == "x?"
    assert spoiled["[3]"][3] == list(range(1, 11))
