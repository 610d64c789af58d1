"""Hostile candidates, one class of attack at a time (the threat model of docs/security.md).

Each file in tests/fixtures/hostile/isolation/ is written to cheat, as a
student who wants a green result would: forge the verdict, read what it must
not see, write outside its folder, outlive its run, cheat the clock, exhaust
the grader, tamper with the report. Each is graded for real, with the kernel
confinement required, and must be graded FAILED with a plain reason, while
nothing outside the worker's own folder changes: the graders, the references,
mltrainer's package, another student's file, the student's own original
file, the progress database and the installed numpy hash the same before and
after, no process of the run is left, and no file appears anywhere.

Each hostile file records its attempts with `attempt(label, action)` (added
by the `arena` fixture below) and reports them in the exception it raises:
"allowed: none" means every attempt was refused by the kernel. That record
is not trusted on its own: the integrity checks above are what count.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import HOSTILE, REPO, TOY_PACK, alive, descendants, is_busy_worker, is_lane
from trainer import render
from trainer.engine import RUN_PREFIX, grade, remove_stale_runs
from trainer.report import inert
from trainer.sandbox.confine import probe

ATTACKS = HOSTILE / "isolation"
_ABI, _SECCOMP, _WHY = probe()
needs_confinement = pytest.mark.skipif(not (_ABI and _SECCOMP), reason=f"needs Landlock and seccomp: {_WHY}")

PRELUDE = '''\
# -- added by tests/test_isolation.py: what to attack, and a record of each attempt --
TARGETS = {targets!r}
_ATTEMPTS = []


def attempt(label, action):
    try:
        result = action()
    except BaseException:
        _ATTEMPTS.append((label, "denied"))
        return None
    _ATTEMPTS.append((label, "ALLOWED"))
    return result


def syscall_ok(name, *args):
    import ctypes
    import platform
    numbers = {{"x86_64": {{"tgkill": 234}}, "aarch64": {{"tgkill": 131}}}}
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(numbers[platform.machine()][name], *args) != 0:
        raise OSError(ctypes.get_errno(), name)


def verdict():
    allowed = [label for label, outcome in _ATTEMPTS if outcome == "ALLOWED"]
    raise RuntimeError(f"{{len(_ATTEMPTS)}} attempts; allowed: {{', '.join(allowed) or 'none'}}")
# -- end of what the test added --
'''

ROW_SUMS = "Row sums match numpy's"
SPEED = "Row sums of a 400x2000 matrix within budget"

# file: (the test whose message says why, what it says)
CASES = {
    # 1. forge or alter a verdict
    "verdict_forge_results.py": (ROW_SUMS, "allowed: none"),
    "verdict_signals_grader.py": (ROW_SUMS, "allowed: none"),
    "verdict_crafted_frames.py": (ROW_SUMS, "sent a malformed reply"),
    "verdict_reply_ahead.py": (SPEED, "sent a malformed reply"),
    "verdict_tampers_grader_files.py": (ROW_SUMS, "allowed: none"),
    # 2. read what it must not see
    "read_secrets.py": (ROW_SUMS, "allowed: none"),
    "read_proc.py": (ROW_SUMS, "allowed: none"),
    # 3. write outside its folder
    "write_outside.py": (ROW_SUMS, "allowed: none"),
    "write_installed_packages.py": (ROW_SUMS, "allowed: none"),
    # 4. outlive its call or its worker
    "outlive_daemon.py": (ROW_SUMS, "allowed: none"),
    "outlive_thread.py": (ROW_SUMS, "left 1 thread running after row_sums"),
    "outlive_timer.py": (ROW_SUMS, "allowed: none"),
    # 5. cheat the clock
    "clock_cache.py": (SPEED, "(budget 3x)"),
    # Its cache misses (the timed inputs come from the secret) and its slow sums fail the
    # budget; where its import (0.1-0.4 s of CPU) is over the allowance, that fails it first.
    "clock_precomputed.py": (SPEED, ("(budget 3x)", "importing the solution took")),
    # Caught by the check of its rubbish timed results, or first by the cutoff:
    # its look at the caller's frames can alone cost 12x the reference's time.
    "clock_detects_timing.py": (SPEED, ("on its own input) is wrong", "(budget 3x); stopped after")),
    "clock_child_process.py": (ROW_SUMS, "allowed: none"),
    "clock_in_place.py": (SPEED, "allowed: none"),
    # 6. exhaust the trusted side
    "exhaust_huge_declared_length.py": (ROW_SUMS, "sent a reply of 4096 MiB"),
    "exhaust_repeated_array.py": (ROW_SUMS, "sent a reply of 768 MiB"),
    "exhaust_trickle.py": (ROW_SUMS, "timed out after 1 s"),
    "exhaust_fills_disk.py": (ROW_SUMS, "(disk limit)"),
    # 7. tamper with reports and terminals
    "reports_escape_sequences.py": (ROW_SUMS, "raised ValueError"),
    "reports_fake_type_name.py": (ROW_SUMS, "raised ValueError: forged"),
    "reports_look_alike_type_name.py": (ROW_SUMS, "raised ValueError: look-alike"),
}


def _digest(paths) -> dict[str, str]:
    """SHA-256 of every file under `paths`, and the names in every folder."""
    found = {}
    for root in paths:
        root = Path(root)
        if root.is_file():
            found[str(root)] = hashlib.sha256(root.read_bytes()).hexdigest()
            continue
        for folder, dirs, files in os.walk(root):
            found[folder] = "folder: " + ",".join(sorted(dirs + files))
            for name in files:
                path = Path(folder) / name
                if "__pycache__" not in path.parts:
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@dataclass
class Arena:
    """A study group's world around one graded file, and its fingerprint."""

    tmp_root: Path
    alice: Path
    targets: dict
    watched: list
    site: Path
    before: dict | None = None

    def write_candidate(self, attack: str) -> Path:
        """Alice's file: the attack with the prelude; everything is fingerprinted from here on."""
        source = (ATTACKS / attack).read_text()
        path = self.alice / "toy.py"
        path.write_text(PRELUDE.format(targets=self.targets) + source)
        self.before = self._fingerprint()
        return path

    def _fingerprint(self) -> dict:
        found = _digest(self.watched)
        found["site-packages names"] = ",".join(sorted(os.listdir(self.site)))   # a new .pth file would show
        return found

    def assert_untouched(self) -> None:
        after = self._fingerprint()
        changed = sorted(k for k in set(self.before) | set(after) if self.before.get(k) != after.get(k))
        assert not changed, f"changed outside the worker's folder: {changed[:10]}"
        leftovers = list(self.tmp_root.iterdir())
        assert not leftovers, f"the run left files in its temporary folder: {leftovers}"
        for folder in ("/tmp", self.targets["home"], self.targets["workspace"]):
            assert not (Path(folder) / self.targets["marker_name"]).exists()
        deadline = time.monotonic() + 5
        while descendants(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not descendants(os.getpid()), "a process of the grading run outlived it"


@pytest.fixture
def arena(tmp_path, monkeypatch, isolated_dirs):
    """Two students' files, a progress database with history, and a private TMPDIR."""
    from tests.helpers import make_report
    from trainer.store import Store
    tmp_root = tmp_path / "tmp"
    tmp_root.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_root))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_root))
    workspace = isolated_dirs["workspace"]
    alice, bob = workspace / "alice", workspace / "bob"
    alice.mkdir(parents=True)
    bob.mkdir()
    (bob / "toy.py").write_text((TOY_PACK / "reference" / "toy.py").read_text() + "\n# BOB-SECRET\n")
    with Store.open() as store:
        store.record_grade(make_report("toy", passed=True, ratio=1.0), "# DB-SECRET\n")
    numpy_dir = Path(np.__file__).parent
    targets = {
        "toy_grader": str(TOY_PACK / "graders" / "toy.py"),
        "toy_reference": str(TOY_PACK / "reference" / "toy.py"),
        "bundled_grader": str(REPO / "graders" / "kmeans.py"),
        "bundled_reference": str(REPO / "reference" / "kmeans.py"),
        "trainer_engine": str(REPO / "trainer" / "engine.py"),
        "content_root": str(REPO),
        "other_student": str(bob / "toy.py"),
        "own_original": str(alice / "toy.py"),
        "database": str(isolated_dirs["data"] / "progress.db"),
        "workspace": str(workspace),
        "home": str(Path.home()),
        "tmp_root": str(tmp_root),
        "slash_tmp": "/tmp",
        "marker_name": f"mltrainer-hostile-{uuid.uuid4().hex}",
    }
    watched = [TOY_PACK, REPO / "graders", REPO / "reference", REPO / "trainer", workspace, isolated_dirs["data"],
               numpy_dir / "__init__.py"]
    return Arena(tmp_root, alice, targets, watched, numpy_dir.parent)


