"""Shown while quitting waits for a grading run to stop: the app never goes blank meanwhile.

Quitting during a grading run cancels it (:meth:`trainer.session.Session.cancel_gradings`;
the engine stops it, its worker processes included, within a fraction of a
second) and the app exits once it has stopped, so the grading thread is not
left behind for the terminal to wait on. `q` again quits without waiting.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from trainer.tui.screens.base import TrainerModalScreen


class StoppingScreen(TrainerModalScreen[None]):
    """A dialog with no keys of its own: the app's `q` (quit at once) still works over it."""

    def compose(self) -> ComposeResult:
        with Vertical(id="stopping-dialog", classes="dialog"):
            yield Static(Content.styled("Stopping the grading run…", "b $warning"), id="stopping-title")
            yield Static("It is not recorded. mltrainer closes as soon as it has stopped.",
                         id="stopping-message")
            yield Static(Content.styled("q: quit without waiting", "$text-muted"))
