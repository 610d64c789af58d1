"""Budgets measured for real in two workers: time, memory, growth, counts.

Besides honest slowness and waste, each way of cheating a measurement has a
test here: a cached answer, work done in a thread that outlives its call,
rubbish returned when the calls look timed, and the cost of moving large
inputs and results, which must not dilute a ratio.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from trainer.grading import checks
from trainer.grading.budget import (CLEARLY_OVER, IMPORT_CPU_ALLOWANCE_S, Budget, Call, distinct_per_run,
                                    secret_seed)
from trainer.grading.checks import GradeFailure
from trainer.grading.harness import one_pass_range
from trainer.grading.proxy import SolutionProxy
from trainer.sandbox.client import CandidateFailure, Worker
from trainer.sandbox.limits import Limits

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

# Slow for real (a Python loop), but remembers every answer it ever gave.
CACHES_ANSWERS = """
import numpy as np
_seen = {}

def total(X):
    key = np.asarray(X).tobytes()
    if key not in _seen:
        s = 0.0
        for row in np.asarray(X):
            for v in row:
                s += v
        _seen[key] = s
    return _seen[key]
"""

# Counts its calls: the first one is answered honestly (and slowly), later
# ones, which it takes for a timing run, return rubbish at once.
RUBBISH_WHEN_TIMED = """
import numpy as np
calls = 0

def total(X):
    global calls
    calls += 1
    if calls > 1:
        return 0.0
    s = 0.0
    for row in np.asarray(X):
        for v in row:
            s += v
    return s
"""

# Slow loop done by a background thread, so the call itself returns at once
# with an answer computed in an earlier call.
WORKS_IN_A_THREAD = """
import threading
import numpy as np

def total(X):
    def spin():
        s = 0.0
        for _ in range(20):
            for row in np.asarray(X):
                for v in row:
                    s += v
    threading.Thread(target=spin).start()
    return float(np.asarray(X).sum())
"""

# Spends 0.6 s of CPU time at import, before any call, where no call is timed
# (a table of answers' slow part would be built there).
WORKS_AT_IMPORT = """
import time
import numpy as np

_start = time.process_time()
while time.process_time() - _start < 0.6:
    pass

def total(X):
    return float(np.asarray(X).sum())
"""

# Makes a small table at import, as honest code may.
LIGHT_IMPORT = """
import numpy as np

_WEIGHTS = np.linspace(0.0, 1.0, 1000)

def total(X):
    return float(np.asarray(X).sum())
"""


def close_totals(got, expected, call):
    # Sums of 40 000 standard normals: |error| of any summation order is far below 1e-8.
    checks.close(got, expected, atol=1e-8, what="the total")


@pytest.fixture
def workers(tmp_path):
    made = {}

    def worker(name: str, source: str, label: str = "solution") -> Worker:
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        made[name] = Worker(path, Limits(), label=label, hostile=label != "reference")
        return made[name]

    yield worker
    for w in made.values():
        w.stop()


def budget_for(candidate, reference, records):
    return Budget(candidate, reference, {"time": 3.0, "memory": 3.0}, records.append)


def matrices(shape, seed=0):
    g = np.random.default_rng(seed)
    return lambda run: Call(g.normal(size=shape))


def test_same_code_is_within_the_time_budget(workers):
    records = []
    m = budget_for(workers("same", REFERENCE), workers("ref", REFERENCE, "reference"), records).time(
        "total", matrices((200, 200)), check=close_totals, label="200x200")
    assert m.within_budget and 0.2 < m.ratio < 3.0 and records == [m]
    # CPU time must be fine-grained even under RLIMIT_CPU (a ~1 ms call is not 0).
    assert 0 < m.reference < 0.5 and 0 < m.candidate < 0.5


def test_python_loops_fail_the_time_budget_with_a_clear_line(workers):
    records = []
    with pytest.raises(GradeFailure, match=r"candidate .* vs reference .*x \(budget 3x\)"):
        budget_for(workers("slow", SLOW_AND_WASTEFUL), workers("ref", REFERENCE, "reference"), records).time(
            "total", matrices((200, 200)), check=close_totals, label="200x200")
    assert records[0].within_budget is False and records[0].ratio > 3


# The reference's first call in a fresh worker is slow (ten times its work,
# as a warm-up can be); every later call is plain.
SLOW_FIRST_CALL = """
import numpy as np

