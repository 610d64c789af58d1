"""A progress database mltrainer may not write: one clear line, exit status 2, no traceback.

Every case runs the real entry point (``python -m trainer ...``) in a
subprocess. Read-only files need care when the tests run as root (as in CI):
root ignores permission bits through two capabilities, CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH. So, as root, the command runs under ``setpriv`` with
those two dropped from its bounding set: still uid 0, owner of the files the
test made, but bound by their permission bits like any user. (Switching to
an unprivileged uid instead would also cut the command off from an
interpreter installed under /root.) As a normal user the command runs as it
is. Before each case, a probe under the same conditions checks that writing
really is refused, and the case is skipped, saying why, where it is not.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pytest

from tests.helpers import REPO, TOY_PACK

from trainer.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file permission bits are POSIX")

# The refused commands: everything that opens the store, reading or writing.
STORE_COMMANDS = [
    pytest.param(["progress"], id="progress"),
    pytest.param(["progress", "--format", "json"], id="progress-json"),
    pytest.param(["progress", "--export", "-"], id="export"),
    pytest.param(["progress", "--import", "{export}"], id="import"),
    pytest.param(["next"], id="next"),
    pytest.param(["hint", "toy"], id="hint"),
    pytest.param(["grade", "toy"], id="grade"),
    pytest.param(["watch", "toy", "--max-runs", "1"], id="watch"),
    pytest.param(["compare", "toy", "--yes"], id="compare"),
    pytest.param(["mock", "status"], id="mock-status"),
    pytest.param(["mock", "--topic", "testing", "--minutes", "5"], id="mock-start"),
    pytest.param(["tui"], id="tui"),
]


@functools.lru_cache(maxsize=None)
def _unprivileged_prefix() -> tuple[tuple[str, ...] | None, str]:
    """(command prefix under which permission bits apply to this user, why not if None)."""
    if os.geteuid() != 0:
        return (), ""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None, ("running as root, and setpriv (util-linux) is missing to drop CAP_DAC_OVERRIDE: "
                      "root writes read-only files, so the case cannot be reproduced")
    prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all")
    probe = subprocess.run([*prefix, sys.executable, "-c", "pass"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None, f"running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here: {probe.stderr.strip()}"
    return prefix, ""


PROBE = """
import sys, tempfile
from pathlib import Path
target = Path(sys.argv[1])
try:
    if target.is_dir():
        tempfile.TemporaryFile(dir=target).close()
    else:
        open(target, "r+b").close()
except OSError:
    sys.exit(0)   # refused, as the case needs
