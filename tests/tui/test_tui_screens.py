"""Behaviour of the TUI screens, driven with Pilot over the fixed pack.

Grading here goes through a stand-in grade function (fast, controllable);
tests/tui/test_tui_flow.py runs the real engine.
"""

from __future__ import annotations

import threading
import time

import pytest
from textual.widgets import DataTable, Input, ProgressBar

from tests.helpers import make_report
from tests.tui.helpers import open_detail

from trainer.tui.app import TrainerApp
from trainer.tui.screens.browser import BrowserScreen
from trainer.tui.screens.compare import CompareScreen
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.screens.dashboard import DashboardScreen
from trainer.tui.screens.detail import DetailScreen
from trainer.tui.screens.error import ErrorScreen
from trainer.tui.screens.help import HelpScreen
from trainer.tui.screens.results import ResultsScreen
from trainer.tui.widgets.grading import GradingIndicator


async def wait_for(pilot, condition, timeout=30.0):
    """Let the app run until condition() holds (grading runs in a thread)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; screen is {type(pilot.app.screen).__name__}")
        await pilot.pause(0.05)


class FakeGrader:
    """Stands in for the engine: records calls, emits events, returns a fixed report."""

    def __init__(self, passed=True, ratio=1.2, block=False, error=None):
        self.calls = []
        self.passed, self.ratio, self.error = passed, ratio, error
        self.release = threading.Event()
        if not block:
            self.release.set()

    def __call__(self, challenge, path, on_event=None, **kwargs):
        source = path.read_text()   # read once, as the engine does: this is what gets recorded
        self.calls.append((challenge.id, source))
        if on_event:
            on_event({"event": "collected", "count": 3})
            on_event({"event": "start", "nodeid": "t1", "name": "Finds the clusters"})
            on_event({"event": "done", "nodeid": "t1", "outcome": "passed", "name": "x"})
        self.release.wait(30)
        if self.error:
            raise self.error
        report = make_report(challenge.id, passed=self.passed, ratio=self.ratio)
        report.source = source
        return report



async def test_browser_filters_as_you_type_and_opens_the_selection(pack_context):
    app = TrainerApp(pack_context)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        assert isinstance(app.screen, BrowserScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 4
        await pilot.press(*"unsup")
        assert app.screen.query_one(Input).value == "unsup"
        assert table.row_count == 1 and app.screen.selected_id() == "pca"
        await pilot.press(*["backspace"] * 5)
        assert table.row_count == 4
        await pilot.press("down", "down")
        assert app.screen.selected_id() == "pca"
        await pilot.press(*"hard", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen) and app.screen.challenge.id == "beam_search"
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("escape")   # clears the filter first
        assert app.screen.query_one(Input).value == "" and isinstance(app.screen, BrowserScreen)
        await pilot.press(*"zqx")
        assert table.row_count == 0
        await pilot.press("enter")    # nothing to open: stays
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_hints_are_revealed_one_at_a_time_and_recorded(pack_context):
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        screen = await open_detail(pilot, "softmax")
        for expected in (1, 2, 3, 3):
            await pilot.press("h")
            assert pack_context.store.hints_revealed("softmax") == expected
        text = screen.query_one("#hints").source
        assert "3 of 3 revealed" in text and "One numpy call per step is enough." in text


async def test_start_writes_the_stub_and_start_over_asks_first(pack_context):
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        await open_detail(pilot, "softmax")
        path = pack_context.solution_path(pack_context.catalog.get("softmax"))
        await pilot.press("s")
        assert 'raise NotImplementedError("softmax")' in path.read_text()
        assert [s.challenge_id for s in pack_context.store.starts()] == ["softmax"]

        path.write_text("# my work\n")
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert path.read_text() == "# my work\n"
        await pilot.press("s")
        await pilot.press("y")
        await pilot.pause()
        assert "NotImplementedError" in path.read_text()
        backups = list(path.parent.glob("softmax.py.*.bak"))
        assert [b.read_text() for b in backups] == ["# my work\n"]
        assert len(pack_context.store.starts()) == 2


async def test_grading_shows_results_and_records_the_grade(pack_context):
    grader = FakeGrader(passed=True, ratio=1.3)
    pack_context.grade_function = grader
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        await open_detail(pilot, "pca")
        await pilot.press("g")   # nothing to grade yet
        await pilot.pause()
        assert grader.calls == [] and isinstance(app.screen, DetailScreen)
        await pilot.press("s")
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert "PASSED" in str(app.screen.query_one("#results-summary").render())
        [grade] = pack_context.store.grades("pca")
        assert grade.passed and grade.speed_ratio == pytest.approx(1.3)
        assert pack_context.store.grade_source(grade.id) == grader.calls[0][1]
        await pilot.press("d")
        assert isinstance(app.screen, DashboardScreen)
        assert "1 of 4" in str(app.screen.query_one("#summary").render())


async def test_grading_runs_in_a_worker_with_a_progress_indicator(pack_context):
    grader = FakeGrader(block=True)
    pack_context.grade_function = grader
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        screen = await open_detail(pilot, "softmax")
        await pilot.press("s", "g")
        indicator = screen.query_one(GradingIndicator)
        await wait_for(pilot, lambda: screen.query_one(ProgressBar).total == 3)
        assert indicator.display and screen.query_one(ProgressBar).progress == 1
        assert "Finds the clusters" in str(screen.query_one("#grading-label").render())
        # The UI keeps answering while the grader works.
        await pilot.press("h")
        assert pack_context.store.hints_revealed("softmax") == 1
        grader.release.set()
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert not indicator.display


async def test_an_error_in_grading_is_shown_not_raised(pack_context):
    pack_context.grade_function = FakeGrader(error=RuntimeError("the grader broke"))
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        screen = await open_detail(pilot, "softmax")
        await pilot.press("s", "g")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        assert "RuntimeError: the grader broke" in app.screen.message
        await pilot.press("escape")
        assert app.screen is screen and not screen.grading
        assert pack_context.store.grades() == []


async def test_watch_mode_regrades_on_save(pack_context):
    grader = FakeGrader()
    pack_context.grade_function = grader
    app = TrainerApp(pack_context, watch_interval=0.05)
    async with app.run_test() as pilot:
        screen = await open_detail(pilot, "softmax")
        await pilot.press("s", "w")
        assert screen.watching and "watching" in str(screen.query_one("#detail-file").render())
        path = pack_context.solution_path(screen.challenge)
        path.write_text("# first save\n")
        await wait_for(pilot, lambda: len(grader.calls) == 1)
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        results = app.screen
        path.write_text("# second save, longer\n")
        await wait_for(pilot, lambda: len(grader.calls) == 2)
        await pilot.pause(0.2)
        assert app.screen is results          # updated in place, not stacked
        assert [c[1] for c in grader.calls] == ["# first save\n", "# second save, longer\n"]
        await pilot.press("escape", "w")
        assert not screen.watching
        path.write_text("# third save, not graded\n")
        await pilot.pause(0.4)
        assert len(grader.calls) == 2
        assert len(pack_context.store.grades("softmax")) == 2


async def test_compare_asks_before_revealing_an_unpassed_reference(pack_context):
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        await open_detail(pilot, "logreg")
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, DetailScreen)
        assert pack_context.store.reveal_records() == []
        await pilot.press("c", "y")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        assert "logaddexp" in app.screen.reference and app.screen.candidate is None
        assert [r.challenge_id for r in pack_context.store.reveal_records()] == ["logreg"]


async def test_help_lists_the_keys_of_every_screen(pack_context):
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-keys").render())
        for words in ("Grade", "Compare", "Watch", "Hint", "Open next", "Light/dark"):
            assert words in text
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_theme_toggles_between_light_and_dark(pack_context):
    app = TrainerApp(pack_context, theme="light")
    async with app.run_test() as pilot:
        assert not app.current_theme.dark
        await pilot.press("t")
        assert app.current_theme.dark
        await pilot.press("t")
        assert not app.current_theme.dark


async def test_dashboard_opens_the_recommended_challenge(seeded_context):
    app = TrainerApp(seeded_context)
    async with app.run_test() as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.challenge.id == "logreg"


async def test_a_damaged_database_is_reported_in_the_app(pack_context, monkeypatch):
    pack_context.store_path.parent.mkdir(parents=True)
    pack_context.store_path.write_bytes(b"not a database" * 100)
    app = TrainerApp(pack_context)
    async with app.run_test(notifications=True) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("moved aside" in m for m in messages)
    assert list(pack_context.store_path.parent.glob("progress.db.corrupt-*"))


async def test_edit_without_a_terminal_says_so_instead_of_crashing(pack_context, monkeypatch):
    monkeypatch.setenv("EDITOR", "true")
    app = TrainerApp(pack_context)
    async with app.run_test(notifications=True) as pilot:
        screen = await open_detail(pilot, "softmax")
        await pilot.press("e")
        assert any("press s to start" in n.message for n in app._notifications)
        await pilot.press("s", "e")
        await pilot.pause()
        assert app.screen is screen
        assert any("Cannot open an editor here" in n.message for n in app._notifications)


async def test_grade_again_from_the_results_screen(pack_context):
    grader = FakeGrader()
    pack_context.grade_function = grader
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        await open_detail(pilot, "softmax")
        await pilot.press("s", "g")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        first = app.screen
        await pilot.press("g")
        await wait_for(pilot, lambda: len(grader.calls) == 2)
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen is not first)
        assert len(app.screen_stack) == 3   # dashboard, challenge, results: nothing piles up
        await pilot.press("r")              # not bound on results: nothing happens
        await pilot.press("escape", "r")    # the challenge screen shows the last results again
        assert isinstance(app.screen, ResultsScreen)


async def test_leaving_while_grading_still_records_and_tells(pack_context):
    grader = FakeGrader(passed=False, block=True)
    pack_context.grade_function = grader
    app = TrainerApp(pack_context)
    async with app.run_test(notifications=True) as pilot:
        await open_detail(pilot, "softmax")
        await pilot.press("s", "g")
        await wait_for(pilot, lambda: grader.calls)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        grader.release.set()
        await wait_for(pilot, lambda: any("softmax: failed" in n.message for n in app._notifications))
        assert isinstance(app.screen, DashboardScreen)
        assert [g.passed for g in pack_context.store.grades("softmax")] == [False]
        # The recorded report is there when the challenge is opened again.
        await open_detail(pilot, "softmax")
        await pilot.press("r")
        assert isinstance(app.screen, ResultsScreen) and app.screen.report.status == "failed"


async def test_no_hints_during_a_mock_round(pack_context):
    pack_context.start_mock(seed=1)   # a real round, started through the session like the CLI's
    app = TrainerApp(pack_context)
    async with app.run_test(notifications=True) as pilot:
        await open_detail(pilot, "softmax")
        await pilot.press("h")
        assert pack_context.store.hints_revealed("softmax") == 0
        assert any("unavailable during a mock round" in n.message for n in app._notifications)


async def test_results_show_static_issues_and_grader_errors(pack_context):
    from trainer.report import GradeReport, Issue

    rejected = GradeReport(
        challenge_id="softmax", solution_path="/w/softmax.py", source_sha256="0" * 64,
        started_at="2026-03-10T12:00:00+00:00", duration_s=0.1, status="rejected",
        static_issues=[Issue("/w/softmax.py", 3, 1, "imports scipy, which this challenge does not allow")],
    )
    broken = GradeReport(
        challenge_id="softmax", solution_path="/w/softmax.py", source_sha256="0" * 64,
        started_at="2026-03-10T12:00:00+00:00", duration_s=0.1, status="error",
        error="the grader could not be loaded: SyntaxError",
    )
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        challenge = pack_context.catalog.get("softmax")
        app.show_report(challenge, rejected)
        await pilot.pause()
        screen = app.screen
        texts = [str(w.render()) for w in screen.query(".test-message")]
        assert "REJECTED" in str(screen.query_one("#results-summary").render())
        assert any("/w/softmax.py:3:1: imports scipy" in t for t in texts)
        app.show_report(challenge, broken)     # same challenge: updated in place
        await pilot.pause()
        assert app.screen is screen
        assert "GRADING ERROR" in str(screen.query_one("#results-summary").render())
        assert any("could not be loaded" in str(w.render()) for w in screen.query(".test-message"))
