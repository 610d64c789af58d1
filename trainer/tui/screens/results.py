"""Grade results: the failed tests first, then the rest grouped by category, with time bars.

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


#: The outcomes listed first, under "Failed".
FAILED_OUTCOMES = ("failed", "error")


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

        # What to fix comes first: every failed test with its message, in the order of the run.
        failed = [t for t in report.tests if t.outcome in FAILED_OUTCOMES]
        if failed:
            yield Static(
                Content.assemble(("Failed", "b $error"), (f"  {len(failed)} of {len(report.tests)}", "$error")),
                classes="category-title", id="results-failed",
            )
            for test in failed:
                yield from self._test_rows(test, category=CATEGORY_TITLES.get(test.category, test.category))
        for category, tests in report.by_category().items():
            passed = sum(t.passed for t in tests)
            yield Static(
                Content.assemble(
                    (CATEGORY_TITLES.get(category, category), "b"),
                    (f"  {passed}/{len(tests)}", "$success" if passed == len(tests) else "$error"),
                ),
                classes="category-title",
            )
            n_failed = sum(t.outcome in FAILED_OUTCOMES for t in tests)
            if n_failed:
                yield Static(Content.styled(f"{n_failed} failed: listed above", "$text-muted"),
                             classes="test-message")
            for test in tests:
                if test.outcome not in FAILED_OUTCOMES:
                    yield from self._test_rows(test)
        if report.isolation:  # reports from before the field have none to state
            yield Static(Content.styled(f"isolation: {report.isolation}", "$text-muted"),
                         id="results-isolation")

    def _test_rows(self, test: "TestResult", category: str = "") -> "list[Widget]":
        """A test's line (with its category, in the list of failures), message, timings and output."""
        mark, style = OUTCOME_MARK.get(test.outcome, ("?", ""))
        rows: list[Widget] = [
            Static(
                Content.assemble(
                    (mark, style), " ", test.name,
                    (" (bonus)" if test.bonus else "", "$text-muted"),
                    (f"  · {category.lower()}" if category else "", "$text-muted"),
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
