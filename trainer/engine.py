"""The grading engine: static checks, then a trusted pytest run, then a GradeReport.

`grade()` is the one entry point. It never prints and never raises for
anything the candidate did: a crash, a hang or a limit in candidate code ends
up as a failed test in the report. It raises `TrainerError` only for input
errors (no such solution file, full isolation required but unavailable).
Importing this module is cheap: numpy and pytest are imported by the pytest
subprocess, not here.

What decides a verdict never passes through anything a worker can reach: the
file is read once and its bytes are what is graded; the pytest process sends
its results over a pipe only it holds; and a run counts only if that process
exited normally after reporting every test it collected.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from trainer import paths, warm
from trainer.paths import user_paths
from trainer.catalog import Challenge
from trainer.errors import GradingCancelled, InputError, IsolationUnavailable, SolutionNotFound, TrainerError
from trainer.report import GradeReport, TestResult
from trainer.precheck import check_bytes
from trainer.sandbox import fstree

if TYPE_CHECKING:
    from trainer.sandbox.client import Worker

# The whole pytest run is stopped after this long, whatever happens inside it.
RUN_TIMEOUT_S = 30 * 60
ISOLATION_ENV = "MLTRAINER_ISOLATION"
ISOLATION_MODES = ("auto", "require", "none")
RUN_PREFIX = "mltrainer-grade-"
_STAGING_PREFIX = "mltrainer-new-"   # a run folder until its lock is held
_LOCK_NAME = ".lock"
# A run folder without a lock file is left alone this long (it may be being made).
_UNLOCKED_GRACE_S = 3600

Event = dict
EventCallback = Callable[[Event], None]
_POLL_S = 0.2
_OUTCOMES = frozenset({"passed", "failed", "error", "skipped"})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def isolation_mode(requested: str | None = None) -> str:
    """The isolation mode: `requested`, else $MLTRAINER_ISOLATION, else "auto"."""
    mode = (requested or os.environ.get(ISOLATION_ENV) or "auto").strip().lower()
    if mode not in ISOLATION_MODES:
        source = "--isolation" if requested else ISOLATION_ENV
        raise InputError(f"{source} must be one of {', '.join(ISOLATION_MODES)}, not {mode!r}")
    return mode


def isolation_outlook(mode: str) -> tuple[str, str]:
    """(the isolation a run in `mode` will report, why it falls short or "").

    Raises IsolationUnavailable in "require" mode when the kernel cannot
    confine workers fully.
    """
    from trainer.sandbox.confine import describe, isolation_line, probe
    if mode == "none":
        why = f"confinement turned off ({ISOLATION_ENV}=none or --isolation none)"
        return isolation_line("", why), why
    abi, seccomp, why = probe()
    if mode == "require" and why:
        raise IsolationUnavailable(why)
    return isolation_line(describe(abi, seccomp), why), why


def read_solution(solution_path: str | os.PathLike, challenge: Challenge) -> tuple[Path, bytes]:
    """(the path, its bytes): what is graded or run is read once, here.

    Raises SolutionNotFound when there is no such file, InputError when it
    cannot be read.
    """
    path = Path(solution_path).expanduser()
    if not path.is_file():
        raise SolutionNotFound(path, challenge.id)
    try:
        return path, path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def describe_selection(*, keyword: str | None = None, marker: str | None = None, quick: bool = False) -> str:
    """What a run with these options leaves out, for the report ("" for a full grade)."""
    parts = (["quick: no performance tests"] if quick else []) + ([f"-k {keyword}"] if keyword else []) \
        + ([f"-m {marker}"] if marker else [])
    return ", ".join(parts)


def protected_paths(challenge: Challenge, solution_path: Path, run_path: Path) -> list[str]:
    """The folders no worker may see: content, package, workspace, progress, the run's own folder."""
    return sorted({str(p) for p in (
        challenge.root, paths.content_root(), *paths.extra_content_roots(), Path(__file__).resolve().parent,
        Path(solution_path).resolve().parent, paths.data_dir(), run_path)})


