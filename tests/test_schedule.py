"""The order of a grading's tests, the performance gate, lanes, and how long a call may take.

Schedule's rules on their own first (two Schedule objects on one file are two
lanes), then real gradings of the toy pack: the gate, lanes agreeing with a
single lane, a hang known within seconds, --quick, -k and watch.
"""

from __future__ import annotations

import json
import re
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from trainer import warm
from trainer.cli import cli
from trainer.engine import grade
from trainer.grading.schedule import GATE_MESSAGE, Schedule, Timeouts, category_rank
from trainer.report import CATEGORIES

from tests.helpers import HOSTILE

# -- the schedule on its own ---------------------------------------------------------------


def test_categories_run_in_the_documented_order():
    assert sorted(reversed(CATEGORIES), key=category_rank) == ["correctness", "edge_case", "stability",
                                                               "performance"]


def test_two_lanes_take_every_test_exactly_once(tmp_path):
    path = tmp_path / "schedule.json"
    lanes = [Schedule(path, pending=0), Schedule(path, pending=0)]
    taken: list[list[int]] = [[], []]

    def run(lane: int) -> None:
        while (index := lanes[lane].take()) < 200:
            taken[lane].append(index)

    threads = [threading.Thread(target=run, args=(lane,)) for lane in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken[0] + taken[1]) == list(range(200))


def test_the_second_lane_keeps_the_first_lanes_state(tmp_path):
    path = tmp_path / "schedule.json"
    first = Schedule(path, pending=2)
    assert first.take() == 0
    second = Schedule(path, pending=2)    # starts later: the state is not reset
    assert second.take() == 1


def test_the_gate_opens_when_every_waited_for_test_passed(tmp_path):
    path = tmp_path / "schedule.json"
    lanes = [Schedule(path, pending=2), Schedule(path, pending=2)]
    lanes[0].finished(counts=True, failed=False)
    assert lanes[1].gate_open(timeout=0.05) is False    # one still pending: it waits, then gives up
    lanes[1].finished(counts=True, failed=False)
    assert lanes[0].gate_open(timeout=0.05) is True


def test_the_gate_closes_at_once_on_a_failure(tmp_path):
    path = tmp_path / "schedule.json"
    lanes = [Schedule(path, pending=5), Schedule(path, pending=5)]
    lanes[0].finished(counts=True, failed=True)
    started = time.monotonic()
    assert lanes[1].gate_open(timeout=10) is False
    assert time.monotonic() - started < 1


def test_fail_fast_stops_every_lane_and_only_then(tmp_path):
    path = tmp_path / "schedule.json"
    lanes = [Schedule(path, pending=3, fail_fast=True), Schedule(path, pending=3, fail_fast=True)]
    lanes[0].finished(counts=True, failed=False)
    assert not lanes[1].stopped()
    lanes[0].finished(counts=True, failed=True)
    assert lanes[1].stopped()


def test_a_timed_out_function_is_known_to_every_lane(tmp_path):
    path = tmp_path / "schedule.json"
    first, second = Timeouts(Schedule(path, pending=0)), Timeouts(Schedule(path, pending=0))
    assert "kmeans" not in second
    first["kmeans"] = "timed out after 1 s"
    first["kmeans"] = "timed out after 9 s"    # the first reason stays
    assert "kmeans" in second and second["kmeans"] == "timed out after 1 s"


def test_one_lane_keeps_its_state_in_memory():
    schedule = Schedule(None, pending=1)
    assert [schedule.take(), schedule.take()] == [0, 1]
    schedule.finished(counts=True, failed=False)
    assert schedule.gate_open(timeout=0)


# -- real gradings of the toy pack ---------------------------------------------------------

def outcomes(report) -> dict[str, str]:
    return {t.nodeid.split("::")[-1]: t.outcome for t in report.tests}


@pytest.mark.slow
def test_performance_is_not_run_after_a_failure_and_no_speed_is_shown(toy):
    from trainer import render
    report = grade(toy, HOSTILE / "patches_numpy.py")   # row_sums wrong everywhere
    (speed,) = [t for t in report.tests if t.category == "performance"]
    assert speed.outcome == "skipped" and speed.message == GATE_MESSAGE and not speed.measurements
    assert report.speed_ratio is None and "speed" not in render.headline(report)
    assert [t.category for t in report.tests] == sorted((t.category for t in report.tests), key=category_rank)


@pytest.mark.slow
def test_performance_runs_once_everything_else_passed(toy):
    report = grade(toy, toy.reference_path)
    assert report.passed and report.speed_ratio is not None


@pytest.mark.slow
@pytest.mark.parametrize("path", ["reference", HOSTILE / "patches_numpy.py"], ids=["reference", "buggy"])
def test_two_lanes_give_the_verdicts_of_one(toy, path):
    path = toy.reference_path if path == "reference" else path
    one, two = grade(toy, path, lanes=1), grade(toy, path, lanes=2)
    assert outcomes(one) == outcomes(two)
    assert [t.nodeid for t in one.tests] == [t.nodeid for t in two.tests]
    assert one.status == two.status


