"""How the TUI shows things, in one place: the themes and the style of each status, outcome and verdict.

Every screen takes its styles from here (never from another screen's module).
Styles are Textual style strings over the theme's variables (``$success``,
``$error``, ``$text-muted``...), so the light and the dark theme both work;
layout, sizes and the colours of whole areas are in ``styles.tcss``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.content import Content

if TYPE_CHECKING:
    from trainer.report import GradeReport

#: The app's themes, by the names `mltrainer tui --theme` takes.
THEMES = {"dark": "textual-dark", "light": "textual-light"}

#: Pygments styles that read well on the dark and the light themes (key: the theme is dark).
SYNTAX_THEMES = {True: "monokai", False: "default"}

#: A challenge's progress status (trainer.progress), as the dashboard, browser and challenge show it.
STATUS_STYLE = {
    "new": "$text-muted",
    "started": "$foreground",
    "attempted": "$warning",
    "passed": "$success",
    "mastered": "b $success",
}

#: A test's outcome: its mark and the mark's style.
OUTCOME_MARK = {
    "passed": ("✓", "$success"),
    "failed": ("✗", "$error"),
    "error": ("!", "$error"),
    "skipped": ("-", "$text-muted"),
}

#: A grade report's status: the verdict's text and style.
STATUS_TEXT = {
    "passed": ("PASSED", "b $success"),
    "failed": ("FAILED", "b $error"),
    "rejected": ("REJECTED by the static checks", "b $error"),
    "error": ("GRADING ERROR", "b $error"),
}


def mock_outcome_style(outcome: str) -> str:
    """The outcome of a mock round's item on the scorecard: passed stands out, anything else is an error."""
    return {"passed": "b $success"}.get(outcome, "b $error")


def file_state_style(state: str) -> str:
    """The state of a mock round's file (trainer.mock.file_state): edited, missing, else muted (untouched)."""
    return {"edited": "$success", "missing": "$error"}.get(state, "$text-muted")


def summary_line(report: "GradeReport") -> Content:
    """The verdict of a report in one line: status, tests passed, speed, grading time."""
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
