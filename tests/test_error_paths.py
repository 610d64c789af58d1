"""Error paths of the command line and the app: one clear line, the right exit code, nothing lost.

- A workspace that cannot be created or written: a regular file where the
  folder should be (or above it), a folder under /proc (a pseudo file
  system, where nothing can be created), and a read-only file system (a
  read-only bind mount in a mount namespace of its own, made with
  `unshare`: these tests run as root, which ignores a chmod 0o500 folder).
  Every command that writes there exits 2 with one line; the commands that
  only read it say that the file is not there; the app's `s` shows a notice
  and keeps running.
- `start` on an existing file keeps it and shows the task (exit 0);
  `reset` keeps a backup and writes a fresh stub; no backup ever
  overwrites another.
- Ctrl-C exits 130 (not 1, "graded and failed") with no traceback, also
  from watch mode, which catches it to stop cleanly.
- A rejected file's JUnit report, written to `--output` in a folder that
  does not exist yet: the folder is made and the counts agree with the
  elements.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import HOSTILE, REPO, TOY_PACK

from trainer.cli import cli
from trainer.store import Store

WORKSPACE_MESSAGE = "cannot write to the workspace"


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    return invoke


def one_line_error(result, *needles: str) -> None:
    """Exit 2 and a single line on stderr naming the problem; no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().count("\n") == 0, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def counts(data_dir: Path) -> dict[str, int]:
    """What the progress database holds: starts and mock rounds (none when it was never made)."""
    if not (data_dir / "progress.db").exists():
        return {"starts": 0, "rounds": 0}
    with Store.open(data_dir / "progress.db") as store:
        from trainer.mock import session_summaries
        return {"starts": len(store.starts()), "rounds": len(session_summaries(store))}


# -- a workspace that cannot be created or written -------------------------------------------------