_calls = [0]

def total(X):
    _calls[0] += 1
    for _ in range(9 if _calls[0] == 1 else 0):
        float(np.sin(np.asarray(X)).sum())
    return float(np.sin(np.asarray(X)).sum())
"""
# Twenty times the reference's plain work in every call.
TWENTY_TIMES = """
import numpy as np

def total(X):
    for _ in range(19):
        float(np.sin(np.asarray(X)).sum())
    return float(np.sin(np.asarray(X)).sum())
"""


def sine_totals(got, expected, call):
    checks.close(got, expected, atol=1e-8, what="the total")


def test_a_solution_far_over_budget_is_stopped_after_one_timed_run(workers):
    """Far over budget against the reference's timed runs: a slow warm-up of the reference does not hide it."""
    records = []
    with pytest.raises(GradeFailure, match=r"\(budget 3x\)"):
        budget_for(workers("slow", TWENTY_TIMES), workers("ref", SLOW_FIRST_CALL, "reference"), records).time(
            "total", matrices((400, 500)), check=sine_totals, label="400x500")
    # Its warm-up is already clearly over, so its first timed run is cut off
    # at CLEARLY_OVER x the budget of the reference's first timed run, or,
    # where the floor MIN_CUTOFF_S is above that (a fast machine), finishes
    # and is clearly over: either way timing stops there, and the warm-up's
    # far higher cutoff did not let it through.
    assert records[0].ratio >= 0.999 * CLEARLY_OVER * 3.0, records[0]
    assert records[0].cut_off or "of 1 runs" in records[0].note, records[0]


PLAIN_SINE = """
import numpy as np

def total(X):
    return float(np.sin(np.asarray(X)).sum())
"""
# Twice the reference's work: within a 3x budget, but not by a factor of two.
TWICE = TWENTY_TIMES.replace("range(19)", "range(1)")


def test_a_solution_slow_only_in_its_warm_up_is_timed_as_before(workers):
    """A first call ten times the work is clearly over the reference's timed run; the later ones are not.

    The first timed run then only has to stay under the clearly-over bar,
    which a steady call far within budget does, and timing goes on.
    """
    records = []
    m = budget_for(workers("first", SLOW_FIRST_CALL), workers("ref", PLAIN_SINE, "reference"), records).time(
        "total", matrices((400, 500)), check=sine_totals, label="400x500")
    assert m.within_budget and not m.cut_off and m.ratio < 1.5, m


def test_a_solution_far_within_budget_is_accepted_after_three_timed_runs(workers):
    records = []
    m = budget_for(workers("same", PLAIN_SINE), workers("ref", PLAIN_SINE, "reference"), records).time(
        "total", matrices((1000, 2000)), check=sine_totals, label="1000x2000", repeats=5)
    assert m.within_budget and "of 3 runs" in m.note, m


def test_a_solution_within_budget_but_not_far_within_runs_every_repeat(workers):
    records = []
    m = budget_for(workers("twice", TWICE), workers("ref", PLAIN_SINE, "reference"), records).time(
        "total", matrices((1000, 2000)), check=sine_totals, label="1000x2000", repeats=5)
    assert m.within_budget and 1.5 < m.ratio < 3 and "of 5 runs" in m.note, m


def test_cached_answers_do_not_help_a_slow_solution(workers):
    records = []
    with pytest.raises(GradeFailure, match=r"\(budget 3x\)"):
        budget_for(workers("cheat", CACHES_ANSWERS), workers("ref", REFERENCE, "reference"), records).time(
            "total", matrices((200, 200)), check=close_totals, label="200x200")
    assert records[0].ratio > 3


# A 64 MB result that costs nothing to compute: the input handed back.
ECHO = "def echo(X):\n    return X\n"


def test_work_done_at_import_fails_the_time_budget(workers):
    records = []
    with pytest.raises(GradeFailure, match=r"^200x200: importing the solution took (\d+\.\d\d) s of CPU time before "
                                           r"any call \(the reference's import: 0\.0\d s\)") as failure:
        budget_for(workers("import", WORKS_AT_IMPORT), workers("ref", REFERENCE, "reference"), records).time(
            "total", matrices((200, 200)), check=close_totals, label="200x200")
    assert float(failure.value.args[0].split(" took ")[1].split(" s ")[0]) >= 0.6
    assert "Do the work inside the function" in str(failure.value)
    assert records == []     # nothing was timed