class PeakWatcher(threading.Thread):
    """Samples the peak resident size of the run's trusted pytest process while it lives."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.seen = False
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in descendants(os.getpid()):
                if not is_lane(pid):
                    continue
                try:
                    with open(f"/proc/{pid}/status") as handle:
                        for line in handle:
                            if line.startswith("VmHWM:"):
                                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                                self.seen = True
                except OSError:
                    continue
            time.sleep(0.01)


@needs_confinement
@pytest.mark.parametrize("attack", sorted(CASES))
@pytest.mark.slow
def test_hostile_file_is_failed_and_changes_nothing(toy, arena, attack):
    test_name, reason = CASES[attack]
    path = arena.write_candidate(attack)
    watcher = PeakWatcher()
    watcher.start()
    started = time.monotonic()
    # The speed test runs only when every other test passed: a file caught
    # there is graded on it alone, as a solution right everywhere else would be.
    keyword = "test_speed" if test_name == SPEED else None
    try:
        report = grade(toy, path, isolation="require", keyword=keyword)
    finally:
        watcher.stop.set()
        watcher.join()
    elapsed = time.monotonic() - started
    messages = {t.name: t.message for t in report.tests}
    assert report.status == "failed", (report.status, report.error, messages)
    reasons = reason if isinstance(reason, tuple) else (reason,)
    assert any(r in messages[test_name] for r in reasons), messages[test_name]
    assert "landlock v" in report.isolation and report.isolation.endswith("+ seccomp"), report.isolation
    arena.assert_untouched()
    # The trusted side stays small whatever the candidate sends (768 MiB in one case).
    assert watcher.seen and watcher.peak_kib < 256 << 10, watcher.peak_kib
    # No attack stretches the run past its timeouts (3 s per call here).
    assert elapsed < 60, elapsed


# Unconfined (seccomp refuses timers), a timer's handler runs after the call returned.
BURNS_BETWEEN_CALLS = """
import signal
import time

