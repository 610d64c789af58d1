"""The pytest plugin that turns a grader module into a grading run.

Loaded with `-p trainer.grading.plugin` by the engine (trainer/engine.py) in
a trusted pytest process. It provides the `solution`, `reference`, `rng`,
`budget` and `challenge` fixtures, turns every test outcome into a
`TestResult` with a message written for the user, and streams progress
events and, last, the results to the engine over a pipe that no worker
holds.

The process hardens itself first: it dies with the engine (so nothing of a
run outlives a killed CLI), it cannot be inspected by other processes of the
same user (no /proc/<pid>/mem, fd or environ), and it becomes the subreaper
of everything its workers start, so a stray process is still its child and
is stopped with its worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import zlib
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from trainer.grading.budget import Budget
from trainer.grading.checks import GradeFailure
from trainer.grading.proxy import SolutionProxy
from trainer.grading.schedule import GATE_MESSAGE, STOP_MESSAGE, Schedule, Timeouts, category_rank, gated
from trainer.report import CATEGORIES, Measurement, PrintedText, TestResult
from trainer.sandbox.client import CandidateFailure, CandidateRaised, Confinement, ProtocolError, Worker
from trainer.sandbox.limits import Limits

_MEASUREMENT_KEY = "mltrainer_measurement"
# A lane waits at most this long for the other lanes' tests before the performance tests.
_GATE_TIMEOUT_S = 3600.0
_NOT_RUN = "not run"
# The most CPU time a lane may spend itself on one test (the grader's own work: building inputs,
# checking results; a worker's time is not the lane's), from MLTRAINER_GRADER_CPU_S. Graders need
# seconds at most; the bound stops a grader loop that a result made for it keeps going, which
# would otherwise run until the engine's limit on the whole run.
GRADER_CPU_ENV = "MLTRAINER_GRADER_CPU_S"
GRADER_CPU_S = 300.0


class GraderOverrun(GradeFailure):
    """The grader spent more than its CPU bound on one test."""


def _grader_cpu_limit() -> float:
    try:
        value = float(os.environ.get(GRADER_CPU_ENV, "") or GRADER_CPU_S)
    except ValueError:
        return GRADER_CPU_S
    return value if value > 0 else GRADER_CPU_S


@contextlib.contextmanager
def _cpu_bound(seconds: float):
    """Raise GraderOverrun in this process once it has used `seconds` of CPU time inside the block.

    The process's own CPU clock (ITIMER_PROF) does not run while the lane
    waits for a worker, so the signal comes while the lane itself computes.
    """
    def overrun(signum, frame):
        signal.setitimer(signal.ITIMER_PROF, 0)
        raise GraderOverrun(f"checking this test's results took the grader more than {seconds:g} s of its own CPU "
                            f"time, so it was stopped: a result the grader cannot finish checking fails its test")

    previous = signal.signal(signal.SIGPROF, overrun)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def pytest_addoption(parser) -> None:
    group = parser.getgroup("mltrainer")
    group.addoption("--mltrainer-run", help="the grading run's configuration (JSON), written by the engine")
    group.addoption("--mltrainer-events-fd", type=int, default=-1, help="file descriptor for events and results")
    group.addoption("--mltrainer-lane", type=int, default=0, help="this process's lane of the run (0, 1, ...)")


def pytest_configure(config) -> None:
    for category in CATEGORIES:
        config.addinivalue_line("markers", f"{category}: test category shown in the grade report")
    config.addinivalue_line("markers", "bonus: test of a bonus part; failing it does not fail the challenge")
    if config.getoption("--mltrainer-run"):
        _harden_process()
        _reuse_freed_memory()
        with open(config.getoption("--mltrainer-run"), encoding="utf-8") as handle:
            config.stash[_RUN_KEY] = json.load(handle)
        cpus = config.stash[_RUN_KEY].get("cpus") or []
        lane = config.getoption("--mltrainer-lane")
        if lane < len(cpus) and cpus[lane] is not None and hasattr(os, "sched_setaffinity"):
            # The engine's choice (engine._CpuClaim), one CPU per lane; the
            # workers inherit it and, confined, cannot change it.
            os.sched_setaffinity(0, {int(cpus[lane])})
        _use_a_zygote(config.stash[_RUN_KEY].get("isolation"))
        config.pluginmanager.register(_Collector(config), "mltrainer-collector")


def _use_a_zygote(isolation: str | None) -> None:
    """Fork this run's workers from a zygote (sandbox/client.py), one the lane server started ahead if any.

    That one is not this process's child, so an orphan of one of its workers
    would not come back to this process (the subreaper) to be stopped: it is
    used only where workers are confined, and seccomp lets them start no
    process at all.
    """
    from trainer.sandbox import client
    from trainer.sandbox.confine import seccomp_available
    client.Zygote.enable(adopt=isolation != "none" and seccomp_available())


def _reuse_freed_memory() -> None:
    """Let glibc keep the memory the grader frees for its next arrays, instead of unmapping it (glibc only).

    glibc maps every block of 32 MiB or more afresh and unmaps it when it is
    freed, so each large timed input the grader draws, and each large result
    it reads from a worker, is faulted in page by page: on a virtual machine
    about 7 us per 4 KiB page, 0.1 s per 64 MiB array. A lane lives for one
    grading and makes arrays of the same sizes over and over; taken from the
    heap and never trimmed, each reuses the pages of the one before. (The
    (2048, 4096) softmax time-budget test took 6.7-7.4 s instead of
    7.9-8.1 s.) Workers keep their own settings (sandbox/worker.py
    `_steady_allocator`), and nothing measured runs in the lane.
    """
    from trainer.sandbox.worker import M_MMAP_MAX, M_TRIM_THRESHOLD, set_malloc
    set_malloc((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 2 ** 31 - 1))


def _harden_process() -> None:
    """Die with the engine, refuse inspection, adopt every orphan of the workers (Linux)."""
    import ctypes
    import signal
    from trainer.sandbox import client
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0:
            client.REAP_STRAYS = True
    except (OSError, AttributeError):  # not Linux
        return
    parent = os.environ.get("MLTRAINER_GRADER_PARENT")
    if parent and os.getppid() != int(parent):  # the engine died before PR_SET_PDEATHSIG
        os._exit(1)


# -- fixtures ------------------------------------------------------------------

class _Workers:
    def __init__(self, config) -> None:
        from trainer.catalog import load_challenge
        run = config.stash[_RUN_KEY]
        self.challenge = load_challenge(Path(run["challenge"]), Path(run["root"]))
        limits = Limits.from_dict(self.challenge.limits)
        confinement = Confinement(mode=run["isolation"], allowed_imports=frozenset(self.challenge.allowed_imports),
                                  secrets=tuple(run["secrets"]), why_not=run.get("why_not", ""))
        self.solution = Worker(run["solution"], limits, label="solution", confinement=confinement,
                               folder=run["workers"], hostile=True)
        self.reference = Worker(run["reference"], limits, label="reference", confinement=confinement,
                                folder=run["workers"], hostile=False)
        collector = config.pluginmanager.get_plugin("mltrainer-collector")
        self.solution_timeouts = Timeouts(collector.schedule) if collector and collector.schedule else {}
        self._fresh_for: dict[str, str] = {}
        config.stash[_WORKERS_KEY] = self

    def fresh(self, worker: Worker, nodeid: str) -> Worker:
        """Give each test a clean solution module (a fresh worker if the last one died)."""
        if self._fresh_for.get(worker.label) != nodeid:
            worker.reset()
            self._fresh_for[worker.label] = nodeid
        return worker

    def stop(self) -> None:
        self.solution.stop()
        self.reference.stop()

    def isolation(self) -> str:
        """What confined the workers of this run: the one level they all reached, or each that fell short."""
        levels = self.solution.isolations | self.reference.isolations
        if len(levels) <= 1:
            return next(iter(levels), "")
        full = {level for level in levels if "(" not in level}
        return "; ".join(sorted(levels - full)) or "; ".join(sorted(levels))


_WORKERS_KEY = pytest.StashKey[_Workers]()
_RUN_KEY = pytest.StashKey[dict]()   # the run's configuration (run.json), read once

@pytest.fixture(scope="session")
def _mltrainer_workers(pytestconfig):
    workers = _Workers(pytestconfig)
    yield workers
    workers.stop()


@pytest.fixture
def challenge(_mltrainer_workers):
    return _mltrainer_workers.challenge


@pytest.fixture
def solution(_mltrainer_workers, request) -> SolutionProxy:
    worker = _mltrainer_workers.fresh(_mltrainer_workers.solution, request.node.nodeid)
    return SolutionProxy(worker, timeouts=_mltrainer_workers.solution_timeouts,
                         reference=_mltrainer_workers.reference)


@pytest.fixture
def reference(_mltrainer_workers, request) -> SolutionProxy:
    worker = _mltrainer_workers.fresh(_mltrainer_workers.reference, request.node.nodeid)
    return SolutionProxy(worker)


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's name: fixed across runs, different per test.

    Anyone can rebuild what it draws, so never build timed inputs from it: use `budget.rng`.
    """
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def budget(_mltrainer_workers, request) -> Budget:
    workers = _mltrainer_workers
    solution = workers.fresh(workers.solution, request.node.nodeid)
    reference = workers.fresh(workers.reference, request.node.nodeid)

    def record(measurement: Measurement) -> None:
        request.node.user_properties.append((_MEASUREMENT_KEY, asdict(measurement)))

    return Budget(solution, reference, workers.challenge.budgets, record)


