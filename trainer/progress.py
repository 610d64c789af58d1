"""Where the user stands: status per challenge, mastery, streak and what to do next.

Pure functions over a :class:`trainer.store.records.History` and the catalog's
challenges; the current time is passed in (``now``), never read here, so the
spaced-repetition schedule is tested with a fixed clock.

The rules (also in docs/progress.md):

* **status** of a challenge: ``new`` (nothing recorded), ``started`` (a stub was
  written, never graded), ``attempted`` (graded, never passed), ``passed``,
  ``mastered`` (passed in a mock round, or passed again at least
  :data:`MASTERY_INTERVAL` after an earlier pass).
* **schedule** (spaced repetition): after a first pass a challenge is due again
  after ``REVIEW_INTERVALS[0]`` days; each pass on or after its due date is a
  successful review and moves to the next, longer interval. A failed grade
  resets the reviews and makes the challenge due :data:`RETRY_AFTER_FAIL` later.
  A challenge started but never graded is due at once.
* **next**: the due challenge that has waited longest; otherwise a new one, the
  easiest first, preferring topics the user is weakest in; otherwise the one
  due soonest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Iterable, Protocol, Sequence

from trainer.catalog import DIFFICULTIES
from trainer.store.records import GradeRecord, History

STATUSES = ("new", "started", "attempted", "passed", "mastered")

#: Days until the n-th review of a passed challenge (the last one repeats).
REVIEW_INTERVALS: tuple[int, ...] = (3, 7, 16, 35, 75, 150)

#: A failed challenge comes back this much later.
RETRY_AFTER_FAIL = timedelta(days=1)

#: A second pass this long after an earlier one makes a challenge mastered.
MASTERY_INTERVAL = timedelta(days=REVIEW_INTERVALS[0])

#: Contribution of each status to a topic's mastery (0..1).
STATUS_SCORE = {"new": 0.0, "started": 0.0, "attempted": 0.0, "passed": 0.5, "mastered": 1.0}

DIFFICULTY_ORDER = {d: i for i, d in enumerate(DIFFICULTIES)}

#: How many recent grades the overview keeps (dashboard list and sparkline).
RECENT = 20


class ChallengeLike(Protocol):
    id: str
    title: str
    difficulty: str
    topics: Sequence[str]


@dataclass
class ChallengeProgress:
    """One challenge as the progress views show it."""

    challenge_id: str
    title: str
    difficulty: str
    topics: list[str]
    status: str = "new"
    attempts: int = 0
    passes: int = 0
    best_speed_ratio: float | None = None
    last_practised: datetime | None = None
    last_passed: datetime | None = None
    last_outcome: str | None = None  # status of the latest grade
    hints_revealed: int = 0
    reference_revealed: bool = False
    reviews: int = 0  # passes that count in the schedule (the first pass is review 0)
    due: datetime | None = None
    last_grade: GradeRecord | None = None
    first_start: datetime | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("last_grade")
        data.pop("first_start")
        for key in ("last_practised", "last_passed", "due"):
            data[key] = None if data[key] is None else data[key].isoformat()
        return data


@dataclass(frozen=True)
class TopicMastery:
    topic: str
    score: float  # 0..1, mean of STATUS_SCORE over the topic's challenges
    challenges: int
    passed: int  # passed or mastered
    mastered: int


@dataclass(frozen=True)
class Recommendation:
    challenge_id: str
    kind: str  # review | retry | unfinished | new | early-review
    reason: str
    due: datetime | None = None

    def to_dict(self) -> dict:
        return {
            "challenge_id": self.challenge_id,
            "kind": self.kind,
            "reason": self.reason,
            "due": None if self.due is None else self.due.isoformat(),
        }


@dataclass
class Overview:
    now: datetime
    challenges: list[ChallengeProgress]
    topics: list[TopicMastery]
    streak_days: int
    practised_today: bool
    recent: list[GradeRecord] = field(default_factory=list)  # newest first
    recommendation: Recommendation | None = None

    @property
    def solved(self) -> int:
        return sum(1 for c in self.challenges if c.status in ("passed", "mastered"))

    @property
    def mastered(self) -> int:
        return sum(1 for c in self.challenges if c.status == "mastered")

    @property
    def recent_speed_ratios(self) -> list[float]:
        """Speed ratios of recent grades, oldest first (for a sparkline)."""
        return [g.speed_ratio for g in reversed(self.recent) if g.speed_ratio is not None]

    def get(self, challenge_id: str) -> ChallengeProgress | None:
        for c in self.challenges:
            if c.challenge_id == challenge_id:
                return c
        return None

    def to_dict(self) -> dict:
        return {
            "generated_at": self.now.isoformat(),
            "solved": self.solved,
            "mastered": self.mastered,
            "total": len(self.challenges),
            "streak_days": self.streak_days,
            "practised_today": self.practised_today,
            "topics": [asdict(t) for t in self.topics],
            "challenges": [c.to_dict() for c in self.challenges],
            "recent": [
                {
                    "challenge_id": g.challenge_id,
                    "graded_at": g.graded_at.isoformat(),
                    "status": g.status,
                    "mode": g.mode,
                    "tests_passed": g.n_passed,
                    "tests": g.n_tests,
                    "speed_ratio": g.speed_ratio,
                }
                for g in self.recent
            ],
            "next": None if self.recommendation is None else self.recommendation.to_dict(),
        }


# --------------------------------------------------------------------------
# Per challenge
# --------------------------------------------------------------------------


def review_interval(reviews: int) -> timedelta:
    """Time until the next review after ``reviews`` successful reviews (0 = first pass)."""
    return timedelta(days=REVIEW_INTERVALS[min(reviews, len(REVIEW_INTERVALS) - 1)])


def challenge_progress(challenge: ChallengeLike, history: History) -> ChallengeProgress:
    """Status, counts and schedule of one challenge from its history."""
    cid = challenge.id
    progress = ChallengeProgress(
        challenge_id=cid,
        title=challenge.title,
        difficulty=challenge.difficulty,
        topics=list(challenge.topics),
    )
    starts = [s for s in history.starts if s.challenge_id == cid]
    grades = sorted((g for g in history.grades if g.challenge_id == cid), key=lambda g: g.graded_at)
    hints = [h for h in history.hints if h.challenge_id == cid]
    progress.hints_revealed = len(hints)
    progress.reference_revealed = any(r.challenge_id == cid for r in history.reveals)
    if starts:
        progress.first_start = min(s.started_at for s in starts)

    moments = [s.started_at for s in starts] + [g.graded_at for g in grades]
    moments += [h.revealed_at for h in hints]
    progress.last_practised = max(moments) if moments else None

    progress.attempts = len(grades)
    passing = [g for g in grades if g.passed]
    progress.passes = len(passing)
    ratios = [g.speed_ratio for g in (passing or grades) if g.speed_ratio is not None]
    progress.best_speed_ratio = min(ratios) if ratios else None
    if passing:
        progress.last_passed = passing[-1].graded_at
    if grades:
        progress.last_grade = grades[-1]
        progress.last_outcome = grades[-1].status

    # Status.
    if not starts and not grades:
        progress.status = "new"
    elif not grades:
        progress.status = "started"
    elif not passing:
        progress.status = "attempted"
    elif any(g.mode == "mock" for g in passing) or (
        passing[-1].graded_at - passing[0].graded_at >= MASTERY_INTERVAL
    ):
        progress.status = "mastered"
    else:
        progress.status = "passed"

    # Schedule: walk the grades in order.
    reviews, due = -1, None  # -1: never passed since the last failure
    for g in grades:
        if g.passed:
            if reviews < 0:
                reviews = 0
            elif due is not None and g.graded_at >= due:
                reviews += 1
            else:
                continue  # passed again before it was due: the schedule stands
            due = g.graded_at + review_interval(reviews)
        else:
            reviews, due = -1, g.graded_at + RETRY_AFTER_FAIL
    if grades:
        progress.reviews = max(reviews, 0)
        progress.due = due
    elif starts:
        progress.due = max(s.started_at for s in starts)  # unfinished: due at once
    return progress


# --------------------------------------------------------------------------
# Overall
# --------------------------------------------------------------------------


def local_day(moment: datetime, tz: tzinfo | None = None) -> date:
    return moment.astimezone(tz).date()


def streak(moments: Iterable[datetime], now: datetime, tz: tzinfo | None = None) -> tuple[int, bool]:
    """(consecutive days with practice ending today or yesterday, practised today).

    A streak is not broken until a whole day passes without practice, so it
    still counts in the morning before the first attempt of the day.
    """
    days = {local_day(m, tz) for m in moments}
    today = local_day(now, tz)
    practised_today = today in days
    day = today if practised_today else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count, practised_today


def topic_mastery(progress: Iterable[ChallengeProgress]) -> list[TopicMastery]:
    by_topic: dict[str, list[ChallengeProgress]] = {}
    for p in progress:
        for topic in p.topics:
            by_topic.setdefault(topic, []).append(p)
    return [
        TopicMastery(
            topic=topic,
            score=sum(STATUS_SCORE[p.status] for p in items) / len(items),
            challenges=len(items),
            passed=sum(1 for p in items if p.status in ("passed", "mastered")),
            mastered=sum(1 for p in items if p.status == "mastered"),
        )
        for topic, items in sorted(by_topic.items())
    ]


def overview(
    challenges: Iterable[ChallengeLike],
    history: History,
    now: datetime,
    tz: tzinfo | None = None,
) -> Overview:
    """Everything the progress views show, computed at ``now``."""
    per_challenge = [challenge_progress(c, history) for c in challenges]
    topics = topic_mastery(per_challenge)
    count, today = streak([g.graded_at for g in history.grades], now, tz)
    recent = sorted(history.grades, key=lambda g: (g.graded_at, g.id), reverse=True)[:RECENT]
    result = Overview(
        now=now,
        challenges=per_challenge,
        topics=topics,
        streak_days=count,
        practised_today=today,
        recent=recent,
    )
    result.recommendation = recommend(per_challenge, topics, now)
    return result


# --------------------------------------------------------------------------
# What next
# --------------------------------------------------------------------------


def ago(moment: datetime, now: datetime) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '1 day ago', '9 days ago'."""
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"  # pragma: no cover - unreachable