import numpy as np


def _burn(signum, frame):
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass


def row_sums(X, arm=True):
    if arm:
        signal.signal(signal.SIGALRM, _burn)
        signal.setitimer(signal.ITIMER_REAL, 0.1)
    return np.asarray(X, dtype=np.float64).sum(axis=1)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker's CPU clock is read from the kernel")
@pytest.mark.parametrize("arm", [True, False], ids=["a timer burns between calls", "idle between calls"])
def test_cpu_used_between_calls_fails_the_next_call(tmp_path, arm):
    from trainer.sandbox.client import CandidateFailure, Worker
    from trainer.sandbox.limits import Limits
    path = tmp_path / "burner.py"
    path.write_text(BURNS_BETWEEN_CALLS)
    worker = Worker(path, Limits(), hostile=True)
    X = np.ones((3, 4))
    try:
        worker.call_raw("row_sums", (X,), {"arm": arm}, what="row_sums(X)", timeout=10)
        base, deadline = worker.cpu_seconds(), time.monotonic() + 10
        time.sleep(0.5)
        while arm and worker.cpu_seconds() - base < 0.28 and time.monotonic() < deadline:
            time.sleep(0.05)   # until the handler has run its 0.3 s, however loaded the machine
        if arm:
            with pytest.raises(CandidateFailure, match=r"used 0\.(2[5-9]|[3-9]\d) s of CPU time between calls"):
                worker.call_raw("row_sums", (X,), {"arm": False}, what="row_sums(X)", timeout=10)
        else:
            assert worker.call_raw("row_sums", (X,), {"arm": False}, what="row_sums(X)", timeout=10)["ok"].sum() == 12
    finally:
        worker.stop()