def test_work_done_at_import_does_not_fail_an_informational_measurement(workers):
    records = []
    m = budget_for(workers("import", WORKS_AT_IMPORT), workers("ref", REFERENCE, "reference"), records).time(
        "total", matrices((200, 200)), check=close_totals, label="200x200", informational=True)
    assert m.informational and m.within_budget is None and records == [m]


def test_a_light_import_is_within_the_allowance(workers):
    records = []
    candidate = workers("light", LIGHT_IMPORT)
    m = budget_for(candidate, workers("ref", REFERENCE, "reference"), records).time(
        "total", matrices((200, 200)), check=close_totals, label="200x200")
    assert m.within_budget and records == [m]
    assert candidate.import_cpu is not None and candidate.import_cpu < IMPORT_CPU_ALLOWANCE_S / 10


@pytest.mark.slow
def test_the_reference_reports_its_work_apart_from_moving_its_data(workers):
    """The trusted reference's reply brackets its work; decoding the input and encoding the result are outside.

    The budget takes the rest of a call's CPU time (the kernel's clock of the
    whole worker) for moving data, and takes it off both sides
    (test_large_transfers_come_off_both_sides). Echoing 64 MB does no work
    and moves a lot: the copy of the result costs milliseconds on any
    machine, handing back the input microseconds. A ratio measured on such
    calls would be machine noise on this scale, so the two parts are
    checked, not a ratio.
    """
    from trainer.grading.budget import _timed_call, _transfer_cost
    reference = workers("ref", ECHO, "reference")
    reference.start()
    if not reference.probe.linux:
        pytest.skip("the transfer is measured from /proc")
    X = np.random.default_rng(3).normal(size=(2000, 4000))
    clocks = []
    for _ in range(3):
        result, clock = _timed_call(reference, "echo", Call(X), "echo(X)", 30.0)
        checks.equal(result, X, what="echo(X)")
        clocks.append(clock)
    work = [clock["reported"][1] - clock["reported"][0] for clock in clocks]
    transfer = _transfer_cost(clocks)
    # (here: 0.1 ms of work against 24 ms of moving data in each call)
    assert min(work) >= 0 and transfer > 0.001 and transfer > 20 * max(work), (work, transfer)


def test_large_transfers_come_off_both_sides(linux_budget):
    """Moving the data is taken off both totals before the ratio: it neither dilutes nor inflates it.

    Each reference run moves data for 0.2 s and works for 0.1 s; the
    candidate works twice as long on the same data. Counted, the transfer
    would give (0.2 + 0.2) / (0.1 + 0.2) = 1.33x; the work is 2x.
    """
    b = linux_budget
    ref_calls = [{"start": 0.0, "end": 0.3, "reported": (1.0, 1.1)}] * 5
    cand_calls = [{"start": 0.0, "end": 0.4}] * 5
    cand, ref = b._work(cand_calls[1:], ref_calls[1:], ref_calls)
    assert cand == pytest.approx(0.2) and ref == pytest.approx(0.1)
    # The least transfer over the reference's runs is taken: noise only adds.
    noisy = ref_calls[:4] + [{"start": 0.0, "end": 0.5, "reported": (1.0, 1.1)}]
    assert b._work(cand_calls[1:], noisy[1:], noisy)[1] == pytest.approx(0.1)


def test_a_budget_seed_is_stable_within_a_test_and_new_in_every_other():
    """Budget.seed: the same number for the same grader seed within one test (a run's input can be
    built twice), unrelated ones for other seeds and in every other test (a fresh secret each)."""
    first, second = Budget(None, None, {}, print), Budget(None, None, {}, print)
    seeds = [first.seed(s) for s in range(200)]
    assert seeds == [first.seed(s) for s in range(200)]
    assert len(set(seeds)) == 200 and all(0 <= s < 2 ** 63 for s in seeds)
    assert not set(seeds) & {second.seed(s) for s in range(200)}
    np.testing.assert_array_equal(first.rng(7).normal(size=5), np.random.default_rng(first.seed(7)).normal(size=5))


