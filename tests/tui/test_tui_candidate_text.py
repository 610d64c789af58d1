"""Candidate text in the TUI is text: Textual markup in it neither styles nor acts.

Reports, grading events, errors and paths can all carry a candidate's text;
each test puts markup (with an action, `[@click=app.quit]`) in one of them and
reads back what the real widget shows, with the app driven by its Pilot.
"""

from __future__ import annotations

import threading
from datetime import timezone

import pytest
from textual.widgets import Static
from textual.widgets._toast import Toast

from tests.tui.helpers import PACK, open_detail

from trainer.report import GradeReport, Issue
from trainer.report import TestResult as _TestResult  # (a name pytest does not collect)
from trainer.tui.app import TrainerApp
from trainer.tui.screens.compare import CompareScreen
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.screens.detail import DetailScreen
from trainer.tui.screens.error import ErrorScreen
from trainer.tui.screens.results import ResultsScreen

# No "/" in it, so it can also name a folder.
MARKUP = "[b]bold [@click=app.quit]quit"


async def wait_for(pilot, condition, timeout=30.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out; screen is {type(pilot.app.screen).__name__}"
        await pilot.pause(0.05)


def shown(screen, selector: str) -> list[str]:
    """The text of every widget that matches, as it is drawn."""
    return [str(widget.render()) for widget in screen.query(selector)]


def report_with(field: str) -> GradeReport:
    test = {"nodeid": "graders/softmax.py::test_rows", "name": "Rows sum to one", "category": "correctness",
            "outcome": "failed", "message": "expected 1.0, got 0.5"}
    fields = {"status": "failed", "error": "", "static_issues": []}
    if field == "test name":
        test["name"] = MARKUP
    elif field == "test message":
        test["message"] = MARKUP
    elif field == "error":
        fields.update(status="error", error=MARKUP)
    elif field == "static issue":
        fields.update(status="rejected", static_issues=[Issue(MARKUP, 3, 1, MARKUP)])
    return GradeReport(challenge_id="softmax", solution_path="/w/softmax.py", source_sha256="0" * 64,
                       started_at="2026-03-10T12:00:00+00:00", duration_s=1.0, tests=[_TestResult(**test)],
                       **fields)


@pytest.mark.parametrize("field", ["test name", "test message", "error", "static issue"])
async def test_results_screen_shows_markup_in_a_report_as_text(pack_context, field):
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        app.show_report(pack_context.catalog.get("softmax"), report_with(field))
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        assert any(MARKUP in text for text in shown(app.screen, "#results-body Static"))


async def test_results_screen_states_the_isolation(pack_context):
    report = report_with("test message")
    report.isolation = "landlock v7 + seccomp"
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        app.show_report(pack_context.catalog.get("softmax"), report)
        await pilot.pause()
        assert shown(app.screen, "#results-isolation") == ["isolation: landlock v7 + seccomp"]


@pytest.fixture
def markup_workspace_context(tmp_path, home, clock):
    """A context whose workspace folder's name is markup."""
    from trainer.catalog import load_catalog
    from trainer.session import Session

    context = Session(store_path=tmp_path / "data" / "progress.db", workspace=home / MARKUP, clock=clock,
                             tz=timezone.utc, catalog_loader=lambda: load_catalog([PACK]))
    yield context
    context.close()



async def test_a_notification_shows_a_path_with_markup_as_text(markup_workspace_context):
    app = TrainerApp(markup_workspace_context)
    async with app.run_test(notifications=True) as pilot:
        await open_detail(pilot, "softmax")
        await pilot.press("s")            # "Wrote <path>"
        await wait_for(pilot, lambda: app.screen.query(Toast))
        assert any(f"{MARKUP}/softmax.py" in text for text in shown(app.screen, Toast))
        assert app.is_running


async def test_the_start_over_question_shows_a_path_with_markup_as_text(markup_workspace_context):
    app = TrainerApp(markup_workspace_context)
    async with app.run_test() as pilot:
        await open_detail(pilot, "softmax")
        await pilot.press("s", "s")       # the second start asks before overwriting
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"{MARKUP}/softmax.py already exists" in shown(app.screen, "#confirm-question")[0]


async def test_the_grading_label_shows_a_test_name_with_markup_as_text(pack_context):
    release = threading.Event()

    def grade(challenge, path, on_event=None, **kwargs):
        on_event({"event": "start", "nodeid": "t1", "name": MARKUP})
        release.wait(30)
        raise RuntimeError("stopped by the test")

    pack_context.grade_function = grade
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        screen = await open_detail(pilot, "softmax")
        await pilot.press("s", "g")
        await wait_for(pilot, lambda: "quit" in shown(screen, "#grading-label")[0])
        assert shown(screen, "#grading-label") == [MARKUP]
        release.set()
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))


async def test_a_grading_error_with_markup_is_shown_as_text(pack_context):
    def grade(challenge, path, **kwargs):
        raise RuntimeError(MARKUP)

    pack_context.grade_function = grade
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        await open_detail(pilot, "softmax")
        await pilot.press("s", "g")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        assert f"RuntimeError: {MARKUP}" in shown(app.screen, "#error-message")[0]


async def test_compare_keeps_control_characters_of_the_candidate_file_off_the_terminal(pack_context):
    challenge = pack_context.catalog.get("softmax")
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        app.push_screen(CompareScreen(challenge, "clear = '\x1b[2J\x1b]0;title\x07'\n", "reference = 1\n"))
        await pilot.pause()
        code = app.screen.query_one("#candidate-code", Static).content.code
        assert code == "clear = '[2J]0;title'\n"
