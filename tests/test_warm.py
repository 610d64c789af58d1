"""Warm lanes (trainer/warm.py): forked from a lane server, and the verdict they give is the cold one.

Real gradings of the toy challenge: the lane server, its forks and their
workers are real processes, watched through /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.helpers import (REPO, TOY_PACK, alive, children, descendants, is_busy_worker, is_lane,
                           is_lane_server, is_mother, is_zygote, parent_of)
from trainer import warm
from trainer.engine import grade

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not warm.wanted() or not sys.platform.startswith("linux"),
                                 reason="warm lanes need Linux pidfds")]

REFERENCE = TOY_PACK / "reference" / "toy.py"
HANGS = REFERENCE.read_text().replace("    return np.asarray(X, dtype=np.float64).sum(axis=1)",
                                      "    while True:\n        pass")


def servers() -> list[int]:
    """This process's lane servers."""
    return [pid for pid in children() if is_lane_server(pid)]


def watching(run, look):
    """run()'s result, calling look() every 5 ms in another thread while it runs."""
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            look()
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return run()
    finally:
        stop.set()
        watcher.join()


def lanes_seen_while(run) -> tuple[object, set[int], set[int]]:
    """run()'s result, and the pids of the lanes that ran meanwhile with their parents."""
    seen: dict[int, int] = {}

    def look():
        for pid in descendants():
            if pid not in seen and is_lane(pid):
                parent = parent_of(pid)
                if parent is not None:
                    seen[pid] = parent

    result = watching(run, look)
    # A lane's own forks (a worker before it executes its interpreter) look like the lane for a moment.
    lanes = {pid: parent for pid, parent in seen.items() if parent not in seen}
    return result, set(lanes), set(lanes.values())