sys.exit(1)
"""


def _prefix_refusing_writes_to(target: Path) -> list[str]:
    """The command prefix, after checking that under it ``target`` cannot be written."""
    prefix, why = _unprivileged_prefix()
    if prefix is None:
        pytest.skip(why)
    probe = subprocess.run([*prefix, sys.executable, "-c", PROBE, str(target)])
    if probe.returncode != 0:
        pytest.skip(f"{target} stays writable for this user here (file system or privileges), "
                    "so a read-only database cannot be reproduced")
    return list(prefix)


def run_mltrainer(args: list[str], data_dir: Path, workspace: Path, prefix: Sequence[str] = ()):
    env = {**os.environ, "MLTRAINER_DATA_DIR": str(data_dir), "MLTRAINER_WORKSPACE": str(workspace),
           "MLTRAINER_CHALLENGE_PATH": str(TOY_PACK)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([*prefix, sys.executable, "-m", "trainer", *args], cwd=REPO, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)


def assert_one_clear_line(result, *names: object) -> str:
    """Exit status 2, stdout empty, and on stderr one error line naming each of ``names``.

    Other stderr lines may only be warnings that do not depend on the
    database (say, that the kernel confines candidate code only partly).
    """
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 2, output
    assert result.stdout == "", output   # refused before anything ran: no report, no screen
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if not line.startswith("warning: ")]
    assert len(errors) == 1 and errors[0] == lines[-1], output
    line = errors[0]
    assert line.startswith("Error: cannot "), line
    for name in names:
        assert str(name) in line, line
    assert "MLTRAINER_DATA_DIR" in line, line   # what to do, whatever else applies
    return line


@pytest.fixture
def history(tmp_path):
    """A data folder with a real database holding one start, a solution, and an export file."""
    data = tmp_path / "data"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "toy.py").write_text((TOY_PACK / "reference" / "toy.py").read_text())
    with Store.open(data / "progress.db") as store:
        store.record_start("toy", "guided", str(workspace / "toy.py"))
        export = tmp_path / "export.json"
        export.write_text(json.dumps(store.export_history()))
    return data, workspace, export


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _args(args: list[str], export: Path) -> list[str]:
    return [a.replace("{export}", str(export)) for a in args]


@pytest.mark.parametrize("args", STORE_COMMANDS)
def test_a_read_only_database_file_is_refused_and_left_alone(history, args):
    data, workspace, export = history
    database = data / "progress.db"
    database.chmod(0o444)
    before = _folder_state(data)
    prefix = _prefix_refusing_writes_to(database)
    result = run_mltrainer(_args(args, export), data, workspace, prefix)
    line = assert_one_clear_line(result, database)
    assert "read-only" in line and f"chmod u+rw {database}" in line
    # Not taken for a damaged file: not moved aside, no side files left in the way.
    assert _folder_state(data) == before


@pytest.mark.parametrize("args", STORE_COMMANDS)
def test_a_read_only_data_folder_is_refused_and_left_alone(history, args):
    data, workspace, export = history
    data.chmod(0o555)
    try:
        before = _folder_state(data)
        prefix = _prefix_refusing_writes_to(data)
        result = run_mltrainer(_args(args, export), data, workspace, prefix)
        line = assert_one_clear_line(result, data / "progress.db")
        assert "the folder" in line and f"chmod u+rwx {data}" in line
        assert _folder_state(data) == before
    finally:
        data.chmod(0o755)   # so that pytest can clean up


def test_commands_without_the_store_still_run_beside_a_read_only_database(history):
    """`list` and `show` never needed the database; the check for an expired mock round skips it."""
    data, workspace, _ = history
    data.chmod(0o555)
    try:
        before = _folder_state(data)
        prefix = _prefix_refusing_writes_to(data)
        for args in (["list"], ["show", "toy"]):
            result = run_mltrainer(args, data, workspace, prefix)
            assert result.returncode == 0, result.stderr
            assert "toy" in result.stdout and result.stderr == ""
        assert _folder_state(data) == before
    finally:
        data.chmod(0o755)


def test_a_data_folder_that_cannot_be_created_is_refused(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o555)
    try:
        prefix = _prefix_refusing_writes_to(parent)
        result = run_mltrainer(["progress"], parent / "data", tmp_path / "workspace", prefix)
        line = assert_one_clear_line(result, parent / "data", parent)
        assert "may not create folders" in line
        assert not (parent / "data").exists()
    finally:
        parent.chmod(0o755)


# Cases that need no privileges to reproduce: the same as root and as a user.

@pytest.mark.parametrize("args", [["progress"], ["hint", "toy"], ["grade", "toy"], ["tui"]])
def test_a_data_folder_that_is_a_file_is_refused(tmp_path, args):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be\n")
    result = run_mltrainer(args, blocker, tmp_path / "workspace")
    line = assert_one_clear_line(result, blocker)
    assert "is a file, not a folder" in line
    assert blocker.read_text() == "a file where the data folder should be\n"


def test_a_data_folder_below_a_file_is_refused(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("")
    result = run_mltrainer(["progress"], blocker / "mltrainer", tmp_path / "workspace")
    line = assert_one_clear_line(result, blocker / "mltrainer")
    assert f"{blocker} is a file, not a folder" in line


def test_a_database_path_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "data" / "progress.db").mkdir(parents=True)
    result = run_mltrainer(["progress"], tmp_path / "data", tmp_path / "workspace")
    line = assert_one_clear_line(result, tmp_path / "data" / "progress.db")
    assert "is a folder, not a file" in line
    assert list((tmp_path / "data").iterdir()) == [tmp_path / "data" / "progress.db"]
