"""The grading engine end to end on the toy challenge: real workers, real pytest runs.

Hostile candidates must each get the right verdict, with a plain reason,
within their timeout plus a few seconds, and the run must complete.
"""

from __future__ import annotations

import json
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from trainer.engine import grade
from trainer.errors import SolutionNotFound
from trainer import render

from tests.helpers import HOSTILE, TOY_PACK, descendants, is_busy_worker

REFERENCE = TOY_PACK / "reference" / "toy.py"
SLACK_S = 8  # worker start-up, pytest start-up and a loaded CI machine


def failing(report):
    return {t.name: t.message for t in report.tests if t.outcome != "passed" and not t.bonus}


@pytest.mark.slow
def test_reference_passes_with_a_timing_line(toy):
    report = grade(toy, REFERENCE)
    assert report.status == "passed", report.tests
    perf = [t for t in report.tests if t.category == "performance"]
    assert perf and perf[0].measurements
    line = perf[0].measurements[0].summary()
    assert line.startswith("candidate ") and " vs reference " in line and "(budget 3x)" in line
    assert report.speed_ratio is not None
    # The bonus part is reported as a bonus.
    assert [t.bonus for t in report.tests].count(True) == 1


@pytest.mark.slow
def test_a_failing_bonus_part_does_not_fail_the_challenge(toy, tmp_path):
    solution = tmp_path / "toy.py"
    solution.write_text(REFERENCE.read_text().replace("return float(np.sqrt(np.dot(x, x)))",
                                                      "raise NotImplementedError"))
    report = grade(toy, solution)
    assert report.status == "passed"
    bonus = [t for t in report.tests if t.bonus]
    assert bonus[0].outcome == "failed" and "NotImplementedError" in bonus[0].message


@pytest.mark.slow
def test_untouched_stub_fails_every_test(toy, tmp_path):
    stub = tmp_path / "toy.py"
    stub.write_text(toy.render_stub("interview"))
    report = grade(toy, stub)
    assert report.status == "failed"
    assert all(not t.passed for t in report.tests)
    assert "NotImplementedError" in report.tests[0].message


# Correct, but its row_sums rewrites its own file (the worker's copy) into one whose scale is wrong.
REWRITES_ITSELF = """
import numpy as np


def row_sums(X):
    with open(__file__, "w") as handle:
        handle.write("import numpy as np\\n\\ndef scale(X, c):\\n    return np.zeros_like(X)\\n")
    return np.asarray(X, dtype=np.float64).sum(axis=1)


def scale(X, c):
    return c * np.asarray(X, dtype=np.float64)
"""


@pytest.mark.slow
def test_every_test_runs_the_bytes_first_loaded_even_if_the_solution_rewrites_its_file(toy, tmp_path):
    """Each test gets a fresh module, from the code the worker compiled when it first loaded the file."""
    solution = tmp_path / "toy.py"
    solution.write_text(REWRITES_ITSELF)
    report = grade(toy, solution, quick=True, lanes=1)   # one worker: row_sums' tests run before scale's
    outcomes = {t.nodeid.split("::")[-1]: t.outcome for t in report.tests}
    assert outcomes["test_row_sums"] == "passed" and outcomes["test_scale_does_not_mutate"] == "passed", outcomes
    assert solution.read_text() == REWRITES_ITSELF   # the user's file is a copy away


def test_missing_solution_is_an_input_error(toy, tmp_path):
    with pytest.raises(SolutionNotFound, match="mltrainer start toy"):
        grade(toy, tmp_path / "nope.py")


@pytest.mark.slow
def test_slow_solution_is_cut_off_quickly(toy, tmp_path):
    slow = tmp_path / "toy.py"
    slow.write_text(REFERENCE.read_text().replace(
        "return np.asarray(X, dtype=np.float64).sum(axis=1)",
        "[0 for _ in range(3 * 10**8)]; return np.asarray(X, dtype=np.float64).sum(axis=1)"))
    start = time.monotonic()
    report = grade(toy, slow, keyword="speed")
    assert report.status == "failed", report
    assert time.monotonic() - start < 1 + SLACK_S + 3  # cut off after ~1 s, not 30 s per call
    (test,) = report.tests
    assert test.outcome == "failed" and test.measurements[0].cut_off
    assert "stopped after" in test.message


@pytest.mark.slow
def test_events_are_streamed(toy):
    events = []
    grade(toy, REFERENCE, on_event=events.append)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "collected" and kinds.count("start") == kinds.count("done") == events[0]["count"]


@pytest.mark.slow
def test_fail_fast_stops_at_the_first_failure(toy, tmp_path):
    stub = tmp_path / "toy.py"
    stub.write_text(toy.render_stub("guided"))
    report = grade(toy, stub, fail_fast=True)
    assert report.status == "failed" and len([t for t in report.tests if t.outcome == "failed"]) == 1
    assert [t.outcome for t in report.tests[1:]] == ["skipped"] * (len(report.tests) - 1)
    assert "not run" in report.tests[1].message