@contextmanager
def solution_worker(challenge: Challenge, solution_path: str | os.PathLike, *, isolation: str | None = None,
                    label: str = "solution") -> Iterator["Worker"]:
    """A started worker running a snapshot of the solution, confined exactly as in a grading run.

    For running the solution outside a grader (`mltrainer try`): the caller
    makes calls with `worker.call(...)`; the worker and its folder are gone
    when the block ends. Raises SolutionNotFound, InputError or
    IsolationUnavailable like `grade`; what the solution does (an import
    that fails, a hang) surfaces as CandidateFailure from the worker.
    """
    from trainer.sandbox.client import Confinement, Worker
    from trainer.sandbox.limits import Limits
    mode = isolation_mode(isolation)
    _, why_not = isolation_outlook(mode)
    path, raw = read_solution(solution_path, challenge)
    with RunFolder() as run:
        snapshot = run.path / "candidate" / path.name
        snapshot.parent.mkdir()
        snapshot.write_bytes(raw)
        (run.path / "workers").mkdir()
        confinement = Confinement(mode=mode, allowed_imports=frozenset(challenge.allowed_imports),
                                  secrets=tuple(protected_paths(challenge, path, run.path)), why_not=why_not)
        worker = Worker(snapshot, Limits.from_dict(challenge.limits), label=label, confinement=confinement,
                        folder=run.path / "workers", hostile=True)
        try:
            yield worker
        finally:
            worker.stop()


def grade(challenge: Challenge, solution_path: str | os.PathLike, *, fail_fast: bool = False,
          keyword: str | None = None, marker: str | None = None, quick: bool = False,
          on_event: EventCallback | None = None, run_timeout: float = RUN_TIMEOUT_S,
          cancel: threading.Event | None = None, isolation: str | None = None,
          lanes: int | None = None) -> GradeReport:
    """Grade the solution file against the challenge's hidden grader.

    `keyword` (pytest's -k) and `marker` (-m) select tests; `quick` leaves
    the performance tests out. Such a partial run says so in
    `report.selection`. Setting `cancel` (from another thread) stops the run
    within a fraction of a second, workers included, and raises
    GradingCancelled. `isolation` is "auto", "require" or "none" (default:
    $MLTRAINER_ISOLATION, else auto). `lanes`: how many CPUs the run may use
    (default $MLTRAINER_LANES, else 2 when free; grading/schedule.py).
    """
    mode = isolation_mode(isolation)
    outlook, why_not = isolation_outlook(mode)
    started = time.monotonic()
    started_at = _now()
    path, raw = read_solution(solution_path, challenge)
    sha = hashlib.sha256(raw).hexdigest()
    selection = describe_selection(keyword=keyword, marker=marker, quick=quick)
    text, issues = check_bytes(raw, path, challenge)

    def report(status: str, tests=(), error: str = "", isolation_level: str = outlook) -> GradeReport:
        return GradeReport(challenge_id=challenge.id, solution_path=str(path), source_sha256=sha,
                           started_at=started_at, duration_s=round(time.monotonic() - started, 3), status=status,
                           static_issues=issues, tests=list(tests), error=error, isolation=isolation_level,
                           source=text or "", selection=selection)

    if issues:
        if on_event:
            on_event({"event": "rejected", "issues": len(issues)})
        return report("rejected", isolation_level="")

    # Stopping at the first failure is one lane's business: with two, the
    # other lane's test under way could fail as well.
    with RunFolder() as run, _CpuClaim(1 if fail_fast else lanes_wanted(lanes)) as claim:
        # The bytes read above are what is graded, whatever happens to the file now.
        snapshot = run.path / "candidate" / path.name
        snapshot.parent.mkdir()
        snapshot.write_bytes(raw)
        config = {
            "solution": str(snapshot), "reference": str(challenge.reference_path),
            "challenge": str(challenge.folder), "root": str(challenge.root),
            "workers": str(run.path / "workers"), "secrets": protected_paths(challenge, path, run.path),
            "isolation": mode, "why_not": why_not, "cpus": claim.cpus, "fail_fast": fail_fast,
            "schedule": str(run.path / "schedule.json") if len(claim.cpus) > 1 else None,
        }
        (run.path / "workers").mkdir()
        config_path = run.path / "run.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        # An empty ini file keeps the user's own pytest configuration out of the run.
        ini = run.path / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        command = [
            sys.executable, "-m", "pytest", str(challenge.grader_path),
            # (no:unraisableexception: its five garbage collections at the end
            # walk whatever a grader built, 0.5 s after a corpus of tokens)
            "-p", "trainer.grading.plugin", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-p", "no:unraisableexception", *_UNUSED_PLUGINS,
            "-c", str(ini), "--rootdir", str(run.path), "--import-mode=importlib", "-q", "--no-header",
            "--tb=no", "--assert=plain", "--noconftest", f"--mltrainer-run={config_path}",
        ]
        if keyword:
            command += ["-k", keyword]
        selected = " and ".join(f"({m})" for m in (marker, "not performance" if quick else None) if m)
        if selected:
            command += ["-m", selected]
        env = _lane_env(run.path)
        forward = _Forwarder(on_event)
        procs: list[subprocess.Popen] = []
        readers: list[_EventReader] = []
        outputs: list[Path] = []
        try:
            for lane in range(len(claim.cpus)):
                read_fd, write_fd = os.pipe()
                outputs.append(run.path / f"lane{lane}.out")
                with open(outputs[-1], "wb") as out:
                    try:
                        procs.append(_start_lane(command + [f"--mltrainer-lane={lane}"], run.path, env, out,
                                                 write_fd))
                    finally:
                        os.close(write_fd)
                readers.append(_EventReader(read_fd, forward.lane(lane)))
                readers[-1].start()
            deadline = time.monotonic() + run_timeout
            with _ExitWatch(procs) as exits:
                while any(proc.poll() is None for proc in procs):
                    if cancel is not None and cancel.is_set():
                        raise GradingCancelled()
                    if time.monotonic() > deadline:
                        return report("error", error=f"grading stopped after {run_timeout:.0f} s without finishing")
                    if any(proc.returncode not in (None, *_LANE_FINISHED) for proc in procs):
                        break   # a lane broke: the run does not count, the others need not finish
                    exits.wait(_POLL_S)
        finally:
            # Ctrl-C, a cancel, a timeout, or the end: nothing of the run may
            # outlive it; anything still in a lane's process group goes now
            # (workers die with their lane: PR_SET_PDEATHSIG).
            for proc in procs:
                _kill_group(proc)
            for proc in procs:
                proc.wait()
                if isinstance(proc, warm.WarmLane):
                    proc.close()
            for reader in readers:
                reader.join(timeout=5)
        texts = [out.read_bytes()[-(64 << 10):].decode("utf-8", "replace") for out in outputs]

    return _verdict(report, readers, procs, texts, outlook, selection, path)


