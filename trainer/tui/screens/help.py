"""Key bindings of every screen, read from the screens themselves so they never drift."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from trainer.tui.screens.base import TrainerModalScreen

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp


def binding_sections(app: "TrainerApp") -> list[tuple[str, list[Binding]]]:
    from trainer.tui.screens.browser import BrowserScreen
    from trainer.tui.screens.compare import CompareScreen
    from trainer.tui.screens.dashboard import DashboardScreen
    from trainer.tui.screens.detail import DetailScreen
    from trainer.tui.screens.mock import MockScorecardScreen, MockScreen
    from trainer.tui.screens.results import ResultsScreen

    def bindings(items: Iterable) -> list[Binding]:
        return [b for b in items if isinstance(b, Binding) and b.description]

    return [
        ("Everywhere", bindings(type(app).BINDINGS)),
        ("Dashboard", bindings(DashboardScreen.BINDINGS)),
        ("Browser (type to filter)", bindings(BrowserScreen.BINDINGS)),
        ("Challenge", bindings(DetailScreen.BINDINGS)),
        ("Results", bindings(ResultsScreen.BINDINGS)),
        ("Compare", bindings(CompareScreen.BINDINGS)),
        ("Mock round", bindings(MockScreen.BINDINGS)),
        ("Mock scorecard", bindings(MockScorecardScreen.BINDINGS)),
    ]


class HelpScreen(TrainerModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Content.styled("Keys", "b"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._keys(), id="help-keys")
            yield Static(Content.styled("escape: close", "$text-muted"))

    def _keys(self) -> Content:
        app = self.app
        lines: list[Content] = []
        for title, rows in help_rows(app):
            lines.append(Content.styled(title, "b $accent"))
            for keys, description in rows:
                lines.append(Content.assemble(f"  {keys:<10}", description))
        return Content("\n").join(lines)


def help_rows(app: "TrainerApp") -> list[tuple[str, list[tuple[str, str]]]]:
    """Per section, one row per thing to do: its keys ("q, ^q") and what it does.

    Keys that do the same thing share a row; a binding without a description
    (the 2, 3 and 4 that "1-4" stands for) has none.
    """
    sections = []
    for title, bindings in binding_sections(app):
        rows: dict[tuple[str, str], list[str]] = {}
        for b in bindings:
            keys = rows.setdefault((b.action, b.description), [])
            key = app.get_key_display(b)
            if key not in keys:
                keys.append(key)
        sections.append((title, [(", ".join(keys), description) for (_, description), keys in rows.items()]))
    return sections
