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

import json
import os
import zlib
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from trainer.grading.budget import Budget
from trainer.grading.checks import GradeFailure
from trainer.grading.proxy import SolutionProxy
from trainer.report import CATEGORIES, Measurement, TestResult
from trainer.sandbox.client import CandidateFailure, CandidateRaised, Confinement, ProtocolError, Worker
from trainer.sandbox.limits import Limits

_MEASUREMENT_KEY = "mltrainer_measurement"
_NOT_RUN = "not run"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("mltrainer")
    group.addoption("--mltrainer-run", help="the grading run's configuration (JSON), written by the engine")
    group.addoption("--mltrainer-events-fd", type=int, default=-1, help="file descriptor for events and results")


def pytest_configure(config) -> None:
    for category in CATEGORIES:
        config.addinivalue_line("markers", f"{category}: test category shown in the grade report")
    config.addinivalue_line("markers", "bonus: test of a bonus part; failing it does not fail the challenge")
    if config.getoption("--mltrainer-run"):
        _harden_process()
        with open(config.getoption("--mltrainer-run"), encoding="utf-8") as handle:
            config.stash[_RUN_KEY] = json.load(handle)
        cpu = config.stash[_RUN_KEY].get("cpu")
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            # The engine's choice (engine._CpuClaim); the workers inherit it
            # and, confined, cannot change it.
            os.sched_setaffinity(0, {int(cpu)})
        config.pluginmanager.register(_Collector(config), "mltrainer-collector")


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
        self.solution_timeouts: dict = {}
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
    return SolutionProxy(worker, timeouts=_mltrainer_workers.solution_timeouts)


@pytest.fixture
def reference(_mltrainer_workers, request) -> SolutionProxy:
    worker = _mltrainer_workers.fresh(_mltrainer_workers.reference, request.node.nodeid)
    return SolutionProxy(worker)


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's name: fixed across runs, different per test."""
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
        message = f"Your solution {exc.message}." if not exc.message.startswith("not run") else exc.message + "."
        if exc.output.strip():
            message += f"\nIt printed:\n{exc.output.rstrip()}"
        return "failed", message
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
        self.collect_errors: list[str] = []
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
        for item in items:
            self.results[item.nodeid] = TestResult(
                nodeid=item.nodeid, name=_test_name(item), category=_category(item), outcome=_NOT_RUN,
                bonus=item.get_closest_marker("bonus") is not None)
            self.order.append(item.nodeid)
        self.emit(event="collected", count=len(items),
                  tests=[{"nodeid": n, "name": self.results[n].name, "category": self.results[n].category}
                         for n in self.order])

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
        self.emit(event="done", nodeid=report.nodeid, outcome=result.outcome, name=result.name)

    @pytest.hookimpl(trylast=True)  # after the session fixtures stopped the workers
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        for result in self.results.values():
            if result.outcome == _NOT_RUN:  # e.g. after -x stopped the run
                result.outcome = "skipped"
                result.message = "not run: grading stopped at the first failure"
        workers = self.config.stash.get(_WORKERS_KEY, None)
        self.emit(event="results", tests=[asdict(self.results[n]) for n in self.order],
                  collect_errors=self.collect_errors, exitstatus=int(exitstatus),
                  isolation=workers.isolation() if workers is not None else "")
