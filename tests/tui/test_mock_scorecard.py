"""The mock scorecard screen: the failing tests' names, and the key points of a good
answer once a follow-up is rated. The real app, driven with Pilot, over a real
progress database; the round is graded by the real engine where a failing test
must be named, and handed in with its file deleted (scored "missing", nothing to
grade) where only the follow-ups matter.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import pytest

from tests.helpers import TOY_PACK, FakeClock

from trainer import mock
from trainer.catalog import load_catalog
from trainer.session import Session
from trainer.tui.app import TrainerApp
from trainer.tui.screens.mock import MockScorecardScreen

OLD_FOLLOW_UPS = "follow_ups:\n  - What is the cost for an (n, d) array?\n"
WITH_KEY_POINTS = """\
follow_ups:
  - question: What is the cost for an (n, d) array?
    key_points:
      - "O(n·d) time: every entry is read once."
      - "O(n) extra memory for the sums."
  - question: Why convert to float64 first?
    key_points:
      - "Integer sums can wrap around."
      - "The task asks for float64 output."
  - Would a loop over the rows be slower, and why?
"""

# Integer input keeps its integer dtype: the edge case "Integer input gives float64 sums"
# fails, so the performance test does not run.
INTEGER_SUMS = '''
import numpy as np


def row_sums(X):
    return np.asarray(X).sum(axis=1)


def scale(X, c):
    return c * np.asarray(X, dtype=np.float64)
'''


@pytest.fixture
def context(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    yaml_path = pack / "challenges" / "toy" / "challenge.yaml"
    text = yaml_path.read_text()
    assert text.count(OLD_FOLLOW_UPS) == 1
    yaml_path.write_text(text.replace(OLD_FOLLOW_UPS, WITH_KEY_POINTS))
    context = Session(
        store_path=tmp_path / "data" / "progress.db",
        workspace=tmp_path / "workspace",
        clock=FakeClock(datetime.now(timezone.utc).replace(microsecond=0)),
        tz=timezone.utc,
        catalog_loader=lambda: load_catalog([pack]),
    )
    yield context
    context.close()


def text_of(screen, selector) -> str:
    return str(screen.query_one(selector).render())


async def test_rating_a_follow_up_shows_its_key_points_and_skipping_shows_none(context):
    session = mock.start_session(context.store, context.catalog, minutes=10)
    session.items[0].path.unlink()  # handed in as missing: scored without grading
    mock.submit(context.store, context.catalog)
    app = TrainerApp(context)
    async with app.run_test(size=(100, 40)) as pilot:
        app.push_screen(MockScorecardScreen(session.id))
        await pilot.pause()
        screen = app.screen
        key_points = screen.query_one("#card-key-points")
        assert not key_points.display  # nothing rated yet
        assert "What is the cost for an (n, d) array?" in text_of(screen, "#card-follow-up")

        await pilot.press("3")
        await pilot.pause()
        assert key_points.display
        shown = text_of(screen, "#card-key-points")
        assert "Key points of a good answer" in shown and "What is the cost for an (n, d) array?" in shown
        assert "- O(n·d) time: every entry is read once." in shown and "- O(n) extra memory for the sums." in shown
        # The next question is asked below them.
        assert "Why convert to float64 first?" in text_of(screen, "#card-follow-up")

        await pilot.press("k")  # skipped: no key points (it will be asked again)
        await pilot.pause()
        assert not key_points.display

        await pilot.press("4")  # a question without key points: none shown
        await pilot.pause()
        assert not key_points.display
        assert "rated: 2, mean 3.5 / 4" in text_of(screen, "#card-follow-up")
    ratings = [(f.question, f.rating) for f in mock.follow_ups(context.store, session.id)]
    assert ratings == [("What is the cost for an (n, d) array?", 3), ("Why convert to float64 first?", None),
                       ("Would a loop over the rows be slower, and why?", 4)]


@pytest.mark.slow
async def test_the_scorecard_names_the_failing_tests(context):
    session = mock.start_session(context.store, context.catalog, minutes=10)
    session.items[0].path.write_text(INTEGER_SUMS)
    card = mock.submit(context.store, context.catalog)  # the real engine
    (item,) = card.items
    assert item.failed_tests == [["edge_case", "Integer input gives float64 sums"]]
    assert item.not_run_tests == [["performance", "Row sums of a 400x2000 matrix within budget"]]
    app = TrainerApp(context)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(MockScorecardScreen(session.id))
        await pilot.pause()
        notes = text_of(app.screen, "#card-notes")
        assert "toy: what failed" in notes
        assert "✗ edge case: Integer input gives float64 sums" in notes
        assert "- 1 test not run (performance is timed only once every other test passes): no points" in notes
        assert f"Score {card.score:.1f} / 100" in text_of(app.screen, "#card-summary")
