"""Grade results: tests grouped by category, messages, and time bars per timed test.

Names, messages, issues and the error are the candidate's text: each is shown
as `Content` built from plain strings (never `Content.from_markup`), so
`[b]` or `[@click=...]` in them is text, not markup or an action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from trainer.tui.widgets.title_bar import TitleBar
from trainer.tui.widgets.bars import TimeComparison

if TYPE_CHECKING:
    from trainer.catalog import Challenge
    from trainer.report import GradeReport, TestResult
    from trainer.tui.app import TrainerApp

OUTCOME_MARK = {
    "passed": ("✓", "$success"),
    "failed": ("✗", "$error"),
    "error": ("!", "$error"),
    "skipped": ("-", "$text-muted"),
}

STATUS_TEXT = {
    "passed": ("PASSED", "b $success"),
    "failed": ("FAILED", "b $error"),
    "rejected": ("REJECTED by the static checks", "b $error"),
    "error": ("GRADING ERROR", "b $error"),
}


def summary_line(report: "GradeReport") -> Content:
    counts = report.counts()
    text, style = STATUS_TEXT.get(report.status, (report.status.upper(), "b"))
    parts: list[Any] = [(text, style)]
    if report.tests:
        parts.append(f"  {counts['passed']} of {counts['total']} tests passed")
        if counts["bonus_total"]:
            parts.append(f", bonus {counts['bonus_passed']} of {counts['bonus_total']}")
    if report.speed_ratio is not None:
        parts.append(f"  ·  speed {report.speed_ratio:.1f}x the reference")
    parts.append(("  ·  ", "$text-muted"))
    parts.append((f"{report.duration_s:.1f} s", "$text-muted"))
    return Content.assemble(*parts)


class ResultsScreen(Screen):
    """The report of one grading run; updated in place when watch mode re-grades."""

    app: "TrainerApp"

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("c", "compare", "Compare"),
        Binding("g", "grade", "Grade again"),
    ]

    def __init__(self, challenge: "Challenge", report: "GradeReport") -> None:
        super().__init__()
        self.challenge = challenge
        self.report = report

    def compose(self) -> ComposeResult:
        yield TitleBar(f"{self.challenge.id} · results")
        yield Static(id="results-summary")
        yield VerticalScroll(id="results-body")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.report)

    def show(self, report: "GradeReport") -> None:
        self.report = report
        self.query_one("#results-summary", Static).update(summary_line(report))
        body = self.query_one("#results-body", VerticalScroll)
        body.remove_children()
        body.mount_all(list(self._sections(report)))
        body.scroll_home(animate=False)

    def _sections(self, report: "GradeReport"):
        if report.static_issues:
            yield Static(Content.styled("Static checks", "b"), classes="category-title")
            for issue in report.static_issues:
                yield Static(
                    Content.assemble((issue.location(), "$accent"), ": ", issue.message),
                    classes="test-message",
                )
        if report.error:
            yield Static(Content.styled(report.error, "$error"), classes="test-message")
        from trainer.report import CATEGORY_TITLES

        for category, tests in report.by_category().items():
            passed = sum(t.passed for t in tests)
            yield Static(
                Content.assemble(
                    (CATEGORY_TITLES.get(category, category), "b"),
                    (f"  {passed}/{len(tests)}", "$success" if passed == len(tests) else "$error"),
                ),
                classes="category-title",
            )
            for test in tests:
                yield from self._test_rows(test)
        if report.isolation:  # reports from before the field have none to state
            yield Static(Content.styled(f"isolation: {report.isolation}", "$text-muted"),
                         id="results-isolation")

    def _test_rows(self, test: "TestResult") -> "list[Widget]":
        mark, style = OUTCOME_MARK.get(test.outcome, ("?", ""))
        rows: list[Widget] = [
            Static(
                Content.assemble(
                    (mark, style), " ", test.name,
                    (" (bonus)" if test.bonus else "", "$text-muted"),
                ),
                classes="test-row",
            )
        ]
        if test.message and test.outcome != "passed":
            rows.append(Static(Content(test.message), classes="test-message"))
        for m in test.measurements:
            if m.kind == "time":
                rows.append(TimeComparison(m, classes="time-bars"))
            else:
                rows.append(Static(Content.styled(f"{m.label}: {m.summary()}", "$text-muted"),
                                   classes="test-message"))
        return rows

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_compare(self) -> None:
        self.app.open_compare(self.challenge)

    def action_grade(self) -> None:
        """Grade again from the detail screen below (its worker owns grading)."""
        from trainer.tui.screens.detail import DetailScreen

        stack = self.app.screen_stack
        below = stack[-2] if len(stack) >= 2 else None
        if isinstance(below, DetailScreen) and below.challenge.id == self.challenge.id:
            self.app.pop_screen()
            below.action_grade()
        else:
            self.app.open_challenge(self.challenge.id, grade=True)
