"""The whole practice loop in the TUI with the real catalog and the real engine.

browser → kmeans → start → (write the solution) → grade → results → dashboard,
once with the reference solution (all passed, solved) and once with the
untouched stub (failed, not solved). Data dir and workspace are temporary
(tests/conftest.py), so nothing of the user's is touched.
"""

from __future__ import annotations

import time

import pytest
from textual.widgets import Input

from trainer import paths
from trainer.tui.app import TrainerApp
from trainer.session import Session
from trainer.tui.screens.browser import BrowserScreen
from trainer.tui.screens.dashboard import DashboardScreen
from trainer.tui.screens.detail import DetailScreen
from trainer.tui.screens.results import ResultsScreen

pytestmark = pytest.mark.slow   # both flows grade kmeans with the real engine

GRADING_TIMEOUT_S = 240


async def wait_for(pilot, condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; screen is {type(pilot.app.screen).__name__}")
        await pilot.pause(0.2)


async def practise_kmeans(pilot, write_solution):
    """Drive the app from the dashboard to the results of grading kmeans."""
    app = pilot.app
    await pilot.press("b")
    assert isinstance(app.screen, BrowserScreen)
    await pilot.press(*"kmeans")
    assert app.screen.query_one(Input).value == "kmeans"
    assert app.screen.selected_id() == "kmeans"
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, DetailScreen) and app.screen.challenge.id == "kmeans"
    await pilot.press("s")
    path = app.context.solution_path(app.screen.challenge)
    assert path.is_file() and "NotImplementedError" in path.read_text()
    write_solution(path)
    await pilot.press("g")
    await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), GRADING_TIMEOUT_S)
    await pilot.pause()  # the screen is current before its on_mount has filled it in
    return app.screen


def reference_text() -> str:
    return (paths.content_root() / "reference" / "kmeans.py").read_text(encoding="utf-8")


async def test_kmeans_with_the_reference_passes_and_counts_as_solved():
    context = Session()
    app = TrainerApp(context)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await practise_kmeans(pilot, lambda path: path.write_text(reference_text()))
        report = results.report
        failures = [f"{t.name}: {t.outcome} {t.message}" for t in report.tests if not t.passed]
        assert report.status == "passed", failures
        assert report.tests and all(t.outcome == "passed" for t in report.required_tests)
        rendered = str(results.query_one("#results-summary").render())
        assert rendered.startswith("PASSED"), repr(rendered)

        await pilot.press("d")
        assert isinstance(app.screen, DashboardScreen)
        total = len(context.catalog.challenges)
        assert f"Solved   1 of {total}" in str(app.screen.query_one("#summary").render())
        assert "kmeans" in str(app.screen.query_one("#recent").render())
        progress = app.screen.overview.get("kmeans")
        assert progress.status == "passed" and progress.attempts == 1
    assert context.store_path is None  # the default path: MLTRAINER_DATA_DIR
    from trainer.store import Store

    with Store.open() as store:
        assert store.has_passed("kmeans")


async def test_kmeans_with_the_untouched_stub_fails_and_is_not_solved():
    context = Session()
    app = TrainerApp(context)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await practise_kmeans(pilot, lambda path: None)
        report = results.report
        assert report.status == "failed"
        assert not [t.name for t in report.required_tests if t.passed]
        summary = str(results.query_one("#results-summary").render())
        assert summary.startswith("FAILED") and "0 of" in summary
        assert "NotImplementedError" in " ".join(t.message for t in report.tests)

        await pilot.press("d")
        total = len(context.catalog.challenges)
        assert f"Solved   0 of {total}" in str(app.screen.query_one("#summary").render())
        assert app.screen.overview.get("kmeans").status == "attempted"