# The exit statuses of a lane that ran its part: pytest's 0 (every test
# passed), 1 (some failed) and 5 (-k or -m matched none of its tests, which
# `_verdict` tells from a grader that selects nothing). Any other ends the
# run: the lanes still running are stopped.
_LANE_FINISHED = (0, 1, 5)

# pytest's plugins that no grader uses, left out of every lane: registering
# them and running their per-test hooks cost 15-20 ms per grading (a small
# grader's quick grade took about 150 ms). What a lane itself prints or warns
# goes to its log, shown when the lane breaks; what the solution prints is
# the workers'. Assertions are not rewritten either (graders state their
# messages; docs/authoring.md): rewriting compiled each grader from source in
# every lane. And no conftest.py is loaded (--noconftest): one in a folder
# above a pack's graders would add its fixtures and hooks to the grading.
_UNUSED_PLUGINS = tuple(arg for name in ("logging", "doctest", "junitxml", "pastebin", "stepwise", "setuponly",
                                          "setupplan", "legacypath", "tmpdir", "monkeypatch", "recwarn",
                                          "threadexception", "debugging", "unittest", "warnings", "capture")
                        for arg in ("-p", f"no:{name}"))


def _lane_env(run_path: Path | None = None) -> dict[str, str]:
    """The environment of a run's lanes."""
    env = dict(os.environ)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # Everything the run makes goes under its own folder, removed at the end.
    if run_path is not None:
        env["TMPDIR"] = str(run_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # A lane runs on one CPU: a second BLAS thread (started by numpy before
    # the lane pins itself) would only contend with it. Workers have one too.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    env["MLTRAINER_GRADER_PARENT"] = str(os.getpid())
    # The CPUs of the grading, counted before its pytest pins itself to one:
    # the budget shares its measurement slots among them.
    env["MLTRAINER_CPUS"] = str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                else (os.cpu_count() or 1))
    package_parent = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    return env


def prewarm() -> None:
    """Start this process's lane server now, so that its first grading starts warm (trainer/warm.py).

    For a command about to grade, and for watch mode and the app: the
    server's imports then overlap with loading the challenge and checking
    the file. Does nothing where lanes start cold; never fails.
    """
    if not warm.wanted():
        return
    try:
        warm.server_for(_lane_env())
    except OSError:
        pass


def _start_lane(command: list[str], folder: Path, env: dict[str, str], out, events_fd: int):
    """One lane: forked from this process's lane server when it can (trainer/warm.py), else a subprocess."""
    if warm.wanted():
        try:
            return warm.server_for(env).spawn(command[3:], cwd=str(folder), env=env, stdout=out.fileno(),
                                              events=events_fd)
        except OSError:
            pass   # no server here: a cold start does the same
    return subprocess.Popen(command + [f"--mltrainer-events-fd={events_fd}"], cwd=folder, env=env,
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, pass_fds=(events_fd,),
                            start_new_session=True)