@pytest.mark.slow
def test_a_hang_is_known_in_seconds_and_its_other_tests_are_not_run(toy):
    started = time.monotonic()
    report = grade(toy, HOSTILE / "infinite_loop.py", lanes=1)
    elapsed = time.monotonic() - started
    row_sums = [t for t in report.tests if "row_sums" in t.message]
    assert row_sums[0].outcome == "failed"
    assert re.search(r"timed out after [\d.]+ s .*1 s of CPU time at most: 10x the reference's",
                     row_sums[0].message), row_sums[0].message
    assert all(t.outcome == "skipped" and t.message.startswith("not run: row_sums() timed out")
               for t in row_sums[1:]), [(t.outcome, t.message) for t in row_sums]
    assert report.status == "failed"
    # One call waits (1 s, then 10x the reference's milliseconds of CPU), the rest not at all.
    assert elapsed < 8, elapsed


WORK = """
import time


def work(seconds, factor):
    end = time.process_time() + seconds * {factor}
    while time.process_time() < end:
        pass
    return seconds
"""


@pytest.fixture
def workers(tmp_path):
    """work(seconds, factor): the solution's takes factor x seconds of CPU, the reference's `seconds`."""
    from trainer.sandbox.client import Worker
    from trainer.sandbox.limits import Limits
    pair = []
    for label, factor in (("solution", "factor"), ("ref", "1")):
        path = tmp_path / label / "work.py"
        path.parent.mkdir()
        path.write_text(WORK.format(factor=factor))
        pair.append(Worker(path, Limits(call_timeout=60), label=label, folder=tmp_path))
    yield pair
    for worker in pair:
        worker.stop()


@pytest.mark.slow
def test_a_call_within_ten_times_the_reference_plus_a_second_finishes(workers):
    from trainer.grading.proxy import SolutionProxy
    solution, reference = workers
    # The reference's work(0.3, 1) takes 0.3 s: a call may take 1 + 10 x 0.3 = 4 s; this one takes 1.8 s.
    proxy = SolutionProxy(solution, reference=reference)
    assert proxy.work(0.3, 6) == 0.3


@pytest.mark.slow
def test_a_call_over_ten_times_the_reference_plus_a_second_times_out_then_is_not_run(workers):
    from trainer.grading.proxy import SolutionProxy
    from trainer.sandbox.client import CandidateFailure
    solution, reference = workers
    proxy = SolutionProxy(solution, reference=reference)
    with pytest.raises(CandidateFailure, match=r"timed out after [\d.]+ s .*10x the reference's 0.1 s") as info:
        proxy.work(0.1, 40)              # 4 s of work where 1 + 10 x 0.1 = 2 s of CPU are allowed
    # From the call's start to its stop: 2 s of CPU, which a busy machine
    # stretches in wall time up to Patience.WALL_FACTOR x 2 s (the stop and
    # the worker's teardown come after, so they are not measured here).
    took = float(re.search(r"timed out after ([\d.]+) s", info.value.message).group(1))
    assert 1.9 < took <= 3 * 2 + 0.1
    with pytest.raises(CandidateFailure, match="not run: work\\(\\) timed out after"):
        proxy.work(0.0, 1)


@pytest.mark.slow
def test_a_call_still_running_when_its_function_times_out_in_another_lane_stops_as_not_run(workers):
    from trainer.grading.proxy import SolutionProxy
    from trainer.sandbox.client import CandidateFailure
    solution, reference = workers
    timeouts: dict = {}       # what the lanes share (a Timeouts on the run's schedule file)
    proxy = SolutionProxy(solution, reference=reference, timeouts=timeouts)
    when = {}

    def mark():
        when["marked"] = time.monotonic()
        timeouts.setdefault("work", "timed out after 2 s")

    marked = threading.Timer(2.0, mark)
    marked.start()
    # 0.5 s for the reference, 20 s for the solution: allowed 1 + 10 x 0.5 = 6 s of CPU, stopped at ~2 s.
    with pytest.raises(CandidateFailure, match=r"^not run: work\(\) timed out after 2 s in another test") as caught:
        proxy.work(0.5, 40)
    late = time.monotonic() - when["marked"]
    marked.join()
    assert caught.value.kind == "not_run"
    # Not a timeout: it stopped before its own allowance ran out, which it would only have reached at 6 s of CPU.
    assert late < 5.0, f"stopped {late:.2f} s after the function was marked"
    assert not solution.alive, "the call was stopped with its worker"


# distance(points, metric, seconds): `seconds` of CPU, then metric(0, [1]). The solution's
# writes that request in two parts, with 0.5 s of CPU between them, as a worker descheduled
# in the middle of a large request (a VP-tree's whole row of ids) would.
ASKS_THE_GRADER = """
import os
import struct
import time

import numpy as np


def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def distance(points, metric, seconds):
    spin(seconds)
    if {paused}:
        os.write(metric._request_fd, struct.pack("<QQq", metric._key, 1, 0))
        spin(0.5)
        os.write(metric._request_fd, np.array([1], dtype=np.int64).tobytes())
        return float(np.frombuffer(os.read(metric._response_fd, 8), dtype=np.float64)[0])
    return float(metric(0, [1])[0])
"""