@needs_confinement
@pytest.mark.slow
def test_secrets_do_not_reach_the_report(toy, arena):
    path = arena.write_candidate("read_secrets.py")
    report = grade(toy, path, isolation="require")
    text = render.to_json(report)
    for secret in ("BOB-SECRET", "DB-SECRET", "def row_sums", "CENTROID_ATOL", "GradingCancelled"):
        assert secret not in text


@pytest.mark.slow
def test_a_tree_whose_pointers_cycle_is_failed_at_once():
    """A result the grader walks (a tree's child pointers) cannot keep the grader walking."""
    from trainer.catalog import load_catalog
    challenge = load_catalog().get("decision_tree")
    report = grade(challenge, ATTACKS / "exhaust_cyclic_tree.py", keyword="test_labels_of_any_type",
                   run_timeout=120)
    (test,) = report.tests
    assert report.status == "failed" and test.outcome == "failed", (report.status, report.error)
    assert "a child pointer leads back up the tree" in test.message


@needs_confinement
@pytest.mark.slow
def test_a_trickled_reply_ends_at_the_call_deadline(toy, arena):
    path = arena.write_candidate("exhaust_trickle.py")
    started = time.monotonic()
    report = grade(toy, path, isolation="require", keyword="test_row_sums")
    elapsed = time.monotonic() - started
    (test,) = report.tests
    assert "timed out after 1 s" in test.message
    # One absolute deadline: 1 s for the call (its reply began: no reference
    # time is asked for) + 2 s for a reply under way, however it trickles.
    assert elapsed < 1 + 2 + 8, elapsed


@needs_confinement
@pytest.mark.parametrize("attack", ["reports_escape_sequences.py", "reports_fake_type_name.py"])
@pytest.mark.slow
def test_reports_of_hostile_text_are_inert(toy, arena, attack):
    from rich.console import Console
    report = grade(toy, arena.write_candidate(attack), isolation="require")
    for test in report.tests:
        assert test.message == inert(test.message)
        assert "PASSED" not in test.message.split("raised")[0]   # no fake verdict before the real one
    ET.fromstring(render.to_junit(report))   # well-formed
    console = Console(record=True, width=200, force_terminal=True)
    render.print_text(report, console)
    plain = console.export_text()
    assert "\x1b]" not in plain and "\x9b" not in plain and "\u202e" not in plain
    assert not [line for line in plain.splitlines() if line.lstrip().startswith(("::", "##vso[", "##["))]


# -- what holds without the kernel's help -----------------------------------------

@pytest.mark.slow
def test_limits_only_grading_says_so(toy, tmp_path):
    report = grade(toy, TOY_PACK / "reference" / "toy.py", isolation="none")
    assert report.status == "passed"
    assert report.isolation.startswith("limits only (") and "turned off" in report.isolation
    assert "limits only" in render.to_json(report)


@needs_confinement
@pytest.mark.slow
def test_full_confinement_is_stated(toy):
    report = grade(toy, TOY_PACK / "reference" / "toy.py", isolation="require")
    assert report.status == "passed"
    assert report.isolation == f"landlock v{_ABI} + seccomp"


def test_a_bad_isolation_mode_is_an_input_error(toy, monkeypatch):
    from trainer.errors import InputError
    monkeypatch.setenv("MLTRAINER_ISOLATION", "maybe")
    with pytest.raises(InputError, match="MLTRAINER_ISOLATION must be one of auto, require, none"):
        grade(toy, TOY_PACK / "reference" / "toy.py")


