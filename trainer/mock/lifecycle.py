"""The life of a mock round: start, grade now, hand in, abandon, finalise, rate.

* :func:`start_session` picks the challenges (:mod:`trainer.mock.selection`),
  writes fresh stubs into ``<workspace>/mock/<round>/`` (practice solutions in
  the workspace are never touched) and stores the deadline.
* :func:`check` grades one file now, "grade without submitting"; it is not
  recorded as a grade and does not end the round.
* :func:`submit` hands the round in: every file is copied to
  ``<round folder>/submitted/``, the copies are graded, the grades are
  recorded (mode ``mock``, so they count towards mastery) and the
  :class:`~trainer.mock.models.Scorecard` is computed
  (:mod:`trainer.mock.scoring`) and stored. After the deadline the submission
  is marked late, with the overrun. One process grades a round at a time: it
  claims the round first, and a claim whose process died is taken over.
* :func:`finalise_expired_session` does the same for a round whose deadline
  passed with no submit: the files are taken as handed in at the deadline, and
  any file modified after the deadline is flagged (its modification time says
  by how much), since its content at the deadline is gone.
* :func:`abandon` ends a round without grading it.
* :func:`follow_ups` and :func:`rate_follow_up`: after the card, the user
  rates their answers to the follow-up questions, 1 to 4; each question
  carries the key points of a good answer, shown once it is rated.

Grading goes through ``grade_function`` (the engine's ``grade`` by default):
the application layer passes its own, counted and cancellable, and tests
pass a fake. Every "now" is the store's clock.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from trainer.workspace import writing
from trainer.errors import GradingCancelled, InputError, TrainerError
from trainer.mock import persistence
from trainer.mock.format import card_summary_lines, clock_time, time_left
from trainer.mock.models import (
    ACTIVE,
    ABANDONED,
    DEFAULT_LEVEL,
    DONE,
    GRADING,
    MAX_MINUTES,
    RATINGS,
    FollowUp,
    ItemCard,
    MockBusy,
    MockError,
    MockInProgress,
    MockItem,
    MockSession,
    NoMockSession,
    Scorecard,
    sha256_hex,
)
from trainer.mock.persistence import current_session, get_session
from trainer.mock.scoring import item_points, round_score
from trainer.mock.selection import choose_challenges, selection_weights
from trainer.store import Store

if TYPE_CHECKING:
    from trainer.catalog import Catalog, Challenge
    from trainer.report import GradeReport

GradeFunction = Callable[..., "GradeReport"]
Echo = Callable[[str], None]

#: A file modified less than this after the deadline is on time (file-system
#: timestamps are coarse on some systems, and the clocks of the editor's and
#: mltrainer's processes may disagree by a little).
GRACE_S = 1.0

#: A round being graded by a process that has not finished after this long is
#: taken over by the next command (that process is presumed dead).
STALE_CLAIM = timedelta(hours=3)


# --------------------------------------------------------------------------
# Starting, checking, abandoning
# --------------------------------------------------------------------------


def _round_folder(workspace: Path, session_id: int) -> Path:
    base = workspace / "mock"
    folder = base / str(session_id)
    n = 1
    # A folder of that name may survive from an older database: never reuse it.
    while folder.exists():
        n += 1
        folder = base / f"{session_id}-{n}"
    return folder


def start_session(
    store: Store,
    catalog: "Catalog",
    *,
    count: int = 1,
    minutes: int | None = None,
    topic: str | None = None,
    difficulty: str | None = None,
    seed: int | None = None,
    level: str = DEFAULT_LEVEL,
    workspace: str | os.PathLike | None = None,
) -> MockSession:
    """Pick the challenges, write their stubs to a fresh round folder, start the clock.

    Raises MockInProgress while another round is open. With ``seed`` the pick
    ignores your history (every challenge equally likely), so everyone who
    uses the same seed and filters gets the same round; without it a random
    seed is drawn and the pick favours weak and unseen topics.
    """
    from trainer import paths

    existing = current_session(store)
    if existing is not None:
        raise MockInProgress(_open_round_message(existing, store.clock()))
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        raise InputError(f"--minutes must be between 1 and {MAX_MINUTES}, not {minutes}")
    challenges = list(catalog.challenges)
    seeded = seed is not None
    if seeded:
        weights = None
    else:
        seed = secrets.randbelow(2**31)
        weights = selection_weights(challenges, store.history())
    picks = choose_challenges(challenges, count=count, seed=seed, topic=topic,
                              difficulty=difficulty, weights=weights)
    stubs = [(c, c.render_stub(level)) for c in picks]  # a template error stops us before anything is written
    total_minutes = minutes if minutes is not None else sum(c.minutes for c in picks)
    now = store.clock()
    deadline = now + timedelta(minutes=total_minutes)
    workspace_dir = paths.workspace_dir(workspace)
    options = {"count": count, "topic": topic, "difficulty": difficulty, "level": level,
               "minutes": minutes}
    folder: Path | None = None
    try:
        with store.transaction() as db:
            session_id = persistence.insert_session(
                db, started_at=now, deadline=deadline, minutes=total_minutes, seed=seed, seeded=seeded,
                options=options)
            folder = _round_folder(workspace_dir, session_id)
            # An unusable workspace is one line for the CLI and a notice in the app.
            with writing(workspace_dir):
                folder.mkdir(parents=True)
                for position, (challenge, text) in enumerate(stubs):
                    path = folder / f"{challenge.id}.py"
                    path.write_text(text, encoding="utf-8")
                    persistence.insert_item(db, session_id, position, challenge.id, path,
                                            sha256_hex(text.encode("utf-8")))
            persistence.set_folder(db, session_id, folder)
    except sqlite3.IntegrityError:
        # Another process started a round between our check and our insert.
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise MockInProgress(_open_round_message(current_session(store), store.clock())) from None
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    # No rows in `starts`: those drive the practice schedule ("started, never
    # graded: finish it"), which is about the practice files, not the round's.
    return get_session(store, session_id)


def _open_round_message(session: MockSession | None, now: datetime) -> str:
    if session is None:
        return "another mock round was started at the same moment; see `mltrainer mock status`"
    if session.state == GRADING:
        return f"mock round {session.id} is being graded; see `mltrainer mock status`"
    return (f"mock round {session.id} is running ({time_left(session, now)}): hand it in with `mltrainer mock submit` "
            "or end it with `mltrainer mock abandon`")


def refuse_hints_during_mock(store: Store) -> None:
    """Hints are unavailable while a round is open: raise MockInProgress saying so."""
    session = current_session(store)
    if session is None:
        return
    raise MockInProgress(
        f"hints are unavailable during a mock round (round {session.id}, {time_left(session, store.clock())}). "
        "Hand it in with `mltrainer mock submit`, or end it with `mltrainer mock abandon`."
    )


def refuse_reference_during_mock(store: Store) -> None:
    """The reference solutions are off while a round is open: raise MockInProgress saying so."""
    session = current_session(store)
    if session is None:
        return
    raise MockInProgress(
        f"the reference solutions are unavailable during a mock round (round {session.id}). "
        "Hand it in with `mltrainer mock submit`, or end it with `mltrainer mock abandon`."
    )


def abandon(store: Store) -> MockSession:
    """End the open round without grading it. The files stay where they are."""
    session = current_session(store)
    if session is None:
        raise NoMockSession()
    if session.state == GRADING:
        raise MockBusy(f"mock round {session.id} is being graded; it can no longer be abandoned")
    if not persistence.mark_abandoned(store, session.id):
        raise MockBusy(f"mock round {session.id} was handed in by another mltrainer process meanwhile")
    return get_session(store, session.id)


def check(
    store: Store,
    catalog: "Catalog",
    challenge_id: str | None = None,
    *,
    grade_function: GradeFunction | None = None,
    on_event: Callable[[dict], None] | None = None,
) -> "GradeReport":
    """Grade one file of the running round now, without handing anything in.

    The result is not recorded as a grade (only the submission is); the
    number of such checks appears on the scorecard. ``challenge_id`` may be
    omitted when the round has a single challenge.
    """
    from trainer.errors import SolutionNotFound

    session = current_session(store)
    if session is None or session.state != ACTIVE:
        raise NoMockSession() if session is None else MockBusy(_open_round_message(session, store.clock()))
    if session.expired(store.clock()):
        raise MockError(f"the time of mock round {session.id} is up: hand it in with `mltrainer mock submit`")
    if challenge_id is None:
        if len(session.items) != 1:
            ids = ", ".join(i.challenge_id for i in session.items)
            raise InputError(f"which challenge? mock round {session.id} has {ids}")
        item = session.items[0]
    else:
        item = session.item(challenge_id)
    challenge = catalog.get(item.challenge_id)
    if not item.path.is_file():
        raise SolutionNotFound(item.path)
    if grade_function is None:
        from trainer.engine import grade as grade_function
    report = grade_function(challenge, item.path, on_event=on_event)
    persistence.count_check(store, item.id)
    return report


# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Handing in
# --------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim_is_live(session: MockSession, now: datetime) -> bool:
    if session.state != GRADING:
        return False
    if session.claimed_by is None or session.claimed_at is None:
        return False
    return _pid_alive(session.claimed_by) and now - session.claimed_at < STALE_CLAIM


def _claim(store: Store, session: MockSession) -> bool:
    """Mark the round as being graded by this process; False if someone else has it."""
    now = store.clock()
    if session.state == GRADING and _claim_is_live(session, now):
        return False
    return persistence.claim(store, session, os.getpid(), now)


def _release(store: Store, session_id: int) -> None:
    persistence.release(store, session_id)


@dataclass
class _Handed:
    """One file as handed in: its copy and what its timestamps say."""

    item: MockItem
    challenge: "Challenge | None"
    snapshot: Path | None
    last_edit: datetime | None
    edited_late_s: float | None
    untouched: bool


def _snapshot(session: MockSession, catalog: "Catalog") -> list[_Handed]:
    """Copy every file of the round to ``<folder>/submitted/`` and read its mtime."""
    target = session.folder / "submitted"
    target.mkdir(parents=True, exist_ok=True)
    handed = []
    for item in session.items:
        try:
            challenge = catalog.get(item.challenge_id)
        except TrainerError:
            challenge = None
        try:
            stat = item.path.stat()
            data = item.path.read_bytes()
        except FileNotFoundError:
            handed.append(_Handed(item, challenge, None, None, None, False))
            continue
        snapshot = target / item.path.name
        snapshot.write_bytes(data)
        last_edit = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
        late = (last_edit - session.deadline).total_seconds()
        handed.append(_Handed(
            item, challenge, snapshot, last_edit,
            late if late > GRACE_S else None, sha256_hex(data) == item.stub_sha256,
        ))
    return handed


def _item_card(session: MockSession, h: _Handed, report: "GradeReport | None", message: str,
               grade_id: int | None) -> ItemCard:
    from trainer.report import CATEGORIES

    title = h.challenge.title if h.challenge is not None else h.item.challenge_id
    questions = list(h.challenge.follow_ups) if h.challenge is not None else []
    follow_ups = [q.question for q in questions]
    key_points = [list(q.key_points) for q in questions]
    time_used = None
    if h.last_edit is not None and not h.untouched:
        time_used = max(0.0, (h.last_edit - session.started_at).total_seconds())
    if report is None:
        return ItemCard(
            challenge_id=h.item.challenge_id, title=title,
            outcome="missing" if h.snapshot is None else "error",
            categories={}, bonus=[0, 0], tests_passed=0, tests_total=0, speed_ratio=None,
            speed_credit=0.0, points=0.0, time_used_s=time_used,
            untouched=h.untouched, edited_late_s=h.edited_late_s, checks=h.item.checks,
            message=message, grade_id=None, follow_ups=follow_ups, follow_up_key_points=key_points,
            earned=0.0, ceiling=0.0,
        )
    categories: dict[str, list[int]] = {c: [0, 0] for c in CATEGORIES}
    for t in report.required_tests:
        tally = categories.setdefault(t.category, [0, 0])
        tally[0] += int(t.passed)
        tally[1] += 1
    categories = {c: tally for c, tally in categories.items() if tally[1]}
    counts = report.counts()
    score = item_points(report)
    failed = [[t.category, t.name] for t in report.required_tests if t.outcome in ("failed", "error")]
    not_run = [[t.category, t.name] for t in report.required_tests if t.outcome == "skipped"]
    if not message:
        if report.static_issues:
            first = report.static_issues[0]
            message = f"rejected by the static checks: {first.location()}: {first.message}"
        elif report.error:
            message = report.error.splitlines()[0]
    return ItemCard(
        challenge_id=h.item.challenge_id, title=title, outcome=report.status,
        categories=categories, bonus=[counts["bonus_passed"], counts["bonus_total"]],
        tests_passed=counts["passed"], tests_total=counts["total"], speed_ratio=report.speed_ratio,
        speed_credit=score.speed_credit, points=score.points, time_used_s=time_used,
        untouched=h.untouched, edited_late_s=h.edited_late_s, checks=h.item.checks,
        message=message, grade_id=grade_id, follow_ups=follow_ups, follow_up_key_points=key_points,
        earned=score.earned, ceiling=score.ceiling, failed_tests=failed, not_run_tests=not_run,
    )


def submit(
    store: Store,
    catalog: "Catalog",
    *,
    at_deadline: bool = False,
    grade_function: GradeFunction | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    on_event: Callable[[dict], None] | None = None,
) -> Scorecard:
    """Hand the open round in: snapshot, grade, record, score.

    ``at_deadline``: the round is taken as handed in at its deadline (the
    clock ran out: the TUI at zero, or the next command afterwards); files
    modified after the deadline are flagged and the latest such edit is the
    overrun. Otherwise it is handed in now, and late by ``now - deadline`` if
    the deadline has passed. ``on_progress(challenge_id, i, n)`` is called
    before each file is graded. Raises NoMockSession, or MockBusy when another
    process is grading the round.
    """
    session = current_session(store)
    if session is None:
        raise NoMockSession()
    if not _claim(store, session):
        raise MockBusy(f"mock round {session.id} is being graded by another mltrainer process; "
                       "`mltrainer mock status` shows when it is done")
    try:
        if grade_function is None:
            from trainer.engine import grade as grade_function
        return _hand_in(store, catalog, session, at_deadline, grade_function,
                        on_progress, on_event)
    except OSError as error:  # e.g. the disk is full: say so, keep the round open
        _release(store, session.id)
        raise MockError(f"cannot hand in mock round {session.id}: {error}; "
                        "the round is still open, try again") from None
    except BaseException:
        _release(store, session.id)  # e.g. Ctrl-C: the round stays open, nothing is lost
        raise


def _hand_in(store, catalog, session, at_deadline, grade_function, on_progress, on_event) -> Scorecard:
    now = store.clock()
    handed = _snapshot(session, catalog)
    cards: list[tuple[_Handed, ItemCard]] = []
    graded: list[tuple[_Handed, "GradeReport | None", str]] = []
    for i, h in enumerate(handed):
        if on_progress is not None:
            on_progress(h.item.challenge_id, i, len(handed))
        report, message = None, ""
        if h.snapshot is None:
            message = f"{h.item.path} was missing when the round was handed in"
        elif h.challenge is None:
            message = f"the challenge {h.item.challenge_id!r} is no longer in the catalog; it was not graded"
        else:
            try:
                report = grade_function(h.challenge, h.snapshot, on_event=on_event)
            except GradingCancelled:   # e.g. the app is closing: the round stays open, nothing is lost
                raise
            except TrainerError as error:
                message = str(error)
            except Exception as error:  # a broken grader must not lose the round
                message = f"grading failed: {type(error).__name__}: {error}"
        graded.append((h, report, message))
    for h, report, message in graded:
        grade_id = None
        if report is not None:
            # report.source is the snapshot as graded, even if the snapshot was touched meanwhile.
            grade_id = store.record_grade(report, mode="mock", mock_session_id=session.id)
        cards.append((h, _item_card(session, h, report, message, grade_id)))

    allotted = session.allotted.total_seconds()
    if at_deadline:
        handed_in = min(now, session.deadline)
        overrun = max((h.edited_late_s or 0.0 for h in handed), default=0.0)
    else:
        handed_in = now
        overrun = (now - session.deadline).total_seconds()
    overrun = overrun if overrun > GRACE_S else 0.0
    _, _, score = round_score([c.points for _, c in cards], overrun, allotted)
    persistence.save_hand_in(
        store, session.id,
        [persistence.HandedInItem(h.item.id, h.snapshot, h.last_edit, h.edited_late_s, card) for h, card in cards],
        ended_by="deadline" if at_deadline else "submit", handed_in_at=handed_in, overrun_s=overrun, score=score,
    )
    return scorecard(store, session.id)


def finalise_expired_session(
    echo: Echo,
    *,
    store: Store | None = None,
    catalog: "Catalog | None" = None,
    grade_function: GradeFunction | None = None,
) -> Scorecard | None:
    """Finalise the open round if its deadline has passed; say what was done through ``echo``.

    Called by the CLI before every command but ``mock``. Cheap when no round
    needs it: without a database file nothing is opened, and otherwise it is
    one query. Returns the scorecard when it finalised a round.
    """
    if store is None:
        from trainer import paths

        if not paths.database_path().exists():
            return None
        with Store.open() as own:
            if own.recovery_message:
                echo(f"warning: {own.recovery_message}")
            return finalise_expired_session(echo, store=own, catalog=catalog, grade_function=grade_function)
    session = current_session(store)
    now = store.clock()
    if session is None or not session.expired(now):
        return None
    if session.state == GRADING and _claim_is_live(session, now):
        return None  # another process is on it
    echo(f"Mock round {session.id} ran out of time at {clock_time(session.deadline)} with no submit: grading it as "
         "handed in at the deadline…")
    if catalog is None:
        from trainer.catalog import load_catalog

        catalog = load_catalog()
    try:
        card = submit(store, catalog, at_deadline=True, grade_function=grade_function)
    except MockBusy:
        return None
    except MockError as error:
        # Not this command's fault: warn, let it run, and try again next time.
        echo(f"warning: {error}")
        return None
    for line in card_summary_lines(card):
        echo(line)
    echo("`mltrainer mock card` shows the full scorecard and asks the follow-up questions.")
    return card


# --------------------------------------------------------------------------
# Scorecards and follow-ups
# --------------------------------------------------------------------------


def scorecard(store: Store, session_id: int) -> Scorecard:
    """The stored scorecard of a handed-in round."""
    session = get_session(store, session_id)
    if session.state != DONE:
        raise MockError(f"mock round {session.id} has no scorecard: it was "
                        + ("abandoned" if session.state == ABANDONED else "not handed in yet"))
    allotted = session.allotted.total_seconds()
    overrun = session.overrun_s or 0.0
    items = [ItemCard.from_dict(i.detail) for i in session.items]
    raw, factor, _ = round_score([i.points for i in items], overrun, allotted)
    return Scorecard(
        session_id=session.id,
        started_at=session.started_at,
        deadline=session.deadline,
        handed_in_at=session.handed_in_at or session.deadline,
        ended_by=session.ended_by or "submit",
        allotted_s=allotted,
        overrun_s=overrun,
        raw_score=raw,
        late_factor=factor,
        score=session.score if session.score is not None else 0.0,
        items=items,
    )


def follow_ups(store: Store, session_id: int) -> list[FollowUp]:
    """The follow-up questions of a handed-in round, in order, with their ratings so far
    and the key points of a good answer (as the challenge gave them when the round was handed in)."""
    card = scorecard(store, session_id)
    rated = persistence.follow_up_ratings(store, session_id)
    return [
        FollowUp(item.challenge_id, i, question, rated.get((item.challenge_id, i)),
                 tuple(item.follow_up_key_points[i]) if i < len(item.follow_up_key_points) else ())
        for item in card.items
        for i, question in enumerate(item.follow_ups)
    ]


def rate_follow_up(store: Store, session_id: int, follow_up: FollowUp, rating: int) -> None:
    """Save (or change) the user's rating, 1 to 4, of their answer to a follow-up question."""
    if rating not in RATINGS:
        raise InputError(f"a rating is 1, 2, 3 or 4, not {rating!r}")
    known = {(f.challenge_id, f.index) for f in follow_ups(store, session_id)}
    if (follow_up.challenge_id, follow_up.index) not in known:
        raise InputError(f"mock round {session_id} has no follow-up {follow_up.index + 1} "
                         f"for {follow_up.challenge_id}")
    persistence.save_rating(store, session_id, follow_up, rating)
