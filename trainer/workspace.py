"""The workspace: a plain folder of solution files the user edits with any editor.

A solution lives at `<workspace>/<challenge id>.py`. Starting a challenge never
overwrites an existing solution unless forced, and even then the old file is
kept beside it as a timestamped backup (`<id>.py.<YYYYmmdd-HHMMSS>.bak`, never
overwriting an earlier one). A workspace that cannot be created or written
(a file in the way, a read-only or pseudo file system, a permission) is
reported as WorkspaceNotWritable, one line saying what refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

from trainer import paths
from trainer.catalog import Challenge
from trainer.errors import InputError, SolutionExists, WorkspaceNotWritable


def solution_path(challenge: Challenge | str, workspace: str | os.PathLike | None = None) -> Path:
    """Where the user's solution for `challenge` lives."""
    challenge_id = challenge if isinstance(challenge, str) else challenge.id
    return paths.workspace_dir(workspace) / f"{challenge_id}.py"


def start_challenge(challenge: Challenge, level: str = "guided", force: bool = False,
                    workspace: str | os.PathLike | None = None) -> Path:
    """Render the stub into the workspace and return its path.

    Raises SolutionExists when a solution is already there and `force` is false.
    With `force`, the previous file is moved to a backup (`backup_solution`)
    first, and put back if the stub cannot be written. Raises
    WorkspaceNotWritable when the workspace cannot be created or written.
    """
    text = challenge.render_stub(level)  # a template error stops us before anything is written
    target = solution_path(challenge, workspace)
    with writing(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
        _refuse_a_folder(target)
        if target.exists() and not force:
            raise SolutionExists(target)
        with backed_up(target) if force else contextlib.nullcontext():
            _write_new(target, text)
    return target


def backup_solution(path: Path) -> Path | None:
    """Move the solution at `path` to `<name>.<YYYYmmdd-HHMMSS>.bak` beside it; None if there is none.

    Two backups within one second get `-2`, `-3`, ... so none is ever overwritten.
    """
    with writing(path.parent):
        if not path.exists():
            return None
        _refuse_a_folder(path)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        n = 1
        while backup.exists():
            n += 1
            backup = path.with_name(f"{path.name}.{stamp}-{n}.bak")
        path.replace(backup)
    return backup


@contextlib.contextmanager
def backed_up(path: Path) -> Iterator[Path | None]:
    """Move the solution at `path` to a backup for the block (None: there was none).

    If the block fails and left no file at `path`, the backup is put back:
    starting over never loses the user's file.
    """
    backup = backup_solution(path)
    try:
        yield backup
    except BaseException:
        if backup is not None and not path.exists():
            backup.replace(path)
        raise


@contextlib.contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Writing in the workspace `folder`: an OSError in the block becomes WorkspaceNotWritable."""
    folder = Path(folder)
    try:
        yield
    except OSError as error:
        raise WorkspaceNotWritable(folder, refusal(folder, error)) from None


def refusal(folder: Path, error: OSError) -> str:
    """What refused to let `folder` be created or written, in a user's words."""
    for part in (folder, *folder.parents):       # the first of them that exists
        try:
            if not os.path.lexists(part):
                continue
            if not part.is_dir():
                return "it is a file, not a folder" if part == folder else f"{part} is a file, not a folder"
        except OSError:
            pass
        break
    # A file written in the folder (the stub's temporary file, a backup) stands for the folder.
    where = Path(error.filename) if error.filename else folder
    subject = "it" if folder in (where, where.parent) else str(where)
    if error.errno == errno.EROFS:
        return f"{subject} is on a read-only file system"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"{subject} may not be written (permission denied)"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left there ({error.strerror})"
    if error.errno == errno.ENOENT and not os.path.lexists(folder):
        return f"the folder cannot be created there ({error.strerror})"
    return f"{error.strerror or error} ({where})"


def _refuse_a_folder(path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{path} is a folder, where your solution file goes; move it away first")


def _write_new(target: Path, text: str) -> None:
    """Write `text` to `target` through a temporary file: an interrupted write never leaves half a stub."""
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