# -- results -------------------------------------------------------------------

def _test_name(item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    if doc and doc.strip():
        name = doc.strip().splitlines()[0].strip()
    else:
        name = item.name.split("[")[0].removeprefix("test_").replace("_", " ")
        name = name[:1].upper() + name[1:]
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.id:
        name += f" [{callspec.id}]"
    return name


def _category(item) -> str:
    for category in CATEGORIES:
        if item.get_closest_marker(category) is not None:
            return category
    return "correctness"


def _user_message(excinfo) -> tuple[str, str]:
    """(outcome, message) for an exception that ended a test."""
    exc = excinfo.value
    if isinstance(exc, CandidateFailure):
        # What it printed is the test's output (_Collector), not part of the message.
        # After a timeout or a failed import the test did not run. Decided by the
        # kind, which only the trusted side sets: a worker's own failure report
        # may say anything, "not run" included.
        if exc.kind == "not_run":
            return "skipped", exc.message + "."
        return "failed", f"Your solution {exc.message}."
    if isinstance(exc, CandidateRaised):
        where = f" (line {exc.remote_line} of your file)" if exc.remote_line else ""
        message = f"{exc.remote_what or 'your code'} raised {exc.remote_type}: {exc}{where}"
        if exc.remote_traceback:
            message += "\n" + exc.remote_traceback.rstrip()
        return "failed", message
    if isinstance(exc, GradeFailure):
        return "failed", str(exc)
    if isinstance(exc, AssertionError):
        text = str(exc).strip() or "a check failed"
        return "failed", text
    if isinstance(exc, ProtocolError):
        return "error", f"the grading harness failed: {exc} (a bug in mltrainer, not in your solution)"
    if excinfo.typename in ("Failed", "XFailed"):  # pytest.fail / pytest.raises' "DID NOT RAISE"
        return "failed", str(exc)
    # Most often a result of an unexpected type or shape that the grader could not use.
    return "failed", (f"the result could not be checked: {excinfo.typename}: {exc} "
                      "(check the types and shapes your functions return)")


class _Collector:
    def __init__(self, config) -> None:
        self.config = config
        self.results: dict[str, TestResult] = {}
        self.order: list[str] = []
        self.mine: list[str] = []          # the tests this lane took
        self.schedule: Schedule | None = None
        self.collect_errors: list[str] = []
        # What the solution printed before a failure stopped its worker, by test.
        self.printed: dict[str, PrintedText] = {}
        fd = config.getoption("--mltrainer-events-fd")
        self.events = os.fdopen(fd, "w", buffering=1) if fd is not None and fd >= 0 else None

    def emit(self, **event) -> None:
        if self.events is not None:
            try:
                self.events.write(json.dumps(event) + "\n")
            except OSError:
                self.events = None

    @pytest.hookimpl(trylast=True)  # after -k / -m deselection
    def pytest_collection_modifyitems(self, items) -> None:
        # Correctness first, performance last (schedule.py); within a
        # category, the grader's order.
        items.sort(key=lambda item: category_rank(_category(item)))
        for item in items:
            self.results[item.nodeid] = TestResult(
                nodeid=item.nodeid, name=_test_name(item), category=_category(item), outcome=_NOT_RUN,
                bonus=item.get_closest_marker("bonus") is not None)
            self.order.append(item.nodeid)
        run = self.config.stash.get(_RUN_KEY, {})
        pending = sum(1 for r in self.results.values() if self._gates(r))
        self.schedule = Schedule(run.get("schedule"), pending=pending, fail_fast=bool(run.get("fail_fast")))
        self.emit(event="collected", count=len(items),
                  tests=[{"nodeid": n, "name": self.results[n].name, "category": self.results[n].category}
                         for n in self.order])

    @staticmethod
    def _gates(result: TestResult) -> bool:
        """Whether the performance tests wait for this test to pass."""
        return not result.bonus and not gated(result.category)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        """Run the tests this lane takes from the schedule, in order (see schedule.py)."""
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(f"{session.testsfailed} error(s) during collection")
        if session.config.option.collectonly:
            return True
        items = session.items
        gate: bool | None = None
        cpu_limit = _grader_cpu_limit()
        while not self.schedule.stopped():
            index = self.schedule.take()
            if index >= len(items):
                return True
            item = items[index]
            result = self.results[item.nodeid]
            self.mine.append(item.nodeid)
            if gated(result.category):
                if gate is None:
                    gate = self.schedule.gate_open(timeout=_GATE_TIMEOUT_S)
                if not gate:
                    result.outcome, result.message = "skipped", GATE_MESSAGE
                    self.emit(event="done", nodeid=item.nodeid, outcome=result.outcome, name=result.name)
                    continue
            nextitem = items[index + 1] if index + 1 < len(items) else None
            with _cpu_bound(cpu_limit):
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            failed = result.outcome in ("failed", "error") and not result.bonus
            self.schedule.finished(counts=self._gates(result), failed=failed)
            if session.shouldfail or session.shouldstop:
                break
        # Stopped at a failure: what no lane took is reported here, each test by the lane that takes it.
        while (index := self.schedule.take()) < len(items):
            nodeid = items[index].nodeid
            self.mine.append(nodeid)
            self.results[nodeid].outcome, self.results[nodeid].message = "skipped", STOP_MESSAGE
        return True

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collect_errors.append(str(report.longrepr))

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        result = self.results.get(nodeid)
        self.emit(event="start", nodeid=nodeid, name=result.name if result else nodeid)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None:
            return
        if call.excinfo is not None and isinstance(call.excinfo.value, CandidateFailure):
            # Taken from the worker when it was stopped: the test's output, first part.
            self.printed.setdefault(item.nodeid, PrintedText()).add(call.excinfo.value.output)
        if call.when == "call":
            result.duration_s = call.duration
            if report.passed and result.outcome == _NOT_RUN:
                result.outcome = "passed"
        if report.skipped and result.outcome in ("passed", _NOT_RUN):
            result.outcome = "skipped"
            result.message = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        elif report.failed and result.outcome in ("passed", "skipped", _NOT_RUN):
            kind, message = _user_message(call.excinfo) if call.excinfo else ("error", str(report.longrepr))
            if call.when != "call" and kind == "failed" and not isinstance(
                    call.excinfo.value, (CandidateFailure, CandidateRaised)):
                kind = "error"
                message = f"the grader could not set up this test: {message}"
            result.outcome = kind
            result.message = message

    def pytest_runtest_logreport(self, report) -> None:
        result = self.results.get(report.nodeid)
        if result is None or report.when != "teardown":
            return
        result.measurements = [Measurement(**value) for key, value in report.user_properties
                               if key == _MEASUREMENT_KEY]
        # The rest of what the solution printed during the test (the worker
        # keeps what workers stopped or restarted meanwhile printed); never
        # the reference's output.
        printed = self.printed.pop(report.nodeid, None) or PrintedText()
        workers = self.config.stash.get(_WORKERS_KEY, None)
        if workers is not None:
            printed.add(workers.solution.output_excerpt())
        result.output = printed.text()
        self.emit(event="done", nodeid=report.nodeid, outcome=result.outcome, name=result.name)

    @pytest.hookimpl(trylast=True)  # after the session fixtures stopped the workers
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        mine = set(self.mine)
        for nodeid in mine:
            if self.results[nodeid].outcome == _NOT_RUN:  # interrupted
                self.results[nodeid].outcome, self.results[nodeid].message = "skipped", STOP_MESSAGE
        workers = self.config.stash.get(_WORKERS_KEY, None)
        self.emit(event="results", tests=[asdict(self.results[n]) for n in self.order if n in mine],
                  collect_errors=self.collect_errors, exitstatus=int(exitstatus),
                  isolation=workers.isolation() if workers is not None else "")
