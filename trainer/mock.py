"""Timed mock interviews: a round of challenges, a clock, a scorecard, follow-up questions.

A round lives in the progress database (tables ``mock_sessions``,
``mock_items`` and ``mock_ratings``, migration 3 of :mod:`trainer.store`), so
closing the terminal loses nothing: the deadline is stored, and whichever
mltrainer command runs first after it finalises the round.

Life of a round:

* :func:`start_session` picks the challenges (:func:`choose_challenges`), writes
  fresh stubs into ``<workspace>/mock/<round>/`` (practice solutions in the
  workspace are never touched) and stores the deadline.
* :func:`check` grades one file now, "grade without submitting"; it is not
  recorded as a grade and does not end the round.
* :func:`submit` hands the round in: every file is copied to
  ``<round folder>/submitted/``, the copies are graded by the real engine, the
  grades are recorded (mode ``mock``, so they count towards mastery) and the
  :class:`Scorecard` is computed and stored. After the deadline the submission
  is marked late, with the overrun.
* :func:`finalise_expired_session` does the same for a round whose deadline
  passed with no submit: the files are taken as handed in at the deadline, and
  any file modified after the deadline is flagged (its modification time says
  by how much), since its content at the deadline is gone.
* :func:`abandon` ends a round without grading it.

The score formula is :data:`SCORE_FORMULA` (also in docs/mock.md). Follow-up
questions are rated by the user from 1 to 4 after the card
(:func:`rate_follow_up`); the ratings are stored and shown beside the score,
never mixed into it.

Every "now" is the store's clock (``Store.open(clock=...)``), so tests move
time instead of sleeping. Importing this module is cheap (standard library and
the store): the catalog, the progress rules and the engine are imported only
when a round needs them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import shutil
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from trainer.errors import InputError, TrainerError
from trainer.store import Store, from_iso, to_iso

if TYPE_CHECKING:
    from trainer.catalog import Catalog, Challenge
    from trainer.report import GradeReport

GradeFunction = Callable[..., "GradeReport"]
Echo = Callable[[str], None]

#: The level of the stubs written for a round: signatures and docstrings only.
DEFAULT_LEVEL = "interview"
MAX_COUNT = 10
MAX_MINUTES = 8 * 60

#: A file modified less than this after the deadline is on time (file-system
#: timestamps are coarse on some systems, and the clocks of the editor's and
#: mltrainer's processes may disagree by a little).
GRACE_S = 1.0

#: A round being graded by a process that has not finished after this long is
#: taken over by the next command (that process is presumed dead).
STALE_CLAIM = timedelta(hours=3)

#: What each follow-up self-rating means.
RATINGS = {
    1: "could not answer",
    2: "partly: the idea, with gaps",
    3: "mostly: right, with some prompting",
    4: "fully, with confidence",
}

# The score formula's weights (see SCORE_FORMULA).
TESTS_WEIGHT = 0.8
SPEED_WEIGHT = 0.2

SCORE_FORMULA = """\
Per challenge:  points = 100 * f * (0.8 + 0.2 * s)
  f = required tests passed / required tests (0 if the file was rejected by
      the static checks or is missing; bonus tests do not count)
  s = min(1, 1 / r), r = speed vs the reference (the slowest budgeted timing);
      with no timing measured, s = 1 if every performance test passed, else 0
