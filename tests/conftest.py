"""Shared fixtures: every test runs with a temporary data dir and workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOY_PACK = FIXTURES / "pack"
HOSTILE = FIXTURES / "hostile"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Never touch the user's real data dir or workspace, nor inherit a pack path."""
    data = tmp_path / "data"
    workspace = tmp_path / "workspace"
    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(data))
    monkeypatch.setenv("MLTRAINER_WORKSPACE", str(workspace))
    monkeypatch.delenv("MLTRAINER_CHALLENGE_PATH", raising=False)
    return {"data": data, "workspace": workspace}


@pytest.fixture
def toy():
    from trainer.catalog import load_catalog
    return load_catalog([TOY_PACK]).get("toy")


# -- processes, read from /proc (what a grading run must not leave behind) -------------

def _stat_fields(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        return handle.read().rsplit(b")", 1)[1].split()


def descendants(root: int | None = None) -> list[int]:
    """Every living (not zombie) process below `root` (this process by default)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                fields = _stat_fields(int(name))
            except OSError:
                continue
            if fields[0] != b"Z":
                children.setdefault(int(fields[1]), []).append(int(name))
    found, stack = [], [root or os.getpid()]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return _stat_fields(pid)[0] != b"Z"
    except OSError:
        return False


def is_busy_worker(pid: int) -> bool:
    """The process runs mltrainer's worker and has spun for a while (a solution running, not starting)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            if b"worker.py" not in handle.read():
                return False
        return int(_stat_fields(pid)[11]) > 20   # utime, in clock ticks
    except OSError:
        return False