@pytest.mark.slow
def test_a_request_to_the_grader_across_the_first_deadline_gets_the_calls_own_time(tmp_path):
    """A call may take 1 s + 10x the reference's time; a request it makes of the grader when the
    first second runs out is answered within that, not timed out at the first second."""
    from trainer.grading.harness import counting_metric
    from trainer.grading.proxy import SolutionProxy
    from trainer.sandbox.client import Worker
    from trainer.sandbox.limits import Limits
    pair = []
    for label, paused in (("solution", True), ("ref", False)):
        path = tmp_path / label / "asks.py"
        path.parent.mkdir()
        path.write_text(ASKS_THE_GRADER.format(paused=paused))
        pair.append(Worker(path, Limits(call_timeout=60), label=label, folder=tmp_path))
    solution, reference = pair
    try:
        metric = counting_metric(np.array([[0.0, 0.0], [3.0, 4.0]]))
        # The reference's 0.3 s allow 1 + 10 x 0.3 = 4 s of CPU; the solution's request starts at
        # 0.8 s and ends at 1.3 s, across the first deadline.
        started = time.monotonic()
        assert SolutionProxy(solution, reference=reference).distance(metric.points, metric, 0.8) == 5.0
        assert time.monotonic() - started < 3 * 4
    finally:
        for worker in pair:
            worker.stop()


# -- the command line ----------------------------------------------------------------------

@pytest.fixture
def workspace(monkeypatch, tmp_path, toy):
    from tests.helpers import TOY_PACK
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "ws"
    folder.mkdir()
    monkeypatch.setenv("MLTRAINER_WORKSPACE", str(folder))
    return folder


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.slow
def test_quick_leaves_performance_out_and_a_pass_is_not_recorded(workspace, toy):
    (workspace / "toy.py").write_text(toy.reference_path.read_text())
    result = invoke("grade", "toy", "--quick", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["selection"].startswith("quick") and data["speed_ratio"] is None
    assert all(t["category"] != "performance" for t in data["tests"])
    progress = json.loads(invoke("progress", "--format", "json").output)
    assert progress["recent"] == [] and all(c["attempts"] == 0 for c in progress["challenges"])
    assert invoke("grade", "toy").exit_code == 0      # a full grade is recorded
    progress = json.loads(invoke("progress", "--format", "json").output)
    assert [c["attempts"] for c in progress["challenges"] if c["challenge_id"] == "toy"] == [1]


@pytest.mark.slow
def test_k_runs_the_matching_tests_and_names_them_in_the_report(workspace, toy):
    (workspace / "toy.py").write_text((HOSTILE / "patches_numpy.py").read_text())
    result = invoke("grade", "toy")
    assert result.exit_code == 1
    assert "mltrainer grade toy -k test_row_sums" in result.output
    again = invoke("grade", "toy", "-k", "test_row_sums")
    assert again.exit_code == 1
    assert "0/1 tests passed" in again.output and "partial run (-k test_row_sums)" in again.output
    # A partial run that fails is a true failure: recorded, like the full grade before it.
    progress = json.loads(invoke("progress", "--format", "json").output)
    assert [c["attempts"] for c in progress["challenges"] if c["challenge_id"] == "toy"] == [2]


@pytest.mark.slow
@pytest.mark.parametrize("lanes_start", ["warm", "cold"])
def test_k_matching_nothing_is_an_input_error(workspace, toy, lanes_start, monkeypatch):
    """Every time: the lane that finds no test first must not stop the other as if it had broken."""
    if lanes_start == "cold":
        monkeypatch.setenv(warm.WARM_ENV, "0")
    (workspace / "toy.py").write_text(toy.reference_path.read_text())
    for _ in range(3):      # the two lanes finish within a few ms of each other, in either order
        result = invoke("grade", "toy", "-k", "no_such_test")
        assert result.exit_code == 2 and "no test matches" in result.output, result.output


@pytest.mark.slow
def test_watch_runs_quick_then_the_full_grade_once_quick_passes(workspace, toy):
    (workspace / "toy.py").write_text(toy.reference_path.read_text())
    result = invoke("watch", "toy", "--max-runs", "1")
    assert result.exit_code == 0, result.output
    assert "every quick test passed: the full grade" in result.output
    assert "partial run (quick" in result.output          # the quick report, then the full one
    assert result.output.rstrip().count("PASSED") == 2


@pytest.mark.slow
def test_watch_stops_at_quick_when_it_fails(workspace, toy):
    (workspace / "toy.py").write_text((HOSTILE / "patches_numpy.py").read_text())
    result = invoke("watch", "toy", "--max-runs", "1")
    assert result.exit_code == 1
    assert "full grade" not in result.output and "partial run (quick" in result.output


def test_quick_and_k_cannot_go_with_a_roster(workspace, tmp_path):
    result = invoke("grade", "--roster", str(tmp_path), "--quick")
    assert result.exit_code == 2 and "--quick cannot be used with --roster" in result.output