def unusable_workspace(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """A workspace path of the given kind and what the message must say about it."""
    if kind == "a file":
        path = tmp_path / "not-a-folder"
        path.write_text("a file where the workspace should be\n")
        return path, "it is a file, not a folder"
    if kind == "under a file":
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where a folder should be\n")
        return blocker / "mltrainer", f"{blocker} is a file, not a folder"
    assert kind == "under /proc"
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    return Path(f"/proc/mltrainer-test-{os.getpid()}/workspace"), "the folder cannot be created there"


WRITING_COMMANDS = [
    ("start", "toy"),
    ("start", "toy", "--force"),
    ("reset", "toy"),
    ("next", "--start"),
    ("mock",),
    ("mock", "--seed", "1"),
]


@pytest.mark.parametrize("kind", ["a file", "under a file", "under /proc"])
@pytest.mark.parametrize("args", WRITING_COMMANDS, ids=" ".join)
def test_a_workspace_that_cannot_be_written_is_one_line_and_exit_2(run, tmp_path, isolated_dirs, monkeypatch,
                                                                   kind, args):
    workspace, why = unusable_workspace(kind, tmp_path)
    monkeypatch.setenv("MLTRAINER_WORKSPACE", str(workspace))
    result = run(*args)
    one_line_error(result, f"{WORKSPACE_MESSAGE} {workspace}: {why}", "MLTRAINER_WORKSPACE")
    assert counts(isolated_dirs["data"]) == {"starts": 0, "rounds": 0}     # nothing recorded
    assert "Your file" not in result.output


@pytest.mark.parametrize("args", [("grade", "toy"), ("grade",), ("try", "toy"), ("compare", "toy"),
                                  ("watch", "toy", "--max-runs", "1"), ("hint", "toy"), ("next",), ("show", "toy")],
                         ids=" ".join)
def test_commands_that_only_read_the_workspace_say_what_is_missing(run, tmp_path, monkeypatch, args):
    workspace, _ = unusable_workspace("a file", tmp_path)
    monkeypatch.setenv("MLTRAINER_WORKSPACE", str(workspace))
    result = run(*args)
    assert "Traceback" not in result.output
    if args[0] in ("hint", "next", "show"):      # they write nothing there
        assert result.exit_code == 0, result.output
    elif args == ("grade",):
        one_line_error(result, f"no solution files in {workspace}")
    else:
        one_line_error(result, f"no solution file at {workspace / 'toy.py'}", "mltrainer start toy")


def in_read_only_workspace(workspace: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    """`mltrainer ARGS` with `workspace` mounted read-only, in a mount namespace of its own.

    The bind mount exists only inside that namespace, so nothing outside the
    command sees it; skipped where namespaces or mounts are not allowed.
    """
    if not shutil.which("unshare"):
        pytest.skip("no unshare here")
    quoted = " ".join(f"'{a}'" for a in args)
    script = (f"mount --bind '{workspace}' '{workspace}' && mount -o remount,bind,ro '{workspace}' "
              f"|| exit 99; exec '{sys.executable}' -m trainer {quoted}")
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    if result.returncode == 99 or "unshare failed" in result.stderr:
        pytest.skip(f"cannot make a read-only bind mount here: {result.stderr.strip()}")
    return result


@pytest.mark.parametrize("args", [("start", "toy"), ("reset", "toy"), ("next", "--start"), ("mock",)],
                         ids=" ".join)
def test_a_read_only_workspace_is_one_line_and_exit_2(tmp_path, isolated_dirs, args):
    workspace = tmp_path / "read-only"
    workspace.mkdir()
    if args[0] == "reset":
        (workspace / "toy.py").write_text("# my work\n")
    env = {**os.environ, "MLTRAINER_CHALLENGE_PATH": str(TOY_PACK), "MLTRAINER_WORKSPACE": str(workspace)}
    result = in_read_only_workspace(workspace, *args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip() == (f"Error: {WORKSPACE_MESSAGE} {workspace}: it is on a read-only file system; "
                                     "set MLTRAINER_WORKSPACE (or pass --workspace) to a folder you can write")
    assert sorted(p.name for p in workspace.iterdir()) == (["toy.py"] if args[0] == "reset" else [])
    assert counts(isolated_dirs["data"]) == {"starts": 0, "rounds": 0}


@pytest.mark.parametrize("args", [("start", "toy"), ("reset", "toy"), ("next", "--start")], ids=" ".join)
def test_a_data_folder_that_cannot_be_used_is_reported_before_any_file_is_written(run, tmp_path, monkeypatch,
                                                                                  isolated_dirs, args):
    blocker = tmp_path / "data-is-a-file"
    blocker.write_text("not a folder\n")
    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(blocker))
    workspace = isolated_dirs["workspace"]
    workspace.mkdir(parents=True)
    if args[0] == "reset":
        (workspace / "toy.py").write_text("# my work\n")
    before = {p.name: p.read_text() for p in workspace.iterdir()}
    one_line_error(run(*args), f"cannot use {blocker} as mltrainer's data folder")
    assert {p.name: p.read_text() for p in workspace.iterdir()} == before


async def test_the_app_s_key_on_an_unwritable_workspace_shows_a_notice_and_keeps_running(tmp_path):
    from tests.tui.helpers import open_detail
    from trainer.catalog import load_catalog
    from trainer.session import Session
    from trainer.tui.app import TrainerApp
    from trainer.tui.screens.detail import DetailScreen

    workspace, why = unusable_workspace("a file", tmp_path)
    context = Session(store_path=tmp_path / "data" / "progress.db", workspace=workspace,
                      catalog_loader=lambda: load_catalog([TOY_PACK]))
    app = TrainerApp(context)
    try:
        async with app.run_test(notifications=True) as pilot:
            await open_detail(pilot, "toy")
            await pilot.press("s")           # the guided stub
            await pilot.press("i")           # the interview stub
            await pilot.pause()
            assert app.is_running and isinstance(app.screen, DetailScreen)
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert errors == [f"{WORKSPACE_MESSAGE} {workspace}: {why}; set MLTRAINER_WORKSPACE "
                              "(or pass --workspace) to a folder you can write"] * 2
            assert context.store.starts() == []
    finally:
        context.close()


# -- start keeps an existing file; reset starts over with a backup ---------------------------------

def test_start_again_keeps_the_file_shows_the_task_and_exits_0(run, isolated_dirs):
    path = isolated_dirs["workspace"] / "toy.py"
    assert run("start", "toy").exit_code == 0
    path.write_text("# my work\n")
    result = run("start", "toy")
    assert result.exit_code == 0, result.output
    assert "row_sums(X)" in result.output and "You write" in result.output      # the task
    assert f"Your file: {path} (it already exists and is kept as it is" in result.output
    assert "mltrainer reset toy" in result.output
    assert path.read_text() == "# my work\n" and list(path.parent.glob("*.bak")) == []
    with Store.open() as store:
        assert len(store.starts()) == 1


def test_reset_keeps_a_backup_and_writes_a_fresh_stub(run, isolated_dirs):
    workspace = isolated_dirs["workspace"]
    path = workspace / "toy.py"
    result = run("reset", "toy")          # nothing to keep yet
    assert result.exit_code == 0, result.output
    assert f"There was no file to keep; wrote a fresh guided stub to {path}" in result.output
    path.write_text("# my work\n")
    result = run("reset", "toy", "--level", "interview")
    assert result.exit_code == 0, result.output
    [backup] = workspace.glob("toy.py.*.bak")
    assert backup.read_text() == "# my work\n"
    assert f"Your previous file is kept as {backup}" in result.output
    assert 'raise NotImplementedError("row_sums")' in path.read_text()
    with Store.open() as store:
        assert [(s.challenge_id, s.level) for s in store.starts()] == [("toy", "guided"), ("toy", "interview")]


@pytest.mark.parametrize("args", [("reset", "toy"), ("start", "toy", "--force")], ids=" ".join)
def test_a_backup_never_overwrites_an_earlier_one(run, isolated_dirs, args):
    """Backups are named by the second; earlier ones of this second and the next are left alone."""
    workspace = isolated_dirs["workspace"]
    workspace.mkdir(parents=True)
    now = time.time()
    earlier = {}
    for second in (now, now + 1, now + 2):        # whichever second the reset falls in, its name is taken
        name = f"toy.py.{time.strftime('%Y%m%d-%H%M%S', time.localtime(second))}.bak"
        earlier[name] = f"# backup {name}\n"
        (workspace / name).write_text(earlier[name])
    (workspace / "toy.py").write_text("# my work\n")
    result = run(*args)
    assert result.exit_code == 0, result.output
    for name, text in earlier.items():
        assert (workspace / name).read_text() == text
    [new] = set(workspace.glob("toy.py.*.bak")) - {workspace / name for name in earlier}
    assert new.name.endswith("-2.bak") and new.read_text() == "# my work\n"
    if args[0] == "reset":
        assert f"kept as {new}" in result.output


def test_reset_puts_the_file_back_when_the_stub_cannot_be_written(run, isolated_dirs):
    workspace = isolated_dirs["workspace"]
    workspace.mkdir(parents=True)
    (workspace / "toy.py").write_text("# my work\n")
    (workspace / ".toy.py.tmp").mkdir()       # where the stub is written first: a folder, so the write fails
    result = run("reset", "toy")
    one_line_error(result, f"{WORKSPACE_MESSAGE} {workspace}")
    assert (workspace / "toy.py").read_text() == "# my work\n"
    assert list(workspace.glob("*.bak")) == []


def test_start_and_reset_refuse_a_folder_where_the_file_goes(run, isolated_dirs):
    folder = isolated_dirs["workspace"] / "toy.py"
    folder.mkdir(parents=True)
    for args in (("start", "toy"), ("reset", "toy"), ("start", "toy", "--force")):
        one_line_error(run(*args), f"{folder} is a folder, where your solution file goes")
        assert folder.is_dir() and list(folder.parent.iterdir()) == [folder]


# -- Ctrl-C ---------------------------------------------------------------------------------------

def interrupted(args: list[str], *, after: str | None = None, wait: float = 0.0, env: dict) -> tuple[int, str]:
    """Run `mltrainer ARGS` in a session of its own, send SIGINT to its process group as a terminal's
    Ctrl-C does (once `after` was printed, then `wait` seconds), and return (exit status, all output)."""
    # SIGINT as a terminal's process has it: a test run started in the background
    # (`cmd &` in a script) hands its children SIGINT ignored, and Python then
    # never raises KeyboardInterrupt.
    process = subprocess.Popen([sys.executable, "-m", "trainer", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    try:
        if after is not None:
            deadline = time.monotonic() + 120
            while after not in "".join(seen):
                line = process.stdout.readline()
                assert line or process.poll() is None, "".join(seen)
                seen.append(line)
                assert time.monotonic() < deadline, "".join(seen)
        time.sleep(wait)
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Every process of the command is gone (grading subprocesses, sandbox workers).
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)
    return process.returncode, "".join(seen) + rest


def test_ctrl_c_in_watch_mode_exits_130_without_a_traceback(isolated_dirs):
    """Watch mode catches Ctrl-C to stop cleanly ("Stopped watching."); the exit status is still 130."""
    workspace = isolated_dirs["workspace"]
    workspace.mkdir(parents=True)
    shutil.copy(HOSTILE / "syntax_error.py", workspace / "toy.py")      # rejected at once: no grading run
    env = {**os.environ, "MLTRAINER_CHALLENGE_PATH": str(TOY_PACK)}
    status, output = interrupted(["watch", "toy"], after="for saves; Ctrl-C to stop", wait=0.3, env=env)
    assert status == 130, output
    assert "Stopped watching." in output and "Traceback" not in output and "Aborted" not in output


@pytest.mark.slow
def test_ctrl_c_during_a_grading_exits_130_records_nothing_and_leaves_no_process(isolated_dirs):
    workspace = isolated_dirs["workspace"]
    workspace.mkdir(parents=True)
    # Correct, but each call sleeps 0.9 s (under the 1 s a call gets before it is
    # measured against the reference): a grading of about 10 s, whatever the load.
    (workspace / "toy.py").write_text("import time\nimport numpy as np\n\n\n"
                                      "def row_sums(X):\n    time.sleep(0.9)\n"
                                      "    return np.asarray(X, dtype=np.float64).sum(axis=1)\n\n\n"
                                      "def scale(X, c):\n    time.sleep(0.9)\n"
                                      "    return c * np.asarray(X, dtype=np.float64)\n")
    env = {**os.environ, "MLTRAINER_CHALLENGE_PATH": str(TOY_PACK)}
    started = time.monotonic()
    status, output = interrupted(["grade", "toy"], wait=3.0, env=env)
    assert status == 130, output
    assert output.strip().endswith("Interrupted.") and "Traceback" not in output
    assert time.monotonic() - started < 30            # not the end of the grading: the interrupt
    assert counts(isolated_dirs["data"])["starts"] == 0
    if (isolated_dirs["data"] / "progress.db").exists():
        with Store.open(isolated_dirs["data"] / "progress.db") as store:
            assert store.grades("toy") == []


# -- a rejected file's JUnit report, to a folder that does not exist yet ---------------------------

def test_junit_of_a_rejected_file_goes_to_a_new_folder_with_counts_matching_its_elements(run, tmp_path):
    output = tmp_path / "reports" / "a.xml"          # reports/ does not exist
    result = run("grade", "toy", "--solution", HOSTILE / "syntax_error.py", "--format", "junit",
                 "--output", output)
    assert result.exit_code == 1, result.output       # graded (rejected) and failed
    suite = ET.parse(output).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["static checks"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "1", "0")
    for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        assert int(suite.get(attribute)) == sum(case.find(tag) is not None for case in cases), attribute
    assert "syntax_error.py:4:" in cases[0].find("failure").text