def test_distinct_per_run_gives_every_run_its_own_value_from_the_seed():
    values = (0.18, 0.19, 0.2, 0.21, 0.22)
    drawn = [distinct_per_run(values, 7, run) for run in range(len(values))]
    assert sorted(drawn) == sorted(values)                    # every run its own value
    assert drawn == [distinct_per_run(values, 7, run) for run in range(len(values))]   # the same under one seed
    assert len({tuple(distinct_per_run(values, seed, run) for run in range(3)) for seed in range(40)}) > 20
    with pytest.raises(ValueError, match="every run needs one of its own"):
        distinct_per_run(values, 7, len(values))


def test_a_secret_seed_depends_on_the_secret_and_the_seed_only():
    """Without the secret, one seed tells nothing about the next: roughly half the bits differ."""
    assert secret_seed(b"k" * 16, 5) == secret_seed(b"k" * 16, 5)
    flipped = [bin(secret_seed(b"k" * 16, s) ^ secret_seed(b"k" * 16, s + 1)).count("1") for s in range(100)]
    assert 25 < np.mean(flipped) < 38, np.mean(flipped)
    assert secret_seed(b"k" * 16, 5) != secret_seed(b"j" * 16, 5)


def test_rubbish_returned_in_timed_runs_fails_the_check(workers):
    with pytest.raises(GradeFailure, match=r"result of a timed call .* \(run 2, on its own input\) is wrong"):
        budget_for(workers("cheat", RUBBISH_WHEN_TIMED), workers("ref", REFERENCE, "reference"), []).time(
            "total", matrices((200, 200)), check=close_totals, label="200x200")


def test_a_thread_left_running_fails_the_call(workers):
    with pytest.raises(CandidateFailure, match="left 1 thread running after total"):
        budget_for(workers("cheat", WORKS_IN_A_THREAD), workers("ref", REFERENCE, "reference"), []).time(
            "total", matrices((400, 400)), check=close_totals, label="400x400")


CLOSES_ITS_CHANNEL = """
import os

def nearest(points, metric):
    os.close(metric._request_fd)   # the grader's end sees the channel close
    while True:
        pass
"""


def test_a_worker_closing_its_channel_to_the_grader_is_stopped_at_once(tmp_path):
    from trainer.grading.harness import counting_metric
    path = tmp_path / "closes.py"
    path.write_text(CLOSES_ITS_CHANNEL)
    metric = counting_metric(np.zeros((4, 2)))
    with Worker(path, Limits(call_timeout=30)) as worker:
        started = time.monotonic()
        with pytest.raises(CandidateFailure, match="closed its channel to the grader") as failure:
            worker.call("nearest", (metric.points, metric))
        assert failure.value.kind == "bad_reply"
        assert time.monotonic() - started < 5   # not the 30 s timeout, nor a wait for an exit
        assert not worker.alive


def test_extra_temporaries_fail_the_memory_budget(workers):
    records = []
    # 2000 x 2000 float64 temporaries: 32 MB for the reference, 8x that for the wasteful one.
    a, b = np.arange(2000.0), np.arange(2000.0)

    def same_sums(got, expected, call):
        checks.close(got, expected, rtol=1e-12, what="the sums")

    ref = workers("ref", REFERENCE, "reference")
    budget_for(workers("same", REFERENCE), ref, records).memory("outer_sum", Call(a, b), check=same_sums,
                                                                label="outer_sum")
    with pytest.raises(GradeFailure, match="more memory than the reference"):
        budget_for(workers("slow", SLOW_AND_WASTEFUL), ref, records).memory("outer_sum", Call(a, b),
                                                                             check=same_sums, label="outer_sum")
    same, slow = records
    assert same.within_budget and slow.candidate > 5 * slow.reference


def test_a_memory_test_whose_call_times_out_says_the_memory_was_not_measured(workers):
    a, b = np.arange(10.0), np.arange(10.0)
    ref = workers("ref", REFERENCE, "reference")
    hangs = workers("hangs", "def outer_sum(a, b):\n    while True:\n        pass\n")
    started = time.monotonic()
    with pytest.raises(GradeFailure, match=r"outer_sum: the peak memory could not be measured because the call "
                                           r"timed out after [\d.]+ s"):
        budget_for(hangs, ref, []).memory("outer_sum", Call(a, b), check=lambda *_: None, label="outer_sum")
    # As long as an untimed call may take: 1 s + 10x the reference's import and call (of CPU time).
    assert time.monotonic() - started < 8