def _verdict(report, readers: list["_EventReader"], procs: list[subprocess.Popen], texts: list[str],
             outlook: str, selection: str, path: Path) -> GradeReport:
    """The report of a finished run from what its lanes sent: it counts only if every lane did its part."""
    tests: list[TestResult] = []
    isolations: set[str] = set()
    for reader, proc, text in zip(readers, procs, texts):
        data = reader.results
        try:
            tests += [TestResult.from_dict(t) for t in data["tests"]] if data else []
            collect_errors = [str(e) for e in data["collect_errors"]] if data else []
            isolations |= {str(data.get("isolation") or outlook)} if data else set()
        except (KeyError, TypeError, ValueError) as exc:
            return report("error", error=f"the grader's results could not be read ({exc})")
        if collect_errors:  # pytest stops with exit status 2 then
            return report("error", tests,
                          error="the grader could not be loaded:\n" + _tail("\n".join(collect_errors)))
        # 5: pytest collected nothing (-k or -m matched no test), said below.
        if data is None or proc.returncode not in (0, 1) and not (proc.returncode == 5 and not data["tests"]):
            return report("error", error=f"the grader did not finish (pytest exit status {proc.returncode}); "
                                         "its results do not count:\n" + _tail(text))
    collected = [reader.collected for reader in readers]
    by_id = {t.nodeid: t for t in tests}
    if collected[0] is None or any(c != collected[0] for c in collected) or len(by_id) != len(tests) \
            or set(by_id) != set(collected[0]) or any(t.outcome not in _OUTCOMES for t in tests):
        return report("error", tests, error="the grader did not report every test it collected; "
                                            "its results do not count")
    tests = [by_id[nodeid] for nodeid in collected[0]]
    for test in tests:   # tracebacks name the worker's private copy: show the user's file
        test.message, test.output = user_paths(test.message, path), user_paths(test.output, path)
    isolation_level = "; ".join(sorted(isolations)) if len(isolations) > 1 else next(iter(isolations), outlook)
    if not tests:
        if selection:
            raise InputError(f"no test matches ({selection}); the names `-k` matches are shown under "
                             "\"Run one test again\" in a report, or are the words of a test's name")
        return report("error", error="the grader selected no tests")
    if any(t.outcome == "error" for t in tests):
        status = "error"
        error = "the grading harness failed in some tests; see their messages"
    else:
        # Every required test ran and passed: a test not run (after a failure,
        # a timeout) never counts as a pass.
        required = [t for t in tests if not t.bonus]
        status = "passed" if required and all(t.passed for t in required) else "failed"
        error = ""
    return report(status, tests, error=error, isolation_level=isolation_level)


class _EventReader(threading.Thread):
    """Reads the grader's event stream: progress for `on_event`, then its results."""

    def __init__(self, fd: int, on_event: EventCallback | None) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.on_event = on_event
        self.results: dict | None = None
        self.collected: list[str] | None = None   # the node ids collected, in order

    def run(self) -> None:
        with os.fdopen(self.fd, "r", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(event, dict):
                    continue
                kind = event.get("event")
                if kind == "results":
                    # Only one results message counts: a second one is not the grader's.
                    self.results = event if self.results is None else {}
                    continue
                if kind == "collected":
                    tests = event.get("tests")
                    nodeids = [t.get("nodeid") for t in tests] if isinstance(tests, list) and all(
                        isinstance(t, dict) for t in tests) else None
                    # Only one list counts: a second one is not the grader's.
                    self.collected = nodeids if self.collected is None and nodeids is not None else []
                if self.on_event is None:
                    continue
                try:
                    self.on_event(event)
                except Exception:  # a renderer's problem must not stop grading
                    pass


class _ExitWatch:
    """Wakes the engine as soon as a lane's process exits (pidfds where the kernel has them, else polling)."""

    def __init__(self, procs: list[subprocess.Popen]) -> None:
        self._fds: dict[subprocess.Popen, int] = {}
        for proc in procs:
            try:
                self._fds[proc] = os.dup(proc.pidfd) if isinstance(proc, warm.WarmLane) else os.pidfd_open(proc.pid)
            except (AttributeError, OSError):   # not Linux 5.3+: poll
                self.close()
                break

    def wait(self, timeout: float) -> None:
        """Until a lane still running exits, or `timeout` (an exited lane's pidfd stays readable)."""
        running = [fd for proc, fd in self._fds.items() if proc.returncode is None]
        if running:
            select.select(running, [], [], timeout)
        elif not self._fds:
            time.sleep(min(timeout, 0.01))

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}

    def __enter__(self) -> "_ExitWatch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Forwarder:
    """Passes the lanes' events to one callback, one at a time; the test list once (lane 0's)."""

    def __init__(self, on_event: EventCallback | None) -> None:
        self.on_event = on_event
        self._lock = threading.Lock()

    def lane(self, lane: int) -> EventCallback | None:
        if self.on_event is None:
            return None

        def forward(event: Event) -> None:
            if event.get("event") == "collected" and lane != 0:
                return
            with self._lock:
                self.on_event(event)
        return forward


