"""Grade results: tests grouped by category, messages, and time bars per timed test.

Names, messages, issues, the error and what the solution printed are the
candidate's text: each is shown as `Content` built from plain strings (never
`Content.from_markup`), so `[b]` or `[@click=...]` in them is text, not
markup or an action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Footer, Static

from trainer.render import shows_output
from trainer.tui.messages import OpenChallenge, OpenCompare
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.theme import OUTCOME_MARK, summary_line
from trainer.tui.widgets.bars import TimeComparison
from trainer.tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from trainer.catalog import Challenge
    from trainer.report import GradeReport, TestResult


class ResultsScreen(TrainerScreen):
    """The report of one grading run; updated in place when watch mode re-grades."""

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
        if shows_output(test):
            rows.append(Static(Content.styled("It printed:", "$text-muted"), classes="test-message"))
            rows.append(Static(Content(test.output.strip("\n")), classes="test-output"))
        return rows

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_compare(self) -> None:
        self.post_message(OpenCompare(self.challenge))

    def action_grade(self) -> None:
        """Grade again from the detail screen below (its worker owns grading)."""
        from trainer.tui.screens.detail import DetailScreen

        stack = self.app.screen_stack
        below = stack[-2] if len(stack) >= 2 else None
        if isinstance(below, DetailScreen) and below.challenge.id == self.challenge.id:
            self.app.pop_screen()
            below.action_grade()
        else:
            self.post_message(OpenChallenge(self.challenge.id, grade=True))