def test_peak_memory_sees_a_materialised_stream(workers):
    n = 1_000_000
    _, lean = SolutionProxy(workers("ref", REFERENCE, "reference")).peak_memory("first", one_pass_range(n), 3)
    _, fat = SolutionProxy(workers("slow", SLOW_AND_WASTEFUL)).peak_memory("first", one_pass_range(n), 3)
    assert lean < 1 << 20 < 30 << 20 < fat  # a list of 10^6 ints is ~36 MB


def test_growth_exponent_is_fitted_on_log_log(workers):
    records = []
    budget = budget_for(workers("same", REFERENCE), workers("ref", REFERENCE, "reference"), records)
    m = budget.growth([1000, 2000, 4000], lambda n: n ** 1.5, max_exponent=1.6, label="n^1.5")
    assert m.candidate == pytest.approx(1.5)
    with pytest.raises(GradeFailure, match="grows faster"):
        budget.growth([1000, 2000, 4000], lambda n: n ** 2, max_exponent=1.6, label="n^2")


def test_counts_and_notes(workers):
    records = []
    budget = budget_for(workers("same", REFERENCE), workers("ref", REFERENCE, "reference"), records)
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


INCREMENT = "import numpy as np\n\ndef inc(X):\n    return X + 1.0\n"
# Twenty-five times the reference's work on the same 64 MB in and out: far over
# a 3x budget, though moving the data (about twice the reference's work here)
# would bring the totals to about 5x, under the 6x at which timing stops early.
INCREMENT_25_TIMES = ("import numpy as np\n\ndef inc(X):\n    for _ in range(24):\n        np.add(X, 1.0)\n"
                      "    return X + 1.0\n")


@pytest.mark.slow
def test_a_solution_far_over_budget_is_stopped_early_however_large_its_data(workers):
    g = np.random.default_rng(4)

    def same(got, expected, call):
        checks.equal(got, expected, what="X + 1")

    records = []
    with pytest.raises(GradeFailure, match=r"\(budget 3x\)"):
        Budget(workers("slow", INCREMENT_25_TIMES), workers("ref", INCREMENT, "reference"), {"time": 3.0},
               records.append).time("inc", lambda run: Call(g.normal(size=(2000, 4000))), check=same,
                                    label="64 MB in and out")
    # Stopped in its warm-up (the cutoff), in its first timed run (at the clearly-over bar, shown as
    # over 2 x the budget), or after the first timed run (the second, if noise slowed the reference's
    # first one): not after all five.
    m = records[0]
    assert m.ratio >= 0.999 * CLEARLY_OVER * 3.0, m
    assert m.cut_off or int(m.note.split(" of ")[1].split()[0]) <= 2, m


# A reference whose first call does one-time work ten times its steady work (as a
# cold first call in a fresh worker can), and a candidate 25x the steady work in
# every call: its warm-up fits within four budgets of the reference's warm-up.
SORTED_MAX = "import numpy as np\n\ndef f(X):\n    return float(np.sort(X, axis=None)[-1])\n"
SORTED_MAX_SLOW_FIRST = ("import numpy as np\n\n_first = [True]\n\ndef f(X):\n    if _first:\n"
                         "        _first.clear()\n        for _ in range(10):\n            np.sort(X, axis=None)\n"
                         "    return float(np.sort(X, axis=None)[-1])\n")
SORTED_MAX_25_TIMES = ("import numpy as np\n\ndef f(X):\n    for _ in range(24):\n        np.sort(X, axis=None)\n"
                       "    return float(np.sort(X, axis=None)[-1])\n")


@pytest.mark.slow
def test_a_timed_run_is_cut_off_from_the_references_timed_run_not_its_warm_up(workers):
    """The candidate's timed runs are stopped at budgets of the reference's timed run, not of its slow warm-up."""
    g = np.random.default_rng(5)
    records = []

    def same(got, expected, call):
        checks.equal(got, expected, what="the largest entry")

    with pytest.raises(GradeFailure, match="stopped after"):
        Budget(workers("slow", SORTED_MAX_25_TIMES), workers("ref", SORTED_MAX_SLOW_FIRST, "reference"),
               {"time": 3.0}, records.append).time("f", lambda run: Call(g.random((1000, 2000))), check=same,
                                                  label="16 MB in, a float out")
    m = records[0]
    # Cut off in run 1 (its warm-up, 25 steady calls, is within 4 x 3 x the reference's 11, and clearly
    # over the reference's timed run): what it was allowed is two budgets of the reference's steady call,
    # far less than its warm-up.
    assert m.cut_off and m.ratio < 1.5 * CLEARLY_OVER * 3.0, m
    assert m.ratio > CLEARLY_OVER * 3.0 / 1.5, m     # shown against the reference's timed run


