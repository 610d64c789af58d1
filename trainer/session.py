"""One user's mltrainer: the application layer every command and screen goes through.

A :class:`Session` holds the catalog, the progress store, the workspace, the
clock and the grading function, and offers what a user does: start a
challenge, reveal a hint, grade a solution and record the grade, compare it
with the reference, and run mock interview rounds. The CLI commands, watch
mode, the TUI and mock rounds call it; none of them opens the store or calls
the engine on its own, so "grade, then record" exists once, every grading
run can be cancelled, and the one in progress is known (rustlings keeps its
state in one `AppState` for the same reasons).

Tests build a Session with a temporary data directory, workspace, a fixed
clock and, where the engine is not the subject, a grading function of their
own; the real ``mltrainer`` builds the default one.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from trainer.store import Clock, Store

if TYPE_CHECKING:
    from trainer.catalog import Catalog, Challenge
    from trainer.examples import Outcome, TryReport
    from trainer.mock import FollowUp, MockSession, Scorecard, SessionSummary
    from trainer.progress import Overview
    from trainer.report import GradeReport

GradeFunction = Callable[..., "GradeReport"]
EventCallback = Callable[[dict], None]


def engine_grade(challenge: "Challenge", solution_path: Path, **kwargs: Any) -> "GradeReport":
    """The grading engine (imported when first used: the CLI starts fast)."""
    from trainer.engine import grade

    return grade(challenge, solution_path, **kwargs)


def _default_catalog() -> "Catalog":
    from trainer.catalog import load_catalog

    return load_catalog()


@dataclass
class Compared:
    """What `compare` shows beside the two sources: the speed ratio and the timing lines."""

    ratio: float | None
    timing_lines: list[str]
    graded_now: bool          # no earlier grade of these bytes: the timed tests ran now


@dataclass
class Session:
    """Catalog, progress store, workspace, clock and grading function of one user's session."""

    store_path: Path | None = None  # None: paths.database_path()
    workspace: Path | None = None  # None: paths.workspace_dir()
    clock: Clock | None = None  # None: the store's clock (the time now)
    tz: tzinfo | None = None  # None: the local time zone (streaks count local days)
    grade_function: GradeFunction = engine_grade
    catalog_loader: Callable[[], "Catalog"] = _default_catalog
    #: Told once, when the store had to move a damaged database aside.
    on_warning: Callable[[str], None] | None = None
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

    def challenge(self, challenge_id: str) -> "Challenge":
        """The challenge with this id (ChallengeNotFound suggests the nearest one)."""
        return self.catalog.get(challenge_id)

    @property
    def store(self) -> Store:
        """The store of the thread that opened the session (other threads open their own)."""
        if self._store is None:
            self._store = self.open_store()
            if self._store.recovery_message and self.on_warning is not None:
                self.on_warning(self._store.recovery_message)
        return self._store

    def open_store(self) -> Store:
        """A connection of its own, for another thread: sqlite connections are not shared."""
        return Store.open(self.store_path, clock=self.clock)

    @property
    def recovery_message(self) -> str | None:
        """What opening the store said when it moved a damaged database aside (None: it did not)."""
        return self.store.recovery_message

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else self.store.clock()

    def overview(self) -> "Overview":
        from trainer.progress import overview

        return overview(self.catalog.challenges, self.store.history(), self.now(), self.tz)

    # ------------------------------------------------------------ practice

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
        from trainer.mock import refuse_hints_during_mock

        refuse_hints_during_mock(self.store)
        return self.store.reveal_next_hint(challenge.id, len(challenge.hints))

    def hints_revealed(self, challenge: "Challenge") -> int:
        """How many of the challenge's hints the user has revealed."""
        return self.store.hints_revealed(challenge.id)

    def may_see_reference(self, challenge: "Challenge") -> bool:
        """Whether the reference is shown without asking: the challenge was passed."""
        return self.store.has_passed(challenge.id)

    def refuse_reference_during_mock(self) -> None:
        """Raise a TrainerError while a mock round runs: no reference then."""
        from trainer.mock import refuse_reference_during_mock

        refuse_reference_during_mock(self.store)

    def reference_source(self, challenge: "Challenge", *, record: bool = True) -> str:
        """The reference's source. Raises a TrainerError during a mock round."""
        self.refuse_reference_during_mock()
        text = challenge.reference_path.read_text(encoding="utf-8")
        if record:
            self.store.record_reveal(challenge.id)
        return text

    def try_examples(self, challenge: "Challenge", path: Path | None = None, *, inputs: Path | None = None,
                     isolation: str | None = None, timeout: float | None = None,
                     on_start: Callable[["TryReport"], None] | None = None,
                     on_outcome: Callable[["Outcome"], None] | None = None) -> "TryReport":
        """Run a solution (the workspace's by default) on the challenge's examples and the user's own
        inputs (`<id>.try` beside it, or `inputs`), in the sandbox. Nothing is recorded.

        Blocking. Raises SolutionNotFound, InvalidInputs (every bad line of
        the inputs file as path:line), InputError; see trainer.examples.
        """
        from trainer.examples import try_solution

        path = self.solution_path(challenge) if path is None else Path(path)
        return try_solution(challenge, path, inputs=inputs, isolation=isolation, timeout=timeout,
                            on_start=on_start, on_outcome=on_outcome)

    # ------------------------------------------------------------- grading

    def run_grading(self, challenge: "Challenge", path: Path, **options: Any) -> "GradeReport":
        """One grading run, counted and cancellable, not recorded (the mock rounds record their own)."""
        with self._lock:
            self._active_gradings += 1
        try:
            if self.grade_function is engine_grade:
                options["cancel"] = self._cancel
            return self.grade_function(challenge, path, **options)
        finally:
            with self._lock:
                self._active_gradings -= 1

    def grade(self, challenge: "Challenge", path: Path | None = None, *, record: bool = True,
              on_event: EventCallback | None = None, **options: Any) -> tuple["GradeReport", int | None]:
        """Grade a solution (the workspace's by default) and record the grade: (report, grade id).

        Blocking and safe in a worker thread. What is recorded is the bytes
        that were graded (report.source), not the file as it is afterwards.
        `options` go to the engine (fail_fast, quick, keyword, isolation); a
        partial run (quick, keyword) is recorded only when it fails. Raises
        SolutionNotFound when the file does not exist.
        """
        from trainer.errors import SolutionNotFound

        path = self.solution_path(challenge) if path is None else Path(path)
        if not path.is_file():
            raise SolutionNotFound(path, challenge.id)
        report = self.run_grading(challenge, path, on_event=on_event, **options)
        if not record or (report.selection and report.passed):
            # A partial run that fails is a true failure; only a full grade passes.
            return report, None
        # A connection of its own: this may run in a worker thread.
        with self.open_store() as store:
            return report, store.record_grade(report)

    def latest_report(self, challenge: "Challenge") -> "GradeReport | None":
        """The report of the challenge's latest recorded grade (None: not graded yet)."""
        from trainer.report import GradeReport

        latest = self.store.grades(challenge.id, limit=1, newest_first=True)
        if not latest:
            return None
        return GradeReport.from_dict(self.store.grade_report(latest[0].id))

    def cancel_gradings(self) -> None:
        """Stop grading runs in progress (they raise GradingCancelled and are not recorded)."""
        self._cancel.set()

    @property
    def grading_in_progress(self) -> bool:
        """A grading run is still going (it is recorded when it ends)."""
        with self._lock:
            return self._active_gradings > 0

    def compare(self, challenge: "Challenge", path: Path, *,
                on_event: EventCallback | None = None) -> Compared:
        """The speed of `path` against the reference, for showing them side by side.

        Records the reveal of the reference (refused during a mock round). A
        grade of these exact bytes already recorded gives the ratio; otherwise
        the timed tests run now (not recorded: a partial run is no grade).
        """
        from trainer.report import GradeReport

        self.refuse_reference_during_mock()
        self.store.record_reveal(challenge.id)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        known = [g for g in self.store.grades(challenge.id, newest_first=True) if g.source_sha256 == sha]
        if known:
            report = GradeReport.from_dict(self.store.grade_report(known[0].id))
            ratio = known[0].speed_ratio
        else:
            report = self.run_grading(challenge, path, marker="performance", on_event=on_event)
            ratio = report.speed_ratio
        lines = [f"{m.label}: {m.summary()}" for t in report.tests for m in t.measurements]
        return Compared(ratio, lines, graded_now=not known)

    # ---------------------------------------------------------- mock rounds

    def current_mock(self) -> "MockSession | None":
        from trainer.mock import current_session

        return current_session(self.store)

    def mock_round(self, round_id: int) -> "MockSession":
        from trainer.mock import get_session

        return get_session(self.store, round_id)

    def latest_mock(self, *, finished: bool = False) -> "MockSession | None":
        from trainer.mock import latest_session

        return latest_session(self.store, finished=finished)

    def start_mock(self, **options: Any) -> "MockSession":
        """Start a round (count, minutes, topic, difficulty, seed, level): stubs, clock, record."""
        from trainer.mock import start_session

        return start_session(self.store, self.catalog, workspace=self.workspace, **options)

    def check_mock(self, challenge_id: str | None = None, *,
                   on_event: EventCallback | None = None) -> "GradeReport":
        """Grade one file of the open round now, without handing in (counted, cancellable).

        Safe in a worker thread: it uses a store connection of its own.
        """
        from trainer.mock import check

        with self.open_store() as store:
            return check(store, self.catalog, challenge_id, grade_function=self.run_grading, on_event=on_event)

    def submit_mock(self, *, at_deadline: bool = False,
                    on_progress: Callable[[str, int, int], None] | None = None,
                    on_event: EventCallback | None = None) -> "Scorecard":
        """Hand the open round in: snapshot, grade (counted, cancellable), record, score.

        Safe in a worker thread: it uses a store connection of its own.
        """
        from trainer.mock import submit

        with self.open_store() as store:
            return submit(store, self.catalog, at_deadline=at_deadline, grade_function=self.run_grading,
                          on_progress=on_progress, on_event=on_event)

    def abandon_mock(self) -> "MockSession":
        from trainer.mock import abandon

        return abandon(self.store)

    def finalise_expired_mock(self, echo: Callable[[str], None]) -> "Scorecard | None":
        """Hand in a round whose deadline passed while nothing ran (graded like any other)."""
        from trainer.mock import finalise_expired_session

        return finalise_expired_session(echo, store=self.store, catalog=self.catalog,
                                        grade_function=self.run_grading)

    def mock_scorecard(self, round_id: int) -> "Scorecard":
        from trainer.mock import scorecard

        return scorecard(self.store, round_id)

    def mock_follow_ups(self, round_id: int) -> list["FollowUp"]:
        from trainer.mock import follow_ups

        return follow_ups(self.store, round_id)

    def rate_follow_up(self, round_id: int, follow_up: "FollowUp", rating: int) -> None:
        from trainer.mock import rate_follow_up

        rate_follow_up(self.store, round_id, follow_up, rating)

    def mock_summaries(self) -> list["SessionSummary"]:
        from trainer.mock import session_summaries

        return session_summaries(self.store)

    # ---------------------------------------------------------------- misc

    def editor_command(self, path: Path) -> list[str]:
        """$VISUAL or $EDITOR (split like a shell would), else a sensible default."""
        import shlex

        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        return [*shlex.split(editor), str(path)]
