"""What a mock round is: its limits, states, errors and records.

Plain values (no SQL, no files): :mod:`trainer.mock.persistence` reads and
writes them, :mod:`trainer.mock.lifecycle` runs a round, and the CLI and the
TUI show them (:mod:`trainer.mock.format`).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from trainer.errors import InputError, TrainerError
from trainer.mock.scoring import SCORE_FORMULA

# --------------------------------------------------------------------------
# Limits and states
# --------------------------------------------------------------------------

#: The level of the stubs written for a round: signatures and docstrings only.
DEFAULT_LEVEL = "interview"
#: A round has 1 to MAX_COUNT challenges (``mltrainer mock --count``).
MAX_COUNT = 10
#: A round lasts 1 to MAX_MINUTES minutes (``mltrainer mock --minutes``).
MAX_MINUTES = 8 * 60

#: What each follow-up self-rating means.
RATINGS = {
    1: "could not answer",
    2: "partly: the idea, with gaps",
    3: "mostly: right, with some prompting",
    4: "fully, with confidence",
}

# Session states. "open" rounds (active or grading) are unique (an index in the database).
ACTIVE, GRADING, DONE, ABANDONED = "active", "grading", "done", "abandoned"


def sha256_hex(data: bytes) -> str:
    """The hash a round keeps of each stub (``MockItem.stub_sha256``): an untouched file still has it."""
    return hashlib.sha256(data).hexdigest()


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
    speed_credit: float  # s of the formula
    points: float
    time_used_s: float | None  # last edit minus the start; None when untouched
    untouched: bool
    edited_late_s: float | None  # > 0: the file was modified this long after the deadline
    checks: int  # "grade now" runs before the hand-in
    message: str = ""
    grade_id: int | None = None
    follow_ups: list[str] = field(default_factory=list)  # the questions
    # The key points of a good answer to each question, in the same order
    # (empty lists for questions given without them, and in rounds handed in
    # before key points existed).
    follow_up_key_points: list[list[str]] = field(default_factory=list)
    # earned and ceiling of the formula (None in rounds scored by an older formula).
    earned: float | None = None
    ceiling: float | None = None
    # The required tests that failed or raised, as [category, name], in the
    # report's order; and those that did not run (performance tests wait for
    # everything else to pass), likewise.
    failed_tests: list[list[str]] = field(default_factory=list)
    not_run_tests: list[list[str]] = field(default_factory=list)

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
    #: What a good answer covers: shown once the user has rated their answer.
    key_points: tuple[str, ...] = ()


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