def test_stale_run_folders_are_removed_and_live_ones_kept(tmp_path):
    import fcntl
    stale = tmp_path / f"{RUN_PREFIX}stale"
    stale.mkdir()
    (stale / ".lock").touch()
    live = tmp_path / f"{RUN_PREFIX}live"
    live.mkdir()
    fd = os.open(live / ".lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    young = tmp_path / f"{RUN_PREFIX}being-made"   # no lock file yet, just created
    young.mkdir()
    try:
        assert remove_stale_runs(tmp_path) == [stale]
        assert live.is_dir() and young.is_dir() and not stale.exists()
    finally:
        os.close(fd)
    assert remove_stale_runs(tmp_path) == [live]


HANGS = """
def row_sums(X):
    while True:
        pass


def scale(X, c):
    return c * X
"""


@pytest.mark.slow
def test_nothing_outlives_a_killed_cli(tmp_path):
    """SIGKILL the process that runs the engine: pytest and workers die with it; the next run cleans up."""
    tmp_root = tmp_path / "tmp"
    tmp_root.mkdir()
    solution = tmp_path / "toy.py"
    solution.write_text(HANGS)
    code = ("from trainer.catalog import load_catalog; from trainer.engine import grade; "
            f"grade(load_catalog([{str(TOY_PACK)!r}]).get('toy'), {str(solution)!r})")
    env = dict(os.environ, TMPDIR=str(tmp_root))
    cli = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO)
    deadline = time.monotonic() + 60
    busy = []
    while not busy and time.monotonic() < deadline:
        time.sleep(0.1)
        busy = [pid for pid in descendants(cli.pid) if is_busy_worker(pid)]
    assert busy, "the solution's worker never started"
    run_processes = descendants(cli.pid)
    cli.send_signal(signal.SIGKILL)
    cli.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in run_processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in run_processes if alive(pid)], "processes of the run outlived the CLI"
    (left,) = list(tmp_root.iterdir())   # the killed run could not clean up...
    assert left.name.startswith(RUN_PREFIX)
    assert remove_stale_runs(tmp_root) == [left]   # ...the next run does


# The CLI in a process whose kernel answers landlock_create_ruleset (444 on
# every architecture) with EPERM, as container runtimes that filter it do:
# a real kernel without Landlock, from the point of view of everything inside.
WITHOUT_LANDLOCK = """
import ctypes, sys
from trainer.sandbox import confine as c
if ctypes.CDLL(None, use_errno=True).prctl(c._PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
    sys.exit("no_new_privs refused")
c._apply_seccomp([(c._LD_W_ABS, 0, 0, 0), (c._JEQ_K, 0, 1, 444), (c._RET_K, 0, 0, c._EPERM),
                  (c._RET_K, 0, 0, c._ALLOW)])
from trainer.cli import main
sys.argv[0] = "mltrainer"
main()
"""


@pytest.mark.skipif(not _SECCOMP, reason=f"needs seccomp to take Landlock away: {_WHY}")
@pytest.mark.parametrize("how", ["--isolation require", "MLTRAINER_ISOLATION=require",
                                 pytest.param("auto", marks=pytest.mark.slow)])   # (auto grades the toy)
def test_without_landlock_require_refuses_and_auto_warns(how, tmp_path):
    env = {**os.environ, "MLTRAINER_CHALLENGE_PATH": str(TOY_PACK), "MLTRAINER_DATA_DIR": str(tmp_path / "data"),
           "MLTRAINER_WORKSPACE": str(tmp_path / "workspace"), "PYTHONPATH": str(REPO)}
    env.pop("MLTRAINER_ISOLATION", None)
    args = ["grade", "toy", "--solution", str(TOY_PACK / "reference" / "toy.py"), "--format", "json"]
    if how.startswith("--"):
        args += how.split()
    elif "=" in how:
        env.update([how.split("=")])
    out = subprocess.run([sys.executable, "-c", WITHOUT_LANDLOCK, *args], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    if how == "auto":
        assert out.returncode == 0, out.stderr
        warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
        assert warnings == ["warning: solutions run with seccomp only (Landlock is not enabled in this kernel (it "
                            "needs Linux 5.13+ with landlock in the lsm= list)): a file written to cheat could "
                            "forge its result (docs/security.md; --isolation require refuses to grade here)"], \
            out.stderr
        report = json.loads(out.stdout)
        assert report["status"] == "passed" and report["isolation"].startswith("seccomp only (Landlock is not"), report
    else:
        assert out.returncode == 2, (out.stdout, out.stderr)
        assert out.stdout == "" and "full isolation is required but not available here" in out.stderr, out.stderr
        assert "Landlock is not enabled in this kernel" in out.stderr and "Traceback" not in out.stderr
        assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("*.sqlite*"))
