"""Mock interviews: the pick, the clock, hand-in, late flags, the score, follow-ups, the CLI.

Every clock here is injected (a FakeClock given to the store); nothing sleeps.
Where a round must be graded, the real engine grades the toy challenge of
tests/fixtures/pack (a few seconds). File modification times are real, so the
fake clocks start from the real "now" where a test compares the two.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from trainer import mock
from trainer.catalog import load_catalog
from trainer.cli import cli
from trainer.errors import InputError
from trainer.mock import lifecycle
from trainer.store import Store, to_iso

from tests.helpers import REPO, TOY_PACK, FakeClock, make_report

TOY_REFERENCE = TOY_PACK / "reference" / "toy.py"


def real_now() -> datetime:
    # Whole seconds: file-system timestamps compared with it are not finer than that everywhere.
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def toy_pack(monkeypatch):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))


@pytest.fixture
def catalog(toy_pack):
    return load_catalog()


@pytest.fixture
def clock():
    return FakeClock(real_now())


@pytest.fixture
def store(isolated_dirs, clock):
    with Store.open(clock=clock) as s:
        yield s


def set_mtime(path: Path, moment: datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def start_toy(store, catalog, minutes=20):
    return mock.start_session(store, catalog, topic="testing", minutes=minutes)


# --------------------------------------------------------------------------
# The pick
# --------------------------------------------------------------------------


def test_a_seed_gives_the_same_round_whatever_the_history(tmp_path, catalog):
    clock = FakeClock(datetime(2026, 3, 10, 12, tzinfo=timezone.utc))
    rounds = []
    for name, history in (("alice", False), ("bob", True)):
        with Store.open(tmp_path / name / "progress.db", clock=clock) as s:
            if history:  # bob has passed half the catalog; the seed must not care
                for c in list(catalog)[::2]:
                    s.record_grade(make_report(c.id, passed=True, ratio=1.0), "# x\n")
            session = mock.start_session(s, catalog, count=3, seed=42, workspace=tmp_path / name / "ws")
            rounds.append([i.challenge_id for i in session.items])
            assert session.seeded and session.seed == 42
    assert rounds[0] == rounds[1] and len(set(rounds[0])) == 3


def test_choose_is_deterministic_independent_of_order_and_varies_with_the_seed(catalog):
    challenges = list(catalog)
    first = [c.id for c in mock.choose_challenges(challenges, count=2, seed=7)]
    again = [c.id for c in mock.choose_challenges(list(reversed(challenges)), count=2, seed=7)]
    assert first == again
    picks = {tuple(c.id for c in mock.choose_challenges(challenges, count=2, seed=s)) for s in range(30)}
    assert len(picks) > 5  # a different seed is a different round, not a constant pick


def test_a_round_is_ordered_easiest_first(catalog):
    order = {"easy": 0, "medium": 1, "hard": 2}
    for seed in range(10):
        picks = mock.choose_challenges(list(catalog), count=4, seed=seed)
        ranks = [order[c.difficulty] for c in picks]
        assert ranks == sorted(ranks)


def test_unseeded_picks_favour_weak_and_unseen_topics(catalog):
    from trainer.store.records import History

    challenges = [c for c in catalog if c.id in ("kmeans", "knn", "glr", "vptree")]
    assert len(challenges) == 4
    weights = mock.selection_weights(challenges, History())
    assert set(weights.values()) == {6.0}  # all new, no mastery: equal footing

    # kmeans was passed in a mock round (mastered): it must weigh least.
    history = History(grades=[_grade_record("kmeans", passed=True, mode="mock")])
    weights = mock.selection_weights(challenges, history)
    assert weights["kmeans"] == min(weights.values()) and weights["kmeans"] < weights["glr"]
    hits = {c.id: 0 for c in challenges}
    for seed in range(400):
        for c in mock.choose_challenges(challenges, count=1, seed=seed, weights=weights):
            hits[c.id] += 1
    # Weights: kmeans 1 x (2 - 0.5) = 1.5, the three new ones 3 x 2 = 6 each: expected shares
    # 1.5 / 19.5 ~ 8 % and 6 / 19.5 ~ 31 %; over 400 draws the margin is many standard deviations.
    assert hits["kmeans"] < hits["glr"] / 2, hits


def _grade_record(cid, passed, mode):
    from trainer.store.records import GradeRecord

    return GradeRecord(id=1, challenge_id=cid, mode=mode, mock_session_id=1,
                       graded_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
                       status="passed" if passed else "failed", passed=passed, duration_s=1.0,
                       speed_ratio=1.0, n_tests=3, n_passed=3, source_sha256="0" * 64, solution_path=None)


def test_filters_and_their_messages(catalog):
    challenges = list(catalog)
    assert {c.id for c in mock.choose_challenges(challenges, count=1, seed=1, topic="testing")} == {"toy"}
    hard = mock.choose_challenges(challenges, count=2, seed=1, difficulty="hard")
    assert all(c.difficulty == "hard" for c in hard)
    with pytest.raises(InputError, match="did you mean 'clustering'"):
        mock.choose_challenges(challenges, count=1, seed=1, topic="clusterin")
    with pytest.raises(InputError, match=r"only 1 challenge match topic 'testing'; ask for --count 1"):
        mock.choose_challenges(challenges, count=2, seed=1, topic="testing")
    with pytest.raises(InputError, match="no challenge matches difficulty hard and topic 'testing'"):
        mock.choose_challenges(challenges, count=1, seed=1, topic="testing", difficulty="hard")


# --------------------------------------------------------------------------
# Starting, the clock, hints, abandoning
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_start_writes_fresh_stubs_apart_from_practice_files(store, catalog, isolated_dirs, clock):
    workspace = isolated_dirs["workspace"]
    workspace.mkdir(parents=True)
    practice = workspace / "toy.py"
    practice.write_text("# my practice solution\n")
    set_mtime(practice, clock() - timedelta(days=2))
    before = practice.stat().st_mtime

    session = start_toy(store, catalog, minutes=25)
    item = session.items[0]
    assert item.path == workspace / "mock" / str(session.id) / "toy.py"
    assert item.path.read_text() == catalog.get("toy").render_stub("interview")
    assert session.deadline - session.started_at == timedelta(minutes=25)
    assert mock.file_state(item) == "untouched"

    item.path.write_text(TOY_REFERENCE.read_text())
    card = mock.submit(store, catalog)
    assert card.items[0].outcome == "passed"
    assert practice.read_text() == "# my practice solution\n" and practice.stat().st_mtime == before
    assert sorted(p.name for p in workspace.iterdir()) == ["mock", "toy.py"]


def test_default_length_is_the_sum_of_the_challenges_minutes(store, catalog):
    session = mock.start_session(store, catalog, count=2, seed=3)
    picked = [catalog.get(i.challenge_id) for i in session.items]
    assert session.minutes == sum(c.minutes for c in picked)


def test_the_clock_is_the_stores_and_only_one_round_runs(store, catalog, clock):
    session = start_toy(store, catalog, minutes=30)
    assert session.remaining(clock()) == timedelta(minutes=30)
    clock.advance(minutes=29, seconds=59)
    assert not mock.current_session(store).expired(clock())
    with pytest.raises(mock.MockInProgress, match=r"round 1 is running \(1s left\)"):
        start_toy(store, catalog)
    clock.advance(seconds=1)
    assert mock.current_session(store).expired(clock())
    with pytest.raises(mock.MockError, match="time of mock round 1 is up"):
        mock.check(store, catalog)


def test_hints_are_refused_during_a_round_and_allowed_after(store, catalog, clock):
    mock.refuse_hints_during_mock(store)  # no round: nothing happens
    start_toy(store, catalog, minutes=30)
    clock.advance(minutes=10)
    with pytest.raises(mock.MockInProgress, match=r"hints are unavailable during a mock round \(round 1, 20m 00s left\)"):
        mock.refuse_hints_during_mock(store)
    with pytest.raises(mock.MockInProgress, match="reference solutions are unavailable"):
        mock.refuse_reference_during_mock(store)
    abandoned = mock.abandon(store)
    assert abandoned.state == "abandoned" and abandoned.ended_by == "abandon"
    mock.refuse_hints_during_mock(store)
    mock.refuse_reference_during_mock(store)
    assert store.grades() == []
    with pytest.raises(mock.MockError, match="abandoned"):
        mock.scorecard(store, abandoned.id)
    assert abandoned.items[0].path.is_file()  # the files are kept


def test_two_starts_at_once_cannot_both_open_a_round(store, catalog, isolated_dirs):
    start_toy(store, catalog)
    # The unique index is the guard, not the check in start_session: insert behind its back.
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        with store.transaction() as db:
            db.execute("INSERT INTO mock_sessions (started_at, deadline, minutes, seed, folder, open)"
                       " VALUES ('x', 'y', 1, 1, '', 1)")


# --------------------------------------------------------------------------
# Handing in: the real engine, the score, late flags
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_submit_grades_with_the_engine_records_mock_grades_and_counts_as_mastery(store, catalog, clock):
    from trainer.progress import challenge_progress

    session = start_toy(store, catalog, minutes=20)
    path = session.items[0].path
    path.write_text(TOY_REFERENCE.read_text())
    report = mock.check(store, catalog, "toy")  # grade now, not handed in
    assert report.passed and store.grades() == []
    clock.advance(minutes=12)
    card = mock.submit(store, catalog)

    item = card.items[0]
    assert item.outcome == "passed" and item.checks == 1 and not item.untouched
    assert item.categories == {"correctness": [1, 1], "edge_case": [2, 2], "performance": [1, 1]}
    assert item.bonus == [1, 1]
    assert item.speed_ratio is not None and item.speed_ratio > 0
    assert item.speed_credit == pytest.approx(min(1.0, 1.0 / item.speed_ratio))
    # The toy has no stability tests: the shares 50 + 20 + 15 are scaled to 100.
    assert item.points == pytest.approx(100 * (50 + 20 + 15 * item.speed_credit) / 85)
    assert item.failed_tests == [] and item.not_run_tests == []
    assert not card.late and card.late_factor == 1.0 and card.ended_by == "submit"
    assert card.score == round(item.points, 1)
    assert card.used_s == 12 * 60

    (grade,) = store.grades()
    assert grade.mode == "mock" and grade.mock_session_id == session.id and grade.passed
    assert store.grade_source(grade.id) == TOY_REFERENCE.read_text()
    snapshot = session.folder / "submitted" / "toy.py"
    assert snapshot.read_text() == TOY_REFERENCE.read_text()
    assert challenge_progress(catalog.get("toy"), store.history()).status == "mastered"
    assert mock.current_session(store) is None
    assert mock.scorecard(store, session.id).to_dict() == card.to_dict()


@pytest.mark.slow
def test_an_untouched_stub_scores_zero(store, catalog):
    start_toy(store, catalog)
    card = mock.submit(store, catalog)
    (item,) = card.items
    assert item.outcome == "failed" and item.untouched and item.time_used_s is None
    assert item.tests_passed == 0 and item.points == 0 and card.score == 0
    assert not card.all_passed


@pytest.mark.slow
def test_a_late_submission_is_graded_and_marked_late_with_the_overrun(store, catalog, clock):
    start = clock()
    session = start_toy(store, catalog, minutes=20)
    session.items[0].path.write_text(TOY_REFERENCE.read_text())
    set_mtime(session.items[0].path, start + timedelta(minutes=5))
    clock.advance(minutes=25)
    card = mock.submit(store, catalog)
    assert card.late and card.overrun_s == 5 * 60 and card.ended_by == "submit"
    assert card.items[0].outcome == "passed"  # graded all the same
    assert card.late_factor == pytest.approx(0.75)
    assert card.score == round(card.raw_score * 0.75, 1)
    (summary,) = mock.session_summaries(store)
    assert summary.late and summary.overrun_s == 300 and summary.score == card.score


@pytest.mark.slow
def test_finalising_at_the_deadline_flags_files_modified_after_it(store, catalog, clock):
    start = clock() - timedelta(minutes=40)
    clock.set(start)
    session = start_toy(store, catalog, minutes=20)
    path = session.items[0].path
    path.write_text(TOY_REFERENCE.read_text())
    set_mtime(path, session.deadline + timedelta(minutes=4))
    clock.set(start + timedelta(minutes=40))

    messages = []
    card = mock.finalise_expired_session(messages.append, store=store, catalog=catalog)
    assert card is not None and card.ended_by == "deadline"
    assert card.handed_in_at == session.deadline
    assert card.items[0].edited_late_s == pytest.approx(240)
    assert card.late and card.overrun_s == pytest.approx(240)
    assert card.late_factor == pytest.approx(0.8)
    text = "\n".join(messages)
    assert "ran out of time" in text and "modified 4m 00s after the deadline" in text
    # Nothing left to finalise.
    assert mock.finalise_expired_session(messages.append, store=store, catalog=catalog) is None


@pytest.mark.slow
def test_finalising_with_files_untouched_since_the_deadline_is_on_time(store, catalog, clock):
    start = clock() - timedelta(minutes=40)
    clock.set(start)
    session = start_toy(store, catalog, minutes=20)
    path = session.items[0].path
    path.write_text(TOY_REFERENCE.read_text())
    set_mtime(path, start + timedelta(minutes=19))
    clock.set(start + timedelta(minutes=40))
    card = mock.finalise_expired_session(lambda _: None, store=store, catalog=catalog)
    assert not card.late and card.items[0].edited_late_s is None
    assert card.items[0].time_used_s == 19 * 60
    assert card.used_s == 20 * 60


def test_a_round_not_yet_expired_is_left_alone(store, catalog, clock):
    start_toy(store, catalog, minutes=20)
    clock.advance(minutes=19)
    assert mock.finalise_expired_session(lambda _: None, store=store, catalog=catalog) is None
    assert mock.current_session(store).state == "active"


def test_a_missing_file_scores_zero_and_the_rest_is_still_graded(store, catalog):
    session = start_toy(store, catalog)
    session.items[0].path.unlink()
    card = mock.submit(store, catalog, grade_function=_must_not_grade)
    assert card.items[0].outcome == "missing" and card.items[0].points == 0
    assert "was missing" in card.items[0].message


def _must_not_grade(*args, **kwargs):
    raise AssertionError("nothing should be graded")


def test_an_interrupted_hand_in_leaves_the_round_open(store, catalog):
    start_toy(store, catalog)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mock.submit(store, catalog, grade_function=interrupted)
    session = mock.current_session(store)
    assert session.state == "active" and session.claimed_by is None


def test_a_hand_in_that_cannot_write_its_copies_keeps_the_round_open(store, catalog, clock, monkeypatch):
    start_toy(store, catalog, minutes=5)
    clock.advance(minutes=6)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lifecycle, "_snapshot", disk_full)
    with pytest.raises(mock.MockError, match="No space left on device; the round is still open"):
        mock.submit(store, catalog)
    messages = []
    assert mock.finalise_expired_session(messages.append, store=store, catalog=catalog) is None
    assert "warning: cannot hand in mock round 1" in messages[-1]
    assert mock.current_session(store).state == "active"


@pytest.mark.slow
def test_a_round_being_graded_elsewhere_is_not_graded_twice_but_a_dead_claim_is_taken_over(
        store, catalog, clock):
    session = start_toy(store, catalog, minutes=5)
    clock.advance(minutes=6)
    parent = os.getppid()  # alive: stands for another mltrainer process grading the round
    with store.transaction() as db:
        db.execute("UPDATE mock_sessions SET state = 'grading', claimed_by = ?, claimed_at = ? WHERE id = ?",
                   (parent, to_iso(clock()), session.id))
    assert mock.finalise_expired_session(lambda _: None, store=store, catalog=catalog) is None
    with pytest.raises(mock.MockBusy, match="being graded by another mltrainer process"):
        mock.submit(store, catalog)

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with store.transaction() as db:
        db.execute("UPDATE mock_sessions SET claimed_by = ? WHERE id = ?", (dead.pid, session.id))
    card = mock.finalise_expired_session(lambda _: None, store=store, catalog=catalog)
    assert card is not None and card.session_id == session.id


def test_item_points_follow_the_formula():
    # make_report: one correctness, one edge-case and one timed performance test; no stability
    # tests, so the shares 50, 20 and 15 count out of 85.
    passed = make_report("x", passed=True, ratio=2.0)
    score = mock.item_points(passed)
    assert score.speed_credit == 0.5 and score.points == pytest.approx(100 * (85 - 7.5) / 85)
    failed = make_report("x", passed=False, ratio=0.5)  # the correctness test fails; faster than the reference
    score = mock.item_points(failed)
    assert score.fractions == {"correctness": 0.0, "edge_case": 1.0, "performance": 1.0}
    assert score.ceiling == 0.0 and score.points == 0.0  # wrong on ordinary input: nothing for the rest
    no_timing = make_report("x", passed=True, ratio=None)
    assert mock.item_points(no_timing).points == pytest.approx(100.0)
    rejected = make_report("x", passed=True, ratio=1.0)
    rejected.status = "rejected"
    assert mock.item_points(rejected).points == 0.0
    assert mock.late_factor(0, 600) == 1.0 and mock.late_factor(150, 600) == 0.75
    assert mock.late_factor(900, 600) == 0.0
    assert "points  = min(earned, ceiling)" in mock.SCORE_FORMULA


# --------------------------------------------------------------------------
# Follow-up questions
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_follow_up_ratings_are_saved_and_can_be_changed(store, catalog):
    session = start_toy(store, catalog)
    with pytest.raises(mock.MockError, match="not handed in yet"):
        mock.follow_ups(store, session.id)
    mock.submit(store, catalog)
    (question,) = mock.follow_ups(store, session.id)
    assert question.question == catalog.get("toy").follow_ups[0].question and question.rating is None
    assert question.key_points == ()  # the toy gives its question as a plain string
    with pytest.raises(InputError, match="1, 2, 3 or 4"):
        mock.rate_follow_up(store, session.id, question, 5)
    mock.rate_follow_up(store, session.id, question, 2)
    mock.rate_follow_up(store, session.id, question, 3)
    assert [f.rating for f in mock.follow_ups(store, session.id)] == [3]
    (summary,) = mock.session_summaries(store)
    assert summary.ratings == 1 and summary.mean_rating == 3


# --------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------


@pytest.fixture
def run(toy_pack):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)
    return invoke


@pytest.mark.slow
def test_cli_round_start_status_hint_submit_and_follow_ups(run, isolated_dirs):
    started = run("mock", "--topic", "testing", "--minutes", "15")
    assert started.exit_code == 0, started.output
    assert "Mock round 1 started: 1 challenge, 15 minutes" in started.output
    assert "row_sums(X)" in started.output  # the task is shown
    path = isolated_dirs["workspace"] / "mock" / "1" / "toy.py"
    assert path.is_file()

    status = run("mock", "status")
    assert "Mock round 1: 14m 59s left" in status.output or "Mock round 1: 15m 00s left" in status.output
    assert "untouched" in status.output and str(path) in status.output

    refused = run("hint", "toy")
    assert refused.exit_code == 2 and "hints are unavailable during a mock round" in refused.output

    again = run("mock")
    assert again.exit_code == 2 and "round 1 is running" in again.output

    wrong = run("mock", "--count", "2", "status")
    assert wrong.exit_code == 2 and "--count is an option of starting a round" in wrong.output

    path.write_text(TOY_REFERENCE.read_text())
    submitted = run("mock", "submit", input="4\n")
    assert submitted.exit_code == 0, submitted.output
    out = submitted.output
    assert "Score " in out and "/ 100" in out and "points  = min(earned, ceiling)" in out
    assert "toy" in out and "passed" in out
    assert "What is the cost for an (n, d) array?" in out and "Saved 1 rating." in out

    card = json.loads(run("mock", "card", "--format", "json").output)
    assert card["follow_ups"][0]["rating"] == 4 and card["items"][0]["outcome"] == "passed"
    assert run("hint", "toy").exit_code == 0


@pytest.mark.slow
def test_cli_submit_without_follow_ups_and_failing_exit_code(run):
    run("mock", "--topic", "testing")
    result = run("mock", "submit", "--no-follow-ups")
    assert result.exit_code == 1 and "Follow-up" not in result.output
    assert "Score 0.0 / 100" in result.output
    # Asked later, from `mock card`; end of input stops the questions without an error.
    later = run("mock", "card")
    assert later.exit_code == 0 and "unrated" in later.output


@pytest.mark.slow
def test_progress_mock_lists_past_rounds_with_their_scores(run):
    assert "No mock rounds yet" in run("progress", "--mock").output
    run("mock", "--topic", "testing")
    run("mock", "submit", "--no-follow-ups")
    run("mock", "--topic", "testing")
    run("mock", "abandon")
    listing = run("progress", "--mock")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert any(line.split()[:1] == ["1"] and "toy" in line and "0.0" in line for line in lines), listing.output
    assert any(line.split()[:1] == ["2"] and "abandoned" in line for line in lines), listing.output
    data = json.loads(run("progress", "--mock", "--format", "json").output)
    assert [(s["id"], s["state"], s["score"]) for s in data] == [(2, "abandoned", None), (1, "done", 0.0)]


@pytest.mark.slow
def test_cli_status_after_the_deadline_and_a_new_round_finalises_the_old_one(run):
    start = real_now() - timedelta(minutes=30)
    with Store.open(clock=lambda: start) as s:
        old = start_toy(s, load_catalog(), minutes=20)
    status = run("mock", "status")
    assert "time is up" in status.output and "marked late" in status.output
    assert run("mock", "check").exit_code == 2  # no grading after the deadline
    started = run("mock", "--topic", "testing")
    assert started.exit_code == 0
    assert f"Mock round {old.id} ran out of time" in started.output
    assert f"Mock round {old.id + 1} started" in started.output
    with Store.open() as s:
        assert mock.get_session(s, old.id).ended_by == "deadline"


def test_cli_abandon_and_status_without_a_round(run):
    assert "No mock round is running" in run("mock", "status").output
    assert run("mock", "abandon").exit_code == 2
    run("mock", "--topic", "testing")
    result = run("mock", "abandon")
    assert result.exit_code == 0 and "Mock round 1 abandoned" in result.output
    assert "No mock round is running" in run("mock", "status").output


@pytest.mark.slow
def test_next_command_after_the_deadline_finalises_the_round(toy_pack, isolated_dirs):
    """The deadline passed while no mltrainer ran: a plain `mltrainer list` grades the round."""
    start = real_now() - timedelta(minutes=45)
    with Store.open(clock=lambda: start) as s:
        session = start_toy(s, load_catalog(), minutes=30)
    path = session.items[0].path
    path.write_text(TOY_REFERENCE.read_text())
    set_mtime(path, start + timedelta(minutes=10))

    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-m", "trainer", "list"], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "toy" in result.stdout  # the command itself still ran
    assert f"Mock round {session.id} ran out of time" in result.stderr
    assert "toy: passed" in result.stderr

    with Store.open() as s:
        done = mock.get_session(s, session.id)
        assert done.state == "done" and done.ended_by == "deadline"
        assert done.handed_in_at == session.deadline and not done.overrun_s
        (grade,) = s.grades()
        assert grade.mode == "mock" and grade.passed
    # The next command has nothing left to do.
    quiet = subprocess.run([sys.executable, "-m", "trainer", "list"], capture_output=True, text=True,
                           env=env, cwd=REPO, timeout=60)
    assert "Mock round" not in quiet.stderr


def test_the_check_before_every_command_stays_light(toy_pack, isolated_dirs, store, catalog):
    start_toy(store, catalog)  # an open round, not expired: nothing to grade
    probe = ("import sys\nfrom trainer.cli import main\n"
             "try:\n    main(['list'])\nexcept SystemExit:\n    pass\n"
             "heavy = sorted(m for m in ('numpy', 'pytest', 'textual') if m in sys.modules)\n"
             "print('HEAVY', heavy)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                            timeout=60)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_the_mock_limits_load_without_the_store():
    """`mltrainer --help` builds the options of `mock` from the limits: they must not load the store."""
    probe = ("import sys\nimport trainer.mock.models\n"
             "print('LOADED', sorted(m for m in ('sqlite3', 'trainer.store', 'trainer.mock.lifecycle')"
             " if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "LOADED []" in result.stdout, result.stdout + result.stderr


def test_every_public_name_of_the_package_is_its_modules():
    import importlib

    for module, names in mock.PUBLIC_NAMES.items():
        for name in names:
            assert getattr(mock, name) is getattr(importlib.import_module(f"trainer.mock.{module}"), name)
    assert sorted(mock.__all__) == sorted(n for names in mock.PUBLIC_NAMES.values() for n in names)


@pytest.mark.slow
def test_finished_rounds_move_with_a_progress_export(store, catalog, clock, tmp_path):
    session = start_toy(store, catalog)
    item = session.items[0]
    item.path.write_text(TOY_REFERENCE.read_text())
    card = mock.submit(store, catalog)
    question = mock.follow_ups(store, session.id)[0]
    mock.rate_follow_up(store, session.id, question, 3)
    doc = json.loads(json.dumps(store.export_history()))
    assert [s["id"] for s in doc["mock_sessions"]] == [session.id]

    with Store.open(tmp_path / "elsewhere.db", clock=clock) as other:
        other.record_start("toy", "guided", "/w/toy.py")  # ids on the new machine differ
        other.record_grade(make_report("toy", passed=False, ratio=None, sha="1" * 64), "# a practice attempt")
        added = other.import_history(doc)
        assert added["mock_sessions"] == 1 and added["mock_items"] == 1 and added["mock_ratings"] == 1
        [summary] = mock.session_summaries(other)
        assert summary.score == pytest.approx(card.score) and summary.ratings == 1
        [mock_grade] = [g for g in other.grades() if g.mode == "mock"]
        assert mock_grade.mock_session_id == summary.id
        item_grade = other.execute("SELECT grade_id FROM mock_items").fetchone()[0]
        assert item_grade == mock_grade.id
        again = other.import_history(doc)
        assert again["mock_sessions"] == again["mock_items"] == again["mock_ratings"] == again["grades"] == 0


def test_a_running_round_is_not_exported(store, catalog):
    start_toy(store, catalog)
    assert store.export_history()["mock_sessions"] == []
