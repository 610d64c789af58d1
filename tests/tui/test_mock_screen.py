"""The mock-interview screen, driven with Pilot and a fake clock, graded by the real engine.

The clock starts at the real "now" (the files' modification times are real and
must fall before the fake deadline) and is only moved by the test; the screen
redraws the countdown every 100 ms instead of every half second. The toy
challenge of tests/fixtures/pack grades in a few seconds.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from textual.widgets import DataTable

from tests.helpers import TOY_PACK, FakeClock

from trainer import mock
from trainer.catalog import load_catalog
from trainer.tui.app import TrainerApp
from trainer.session import Session
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.screens.mock import MockScorecardScreen, MockScreen, countdown_text

GRADING_TIMEOUT_S = 120
TOY_REFERENCE = (TOY_PACK / "reference" / "toy.py").read_text()


async def wait_for(pilot, condition, timeout=GRADING_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; screen is {type(pilot.app.screen).__name__}")
        await pilot.pause(0.05)


@pytest.fixture
def clock():
    return FakeClock(datetime.now(timezone.utc).replace(microsecond=0))


@pytest.fixture
def context(tmp_path, clock):
    context = Session(
        store_path=tmp_path / "data" / "progress.db",
        workspace=tmp_path / "workspace",
        clock=clock,
        tz=timezone.utc,
        catalog_loader=lambda: load_catalog([TOY_PACK]),
    )
    yield context
    context.close()


def text_of(screen, selector) -> str:
    return str(screen.query_one(selector).render())


def test_countdown_text():
    from datetime import timedelta

    assert countdown_text(timedelta(minutes=23, seconds=45)) == "23:45"
    assert countdown_text(timedelta(seconds=0.2)) == "00:01"  # rounds up: 00:00 means time is up
    assert countdown_text(timedelta(hours=1, minutes=5)) == "1:05:00"
    assert countdown_text(timedelta(seconds=-30)) == "00:00"


@pytest.mark.slow
async def test_countdown_grade_now_then_auto_submit_at_zero_and_the_scorecard(context, clock):
    session = mock.start_session(context.store, context.catalog, minutes=10)
    path = session.items[0].path
    app = TrainerApp(context)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(MockScreen(session.id, tick=0.1))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockScreen)
        assert text_of(screen, "TitleBar") == "mltrainer · mock round 1 · toy"
        assert text_of(screen, "#mock-title") == "Toy vector sum"
        assert "untouched" in text_of(screen, "#mock-file")
        clock_widget = screen.query_one("#mock-clock")
        assert text_of(screen, "#mock-clock").strip() == "10:00"
        assert not clock_widget.has_class("-warning")

        # Grade now: the untouched stub fails, nothing is handed in or recorded.
        await pilot.press("g")
        await wait_for(pilot, lambda: "Last check" in text_of(screen, "#mock-check"))
        assert "FAILED" in text_of(screen, "#mock-check")
        assert "NotImplementedError" in text_of(screen, "#mock-check")
        assert mock.current_session(context.store).state == "active" and context.store.grades() == []

        path.write_text(TOY_REFERENCE)
        clock.advance(minutes=4)
        await wait_for(pilot, lambda: text_of(screen, "#mock-clock").strip() == "06:00", 5)
        assert not clock_widget.has_class("-warning")
        clock.advance(minutes=1, seconds=30)  # 4:30 left: the last five minutes
        await wait_for(pilot, lambda: clock_widget.has_class("-warning"), 5)
        assert text_of(screen, "#mock-clock").strip() == "04:30"

        # Zero: the round hands itself in, graded by the engine, and the card follows.
        clock.advance(minutes=4, seconds=30)
        await wait_for(pilot, lambda: isinstance(app.screen, MockScorecardScreen))
        await pilot.pause()
        card_screen = app.screen
        done = mock.get_session(context.store, session.id)
        assert done.state == "done" and done.ended_by == "deadline" and not done.overrun_s
        summary = text_of(card_screen, "#card-summary")
        assert f"Score {done.score:.1f} / 100" in summary and "handed in at the deadline" in summary
        assert done.score > 90  # the reference, on time: all tests, near-reference speed
        table = card_screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row("toy")]
        assert row[:6] == ["toy", "passed", "1/1", "2/2", "-", "1/1"]
        assert "points  = min(earned, ceiling)" in text_of(card_screen, "#card-formula")
        (grade,) = context.store.grades()
        assert grade.mode == "mock" and grade.passed

        # The follow-up question, rated with a key and saved.
        follow_up = text_of(card_screen, "#card-follow-up")
        assert "What is the cost for an (n, d) array?" in follow_up
        await pilot.press("3")
        assert [f.rating for f in mock.follow_ups(context.store, session.id)] == [3]
        assert "rated: 1, mean 3.0 / 4" in text_of(card_screen, "#card-follow-up")


@pytest.mark.slow
async def test_submit_by_key_asks_first_and_hands_in_now(context, clock):
    session = mock.start_session(context.store, context.catalog, minutes=10)
    app = TrainerApp(context)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(MockScreen(session.id, tick=0.1))
        await pilot.pause()
        clock.advance(minutes=3)
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, MockScreen) and mock.current_session(context.store) is not None
        await pilot.press("s", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, MockScorecardScreen))
        await pilot.pause()
        done = mock.get_session(context.store, session.id)
        assert done.ended_by == "submit" and done.score == 0.0  # the untouched stub
        assert "Score 0.0 / 100" in text_of(app.screen, "#card-summary")
        await pilot.press("k")  # skip the follow-up
        assert "1 skipped" in text_of(app.screen, "#card-follow-up")
        assert mock.follow_ups(context.store, session.id)[0].rating is None


@pytest.mark.slow
async def test_m_offers_a_round_then_returns_to_it_and_an_expired_one_is_handed_in(context, clock):
    app = TrainerApp(context)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")  # the app's key for mock rounds
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, MockScreen)
        session = mock.current_session(context.store)
        assert session is not None and [i.challenge_id for i in session.items] == ["toy"]
        assert session.items[0].path.parent == context.workspace / "mock" / str(session.id)

        await pilot.press("escape")  # leave: the clock runs on
        assert not isinstance(app.screen, MockScreen)
        clock.advance(minutes=session.minutes + 1)  # the deadline passes while away
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MockScorecardScreen))
        await pilot.pause()
        assert "handed in at the deadline" in text_of(app.screen, "#card-summary")
        assert mock.get_session(context.store, session.id).ended_by == "deadline"


async def test_the_app_says_on_start_that_a_round_is_running(context, clock):
    mock.start_session(context.store, context.catalog, minutes=10)
    clock.advance(minutes=2)
    app = TrainerApp(context)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert "Mock round 1 is running: 08:00 left. m returns to it." in messages


HANGS = '''
def row_sums(X):
    while True:
        pass


def scale(X, c):
    while True:
        pass
'''


@pytest.mark.slow
async def test_quitting_during_a_hand_in_cancels_its_grading_and_keeps_the_round_open(context):
    """A hand-in grades through the session like every grading run: it is counted, and quitting
    cancels it instead of waiting for it; nothing is recorded and the round stays open."""
    round_ = context.start_mock(minutes=10)
    round_.items[0].path.write_text(HANGS)   # every call runs into its timeout: a long grading run
    app = TrainerApp(context)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(MockScreen(round_.id, tick=0.1))
        await pilot.pause()
        await pilot.press("s", "y")
        await wait_for(pilot, lambda: context.grading_in_progress, 30)
        await pilot.press("q")
    assert app.stopped_gradings
    deadline = time.monotonic() + GRADING_TIMEOUT_S
    while context.grading_in_progress and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not context.grading_in_progress
    with context.open_store() as store:
        still = mock.current_session(store)
        assert still is not None and still.id == round_.id and still.state == "active"
        assert store.grades() == []
