"""What the TUI needs from the rest of mltrainer, in one injectable object.

Screens never open the database or call the engine themselves: they ask the
:class:`TrainerContext`. Tests build one with a temporary data directory,
workspace and a fixed clock; the real ``mltrainer`` builds the default one.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from trainer.store import Clock, Store, utc_now

if TYPE_CHECKING:
    from trainer.catalog import Catalog, Challenge
    from trainer.progress import Overview
    from trainer.report import GradeReport

GradeFunction = Callable[..., "GradeReport"]


def display_path(path: Path) -> str:
    """The path as the user would type it: under the home folder it starts with ~."""
    try:
        return "~/" + str(Path(path).relative_to(Path.home()))
    except ValueError:
        return str(path)


def _engine_grade(challenge: "Challenge", solution_path: Path, **kwargs: Any) -> "GradeReport":
    from trainer.engine import grade

    return grade(challenge, solution_path, **kwargs)


def _default_catalog() -> "Catalog":
    from trainer.catalog import load_catalog

    return load_catalog()


@dataclass
class TrainerContext:
    """Catalog, progress store, workspace, clock and grading function of one TUI session."""

    store_path: Path | None = None  # None: paths.database_path()
    workspace: Path | None = None  # None: paths.workspace_dir()
    clock: Clock = utc_now
    tz: tzinfo | None = None  # None: the local time zone (streaks count local days)
    grade_function: GradeFunction = _engine_grade
    catalog_loader: Callable[[], "Catalog"] = _default_catalog
    _catalog: "Catalog | None" = field(default=None, init=False, repr=False)
    _store: Store | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _active_gradings: int = field(default=0, init=False, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    # ---------------------------------------------------------------- data

    @property
    def catalog(self) -> "Catalog":
        if self._catalog is None:
            self._catalog = self.catalog_loader()
        return self._catalog

    @property
    def store(self) -> Store:
        """The store used from the UI thread (workers open their own)."""
        if self._store is None:
            self._store = Store.open(self.store_path, clock=self.clock)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def now(self) -> datetime:
        return self.clock()

    def overview(self) -> "Overview":
        from trainer.progress import overview

        return overview(self.catalog.challenges, self.store.history(), self.now(), self.tz)

    # ------------------------------------------------------------ actions

    def solution_path(self, challenge: "Challenge") -> Path:
        from trainer.workspace import solution_path

        return solution_path(challenge, self.workspace)

    def start(self, challenge: "Challenge", level: str = "guided", force: bool = False) -> Path:
        """Write the stub (raises SolutionExists) and record the start."""
        from trainer.workspace import start_challenge

        path = start_challenge(challenge, level=level, force=force, workspace=self.workspace)
        self.store.record_start(challenge.id, level, str(path))
        return path

    def reveal_hint(self, challenge: "Challenge") -> int | None:
        """Record the next hint as revealed (None: all were). Raises a
        TrainerError during a mock round, when hints are unavailable."""
        from trainer import mock_guard

        mock_guard.refuse_hints_during_mock(self.store)
        return self.store.reveal_next_hint(challenge.id, len(challenge.hints))

    def reference_source(self, challenge: "Challenge", *, record: bool = True) -> str:
        """The reference's source. Raises a TrainerError during a mock round."""
        from trainer import mock_guard

        mock_guard.refuse_reference_during_mock(self.store)
        text = challenge.reference_path.read_text(encoding="utf-8")
        if record:
            self.store.record_reveal(challenge.id)
        return text

    def grade(
        self, challenge: "Challenge", on_event: Callable[[Any], None] | None = None
    ) -> tuple["GradeReport", int]:
        """Grade the workspace solution and record it; blocking, safe in a worker thread.

        Raises SolutionNotFound when there is no solution file yet.
        """
        from trainer.errors import SolutionNotFound

        path = self.solution_path(challenge)
        if not path.is_file():
            raise SolutionNotFound(path, challenge.id)
        with self._lock:
            self._active_gradings += 1
        try:
            options: dict[str, Any] = {"on_event": on_event}
            if self.grade_function is _engine_grade:
                options["cancel"] = self._cancel
            report = self.grade_function(challenge, path, **options)
            # A connection of its own: sqlite connections are not shared across threads.
            with Store.open(self.store_path, clock=self.clock) as store:
                grade_id = store.record_grade(report)  # report.source: what was graded
        finally:
            with self._lock:
                self._active_gradings -= 1
        return report, grade_id

    def cancel_gradings(self) -> None:
        """Stop grading runs in progress (they raise GradingCancelled and are not recorded)."""
        self._cancel.set()

    @property
    def grading_in_progress(self) -> bool:
        """A grading run is still going (it is recorded when it ends)."""
        with self._lock:
            return self._active_gradings > 0

    def editor_command(self, path: Path) -> list[str]:
        """$VISUAL or $EDITOR (split like a shell would), else a sensible default."""
        import shlex

        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        return [*shlex.split(editor), str(path)]
