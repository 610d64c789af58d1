"""Your solution and the reference, side by side, with syntax highlighting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Static

from trainer.report import inert
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.theme import SYNTAX_THEMES
from trainer.tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from trainer.catalog import Challenge


class CompareScreen(TrainerScreen):
    """Candidate on the left, reference on the right; each pane scrolls on its own."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("tab", "app.focus_next", "Other pane", show=True),
    ]

    def __init__(self, challenge: "Challenge", candidate: str | None, reference: str) -> None:
        super().__init__()
        self.challenge = challenge
        self.candidate = candidate
        self.reference = reference

    def compose(self) -> ComposeResult:
        yield TitleBar(f"{self.challenge.id} · compare with the reference")
        with Horizontal(id="compare"):
            with Vertical(classes="compare-side"):
                yield Static(Content.styled("Your solution", "b"), classes="compare-title")
                with VerticalScroll(id="compare-candidate", classes="compare-pane"):
                    yield Static(id="candidate-code")
            with Vertical(classes="compare-side"):
                yield Static(Content.styled("Reference", "b"), classes="compare-title")
                with VerticalScroll(id="compare-reference", classes="compare-pane"):
                    yield Static(id="reference-code")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._render_code, init=True)
        self.query_one("#compare-candidate").focus()

    def _render_code(self, _theme: str | None = None) -> None:
        style = SYNTAX_THEMES[self.app.current_theme.dark]

        def code(text: str) -> Syntax:
            return Syntax(text, "python", theme=style, line_numbers=True, word_wrap=False,
                          background_color="default", indent_guides=False)

        candidate = self.query_one("#candidate-code", Static)
        if self.candidate is None:
            candidate.update(Content.styled("No solution file yet (press s on the detail screen).",
                                            "$text-muted"))
        else:
            # The file may be someone else's: no control characters reach the terminal.
            candidate.update(code(inert(self.candidate)))
        self.query_one("#reference-code", Static).update(code(self.reference))

    def action_back(self) -> None:
        self.app.pop_screen()
