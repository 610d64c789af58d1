"""The grading engine: static checks, then a trusted pytest run, then a GradeReport.

`grade()` is the one entry point. It never prints and never raises for
anything the candidate did: a crash, a hang or a limit in candidate code ends
up as a failed test in the report. It raises `TrainerError` only for input
errors (no such solution file). Importing this module is cheap: numpy and
pytest are imported by the pytest subprocess, not here.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from trainer.catalog import Challenge
from trainer.errors import SolutionNotFound, TrainerError
from trainer.report import GradeReport, TestResult
from trainer.static_checks import check_file

# The whole pytest run is stopped after this long, whatever happens inside it.
RUN_TIMEOUT_S = 30 * 60

Event = dict
EventCallback = Callable[[Event], None]
_POLL_S = 0.2


class GradingCancelled(TrainerError):
    """The caller asked a grading run to stop (e.g. the app is closing)."""

    def __init__(self) -> None:
        super().__init__("grading was cancelled; nothing was recorded")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def grade(challenge: Challenge, solution_path: str | os.PathLike, *, fail_fast: bool = False,
          keyword: str | None = None, marker: str | None = None, on_event: EventCallback | None = None,
          run_timeout: float = RUN_TIMEOUT_S, cancel: threading.Event | None = None) -> GradeReport:
    """Grade the solution file against the challenge's hidden grader.

    Setting `cancel` (from another thread) stops the run within a fraction of
    a second, workers included, and raises GradingCancelled.
    """
    path = Path(solution_path).expanduser()
    if not path.is_file():
        raise SolutionNotFound(path, challenge.id)
    started = time.monotonic()
    started_at = _now()
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    source, issues = check_file(path, challenge)

    def report(status: str, tests=(), error: str = "") -> GradeReport:
        return GradeReport(challenge_id=challenge.id, solution_path=str(path), source_sha256=sha,
                           started_at=started_at, duration_s=round(time.monotonic() - started, 3), status=status,
                           static_issues=issues, tests=list(tests), error=error)

    if issues:
        if on_event:
            on_event({"event": "rejected", "issues": len(issues)})
        return report("rejected")

    with tempfile.TemporaryDirectory(prefix="mltrainer-grade-") as tmp:
        results_path = Path(tmp) / "results.json"
        # An empty ini file keeps the user's own pytest configuration out of the run.
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        read_fd, write_fd = os.pipe()
        command = [
            sys.executable, "-m", "pytest", str(challenge.grader_path),
            "-p", "trainer.grading.plugin", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-c", str(ini), "--rootdir", tmp, "--import-mode=importlib", "-q", "--no-header",
            "--tb=no", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            f"--mltrainer-solution={path.resolve()}",
            f"--mltrainer-reference={challenge.reference_path}",
            f"--mltrainer-challenge={challenge.folder}",
            f"--mltrainer-root={challenge.root}",
            f"--mltrainer-results={results_path}",
            f"--mltrainer-events-fd={write_fd}",
        ]
        if fail_fast:
            command.append("-x")
        if keyword:
            command += ["-k", keyword]
        if marker:
            command += ["-m", marker]
        env = dict(os.environ)
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        # Workers make their folders under this run's own, so whatever happens
        # to the grader process, nothing is left behind in /tmp.
        env["TMPDIR"] = tmp
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        package_parent = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
        proc = subprocess.Popen(command, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, pass_fds=(write_fd,), start_new_session=True)
        os.close(write_fd)
        reader = threading.Thread(target=_read_events, args=(read_fd, on_event), daemon=True)
        reader.start()
        deadline = time.monotonic() + run_timeout
        try:
            while True:
                try:
                    output, _ = proc.communicate(timeout=_POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel.is_set():
                        raise GradingCancelled() from None
                    if time.monotonic() > deadline:
                        _kill_group(proc)
                        proc.communicate()
                        return report("error", error=f"grading stopped after {run_timeout:.0f} s without finishing")
        except BaseException:
            # Ctrl-C, a cancel: never leave the grader or its workers behind
            # (workers die with the grader process: PR_SET_PDEATHSIG).
            _kill_group(proc)
            proc.wait()
            raise
        finally:
            reader.join(timeout=5)
        text = output.decode("utf-8", "replace")
        if not results_path.exists():
            return report("error", error=f"the grader did not run (pytest exit status {proc.returncode}):\n"
                                         + _tail(text))
        data = json.loads(results_path.read_text(encoding="utf-8"))

    tests = [TestResult.from_dict(t) for t in data["tests"]]
    if data["collect_errors"]:
        return report("error", tests, error="the grader could not be loaded:\n" + _tail("\n".join(data["collect_errors"])))
    if not tests:
        return report("error", error="the grader selected no tests")
    if any(t.outcome == "error" for t in tests):
        status = "error"
        error = "the grading harness failed in some tests; see their messages"
    else:
        required = [t for t in tests if not t.bonus]
        status = "passed" if required and all(t.outcome in ("passed", "skipped") for t in required) \
            and any(t.passed for t in required) else "failed"
        error = ""
    return report(status, tests, error=error)


def _read_events(fd: int, on_event: EventCallback | None) -> None:
    with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as stream:
        for line in stream:
            if on_event is None:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            try:
                on_event(event)
            except Exception:  # a renderer's problem must not stop grading
                pass


def _kill_group(proc: subprocess.Popen) -> None:
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
