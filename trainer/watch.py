"""Noticing that a solution file was saved: the logic behind watch mode.

Polling the file's modification time and size is portable and needs no
dependency; an editor that saves by writing a new file and renaming it over the
old one is seen like any other save. A change is reported only once the file
has stayed the same for one more poll, so a half-written file is never graded.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

#: Seconds between two looks at the file.
POLL_INTERVAL_S = 0.5

Stamp = tuple[int, int] | None


def file_stamp(path: Path) -> Stamp:
    """(mtime in ns, size) of the file, or None when it does not exist."""
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return stat.st_mtime_ns, stat.st_size


class SolutionWatcher:
    """Call :meth:`poll` regularly; it returns True once per settled save."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._seen: Stamp = file_stamp(self.path)
        self._pending: Stamp = None
        self._has_pending = False

    def poll(self) -> bool:
        stamp = file_stamp(self.path)
        if self._has_pending:
            if stamp == self._pending:  # unchanged since the last look: the save is complete
                self._has_pending = False
                self._seen = stamp
                return stamp is not None
            self._pending = stamp  # still being written
            return False
        if stamp != self._seen:
            self._pending, self._has_pending = stamp, True
        return False


def watch_loop(
    path: Path,
    on_save: Callable[[], None],
    *,
    interval: float = POLL_INTERVAL_S,
    max_runs: int | None = None,
    run_first: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Call ``on_save`` now (if ``run_first``) and after every settled save.

    Returns the number of runs; stops after ``max_runs`` runs, or on Ctrl-C
    (KeyboardInterrupt propagates to the caller).
    """
    watcher = SolutionWatcher(path)
    runs = 0
    if run_first:
        on_save()
        runs += 1
    while max_runs is None or runs < max_runs:
        sleep(interval)
        if watcher.poll():
            on_save()
            runs += 1
    return runs
