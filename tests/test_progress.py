"""Status, mastery, streak and spaced-repetition scheduling with a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from trainer import progress
from trainer.progress import challenge_progress, overview, recommend, streak
from trainer.store import Store

from tests.helpers import FakeClock, make_report

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
UTC = timezone.utc


def challenge(cid, difficulty="medium", topics=("clustering",)):
    return SimpleNamespace(id=cid, title=cid.title(), difficulty=difficulty, topics=list(topics))


CATALOG = [
    challenge("kmeans", "medium", ["clustering", "unsupervised"]),
    challenge("softmax", "easy", ["numerics"]),
    challenge("vptree", "hard", ["search"]),
    challenge("pca", "medium", ["unsupervised", "linear-algebra"]),
]


@pytest.fixture
def clock():
    return FakeClock(T0)


@pytest.fixture
def store(tmp_path, clock):
    with Store.open(tmp_path / "progress.db", clock=clock) as s:
        yield s


def grade(store, cid, passed, ratio=None, mode="practice"):
    store.record_grade(make_report(cid, passed=passed, ratio=ratio), f"# {cid}", mode=mode)


def status_of(store, cid, now):
    c = next(c for c in CATALOG if c.id == cid)
    return challenge_progress(c, store.history())


def test_statuses_follow_the_history(store, clock):
    assert status_of(store, "kmeans", T0).status == "new"
    store.record_start("kmeans", "guided", "/w")
    assert status_of(store, "kmeans", T0).status == "started"
    clock.advance(minutes=20)
    grade(store, "kmeans", passed=False)
    assert status_of(store, "kmeans", T0).status == "attempted"
    clock.advance(minutes=20)
    grade(store, "kmeans", passed=True, ratio=2.5)
    p = status_of(store, "kmeans", T0)
    assert (p.status, p.attempts, p.passes) == ("passed", 2, 1)
    # Passing again the same week is not yet mastery...
    clock.advance(days=2)
    grade(store, "kmeans", passed=True, ratio=1.5)
    assert status_of(store, "kmeans", T0).status == "passed"
    # ...passing again after the interval is.
    clock.advance(days=1, minutes=1)
    grade(store, "kmeans", passed=True, ratio=1.8)
    p = status_of(store, "kmeans", T0)
    assert p.status == "mastered"
    assert p.best_speed_ratio == pytest.approx(1.5)
    assert p.last_passed == clock.now


def test_a_pass_in_a_mock_round_is_mastery_at_once(store):
    grade(store, "softmax", passed=True, ratio=1.0, mode="mock")
    assert status_of(store, "softmax", T0).status == "mastered"


def test_a_failed_mock_round_is_not_mastery(store):
    grade(store, "softmax", passed=False, mode="mock")
    assert status_of(store, "softmax", T0).status == "attempted"


def test_best_speed_ratio_prefers_passing_grades(store, clock):
    grade(store, "kmeans", passed=False, ratio=0.5)   # fast but wrong
    assert status_of(store, "kmeans", T0).best_speed_ratio == 0.5
    clock.advance(minutes=1)
    grade(store, "kmeans", passed=True, ratio=2.0)
    assert status_of(store, "kmeans", T0).best_speed_ratio == 2.0


def test_passed_challenges_come_back_after_growing_intervals(store, clock):
    grade(store, "kmeans", passed=True)
    intervals = []
    for review in range(5):
        p = status_of(store, "kmeans", clock.now)
        intervals.append((p.due - p.last_passed).days)
        assert p.reviews == review
        clock.set(p.due + timedelta(hours=2))
        grade(store, "kmeans", passed=True)
    assert intervals == list(progress.REVIEW_INTERVALS[:5])
    assert intervals == sorted(intervals) and len(set(intervals)) == 5


def test_an_early_pass_does_not_move_the_schedule(store, clock):
    grade(store, "kmeans", passed=True)
    first_due = status_of(store, "kmeans", T0).due
    clock.advance(days=1)
    grade(store, "kmeans", passed=True)
    p = status_of(store, "kmeans", T0)
    assert p.due == first_due and p.reviews == 0


def test_a_failure_resets_the_schedule_and_comes_back_soon(store, clock):
    grade(store, "kmeans", passed=True)
    clock.advance(days=3, hours=1)
    grade(store, "kmeans", passed=True)
    assert status_of(store, "kmeans", T0).reviews == 1
    clock.advance(days=8)
    grade(store, "kmeans", passed=False)
    p = status_of(store, "kmeans", T0)
    assert p.due == clock.now + progress.RETRY_AFTER_FAIL
    assert p.status == "mastered"    # mastery, once earned, is kept
    clock.advance(days=1)
    grade(store, "kmeans", passed=True)
    p = status_of(store, "kmeans", T0)
    assert p.reviews == 0 and p.due == clock.now + timedelta(days=progress.REVIEW_INTERVALS[0])


def test_recommendation_order_new_by_difficulty_then_reviews(store, clock):
    def next_id():
        return overview(CATALOG, store.history(), clock.now, UTC).recommendation

    rec = next_id()
    assert (rec.challenge_id, rec.kind) == ("softmax", "new")   # the easy one first
    assert "new, easy" in rec.reason

    grade(store, "softmax", passed=True)
    rec = next_id()
    # Two medium ones; neither topic practised; alphabetical tie-break.
    assert (rec.challenge_id, rec.kind) == ("kmeans", "new")
    assert "topics clustering, unsupervised not practised yet" in rec.reason

    grade(store, "kmeans", passed=False)
    rec = next_id()
    assert rec.challenge_id == "pca"            # the failure is not due for a day

    clock.advance(days=1)
    rec = next_id()
    assert (rec.challenge_id, rec.kind) == ("kmeans", "retry")
    assert rec.reason == "kmeans: last attempt 1 day ago failed (2 of 3 tests passed); try it again"

    clock.advance(days=8)
    rec = next_id()
    # Both are due now (kmeans since day 1, softmax since day 3): the one that has
    # waited longest comes first.
    assert rec.challenge_id == "kmeans"
    grade(store, "kmeans", passed=True)
    rec = next_id()
    assert (rec.challenge_id, rec.kind) == ("softmax", "review")
    assert rec.reason == "softmax: last passed 9 days ago, due for review"


def test_unfinished_start_is_due_at_once(store, clock):
    store.record_start("vptree", "interview", "/w/vptree.py")
    clock.advance(hours=3)
    rec = overview(CATALOG, store.history(), clock.now, UTC).recommendation
    assert (rec.challenge_id, rec.kind) == ("vptree", "unfinished")
    assert rec.reason == "vptree: started 3 hours ago and never graded; finish it"


def test_new_challenges_prefer_the_weakest_topic():
    catalog = [
        challenge("a_seen", "medium", ["clustering"]),
        challenge("b_same_topic", "medium", ["clustering"]),
        challenge("c_other", "medium", ["trees"]),
        challenge("z_done", "medium", ["trees"]),
    ]
    base = {c.id: progress.ChallengeProgress(c.id, c.title, c.difficulty, c.topics) for c in catalog}
    base["a_seen"].status = "passed"
    base["z_done"].status = "mastered"
    base["a_seen"].due = base["z_done"].due = T0 + timedelta(days=10)
    rec = recommend(list(base.values()), now=T0)
    # clustering mastery 0.25 < trees 0.5: b_same_topic is weaker than c_other.
    assert rec.challenge_id == "b_same_topic" and "weakest topic: clustering" in rec.reason


def test_when_everything_is_done_the_soonest_due_is_offered(store, clock):
    for c in CATALOG:
        grade(store, c.id, passed=True)
        clock.advance(hours=1)
    rec = overview(CATALOG, store.history(), clock.now, UTC).recommendation
    assert (rec.challenge_id, rec.kind) == ("kmeans", "early-review")
    assert "due soonest (in 2 days)" in rec.reason


def test_streak_counts_consecutive_days_and_survives_until_tonight():
    days = [T0 - timedelta(days=d) for d in (0, 1, 2, 4)]
    assert streak(days, T0, UTC) == (3, True)
    # The next morning, before practising: the streak still stands.
    assert streak(days, T0 + timedelta(hours=20), UTC) == (3, False)
    # A whole day missed: gone.
    assert streak(days, T0 + timedelta(days=2), UTC) == (0, False)
    assert streak([], T0, UTC) == (0, False)


def test_overview_mastery_per_topic_and_counts(store, clock):
    grade(store, "kmeans", passed=True, ratio=1.2, mode="mock")
    grade(store, "pca", passed=True, ratio=3.4)
    grade(store, "vptree", passed=False, ratio=9.0)
    o = overview(CATALOG, store.history(), clock.now, UTC)
    assert (o.solved, o.mastered, o.streak_days, o.practised_today) == (2, 1, 1, True)
    topics = {t.topic: t for t in o.topics}
    assert topics["unsupervised"].score == pytest.approx((1.0 + 0.5) / 2)
    assert topics["clustering"].score == 1.0
    assert topics["search"].score == 0.0 and topics["numerics"].score == 0.0
    assert o.recent_speed_ratios == [1.2, 3.4, 9.0]
    data = o.to_dict()
    assert data["solved"] == 2 and data["total"] == 4
    assert {c["challenge_id"]: c["status"] for c in data["challenges"]} == {
        "kmeans": "mastered", "softmax": "new", "vptree": "attempted", "pca": "passed"
    }
    assert data["next"]["challenge_id"] == "softmax"


def test_ago_wording():
    assert progress.ago(T0, T0 + timedelta(seconds=30)) == "just now"
    assert progress.ago(T0, T0 + timedelta(minutes=1)) == "1 minute ago"
    assert progress.ago(T0, T0 + timedelta(hours=5, minutes=3)) == "5 hours ago"
    assert progress.ago(T0, T0 + timedelta(days=9, hours=23)) == "9 days ago"
    assert progress.within(T0 + timedelta(days=2), T0) == "in 2 days"