Round:  score = mean of the points * late factor
  late factor = max(0, 1 - overrun / time allowed), 1 when handed in on time"""

#: Without --seed, the pick favours what you are weak in: a challenge's weight
#: is STATUS_WEIGHT[status] * (2 - mastery of its weakest topic), mastery 0..1.
STATUS_WEIGHT = {"new": 3.0, "started": 3.0, "attempted": 3.0, "passed": 1.5, "mastered": 1.0}

# Session states. "open" rounds (active or grading) are unique (an index in the store).
ACTIVE, GRADING, DONE, ABANDONED = "active", "grading", "done", "abandoned"


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class MockError(TrainerError):
    """Something about mock rounds the user can fix (the message says how)."""


class MockInProgress(MockError):
    """A round is running, and what was asked is not allowed during one."""


class NoMockSession(MockError):
    def __init__(self, message: str = "no mock round is running (start one with `mltrainer mock`)") -> None:
        super().__init__(message)


class MockBusy(MockError):
    """Another mltrainer process is grading the round right now."""


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MockItem:
    """One challenge of a round, with its file and (once handed in) its result."""

    id: int
    position: int
    challenge_id: str
    path: Path
    stub_sha256: str
    checks: int = 0
    snapshot_path: Path | None = None
    last_edit_at: datetime | None = None
    edited_late_s: float | None = None
    outcome: str | None = None  # passed | failed | rejected | error | missing
    grade_id: int | None = None
    points: float | None = None
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MockSession:
    id: int
    started_at: datetime
    deadline: datetime
    minutes: int
    seed: int
    seeded: bool  # the user gave --seed (the pick ignored their history)
    options: dict
    folder: Path
    state: str  # active | grading | done | abandoned
    items: tuple[MockItem, ...]
    claimed_by: int | None = None
    claimed_at: datetime | None = None
    ended_by: str | None = None  # submit | deadline | abandon
    ended_at: datetime | None = None
    handed_in_at: datetime | None = None
    overrun_s: float | None = None
    score: float | None = None

    @property
    def is_open(self) -> bool:
        return self.state in (ACTIVE, GRADING)

    @property
    def allotted(self) -> timedelta:
        return self.deadline - self.started_at

    def remaining(self, now: datetime) -> timedelta:
        """Time left before the deadline (negative once it has passed)."""
        return self.deadline - now

    def expired(self, now: datetime) -> bool:
        return now >= self.deadline

    def item(self, challenge_id: str) -> MockItem:
        for item in self.items:
            if item.challenge_id == challenge_id:
                return item
        ids = ", ".join(i.challenge_id for i in self.items)
        raise InputError(f"{challenge_id!r} is not in mock round {self.id} (it has: {ids})")


@dataclass
class ItemCard:
    """The scorecard line of one challenge."""

    challenge_id: str
    title: str
    outcome: str  # passed | failed | rejected | error | missing
    categories: dict[str, list[int]]  # category -> [passed, total], required tests
    bonus: list[int]  # [passed, total]
    tests_passed: int
    tests_total: int
    speed_ratio: float | None
    test_fraction: float  # f of the formula
    speed_credit: float  # s of the formula
    points: float
    time_used_s: float | None  # last edit minus the start; None when untouched
    untouched: bool
    edited_late_s: float | None  # > 0: the file was modified this long after the deadline
    checks: int  # "grade now" runs before the hand-in
    message: str = ""
    grade_id: int | None = None
    follow_ups: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ItemCard":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Scorecard:
    session_id: int
    started_at: datetime
    deadline: datetime
    handed_in_at: datetime
    ended_by: str  # submit | deadline
    allotted_s: float
    overrun_s: float
    raw_score: float
    late_factor: float
    score: float
    items: list[ItemCard]
    formula: str = SCORE_FORMULA

    @property
    def late(self) -> bool:
        return self.overrun_s > 0

    @property
    def used_s(self) -> float:
        return (self.handed_in_at - self.started_at).total_seconds()

    @property
    def all_passed(self) -> bool:
        return bool(self.items) and all(i.outcome == "passed" for i in self.items)

    def to_dict(self) -> dict:
        return {
            "session_id": self.session_id,
            "started_at": self.started_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "handed_in_at": self.handed_in_at.isoformat(),
            "ended_by": self.ended_by,
            "allotted_s": self.allotted_s,
            "used_s": self.used_s,
            "late": self.late,
            "overrun_s": self.overrun_s,
            "raw_score": self.raw_score,
            "late_factor": self.late_factor,
            "score": self.score,
            "formula": self.formula,
            "items": [i.to_dict() for i in self.items],
        }


@dataclass(frozen=True)
class FollowUp:
    challenge_id: str
    index: int  # 0-based, in the challenge's follow_ups
    question: str
    rating: int | None = None


@dataclass(frozen=True)
class SessionSummary:
    """One past (or running) round, as `mltrainer progress --mock` lists it."""

    id: int
    started_at: datetime
    minutes: int
    state: str
    ended_by: str | None
    challenges: tuple[str, ...]
    passed: int
    score: float | None
    overrun_s: float | None
    ratings: int
    mean_rating: float | None
    seed: int | None  # only when the user chose it (reproducible)

    @property
    def late(self) -> bool:
        return bool(self.overrun_s)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["challenges"] = list(self.challenges)
        data["late"] = self.late
        return data


# --------------------------------------------------------------------------
# Reading rounds
# --------------------------------------------------------------------------


def _opt_time(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def _item(row: sqlite3.Row) -> MockItem:
    return MockItem(
        id=row["id"],
        position=row["position"],
        challenge_id=row["challenge_id"],
        path=Path(row["path"]),
        stub_sha256=row["stub_sha256"],
        checks=row["checks"],
        snapshot_path=None if row["snapshot_path"] is None else Path(row["snapshot_path"]),
        last_edit_at=_opt_time(row["last_edit_at"]),
        edited_late_s=row["edited_late_s"],
        outcome=row["outcome"],
        grade_id=row["grade_id"],
        points=row["points"],
        detail=json.loads(row["detail_json"]) if row["detail_json"] else {},
    )


def _session(store: Store, row: sqlite3.Row) -> MockSession:
    items = store.execute(
        "SELECT * FROM mock_items WHERE session_id = ? ORDER BY position", (row["id"],)
    ).fetchall()
    return MockSession(
        id=row["id"],
        started_at=from_iso(row["started_at"]),
        deadline=from_iso(row["deadline"]),
        minutes=row["minutes"],
        seed=row["seed"],
        seeded=bool(row["seeded"]),
        options=json.loads(row["options_json"] or "{}"),
        folder=Path(row["folder"]),
        state=row["state"],
        items=tuple(_item(r) for r in items),
        claimed_by=row["claimed_by"],
        claimed_at=_opt_time(row["claimed_at"]),
        ended_by=row["ended_by"],
        ended_at=_opt_time(row["ended_at"]),
        handed_in_at=_opt_time(row["handed_in_at"]),
        overrun_s=row["overrun_s"],
        score=row["score"],
    )


def current_session(store: Store) -> MockSession | None:
    """The open round (active, or being graded), if any."""
    row = store.execute("SELECT * FROM mock_sessions WHERE open IS NOT NULL").fetchone()
    return None if row is None else _session(store, row)


def get_session(store: Store, session_id: int) -> MockSession:
    row = store.execute("SELECT * FROM mock_sessions WHERE id = ?", (int(session_id),)).fetchone()
    if row is None:
        raise InputError(f"there is no mock round {session_id} (`mltrainer progress --mock` lists them)")
    return _session(store, row)


def latest_session(store: Store, *, finished: bool = False) -> MockSession | None:
    """The most recent round; with ``finished``, the most recent one handed in."""
    query = "SELECT * FROM mock_sessions"
    if finished:
        query += f" WHERE state = '{DONE}'"
    row = store.execute(query + " ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else _session(store, row)


# --------------------------------------------------------------------------
# Choosing the challenges
# --------------------------------------------------------------------------


def selection_weights(challenges: Sequence["Challenge"], history: Any) -> dict[str, float]:
    """How strongly an unseeded pick favours each challenge (see STATUS_WEIGHT).

    New and failing challenges weigh more than passed and mastered ones, and a
    challenge whose weakest topic has low mastery weighs up to twice as much.
    """
    from trainer.progress import challenge_progress, topic_mastery

    progress = [challenge_progress(c, history) for c in challenges]
    mastery = {t.topic: t.score for t in topic_mastery(progress)}
    weights = {}
    for p in progress:
        weakest = min((mastery.get(t, 0.0) for t in p.topics), default=0.0)
        weights[p.challenge_id] = STATUS_WEIGHT.get(p.status, 1.0) * (2.0 - weakest)
    return weights


def choose_challenges(
    challenges: Iterable["Challenge"],
    *,
    count: int,
    seed: int,
    topic: str | None = None,
    difficulty: str | None = None,
    weights: dict[str, float] | None = None,
) -> list["Challenge"]:
    """Pick ``count`` distinct challenges, reproducibly for a given ``seed``.

    Weighted sampling without replacement (Efraimidis and Spirakis: each
    challenge draws u ~ U(0, 1) and gets the key u ** (1 / weight); the largest
    keys win). The pool is sorted by id first, so the pick depends only on the
    seed, the filters, the weights and the set of challenges, never on the
    catalog's order. ``weights=None`` weighs them all equally. The round is
    returned easiest first.
    """
    from trainer.catalog import DIFFICULTIES

    challenges = list(challenges)
    pool = sorted(challenges, key=lambda c: c.id)
    if not 1 <= count <= MAX_COUNT:
        raise InputError(f"a mock round has 1 to {MAX_COUNT} challenges, not {count}")
    if difficulty is not None:
        if difficulty not in DIFFICULTIES:
            raise InputError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}")
        pool = [c for c in pool if c.difficulty == difficulty]
    if topic is not None:
        known = sorted({t for c in challenges for t in c.topics})
        wanted = topic.strip().lower()
        if wanted not in known:
            import difflib

            close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else f" (topics: {', '.join(known)})"
            raise InputError(f"no challenge has the topic {topic!r}{hint}")
        pool = [c for c in pool if wanted in c.topics]
    if len(pool) < count:
        filters = [f"difficulty {difficulty}" if difficulty else "", f"topic {topic!r}" if topic else ""]
        what = " and ".join(f for f in filters if f) or "the catalog"
        if not pool:
            raise InputError(f"no challenge matches {what}")
        plural = "s" if len(pool) != 1 else ""
        raise InputError(f"only {len(pool)} challenge{plural} match {what}; "
                         f"ask for --count {len(pool)} or fewer")
    rng = random.Random(seed)
    keyed = []
    for c in pool:
        w = 1.0 if weights is None else max(float(weights.get(c.id, 1.0)), 1e-6)
        # 1 - random() is in (0, 1]: a zero would tie every key at 0.
        keyed.append(((1.0 - rng.random()) ** (1.0 / w), c))
    chosen = [c for _, c in sorted(keyed, key=lambda kc: kc[0], reverse=True)[:count]]
    order = {d: i for i, d in enumerate(DIFFICULTIES)}
    return sorted(chosen, key=lambda c: order.get(c.difficulty, len(order)))


# --------------------------------------------------------------------------
# Starting, checking, abandoning
# --------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_duration(seconds: float) -> str:
    """'1h 05m', '12m 30s', '45s' (rounded down to whole seconds; negative as positive)."""
    s = int(abs(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h {m:02d}m"
    if m:
        return f"{m}m {s:02d}s"
    return f"{s}s"


def file_state(item: MockItem) -> str:
    """'missing', 'untouched' (still the stub) or 'edited'."""
    try:
        data = item.path.read_bytes()
    except FileNotFoundError:
        return "missing"
    return "untouched" if _sha256(data) == item.stub_sha256 else "edited"


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
            cursor = db.execute(
                "INSERT INTO mock_sessions (started_at, deadline, minutes, seed, seeded, options_json,"
                " folder, state, open) VALUES (?, ?, ?, ?, ?, ?, '', ?, 1)",
                (to_iso(now), to_iso(deadline), total_minutes, seed, int(seeded),
                 json.dumps(options, sort_keys=True), ACTIVE),
            )
            session_id = int(cursor.lastrowid)
            folder = _round_folder(workspace_dir, session_id)
            folder.mkdir(parents=True)
            for position, (challenge, text) in enumerate(stubs):
                path = folder / f"{challenge.id}.py"
                path.write_text(text, encoding="utf-8")
                db.execute(
                    "INSERT INTO mock_items (session_id, position, challenge_id, path, stub_sha256)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (session_id, position, challenge.id, str(path), _sha256(text.encode("utf-8"))),
                )
            db.execute("UPDATE mock_sessions SET folder = ? WHERE id = ?", (str(folder), session_id))
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
    left = session.remaining(now).total_seconds()
    when = f"{format_duration(left)} left" if left > 0 else "its time is up"
    return (f"mock round {session.id} is running ({when}): hand it in with `mltrainer mock submit` "
            "or end it with `mltrainer mock abandon`")


def refuse_hints_during_mock(store: Store) -> None:
    """Hints are unavailable while a round is open: raise MockInProgress saying so."""
    session = current_session(store)
    if session is None:
        return
    now = store.clock()
    left = session.remaining(now).total_seconds()
    when = f"{format_duration(left)} left" if left > 0 else "its time is up"
    raise MockInProgress(
        f"hints are unavailable during a mock round (round {session.id}, {when}). "
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
    with store.transaction() as db:
        changed = db.execute(
            "UPDATE mock_sessions SET state = ?, open = NULL, ended_by = 'abandon', ended_at = ?"
            " WHERE id = ? AND state = ?",
            (ABANDONED, to_iso(store.clock()), session.id, ACTIVE),
        ).rowcount
    if not changed:
        raise MockBusy(f"mock round {session.id} was handed in by another mltrainer process meanwhile")
    return get_session(store, session.id)


def _engine_grade(challenge: "Challenge", path: Path, **kwargs: Any) -> "GradeReport":
    from trainer.engine import grade

    return grade(challenge, path, **kwargs)


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
    report = (grade_function or _engine_grade)(challenge, item.path, on_event=on_event)
    with store.transaction() as db:
        db.execute("UPDATE mock_items SET checks = checks + 1 WHERE id = ?", (item.id,))
    return report


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
    with store.transaction() as db:
        changed = db.execute(
            "UPDATE mock_sessions SET state = ?, claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND state = ? AND claimed_by IS ?",
            (GRADING, os.getpid(), to_iso(now), session.id, session.state, session.claimed_by),
        ).rowcount
    return bool(changed)


def _release(store: Store, session_id: int) -> None:
    with store.transaction() as db:
        db.execute(
            "UPDATE mock_sessions SET state = ?, claimed_by = NULL, claimed_at = NULL"
            " WHERE id = ? AND state = ?",
            (ACTIVE, session_id, GRADING),
        )


def item_points(report: "GradeReport") -> tuple[float, float, float]:
    """(f, s, points) of one graded challenge, by SCORE_FORMULA."""
    required = report.required_tests
    if report.status == "rejected" or not required:
        f = 0.0
    else:
        f = sum(t.passed for t in required) / len(required)
    ratio = report.speed_ratio
    if ratio is not None and ratio > 0:
        s = min(1.0, 1.0 / ratio)
    else:
        performance = [t for t in required if t.category == "performance"]
        s = 1.0 if all(t.passed for t in performance) else 0.0
    return f, s, 100.0 * f * (TESTS_WEIGHT + SPEED_WEIGHT * s)


def late_factor(overrun_s: float, allotted_s: float) -> float:
    if overrun_s <= 0:
        return 1.0
    if allotted_s <= 0:
        return 0.0
    return max(0.0, 1.0 - overrun_s / allotted_s)


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
            late if late > GRACE_S else None, _sha256(data) == item.stub_sha256,
        ))
    return handed


def _item_card(session: MockSession, h: _Handed, report: "GradeReport | None", message: str,
               grade_id: int | None) -> ItemCard:
    from trainer.report import CATEGORIES

    title = h.challenge.title if h.challenge is not None else h.item.challenge_id
    follow_ups = list(h.challenge.follow_ups) if h.challenge is not None else []
    time_used = None
    if h.last_edit is not None and not h.untouched:
        time_used = max(0.0, (h.last_edit - session.started_at).total_seconds())
    if report is None:
        return ItemCard(
            challenge_id=h.item.challenge_id, title=title,
            outcome="missing" if h.snapshot is None else "error",
            categories={}, bonus=[0, 0], tests_passed=0, tests_total=0, speed_ratio=None,
            test_fraction=0.0, speed_credit=0.0, points=0.0, time_used_s=time_used,
            untouched=h.untouched, edited_late_s=h.edited_late_s, checks=h.item.checks,
            message=message, grade_id=None, follow_ups=follow_ups,
        )
    categories: dict[str, list[int]] = {c: [0, 0] for c in CATEGORIES}
    for t in report.required_tests:
        tally = categories.setdefault(t.category, [0, 0])
        tally[0] += int(t.passed)
        tally[1] += 1
    categories = {c: tally for c, tally in categories.items() if tally[1]}
    counts = report.counts()
    f, s, points = item_points(report)
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
        test_fraction=f, speed_credit=s, points=points, time_used_s=time_used,
        untouched=h.untouched, edited_late_s=h.edited_late_s, checks=h.item.checks,
        message=message, grade_id=grade_id, follow_ups=follow_ups,
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
        return _hand_in(store, catalog, session, at_deadline, grade_function or _engine_grade,
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
    raw = sum(c.points for _, c in cards) / len(cards) if cards else 0.0
    factor = late_factor(overrun, allotted)
    score = round(raw * factor, 1)
    with store.transaction() as db:
        for h, card in cards:
            db.execute(
                "UPDATE mock_items SET snapshot_path = ?, last_edit_at = ?, edited_late_s = ?,"
                " outcome = ?, grade_id = ?, points = ?, detail_json = ? WHERE id = ?",
                (None if h.snapshot is None else str(h.snapshot),
                 None if h.last_edit is None else to_iso(h.last_edit), h.edited_late_s,
                 card.outcome, card.grade_id, card.points, json.dumps(card.to_dict(), sort_keys=True),
                 h.item.id),
            )
        db.execute(
            "UPDATE mock_sessions SET state = ?, open = NULL, ended_by = ?, ended_at = ?,"
            " handed_in_at = ?, overrun_s = ?, score = ?, claimed_by = NULL WHERE id = ?",
            (DONE, "deadline" if at_deadline else "submit", to_iso(store.clock()), to_iso(handed_in),
             overrun, score, session.id),
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
    deadline = session.deadline.astimezone().strftime("%H:%M")
    echo(f"Mock round {session.id} ran out of time at {deadline} with no submit: grading it as "
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


def card_summary_lines(card: Scorecard) -> list[str]:
    """A few plain lines: the score, each challenge, the late flags."""
    lines = [f"Mock round {card.session_id}: score {card.score:.1f} / 100"
             + (f" (late by {format_duration(card.overrun_s)})" if card.late else "")]
    for item in card.items:
        line = f"  {item.challenge_id}: {item.outcome}, {item.tests_passed}/{item.tests_total} tests, " \
               f"{item.points:.1f} points"
        if item.edited_late_s:
            line += f"; modified {format_duration(item.edited_late_s)} after the deadline"
        lines.append(line)
    return lines


# --------------------------------------------------------------------------
# Scorecards, follow-ups, history
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
    raw = sum(i.points for i in items) / len(items) if items else 0.0
    return Scorecard(
        session_id=session.id,
        started_at=session.started_at,
        deadline=session.deadline,
        handed_in_at=session.handed_in_at or session.deadline,
        ended_by=session.ended_by or "submit",
        allotted_s=allotted,
        overrun_s=overrun,
        raw_score=raw,
        late_factor=late_factor(overrun, allotted),
        score=session.score if session.score is not None else 0.0,
        items=items,
    )


def follow_ups(store: Store, session_id: int) -> list[FollowUp]:
    """The follow-up questions of a handed-in round, in order, with their ratings so far."""
    card = scorecard(store, session_id)
    rated = {
        (r["challenge_id"], r["question_index"]): r["rating"]
        for r in store.execute(
            "SELECT challenge_id, question_index, rating FROM mock_ratings WHERE session_id = ?",
            (session_id,),
        ).fetchall()
    }
    return [
        FollowUp(item.challenge_id, i, question, rated.get((item.challenge_id, i)))
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
    with store.transaction() as db:
        db.execute(
            "INSERT INTO mock_ratings (session_id, challenge_id, question_index, question, rating,"
            " rated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (session_id, challenge_id, question_index)"
            " DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at",
            (session_id, follow_up.challenge_id, follow_up.index, follow_up.question, int(rating),
             to_iso(store.clock())),
        )


def session_summaries(store: Store) -> list[SessionSummary]:
    """Every round, newest first: what `mltrainer progress --mock` lists."""
    rows = store.execute("SELECT * FROM mock_sessions ORDER BY id DESC").fetchall()
    ratings = {
        r[0]: (r[1], r[2])
        for r in store.execute(
            "SELECT session_id, count(*), avg(rating) FROM mock_ratings GROUP BY session_id"
        ).fetchall()
    }
    summaries = []
    for row in rows:
        items = store.execute(
            "SELECT challenge_id, outcome FROM mock_items WHERE session_id = ? ORDER BY position",
            (row["id"],),
        ).fetchall()
        n_ratings, mean = ratings.get(row["id"], (0, None))
        summaries.append(SessionSummary(
            id=row["id"],
            started_at=from_iso(row["started_at"]),
            minutes=row["minutes"],
            state=row["state"],
            ended_by=row["ended_by"],
            challenges=tuple(i["challenge_id"] for i in items),
            passed=sum(1 for i in items if i["outcome"] == "passed"),
            score=row["score"],
            overrun_s=row["overrun_s"],
            ratings=n_ratings,
            mean_rating=mean,
            seed=row["seed"] if row["seeded"] else None,
        ))
    return summaries