LANES_ENV = "MLTRAINER_LANES"
MAX_LANES = 2


def lanes_wanted(requested: int | None = None) -> int:
    """How many lanes a run may use: `requested`, else $MLTRAINER_LANES, else MAX_LANES (free CPUs permitting)."""
    if requested is None:
        value = os.environ.get(LANES_ENV, "").strip()
        requested = int(value) if value.isdigit() else MAX_LANES
    return max(1, min(MAX_LANES, int(requested)))


class _CpuClaim:
    """One CPU for a grading run's processes: pytest and its workers all run there.

    The grading process and a worker call each other thousands of times
    (results, distances a VP-tree asks for); on one CPU each round trip costs
    a fraction of what waking a process on another CPU does, and candidate
    and reference are timed on the same CPU (CPUs of one machine differ in
    speed; benchmarks/run.py measures both). A lock per CPU, released by the
    kernel when its holder dies, spreads grading runs that go on side by
    side over the CPUs.
    """

    def __init__(self, wanted: int = 1) -> None:
        self.wanted = max(1, wanted)
        self.cpus: list[int | None] = [None]   # one per lane
        self._fds: list[int] = []

    def __enter__(self) -> "_CpuClaim":
        if not hasattr(os, "sched_getaffinity"):
            return self
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return self
        start = os.getpid() % len(cpus)
        folder = paths.lock_folder()
        claimed = []
        for cpu in cpus[start:] + cpus[:start]:
            try:
                fd = os.open(folder / f"mltrainer-{os.getuid()}-cpu{cpu}.lock",
                             os.O_CREAT | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            except OSError:
                break
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:   # another grading run has this CPU
                os.close(fd)
                continue
            claimed.append(cpu)
            self._fds.append(fd)
            if len(claimed) == self.wanted:
                break
        # Every CPU is taken: share one.
        self.cpus = claimed or [cpus[start]]
        return self

    def __exit__(self, *exc) -> None:
        for fd in self._fds:
            os.close(fd)


class RunFolder:
    """A grading run's temporary folder, locked while the run lives.

    The lock (flock on a file inside) is released by the kernel when the
    process that holds it dies, however it dies; so a later run can tell a
    folder left behind by a killed run from one in use, and removes it.
    """

    def __init__(self) -> None:
        self.path: Path | None = None
        self._lock_fd = -1

    def __enter__(self) -> "RunFolder":
        remove_stale_runs()
        # Made and locked under a name no cleaner looks at, then renamed: a
        # cleaner in another run never sees the folder before its lock is held.
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX))
        self._lock_fd = os.open(staging / _LOCK_NAME, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self.path = staging.with_name(RUN_PREFIX + staging.name[len(_STAGING_PREFIX):])
        os.rename(staging, self.path)
        return self

    def __exit__(self, *exc) -> None:
        # A worker's folder may hold any tree (thousands deep, names past PATH_MAX): removed by descriptors.
        fstree.remove_tree(self.path)
        os.close(self._lock_fd)


def remove_stale_runs(folder: str | os.PathLike | None = None) -> list[Path]:
    """Remove the folders of grading runs whose process is gone; return them."""
    folder = Path(folder or tempfile.gettempdir())
    removed = []
    try:
        # The temporary folder may hold thousands of entries: their names are filtered before any Path is made.
        with os.scandir(folder) as entries:
            candidates = [Path(e.path) for e in entries
                          if e.name.startswith((RUN_PREFIX, _STAGING_PREFIX)) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for run in candidates:
        try:
            if run.name.startswith(_STAGING_PREFIX):   # only a crash between mkdtemp and rename leaves one
                raise FileNotFoundError
            fd = os.open(run / _LOCK_NAME, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            try:
                stale = time.time() - run.stat().st_mtime > _UNLOCKED_GRACE_S
            except OSError:
                continue
            if stale:
                fstree.remove_tree(run)
                removed.append(run)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: that run is alive
            os.close(fd)
            continue
        fstree.remove_tree(run)
        os.close(fd)
        removed.append(run)
    return removed


def _kill_group(proc: subprocess.Popen) -> None:
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
