"""Folder trees a candidate shapes to hurt the trusted side (trainer/sandbox/fstree.py).

A worker may build anything in its private folder: folders nested deeper
than Python's recursion limit (a recursive removal raises RecursionError),
paths longer than PATH_MAX (a walk by full path fails with ENAMETOOLONG and
skips what is below), links, unreadable folders. Measuring (the disk limit)
and removing (a worker's folder, a run's folder, a stale run's folder) must
see and remove all of it, follow no link, and never crash.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers import TOY_PACK
from tests.test_isolation import arena, needs_confinement  # noqa: F401  (the fixture: a study group's world)
from trainer.engine import RUN_PREFIX, RunFolder, grade, remove_stale_runs
from trainer.sandbox import fstree
from trainer.sandbox.fstree import MAX_DEPTH, measure_tree, remove_tree

PATH_MAX = os.pathconf("/", "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
LONG = "x" * 250


@pytest.fixture(autouse=True)
def _removed_after(tmp_path):
    """The trees go with their test: pytest's own clean-up of old temporary folders is recursive."""
    yield
    for entry in list(tmp_path.iterdir()):
        remove_tree(entry)


def chain(root: Path, depth: int, name: str = "d", files: dict[str, bytes] | None = None) -> None:
    """`depth` folders `name`/`name`/... under `root`, made one name at a time; `files` in the deepest."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            below = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = below
        for file_name, data in (files or {}).items():
            handle = os.open(file_name, os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
            os.write(handle, data)
            os.close(handle)
    finally:
        os.close(fd)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def usage_by_walk(root: Path) -> tuple[int, int, int]:
    """(bytes, entries, depth) by os.walk and lstat: the oracle for trees with short paths."""
    total = entries = deepest = 0
    for folder, dirs, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts) + 1
        for name in dirs + files:
            info = os.lstat(Path(folder) / name)
            total += info.st_blocks * 512 or info.st_size
            entries += 1
            deepest = max(deepest, depth)
    return total, entries, deepest


# -- measuring ---------------------------------------------------------------

def test_measure_counts_what_os_walk_sees(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"1" * 100_000)
    (tmp_path / "empty").touch()
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "b.bin").write_bytes(b"2" * 5000)
    (tmp_path / "sub" / "deeper" / "c.bin").write_bytes(b"3" * 70_000)
    usage = measure_tree(tmp_path)
    assert (usage.bytes, usage.entries, usage.depth) == usage_by_walk(tmp_path)
    assert usage.over == ""
    assert (usage.entries, usage.depth) == (6, 3)
    assert 175_000 <= usage.bytes < 1 << 20   # the files' blocks, and the folders' own


def test_measure_of_a_missing_folder_is_empty(tmp_path):
    assert measure_tree(tmp_path / "gone") == (0, 0, 0, "")


def test_measure_sees_below_path_max(tmp_path):
    chain(tmp_path, 18, LONG, {"hidden.bin": b"\1" * 3_000_000})
    deepest = tmp_path.joinpath(*[LONG] * 18)
    assert len(str(deepest)) > PATH_MAX
    with pytest.raises(OSError) as caught:   # what a walk by full path met there
        os.scandir(deepest)
    assert caught.value.errno == errno.ENAMETOOLONG
    usage = measure_tree(tmp_path)
    assert (usage.entries, usage.depth, usage.over) == (19, 19, "")
    assert usage.bytes >= 3_000_000
    assert measure_tree(tmp_path, max_bytes=2_000_000).over == "bytes"


def test_measure_stops_at_each_limit(tmp_path):
    for i in range(50):
        (tmp_path / f"f{i}").write_bytes(b"z" * 10_000)
    usage = measure_tree(tmp_path, max_entries=10)
    assert (usage.entries, usage.over) == (11, "entries")
    usage = measure_tree(tmp_path, max_bytes=100_000)
    assert usage.over == "bytes" and usage.entries < 50
    assert measure_tree(tmp_path, max_entries=50, max_bytes=10 << 20).over == ""


def test_depth_limit_counts_levels_of_entries(tmp_path):
    allowed, deeper = tmp_path / "allowed", tmp_path / "deeper"
    allowed.mkdir()
    deeper.mkdir()
    chain(allowed, MAX_DEPTH)
    chain(deeper, MAX_DEPTH + 1)
    assert measure_tree(allowed) == (measure_tree(allowed).bytes, MAX_DEPTH, MAX_DEPTH, "")
    usage = measure_tree(deeper)
    assert (usage.depth, usage.over) == (MAX_DEPTH + 1, "depth")
    assert measure_tree(deeper, max_depth=MAX_DEPTH + 1).over == ""


def test_measure_of_a_tree_deeper_than_the_recursion_limit_stops_early(tmp_path):
    chain(tmp_path, sys.getrecursionlimit() + 200)
    before = open_fds()
    usage = measure_tree(tmp_path)
    assert (usage.depth, usage.entries, usage.over) == (MAX_DEPTH + 1, MAX_DEPTH + 1, "depth")
    assert open_fds() == before


def test_measure_follows_no_link(tmp_path):
    outside, root = tmp_path / "outside", tmp_path / "root"
    outside.mkdir()
    root.mkdir()
    (outside / "big.bin").write_bytes(b"b" * 2_000_000)
    for i in range(20):
        (outside / f"n{i}").touch()
    (root / "to_folder").symlink_to(outside)
    (root / "to_file").symlink_to(outside / "big.bin")
    (root / "loop").symlink_to(root)
    usage = measure_tree(root)
    assert (usage.entries, usage.depth, usage.over) == (3, 1, "")
    assert usage.bytes < 100_000


def test_what_cannot_be_read_is_over_the_limit(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    assert measure_tree(tmp_path / "file").over.startswith("unreadable")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its mode")
def test_an_unreadable_folder_is_over_the_limit(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.bin").write_bytes(b"h" * 1000)
    locked.chmod(0)
    try:
        assert measure_tree(tmp_path).over.startswith("unreadable")
    finally:
        locked.chmod(0o700)


# -- removing ----------------------------------------------------------------

def test_removes_a_tree_deeper_than_the_recursion_limit(tmp_path):
    root = tmp_path / "deep"
    root.mkdir()
    chain(root, sys.getrecursionlimit() + 100, files={"bottom.bin": b"x" * 1000})
    (root / "side.bin").write_bytes(b"s")
    before = open_fds()
    assert remove_tree(root) is True
    assert not root.exists() and os.listdir(tmp_path) == []
    assert open_fds() == before


def test_removes_what_lies_below_path_max(tmp_path):
    root = tmp_path / "long"
    root.mkdir()
    chain(root, 18, LONG, {"f0": b"a" * 100_000, "f1": b"b" * 100})
    chain(root / LONG, 3, "short")
    assert remove_tree(root) is True
    assert os.listdir(tmp_path) == []


def test_removal_follows_no_link(tmp_path):
    outside, root = tmp_path / "outside", tmp_path / "root"
    (outside / "inner").mkdir(parents=True)
    (outside / "keep.txt").write_text("keep")
    (outside / "inner" / "keep2.txt").write_text("keep")
    root.mkdir()
    (root / "sub").mkdir()
    (root / "to_folder").symlink_to(outside)
    (root / "sub" / "to_inner").symlink_to(outside / "inner")
    (root / "sub" / "to_file").symlink_to(outside / "keep.txt")
    (root / "sub" / "dangling").symlink_to(tmp_path / "nowhere")
    assert remove_tree(root) is True
    assert not os.path.lexists(root)
    assert (outside / "keep.txt").read_text() == "keep" and (outside / "inner" / "keep2.txt").read_text() == "keep"
    link = tmp_path / "link"
    link.symlink_to(outside)
    assert remove_tree(link) is True   # the link goes, not what it points to
    assert not os.path.lexists(link) and (outside / "keep.txt").exists()


def test_removes_files_and_folders_whatever_their_mode(tmp_path):
    root = tmp_path / "modes"
    (root / "closed" / "inner").mkdir(parents=True)
    (root / "closed" / "inner" / "f").write_text("f")
    (root / "readonly").mkdir()
    (root / "readonly" / "g").write_text("g")
    (root / "file").write_text("file")
    (root / "file").chmod(0)
    (root / "readonly").chmod(0o500)
    (root / "closed" / "inner").chmod(0)
    (root / "closed").chmod(0)
    assert remove_tree(root) is True
    assert os.listdir(tmp_path) == []


def test_removes_a_plain_file_and_accepts_a_missing_path(tmp_path):
    (tmp_path / "f").write_text("x")
    assert remove_tree(tmp_path / "f") is True and not (tmp_path / "f").exists()
    assert remove_tree(tmp_path / "never-was") is True


def test_a_deep_subtree_is_moved_up_and_removed_with_few_descriptors(tmp_path, monkeypatch):
    """However deep the tree, removal keeps at most _REMOVE_DEPTH + 1 folders open."""
    root = tmp_path / "deep"
    root.mkdir()
    chain(root, 400, files={"f": b"f"})
    chain(root / "d", 100, "e")
    opened, most = [], [0]
    real_open, real_close = os.open, os.close

    def tracking_open(*args, **kwargs):
        fd = real_open(*args, **kwargs)
        opened.append(fd)
        most[0] = max(most[0], len(opened))
        return fd

    def tracking_close(fd):
        if fd in opened:
            opened.remove(fd)
        real_close(fd)

    monkeypatch.setattr(fstree.os, "open", tracking_open)
    monkeypatch.setattr(fstree.os, "close", tracking_close)
    assert remove_tree(root) is True
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []
    assert opened == []
    # The root's parent, the root, _REMOVE_DEPTH folders below it (the tree is 401 deep).
    assert most[0] == fstree._REMOVE_DEPTH + 2


# -- run folders --------------------------------------------------------------

def _stale_run(folder: Path, name: str, *, lock: bool, depth: int) -> Path:
    run = folder / f"{RUN_PREFIX}{name}"
    run.mkdir()
    if lock:
        (run / ".lock").touch()   # no process holds it: the run that made it is gone
    worker = run / "worker-1" / "private"
    worker.mkdir(parents=True)
    chain(worker, depth)
    chain(worker, 18, LONG, {"big": b"b" * 100_000})
    return run


def test_stale_run_folders_with_hostile_trees_are_removed(tmp_path):
    locked = _stale_run(tmp_path, "unlocked-lock", lock=True, depth=sys.getrecursionlimit() + 100)
    old = _stale_run(tmp_path, "no-lock-old", lock=False, depth=10)
    an_hour_ago = time.time() - 2 * 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    young = tmp_path / f"{RUN_PREFIX}being-made"   # no lock yet, just made: left alone
    young.mkdir()
    assert sorted(remove_stale_runs(tmp_path)) == sorted([locked, old])
    assert os.listdir(tmp_path) == [young.name]


def test_run_folder_exit_removes_a_hostile_tree(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with RunFolder() as run:
        private = run.path / "worker" / "private"
        private.mkdir(parents=True)
        chain(private, MAX_DEPTH + 100)
        chain(private, 18, LONG, {"big": b"b" * 100_000})
    assert os.listdir(tmp_path) == []


# -- graded for real -----------------------------------------------------------

ROW_SUMS = "Row sums match numpy's"
ATTACKS = {
    "exhaust_deep_tree.py": f"nested folders more than {MAX_DEPTH} deep in its folder (disk limit)",
    "exhaust_hidden_disk.py": "wrote more than 64 MiB or 10000 files into its folder (disk limit)",
}


@needs_confinement
@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_hostile_tree_fails_on_the_disk_limit_and_leaves_nothing(toy, arena, attack):  # noqa: F811
    path = arena.write_candidate(attack)
    report = grade(toy, path, isolation="require")
    messages = {t.name: t.message for t in report.tests}
    assert report.status == "failed", (report.status, report.error, messages)
    assert not [t.name for t in report.tests if t.passed], messages
    assert ATTACKS[attack] in messages[ROW_SUMS], messages[ROW_SUMS]
    assert "landlock v" in report.isolation and report.isolation.endswith("+ seccomp"), report.isolation
    arena.assert_untouched()   # nothing left in TMPDIR, no process, nothing changed outside the folder
    honest = grade(toy, TOY_PACK / "reference" / "toy.py", isolation="require")
    assert honest.status == "passed", [(t.name, t.message) for t in honest.tests if not t.passed]
    assert list(arena.tmp_root.iterdir()) == []
