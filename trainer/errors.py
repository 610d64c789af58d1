"""Errors a user can cause, each with a message written for that user.

They are raised by the library and caught once, at the edge (CLI or TUI),
which prints the message and exits with `exit_code`. No traceback reaches
the user for any of them.
"""

from __future__ import annotations

from pathlib import Path

USAGE_ERROR = 2


class TrainerError(Exception):
    """Base of the errors a user can cause; `str()` is the message to show."""

    exit_code = USAGE_ERROR


class ChallengeNotFound(TrainerError):
    def __init__(self, challenge_id: str, suggestion: str | None = None, known: tuple[str, ...] = ()) -> None:
        self.challenge_id = challenge_id
        self.suggestion = suggestion
        message = f"no challenge named {challenge_id!r}"
        if suggestion:
            message += f"; did you mean {suggestion!r}?"
        elif known:
            message += f" (available: {', '.join(known)})"
        super().__init__(message)


class InvalidChallenge(TrainerError):
    """A challenge folder that does not follow docs/authoring.md."""

    def __init__(self, path: Path | str, line: int | None, why: str) -> None:
        self.path = Path(path)
        self.line = line
        self.why = why
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {why}")


class GradingCancelled(TrainerError):
    """The caller asked a grading run to stop (e.g. the app is closing)."""

    def __init__(self) -> None:
        super().__init__("grading was cancelled; nothing was recorded")


class SolutionExists(TrainerError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists; keeping your work (use --force to overwrite it)")


class WorkspaceNotWritable(TrainerError):
    """The workspace, or a file mltrainer writes in it, cannot be created or written.

    ``folder`` is the workspace (or the folder being written in it), ``why``
    says what refused in the user's words: a file in the way, a read-only or
    pseudo file system, a permission.
    """

    def __init__(self, folder: Path | str, why: str) -> None:
        self.folder, self.why = Path(folder), why
        super().__init__(f"cannot write to the workspace {self.folder}: {why}; "
                         "set MLTRAINER_WORKSPACE (or pass --workspace) to a folder you can write")


class SolutionNotFound(TrainerError):
    def __init__(self, path: Path, challenge_id: str | None = None) -> None:
        self.path = path
        hint = f" (run `mltrainer start {challenge_id}` to create it)" if challenge_id else ""
        super().__init__(f"no solution file at {path}{hint}")


class InputError(TrainerError):
    """Bad input from the user that has no more specific type."""


class InvalidInputs(TrainerError):
    """A user's inputs file for `mltrainer try` (`<id>.try`) with lines that cannot be run.

    `problems` are (line or None, why); every one is reported as path:line: why.
    """

    def __init__(self, path: Path | str, problems: list[tuple[int | None, str]]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        lines = [f"{self.path}:{line}: {why}" if line else f"{self.path}: {why}" for line, why in self.problems]
        count = len(lines)
        head = "" if count == 1 else f"{count} lines of {self.path} cannot be run:\n"
        super().__init__(head + "\n".join(lines))


class IsolationUnavailable(TrainerError):
    """Full confinement of candidate code was required (--isolation require) but is not available."""

    def __init__(self, why: str) -> None:
        self.why = why
        super().__init__(f"full isolation is required but not available here: {why}. "
                         "Grade on a Linux kernel with Landlock and seccomp (5.13 or newer), "
                         "or drop --isolation require / MLTRAINER_ISOLATION=require to grade with what this kernel offers")


# --------------------------------------------------------------------------
# The progress database (trainer/store/)
# --------------------------------------------------------------------------

#: What a user can always do when the progress database cannot be used where it is.
USE_ANOTHER_FOLDER = "set MLTRAINER_DATA_DIR to a folder you can write"


class StoreError(TrainerError):
    """The progress database cannot be used (the message says why and what to do)."""


class DatabaseTooNew(StoreError):
    """The database was written by a newer mltrainer than this one."""

    def __init__(self, path: Path, found: int, known: int) -> None:
        self.path, self.found, self.known = path, found, known
        super().__init__(
            f"{path} has schema version {found}, but this mltrainer knows only up to "
            f"version {known}. Upgrade mltrainer, or point MLTRAINER_DATA_DIR elsewhere."
        )


class DatabaseNotWritable(StoreError):
    """mltrainer may not write the progress database, or create SQLite's files beside it.

    ``blocker`` is what refuses: the database file itself, one of SQLite's
    side files (``-wal``, ``-shm``, ``-journal``), or the folder, in which
    SQLite must be able to create those files. ``fix`` says what to do.
    """

    def __init__(self, database: Path, blocker: Path, why: str, fix: str) -> None:
        self.database, self.blocker, self.why = Path(database), Path(blocker), why
        if self.blocker == self.database:
            where = f"the progress database {self.database}"
        elif self.blocker == self.database.parent:
            where = f"the folder {self.blocker} of the progress database {self.database}"
        else:
            where = f"{self.blocker} (a working file of the progress database {self.database})"
        super().__init__(f"cannot write to {where}: {why}; {fix}")


class DataDirUnusable(StoreError):
    """The folder that should hold the progress database is not a folder or cannot be created."""

    def __init__(self, folder: Path, why: str) -> None:
        self.folder, self.why = Path(folder), why
        super().__init__(f"cannot use {self.folder} as mltrainer's data folder: {why}; {USE_ANOTHER_FOLDER}")


class ImportFormatError(StoreError):
    """An export file that cannot be imported."""

    def __init__(self, path: Path, why: str) -> None:
        self.path, self.why = path, why
        super().__init__(f"cannot import {path}: {why}")
