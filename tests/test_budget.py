"""Budgets measured for real in two workers: time, memory, growth, counts."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.grading.budget import Budget
from trainer.grading.checks import GradeFailure
from trainer.grading.harness import one_pass_range
from trainer.grading.proxy import SolutionProxy
from trainer.sandbox.client import Limits, Worker

REFERENCE = """
import numpy as np

def total(X):
    return float(np.asarray(X).sum())

def outer_sum(a, b):
    return (a[:, None] + b[None, :]).sum(axis=1)

def first(stream, k):
    out = []
    for i, x in enumerate(stream):
        if i < k:
            out.append(x)
    return out
"""

SLOW_AND_WASTEFUL = """
import numpy as np

def total(X):
    s = 0.0
    for row in np.asarray(X):
        for v in row:
            s += v
    return s

def outer_sum(a, b):
    big = np.repeat(a[:, None] + b[None, :], 8, axis=1)
    return big.sum(axis=1) / 8

def first(stream, k):
    return list(stream)[:k]
"""


@pytest.fixture
def workers(tmp_path):
    ref = tmp_path / "ref.py"
    ref.write_text(REFERENCE)
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_AND_WASTEFUL)
    made = {"ref": Worker(ref, Limits(), label="reference"), "same": Worker(ref, Limits()),
            "slow": Worker(slow, Limits())}
    yield made
    for worker in made.values():
        worker.stop()


def budget_for(candidate, reference, records):
    return Budget(candidate, reference, {"time": 3.0, "memory": 3.0}, records.append)


def test_same_code_is_within_the_time_budget(workers):
    records = []
    X = np.random.default_rng(0).normal(size=(500, 2000))
    m = budget_for(workers["same"], workers["ref"], records).time("total", X)
    assert m.within_budget and 0.2 < m.ratio < 3.0 and records == [m]
    # CPU time must be fine-grained even under RLIMIT_CPU (a ~1 ms call is not 0).
    assert 0 < m.reference < 0.5 and 0 < m.candidate < 0.5


def test_python_loops_fail_the_time_budget_with_a_clear_line(workers):
    records = []
    X = np.random.default_rng(0).normal(size=(300, 300))
    with pytest.raises(GradeFailure, match=r"candidate .* vs reference .*x \(budget 3x\)"):
        budget_for(workers["slow"], workers["ref"], records).time("total", X, label="300x300")
    assert records[0].within_budget is False and records[0].ratio > 3


def test_extra_temporaries_fail_the_memory_budget(workers):
    records = []
    a, b = np.arange(1000.0), np.arange(1000.0)
    budget_for(workers["same"], workers["ref"], records).memory("outer_sum", a, b)
    with pytest.raises(GradeFailure, match="more memory than the reference"):
        budget_for(workers["slow"], workers["ref"], records).memory("outer_sum", a, b)
    same, slow = records
    assert same.within_budget and slow.candidate > 7 * slow.reference


@pytest.mark.parametrize("method", ["traced", "rss"])
def test_peak_memory_sees_a_materialised_stream(workers, method):
    n = 1_000_000
    _, lean = SolutionProxy(workers["ref"]).peak_memory("first", one_pass_range(n), 3, method=method)
    _, fat = SolutionProxy(workers["slow"]).peak_memory("first", one_pass_range(n), 3, method=method)
    assert lean < 1 << 20 < 30 << 20 < fat  # a list of 10^6 ints is ~36 MB


def test_growth_exponent_is_fitted_on_log_log(workers):
    records = []
    budget = budget_for(workers["same"], workers["ref"], records)
    m = budget.growth([1000, 2000, 4000], lambda n: n ** 1.5, max_exponent=1.6, label="n^1.5")
    assert m.candidate == pytest.approx(1.5)
    with pytest.raises(GradeFailure, match="grows faster"):
        budget.growth([1000, 2000, 4000], lambda n: n ** 2, max_exponent=1.6, label="n^2")


def test_counts_and_notes(workers):
    records = []
    budget = budget_for(workers["same"], workers["ref"], records)
    budget.at_most("evaluations per query", 120, 200, unit="evaluations")
    with pytest.raises(GradeFailure, match=r"candidate 250 evaluations \(limit 200 evaluations\)"):
        budget.at_most("evaluations per query", 250, 200, unit="evaluations")
    note = budget.note("batch of queries", 0.5, 0.25, versus="brute force")
    assert note.informational and note.within_budget is None
    assert note.summary() == "candidate 500 ms vs brute force 250 ms: 2.0x (for information)"
    import json
    from dataclasses import asdict
    counted = budget.at_most("numpy values", np.float64(3.0), np.int64(5))
    assert type(counted.within_budget) is bool
    json.dumps(asdict(counted))
