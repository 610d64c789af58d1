"""The order of a grading run's tests, and their sharing among lanes.

Tests run by category: correctness, then edge cases, then stability, then
performance. Performance tests run only when every other required test
passed: a speed figure means nothing for code that is wrong, and timing it
costs the most. Until then they are reported as not run.

A run may have several lanes: pytest processes on different CPUs that run
the same collected tests, each taking the next test not yet taken
(`Schedule.take`), so a long test on one lane does not hold up the rest.
The lanes share one small state file in the run's folder (out of the
workers' reach), read and written under an flock:

    next       the index of the next test to take
    pending    required non-performance tests not finished yet
    failed     whether one of them failed
    stop       whether the run stops at the first failure and one failed
    timeouts   the solution's functions that timed out, and how: their
               later tests in any lane are not run (grading/proxy.py)

A lane that reaches the performance tests waits until `pending` is 0 (the
other lane may still be running one) and then runs them, or reports them
as not run. With one lane the same rules hold without a file.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from trainer.report import CATEGORIES

PERFORMANCE = "performance"
GATE_MESSAGE = "not run: fix the failing tests first (performance is timed only when everything else passes)"
STOP_MESSAGE = "not run: grading stopped at the first failure"
_POLL_S = 0.01


def category_rank(category: str) -> int:
    return CATEGORIES.index(category) if category in CATEGORIES else 0


def gated(category: str) -> bool:
    """Whether a test of this category waits for every other test to pass."""
    return category == PERFORMANCE


class Schedule:
    """The shared state of a run's lanes (`path` None: one lane, kept in memory)."""

    def __init__(self, path: str | os.PathLike | None, *, pending: int, fail_fast: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.fail_fast = fail_fast
        self._state = {"next": 0, "pending": pending, "failed": False, "stop": False, "timeouts": {}}
        if self.path is not None:
            # Every lane writes the same initial state; only the first one counts.
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_size == 0:
                    os.write(fd, json.dumps(self._state).encode())
            finally:
                os.close(fd)

    def _update(self, change) -> dict:
        """Apply change(state) atomically; return the state after it."""
        if self.path is None:
            change(self._state)
            return self._state
        fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, os.fstat(fd).st_size, 0)
            state = json.loads(raw or b"{}")
            change(state)
            data = json.dumps(state).encode()
            if data != raw:
                os.ftruncate(fd, 0)
                os.pwrite(fd, data, 0)
            return state
        finally:
            os.close(fd)

    def take(self) -> int:
        """The index of the next test for this lane (at or past the end: none left)."""
        taken = []

        def change(state):
            taken.append(state["next"])
            state["next"] += 1
        self._update(change)
        return taken[0]

    def finished(self, *, counts: bool, failed: bool) -> None:
        """A test finished; `counts`: it is one the performance tests wait for."""
        def change(state):
            if counts:
                state["pending"] -= 1
            if failed:
                state["failed"] = True
                if self.fail_fast:
                    state["stop"] = True
        self._update(change)

    def stopped(self) -> bool:
        return bool(self._update(lambda state: None)["stop"])

    def gate_open(self, *, timeout: float) -> bool:
        """Wait until no test the performance tests wait for is pending; whether they may run."""
        deadline = time.monotonic() + timeout
        while True:
            state = self._update(lambda state: None)
            if state["pending"] <= 0 or state["failed"]:
                return not state["failed"]
            if time.monotonic() > deadline:
                return False
            time.sleep(_POLL_S)


class Timeouts:
    """The solution's functions that timed out in the run, shared by its lanes: `name in t`, `t[name] = how`."""

    def __init__(self, schedule: Schedule) -> None:
        self._schedule = schedule

    def _all(self) -> dict:
        return self._schedule._update(lambda state: None).get("timeouts", {})

    def __contains__(self, name: str) -> bool:
        return name in self._all()

    def __getitem__(self, name: str) -> str:
        return self._all()[name]

    def __setitem__(self, name: str, how: str) -> None:
        def change(state):
            state.setdefault("timeouts", {}).setdefault(name, how)
        self._schedule._update(change)