def grading_until_a_worker_spins(toy, solution) -> tuple[threading.Thread, dict]:
    """A one-lane grading of `solution` in a thread (its report goes to result["report"]), once its worker spins."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("report", grade(toy, solution, lanes=1)))
    thread.start()
    deadline = time.monotonic() + 30
    while not [pid for pid in descendants() if is_busy_worker(pid)] and time.monotonic() < deadline:
        time.sleep(0.02)
    return thread, result


@pytest.fixture
def warm_on(monkeypatch):
    monkeypatch.delenv(warm.WARM_ENV, raising=False)


def test_lanes_are_forked_by_one_server_that_stays_between_gradings(toy, warm_on):
    first = grade(toy, REFERENCE, quick=True)
    assert first.status == "passed", first.tests
    server = servers()
    assert len(server) == 1
    report, lanes, parents = lanes_seen_while(lambda: grade(toy, REFERENCE))   # a full grade: lanes live long enough to be seen
    assert report.status == "passed", report.tests
    assert lanes and parents == set(server), (lanes, parents, server)
    assert servers() == server
    assert not descendants(), "a lane or worker outlived its grading"


def test_warm_and_cold_lanes_give_the_same_report(toy, warm_on, monkeypatch, tmp_path):
    buggy = tmp_path / "toy.py"
    buggy.write_text(REFERENCE.read_text().replace("return c * np.asarray", "return c + np.asarray"))
    warm_reports = [grade(toy, path, lanes=1) for path in (REFERENCE, buggy)]
    monkeypatch.setenv(warm.WARM_ENV, "0")
    (cold_ok, cold_bad), lanes, parents = lanes_seen_while(
        lambda: [grade(toy, path, lanes=1) for path in (REFERENCE, buggy)])
    assert parents == {os.getpid()}, "with MLTRAINER_WARM_LANES=0 lanes are this process's own children"
    for warm_report, cold in zip(warm_reports, (cold_ok, cold_bad)):
        assert warm_report.status == cold.status
        assert [(t.nodeid, t.outcome, t.message) for t in warm_report.tests] == \
               [(t.nodeid, t.outcome, t.message) for t in cold.tests]
    assert cold_ok.status == "passed" and cold_bad.status == "failed"


def test_a_lane_killed_with_its_server_makes_the_run_an_error_never_a_pass(toy, warm_on, tmp_path):
    solution = tmp_path / "toy.py"
    solution.write_text(HANGS)
    grade(toy, REFERENCE, quick=True, lanes=1)       # the server is up before the run starts
    (server,) = servers()
    thread, result = grading_until_a_worker_spins(toy, solution)
    os.kill(server, signal.SIGKILL)
    thread.join(60)
    report = result["report"]
    assert report.status == "error" and "did not finish" in report.error, (report.status, report.error)
    deadline = time.monotonic() + 5
    while descendants() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not descendants(), "the lane and its workers die with the server"
    # The next grading starts a new server.
    assert grade(toy, REFERENCE, quick=True).status == "passed"
    assert servers() and servers() != [server]


def test_a_changed_environment_gets_a_new_server(toy, warm_on, monkeypatch):
    assert grade(toy, REFERENCE, quick=True).status == "passed"
    before = servers()
    monkeypatch.setenv("TEST_MARKER_FOR_THE_SERVER", "changed")
    assert grade(toy, REFERENCE, quick=True).status == "passed"
    after = servers()
    assert len(after) == 1 and after != before
    assert not [pid for pid in before if alive(pid)], "the old server is stopped"


def test_mltrainer_settings_and_the_current_test_keep_the_server(toy, warm_on, monkeypatch, tmp_path):
    """Nothing the server imports reads them; each lane gets them anyway (the whole environment)."""
    assert grade(toy, REFERENCE, quick=True).status == "passed"
    before = servers()
    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "another test")
    assert grade(toy, REFERENCE, quick=True).status == "passed"
    assert servers() == before


def test_the_server_dies_with_the_process_that_started_it(tmp_path):
    script = (
        "import os, sys\nfrom pathlib import Path\n"
        "from trainer.catalog import load_catalog\n"
        "from trainer.engine import grade\n"
        f"toy = load_catalog([Path({str(TOY_PACK)!r})]).get('toy')\n"
        f"assert grade(toy, {str(REFERENCE)!r}, quick=True).status == 'passed'\n"
        "from trainer import warm\n"
        "print([s.proc.pid for s in warm._servers.values()][0], flush=True)\n"
        "os._exit(0)\n"   # no clean-up: the server must notice on its own
    )
    env = {k: v for k, v in os.environ.items() if k != warm.WARM_ENV}
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    server = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 5
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server)


def test_prewarm_starts_the_server_the_next_grading_uses(toy, warm_on, monkeypatch):
    from trainer.engine import prewarm
    monkeypatch.setenv("TEST_MARKER_FOR_THE_SERVER", "prewarm")   # a server of its own, not an earlier test's
    prewarm()
    deadline = time.monotonic() + 30
    while not servers() and time.monotonic() < deadline:   # it names itself once its interpreter is up
        time.sleep(0.01)
    (server,) = servers()
    report, lanes, parents = lanes_seen_while(lambda: grade(toy, REFERENCE))   # a full grade: lanes live long enough to be seen
    assert report.status == "passed"
    assert lanes and parents == {server}


def test_prewarm_does_nothing_when_lanes_start_cold(monkeypatch):
    from trainer.engine import prewarm
    monkeypatch.setenv(warm.WARM_ENV, "0")
    monkeypatch.setenv("TEST_MARKER_FOR_THE_SERVER", "cold")
    before = servers()
    prewarm()
    assert servers() == before


def test_a_server_that_does_not_answer_in_time_is_replaced_and_the_run_starts_cold(toy, warm_on, monkeypatch):
    monkeypatch.setenv("TEST_MARKER_FOR_THE_SERVER", "slow-server")   # a new server, still importing when asked
    monkeypatch.setattr(warm, "_SPAWN_TIMEOUT_S", 0.001)
    report, lanes, parents = lanes_seen_while(lambda: grade(toy, REFERENCE))
    assert report.status == "passed", report.error
    assert parents == {os.getpid()}, "the lanes started cold, as this process's children"
    deadline = time.monotonic() + 5
    while servers() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not servers(), "the server that missed its answer is gone (a late answer must not be taken for another)"
    monkeypatch.setattr(warm, "_SPAWN_TIMEOUT_S", 10.0)
    report, lanes, parents = lanes_seen_while(lambda: grade(toy, REFERENCE))
    assert report.status == "passed" and len(parents) == 1 and parents != {os.getpid()}, parents


def mother_of(server: int) -> int:
    """The mother zygote of a lane server (the one all its lanes' zygotes are forked from)."""
    (mother,) = [pid for pid in children(server) if is_mother(pid)]
    return mother


def spares(server: int) -> list[int]:
    """The zygotes a lane server has made (the ones it keeps ready, and any a lane still holds)."""
    return [pid for pid in children(mother_of(server)) if is_zygote(pid)]


def workers_grandparents_while(run, cpus: dict | None = None) -> tuple[object, set[int]]:
    """run()'s result, and the grandparents of the workers forked by a zygote meanwhile.

    `cpus`, when given, receives the CPU sets seen: of "workers" and of "lanes".
    """
    seen: set[int] = set()
    cpus = {} if cpus is None else cpus

    def look():
        for pid in descendants():
            parent = parent_of(pid)
            try:
                if is_lane(pid):
                    cpus.setdefault("lanes", set()).add(frozenset(os.sched_getaffinity(pid)))
                if parent and is_zygote(parent):
                    cpus.setdefault("workers", set()).add(frozenset(os.sched_getaffinity(pid)))
                    grandparent = parent_of(parent)
                    if grandparent:
                        seen.add(grandparent)
            except OSError:
                continue

    return watching(run, look), seen


def test_a_lane_forks_its_workers_from_the_zygote_its_server_started_ahead(toy, warm_on, monkeypatch):
    monkeypatch.delenv("MLTRAINER_WARM_WORKERS", raising=False)
    assert grade(toy, REFERENCE, quick=True).status == "passed"       # the server is up, a zygote ready
    (server,) = servers()
    cpus: dict = {}
    report, grandparents = workers_grandparents_while(lambda: grade(toy, REFERENCE, lanes=1), cpus)
    assert report.status == "passed", report.tests
    assert grandparents == {mother_of(server)}, "the workers' zygote was forked by the server's mother zygote, " \
                                                "not started by the lane"
    # The lane pins itself to a CPU as it starts (when one is free); its workers run where it ended up.
    assert cpus["workers"] == {min(cpus["lanes"], key=len)}, cpus
    deadline = time.monotonic() + 5
    while len(spares(server)) != warm.SPARES and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(spares(server)) == warm.SPARES, "the lane's zygote ended with the lane; the next lanes' are ready"


def test_without_its_mother_zygote_the_server_starts_fresh_zygotes(toy, warm_on, monkeypatch):
    monkeypatch.delenv("MLTRAINER_WARM_WORKERS", raising=False)
    assert grade(toy, REFERENCE, quick=True).status == "passed"
    (server,) = servers()
    mother = mother_of(server)
    os.kill(mother, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(mother) and time.monotonic() < deadline:
        time.sleep(0.02)
    for _ in range(2):   # the lane takes a spare forked before; the next ones are fresh interpreters
        report, grandparents = workers_grandparents_while(lambda: grade(toy, REFERENCE, lanes=1))
        assert report.status == "passed", report.tests
    assert grandparents == {server}, "a zygote the server started itself, not the lane's own"
    assert not [pid for pid in children(server) if is_mother(pid)]


def test_without_confinement_a_lane_declines_the_zygote_and_starts_its_own(toy, warm_on, monkeypatch):
    """Its forks would not be the lane's descendants, and unconfined workers can start processes."""
    monkeypatch.delenv("MLTRAINER_WARM_WORKERS", raising=False)
    assert grade(toy, REFERENCE, quick=True).status == "passed"
    (server,) = servers()
    report, grandparents = workers_grandparents_while(lambda: grade(toy, REFERENCE, lanes=1, isolation="none"))
    assert report.status == "passed", report.tests
    assert grandparents and server not in grandparents, "the workers' zygote was started by the lane"
    assert all(is_lane(pid) or not alive(pid) for pid in grandparents)


def test_a_killed_lane_takes_the_workers_of_its_adopted_zygote(toy, warm_on, monkeypatch, tmp_path):
    monkeypatch.delenv("MLTRAINER_WARM_WORKERS", raising=False)
    solution = tmp_path / "toy.py"
    solution.write_text(HANGS)
    assert grade(toy, REFERENCE, quick=True, lanes=1).status == "passed"
    thread, result = grading_until_a_worker_spins(toy, solution)
    (lane,) = [pid for pid in descendants() if is_lane(pid)]
    os.kill(lane, signal.SIGKILL)
    thread.join(60)
    assert result["report"].status == "error"
    deadline = time.monotonic() + 5
    while descendants() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not descendants(), "the zygote the lane adopted saw its end, and stopped its workers"


def test_the_grade_command_starts_the_lane_server_first_and_its_help_does_not(warm_on, monkeypatch):
    from trainer.cli import _start_lanes_early
    monkeypatch.setenv("WARM_TEST_ENVIRONMENT", str(time.monotonic()))   # a server of its own environment
    before, processes = set(servers()), set(children())
    for args in (["grade", "--help"], ["watch", "kmeans", "-h"], ["list"], ["start", "kmeans"], []):
        _start_lanes_early(args)
        assert set(children()) == processes, args   # no process at all, not even one still starting
    _start_lanes_early(["grade", "kmeans", "--quick"])
    # A new server (it replaces this process's other one), known once it has executed its interpreter.
    deadline = time.monotonic() + 10
    while not set(servers()) - before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(set(servers()) - before) == 1, "started before click parses the command line"