@pytest.fixture
def linux_budget(workers):
    """A Budget whose started reference worker tells how much of a call was moving data (Linux /proc)."""
    reference = workers("ref", PLAIN_SINE, "reference")
    reference.start()
    if not reference.probe.linux:
        pytest.skip("the transfer is measured from /proc")
    return budget_for(workers("same", PLAIN_SINE), reference, [])


def test_the_early_stop_compares_work_as_the_verdict_does(linux_budget):
    """Every candidate run 7x the reference's work, 3x its totals with the data moved: over 2 x a 3x budget."""
    b = linux_budget
    ref_calls = [{"start": 0.0, "end": 0.3, "reported": (1.0, 1.1)}] * 2   # 0.1 s of work, 0.2 s moving data
    slow = [{"start": 0.0, "end": 0.9}] * 2                                 # 0.7 s of work, the same data
    assert b._clearly_over(slow, ref_calls, 3.0)
    within = [{"start": 0.0, "end": 0.7}] * 2                               # 5x: over budget, not twice over
    assert not b._clearly_over(within, ref_calls, 3.0)


def test_a_run_after_runs_all_clearly_over_is_stopped_at_the_clearly_over_bar(linux_budget):
    """Once every candidate run is over CLEARLY_OVER budgets, the next needs only reach that bar (+ the transfer).

    Reaching it ends timing either way, so the run is stopped there rather
    than at CUTOFF_FACTOR budgets; until then, and before any timed
    reference run, the cutoff stands.
    """
    from trainer.grading.budget import MIN_CUTOFF_S
    b = linux_budget
    # The reference's cold warm-up (1.8 s of work) and its timed run (0.1 s), each with 0.2 s of moving data.
    warm_up = {"start": 0.0, "end": 2.0, "reported": (1.0, 2.8)}
    timed = {"start": 0.0, "end": 0.3, "reported": (1.0, 1.1)}
    cutoff = b._cutoff(timed, 3.0)
    over = [{"start": 0.0, "end": 1.0}]       # 0.8 s of work: over 2 x 3 x 0.1
    within = [{"start": 0.0, "end": 0.7}]     # 0.5 s: over budget, not twice over
    assert b._limit(cutoff, over, [warm_up, timed], 3.0) == pytest.approx(0.2 + CLEARLY_OVER * 3.0 * 0.1)
    assert b._limit(cutoff, within, [warm_up, timed], 3.0) == cutoff
    assert b._limit(cutoff, over + within, [warm_up, timed], 3.0) == cutoff
    assert b._limit(cutoff, over, [warm_up], 3.0) == cutoff   # no timed reference run yet
    # Never below the floor of every cutoff.
    tiny = {"start": 0.0, "end": 0.001, "reported": (0.0, 0.001)}
    assert b._limit(1.0, over, [tiny, tiny], 3.0) == MIN_CUTOFF_S


def test_a_call_is_cut_off_at_its_budget_of_work_plus_moving_its_data_once(linux_budget):
    """CUTOFF_FACTOR x ratio x the reference's work, plus the transfer (not multiplied with it)."""
    from trainer.grading.budget import CUTOFF_FACTOR, MIN_CUTOFF_S
    b = linux_budget
    # A warm-up of 1.0 s of CPU of which the reference reported 0.2 s of work: 0.8 s moved data.
    warm_up = {"start": 10.0, "end": 11.0, "reported": (5.0, 5.2)}
    assert b._cutoff(warm_up, 3.0) == pytest.approx(0.8 + CUTOFF_FACTOR * 3.0 * 0.2)
    assert b._cutoff({"start": 0.0, "end": 0.001, "reported": (0.0, 0.001)}, 3.0) == MIN_CUTOFF_S
