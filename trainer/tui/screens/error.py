"""A grading error (or any unexpected failure), shown instead of raised."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from trainer.report import inert
from trainer.tui.screens.base import TrainerModalScreen


class ErrorScreen(TrainerModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "dismiss", "Close", show=False),
    ]

    def __init__(self, message: str, title: str = "Grading could not finish") -> None:
        super().__init__()
        self.message = message
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="error-dialog", classes="dialog"):
            yield Static(Content.styled(self.title_text, "b $error"), id="error-title")
            with VerticalScroll(id="error-body"):
                yield Static(Content(inert(self.message)), id="error-message")
            yield Static(Content.styled("escape: close", "$text-muted"))
