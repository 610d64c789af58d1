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


class SolutionExists(TrainerError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists; keeping your work (use --force to overwrite it)")


class SolutionNotFound(TrainerError):
    def __init__(self, path: Path, challenge_id: str | None = None) -> None:
        self.path = path
        hint = f" (run `mltrainer start {challenge_id}` to create it)" if challenge_id else ""
        super().__init__(f"no solution file at {path}{hint}")


class InputError(TrainerError):
    """Bad input from the user that has no more specific type."""