def within(moment: datetime, now: datetime) -> str:
    """'in 3 hours', 'in 2 days'."""
    text = ago(now - (moment - now), now)
    return "now" if text == "just now" else "in " + text.removesuffix(" ago")


def recommend(
    progress: Sequence[ChallengeProgress],
    topics: Sequence[TopicMastery] | None = None,
    now: datetime | None = None,
) -> Recommendation | None:
    """The challenge to practise next, with the reason in words."""
    if not progress:
        return None
    if now is None:
        raise ValueError("recommend() needs the current time")
    due = [p for p in progress if p.due is not None and p.due <= now]
    if due:
        pick = min(due, key=lambda p: (p.due, p.challenge_id))
        return Recommendation(pick.challenge_id, *_due_reason(pick, now), due=pick.due)

    new = [p for p in progress if p.status == "new"]
    if new:
        scores = {t.topic: t.score for t in (topics or topic_mastery(progress))}

        def weakness(p: ChallengeProgress) -> float:
            return min((scores.get(t, 0.0) for t in p.topics), default=0.0)

        pick = min(
            new,
            key=lambda p: (DIFFICULTY_ORDER.get(p.difficulty, 3), weakness(p), p.challenge_id),
        )
        practised = {
            t for q in progress if q.status != "new" for t in q.topics
        }
        unseen = [t for t in pick.topics if t not in practised]
        if unseen:
            noun = "topic" if len(unseen) == 1 else "topics"
            why = f"{noun} {', '.join(unseen)} not practised yet"
        else:
            weakest = min(pick.topics, key=lambda t: scores.get(t, 0.0), default=None)
            why = f"weakest topic: {weakest}" if weakest else "next by difficulty"
        reason = f"{pick.challenge_id}: new, {pick.difficulty}; {why}"
        return Recommendation(pick.challenge_id, "new", reason)

    scheduled = [p for p in progress if p.due is not None]
    if not scheduled:
        return None
    pick = min(scheduled, key=lambda p: (p.due, p.challenge_id))
    reason = (
        f"{pick.challenge_id}: nothing is due and every challenge was tried; "
        f"this one is due soonest ({within(pick.due, now)})"
    )
    return Recommendation(pick.challenge_id, "early-review", reason, due=pick.due)


def _due_reason(p: ChallengeProgress, now: datetime) -> tuple[str, str]:
    cid = p.challenge_id
    if p.last_grade is None:
        since = p.first_start or p.due
        return "unfinished", f"{cid}: started {ago(since, now)} and never graded; finish it"
    g = p.last_grade
    if not g.passed:
        return "retry", (
            f"{cid}: last attempt {ago(g.graded_at, now)} failed "
            f"({g.n_passed} of {g.n_tests} tests passed); try it again"
        )
    return "review", f"{cid}: last passed {ago(p.last_passed, now)}, due for review"