@pytest.mark.slow
def test_a_broken_grader_is_an_error_not_a_pass(toy, tmp_path):
    import shutil
    from trainer.catalog import load_catalog
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    (pack / "graders" / "toy.py").write_text("def test_x(:\n    pass\n")
    broken = load_catalog([pack]).get("toy")
    report = grade(broken, REFERENCE)
    assert report.status == "error" and "could not be loaded" in report.error


LOOPING_TEST = '''

@pytest.mark.correctness
def test_keeps_walking(solution):
    """A grader loop that the solution's result keeps going"""
    n = int(solution.row_sums(np.ones((1, 3)))[0])
    while n > 0:        # a grader bug: the result decides when the loop stops, and it never does
        n += 1
'''


@pytest.mark.slow
def test_a_grader_loop_on_a_result_is_stopped_by_its_cpu_bound(tmp_path, monkeypatch):
    """A test whose grader spins on what a solution returned fails after the lane's CPU bound, alone."""
    import shutil
    from trainer.catalog import load_catalog
    from trainer.grading.plugin import GRADER_CPU_ENV
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    grader = pack / "graders" / "toy.py"
    grader.write_text(grader.read_text() + LOOPING_TEST)
    monkeypatch.setenv(GRADER_CPU_ENV, "1.5")
    started = time.monotonic()
    report = grade(load_catalog([pack]).get("toy"), REFERENCE, keyword="test_keeps_walking or test_row_sums",
                   lanes=1, run_timeout=120)
    elapsed = time.monotonic() - started
    outcomes = {t.nodeid.split("::")[-1]: t for t in report.tests}
    assert outcomes["test_row_sums"].outcome == "passed"
    looping = outcomes["test_keeps_walking"]
    assert looping.outcome == "failed" and "more than 1.5 s of its own CPU time" in looping.message, looping
    assert report.status == "failed" and elapsed < 30, (report.status, report.error, elapsed)


# -- hostile candidates ----------------------------------------------------------

