"""What the project's tests import by name: paths, process checks, fixed progress data, a module loader.

Fixtures live in the conftest.py of each folder (pytest finds them there);
plain values and functions live here and are imported explicitly:
`from tests.helpers import TOY_PACK`. tests/ and its test folders are
packages, so with pytest's default import mode the checkout (the folder
above the top package) is on sys.path and this import works the same from
every folder, with `pytest` or `python -m pytest`, and in every xdist worker.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

from trainer import warm
from trainer.sandbox.worker import MOTHER_NAME, ZYGOTE_NAME

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOY_PACK = FIXTURES / "pack"
HOSTILE = FIXTURES / "hostile"


# -- content files (references, graders) as modules ----------------------------------

def load_module(path: Path, name: str) -> ModuleType:
    """The Python file at `path` run as a module called `name`.

    For the references and graders, which are content files, not importable
    modules: the tests in tests/references/ load them this way to check them
    against independent implementations.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grader_tests_marked(path: Path, category: str) -> frozenset[str]:
    """The names of the grader's test functions marked `category` (e.g. "performance"), read without running it.

    A mark counts where pytest would find it for the engine's `_category`: on
    the function, on its class, or in the module's `pytestmark`.
    """
    def marked(node) -> bool:
        marks = node.decorator_list if not isinstance(node, ast.Assign) else [node.value]
        return any(isinstance(n, ast.Attribute) and n.attr == category
                   and isinstance(n.value, ast.Attribute) and n.value.attr == "mark"
                   for mark in marks for n in ast.walk(mark))

    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    everything = any(isinstance(node, ast.Assign) and marked(node)
                     and any(getattr(t, "id", None) == "pytestmark" for t in node.targets) for node in tree.body)
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            if everything or marked(node):
                names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for child in node.body:
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name.startswith("test"):
                    if everything or marked(node) or marked(child):
                        names.add(child.name)
    return frozenset(names)


# -- processes, read from /proc (what a grading run must not leave behind) -------------

def _stat_fields(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        return handle.read().rsplit(b")", 1)[1].split()


def parent_of(pid: int) -> int | None:
    """The parent's pid of a living (not zombie) process, None once it is gone."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return None
    return int(fields[1]) if fields[0] != b"Z" else None


def children(root: int | None = None) -> list[int]:
    """The living (not zombie) child processes of `root` (this process by default), lane servers included."""
    root = root or os.getpid()
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and parent_of(int(name)) == root]


def descendants(root: int | None = None) -> list[int]:
    """Every living (not zombie) process below `root` (this process by default) that belongs to a run.

    A lane server (trainer/warm.py) waiting for this process's next grading
    is not part of any run and is left out, and so is each worker zygote it
    started (its mother zygote, the ones it keeps for its next lanes, or one
    a lane adopted and that exits once the lane has); its lanes, and all
    workers, are not.
    """
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
        parent = stack.pop()
        for child in children.get(parent, []):
            if not (is_lane_server(child) or (is_zygote(child) and (is_lane_server(parent) or is_mother(parent)))):
                found.append(child)
            stack.append(child)
    return found


def is_zygote(pid: int) -> bool:
    """A worker zygote (trainer/sandbox/client.py `Zygote`): named once its interpreter runs (the name stays
    while it exits), known by its command line before that, which the workers it forks keep too."""
    try:
        with open(f"/proc/{pid}/comm", "rb") as handle:
            if handle.read().strip() == ZYGOTE_NAME:
                return True
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"--zygote" in handle.read().split(b"\0")
    except OSError:
        return False


def is_mother(pid: int) -> bool:
    """A lane server's mother zygote, which forks the zygotes of its lanes (trainer/warm.py `_Mother`): named
    once its interpreter runs, known before that by its command line and its parent (the zygotes it forks,
    and their workers, keep the command line)."""
    try:
        with open(f"/proc/{pid}/comm", "rb") as handle:
            if handle.read().strip() == MOTHER_NAME:
                return True
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            args = handle.read().split(b"\0")
    except OSError:
        return False
    parent = parent_of(pid)
    return b"--mother" in args and parent is not None and is_lane_server(parent)


def is_lane_server(pid: int) -> bool:
    """A lane server: named once its interpreter runs, known by its command line before that."""
    try:
        with open(f"/proc/{pid}/comm", "rb") as handle:
            comm = handle.read().strip()
        if comm in (warm.SERVER_NAME, warm.LANE_NAME):
            return comm == warm.SERVER_NAME
        # Not named yet (its interpreter is starting). A lane has the server's
        # command line too (a fork), but never this name.
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().split(b"\0")[1:3] == [b"-m", b"trainer.warm"]
    except OSError:
        return False


def is_lane(pid: int) -> bool:
    """A grading lane (the trusted pytest process of a run), started cold or forked by a lane server."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            if b"--mltrainer-run" in handle.read():
                return True
        with open(f"/proc/{pid}/comm", "rb") as handle:
            return handle.read().strip() == warm.LANE_NAME
    except OSError:
        return False


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


# -- deterministic progress data for the progress, mock and TUI tests: a fake clock and reports --

class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


def make_report(
    challenge_id: str,
    *,
    passed: bool,
    ratio: float | None,
    sha: str | None = "0" * 64,
    duration_s: float = 3.5,
):
    """A GradeReport with three tests: correctness, edge case and a timed one."""
    from trainer.report import GradeReport

    timed = {
        "kind": "time",
        "label": "n=2000, k=8",
        "candidate": 0.020 * (ratio or 1.0),
        "reference": 0.020,
        "unit": "s",
        "ratio": ratio,
        "budget": 3.0,
        "within_budget": True if ratio is None else ratio <= 3.0,
        "note": "",
        "informational": False,
    }
    data = {
        "challenge_id": challenge_id,
        "solution_path": f"/w/{challenge_id}.py",
        "source_sha256": sha,
        "started_at": "2026-03-01T10:00:00+00:00",
        "duration_s": duration_s,
        "status": "passed" if passed else "failed",
        "static_issues": [],
        "error": None,
        "tests": [
            {
                "nodeid": f"graders/{challenge_id}.py::test_clusters",
                "name": "Finds the clusters",
                "category": "correctness",
                "outcome": "passed" if passed else "failed",
                "message": "" if passed else "expected 3 clusters, got 2",
                "bonus": False,
                "duration_s": 0.5,
                "measurements": [],
            },
            {
                "nodeid": f"graders/{challenge_id}.py::test_k1",
                "name": "Handles k = 1",
                "category": "edge_case",
                "outcome": "passed",
                "message": "",
                "bonus": False,
                "duration_s": 0.1,
                "measurements": [],
            },
            {
                "nodeid": f"graders/{challenge_id}.py::test_speed",
                "name": "Within the time budget",
                "category": "performance",
                "outcome": "passed",
                "message": "",
                "bonus": False,
                "duration_s": 1.2,
                "measurements": [timed] if ratio is not None else [],
            },
        ],
    }
    return GradeReport.from_dict(data)