HOSTILE_CASES = {
    # file: (reason expected in the failing tests' messages, longest it may take)
    # A call gets 1 s, then 10x the reference's CPU time on its input + 1 s (of CPU: up to 3 s of
    # wall time on a busy machine); two lanes may each wait once.
    "infinite_loop.py": ("1 s of CPU time at most: 10x the reference's", 2 * 3),
    "huge_allocation.py": ("exceeded the 2048 MiB memory limit", 0),
    "os_exit.py": ("exited with status 0 while running row_sums", 0),
    "segfault.py": ("crashed with SIGSEGV", 0),
    "prints_100mb.py": ("more than 8 MiB of output", 0),
    "sys_exit.py": ("called sys.exit(3)", 0),
    "returns_object.py": ("cannot be checked", 0),
    "dynamic_import_reference.py": ("importing 'trainer' is not allowed", 0),
    "import_time_crash.py": ("importing the solution raised RuntimeError: broken at import", 0),
    # Only the first test waits for the timeout; the others fail at once with the same reason.
    "import_time_loop.py": ("timed out after 3 s while importing the solution", 3),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
@pytest.mark.slow
def test_hostile_candidate_gets_a_plain_verdict(toy, name):
    reason, budget_s = HOSTILE_CASES[name]
    start = time.monotonic()
    report = grade(toy, HOSTILE / name)
    elapsed = time.monotonic() - start
    assert report.status == "failed", (report.status, report.error)
    messages = failing(report)
    assert "Row sums match numpy's" in messages
    assert reason in messages["Row sums match numpy's"]
    assert elapsed < budget_s + SLACK_S + 5, elapsed
    # The run went on after the failure: every test has a verdict.
    assert len(report.tests) == 5


@pytest.mark.slow
def test_monkeypatching_numpy_in_the_candidate_changes_nothing(toy):
    report = grade(toy, HOSTILE / "patches_numpy.py")
    messages = failing(report)
    assert report.status == "failed"
    assert ": 20 of 20 entries differ from the expected values" in messages["Row sums match numpy's"]


@pytest.mark.parametrize("name, where", [("imports_reference.py", ":2:1"), ("syntax_error.py", ":4:")])
def test_static_problems_are_reported_with_file_and_line(toy, name, where):
    report = grade(toy, HOSTILE / name)
    assert report.status == "rejected" and not report.tests
    assert where in report.static_issues[0].location()


# -- renderers -------------------------------------------------------------------

@pytest.mark.slow
def test_json_report_has_the_documented_fields(toy):
    report = grade(toy, HOSTILE / "patches_numpy.py")
    data = json.loads(render.to_json(report))
    for key in ("challenge_id", "solution_path", "source_sha256", "started_at", "duration_s", "status", "passed",
                "counts", "speed_ratio", "static_issues", "tests", "error", "format_version"):
        assert key in data
    test = data["tests"][0]
    for key in ("nodeid", "name", "category", "outcome", "message", "bonus", "duration_s", "measurements"):
        assert key in test
    from trainer.report import GradeReport
    assert GradeReport.from_dict(data).to_dict() == data


@pytest.mark.slow
def test_junit_counts_failures_but_not_failed_bonus_parts(toy):
    # Patching numpy makes row_sums wrong everywhere: its two tests fail, the
    # speed test is not run (it waits for the others to pass).
    report = grade(toy, HOSTILE / "patches_numpy.py")
    suite = ET.fromstring(render.to_junit(report)).find("testsuite")
    assert suite.get("failures") == "2"
    assert suite.get("skipped") == "2"   # the failed bonus part and the speed test not run
    bonus = [c for c in suite.iter("testcase") if c.get("name").endswith("(bonus)")]
    assert bonus and bonus[0].find("failure") is None


@pytest.mark.slow
def test_text_report_groups_by_category_and_explains(toy):
    from rich.console import Console
    report = grade(toy, HOSTILE / "patches_numpy.py")
    console = Console(record=True, width=120)
    render.print_text(report, console)
    text = console.export_text()
    assert "FAILED: 1/4 tests passed" in text
    assert text.index("Correctness") < text.index("Edge cases") < text.index("Performance")
    assert "expected" in text and "got" in text


@pytest.mark.slow
def test_cancel_stops_a_run_quickly_and_leaves_no_worker(toy, tmp_path):
    import threading

    from trainer.errors import GradingCancelled

    solution = tmp_path / "toy.py"
    solution.write_text(
        "def row_sums(X):\n"
        "    while True:\n"
        "        pass\n\n"
        "def scale(X, c):\n"
        "    return c * X\n")
    cancel = threading.Event()
    result = {}

    def run():
        try:
            grade(toy, solution, cancel=cancel)
        except GradingCancelled as exc:
            result["cancelled"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not [pid for pid in descendants() if is_busy_worker(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in descendants() if is_busy_worker(pid)], "the solution's worker never started"
    begin = time.monotonic()
    cancel.set()
    thread.join(30)
    assert "cancelled" in result and time.monotonic() - begin < 5
    deadline = time.monotonic() + 5
    while descendants() and time.monotonic() < deadline:  # workers die with their grader (PR_SET_PDEATHSIG)
        time.sleep(0.05)
    assert not descendants()


# -- a run counts only if its lanes reported what they collected, once each ----------

def _lane(*events):
    """An _EventReader that has read these events from a real pipe, as from a lane."""
    import os
    from trainer.engine import _EventReader
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "w") as out:
        out.writelines(json.dumps(event) + "\n" for event in events)
    reader = _EventReader(read_fd, None)
    reader.start()
    reader.join(5)
    return reader


def _collected(*names):
    return {"event": "collected", "tests": [{"nodeid": f"g.py::{n}"} for n in names]}


def _results(*outcomes):
    return {"event": "results", "collect_errors": [], "isolation": "landlock v7 + seccomp",
            "tests": [{"nodeid": f"g.py::{n}", "name": n, "category": "correctness", "outcome": o}
                      for n, o in outcomes]}


def _verdict_of(*lanes):
    from pathlib import Path
    from types import SimpleNamespace
    from trainer.engine import _verdict

    def report(status, tests=(), error="", isolation_level=""):
        return SimpleNamespace(status=status, tests=list(tests), error=error)
    procs = [SimpleNamespace(returncode=1) for _ in lanes]
    return _verdict(report, list(lanes), procs, ["" for _ in lanes], "outlook", "", Path("s.py"))


@pytest.mark.parametrize("lanes", [
    pytest.param(lambda: [_lane(_collected("a", "b"), _results(("a", "passed")))], id="a collected test unreported"),
    pytest.param(lambda: [_lane(_collected("a"), _results(("a", "passed"), ("a", "passed")))], id="reported twice"),
    pytest.param(lambda: [_lane(_collected("a"), _results(("a", "passed"), ("b", "passed")))],
                 id="reported, never collected"),
    pytest.param(lambda: [_lane(_collected("a"), _results(("a", "xpassed")))], id="an outcome of no kind"),
    pytest.param(lambda: [_lane(_collected("a"), _collected("a"), _results(("a", "passed")))],
                 id="a second collected list"),
    pytest.param(lambda: [_lane(_collected("a", "b"), _results(("a", "passed"))),
                          _lane(_collected("a"), _results(("b", "passed")))], id="lanes collected differently"),
])
def test_a_run_whose_lanes_did_not_report_every_collected_test_once_is_an_error(lanes):
    verdict = _verdict_of(*lanes())
    assert verdict.status == "error" and "did not report every test it collected" in verdict.error, verdict


def test_lanes_that_reported_every_collected_test_once_give_the_verdict():
    """The gate above, on streams that meet it: the verdict is the tests' own."""
    two = [_lane(_collected("a", "b"), _results(("b", "passed"))),
           _lane(_collected("a", "b"), _results(("a", "passed")))]
    verdict = _verdict_of(*two)
    assert verdict.status == "passed" and [t.nodeid for t in verdict.tests] == ["g.py::a", "g.py::b"]
    assert _verdict_of(_lane(_collected("a"), _results(("a", "failed")))).status == "failed"
