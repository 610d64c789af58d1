"""The grading indicator: a progress bar fed by the engine's events."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static

from trainer.report import inert


class GradingIndicator(Horizontal):
    """Hidden until a grading run starts; shows tests done of collected, and the current test."""

    DEFAULT_CLASSES = "-idle"

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=None, show_eta=False, id="grading-bar")
        yield Static(id="grading-label")

    def begin(self, what: str) -> None:
        self.remove_class("-idle")
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        self._done = 0
        self._label(f"Grading {what}…")

    def handle_event(self, event: dict) -> None:
        """Apply one engine event ({"event": "collected" | "start" | "done" | "rejected", ...})."""
        bar = self.query_one(ProgressBar)
        kind = event.get("event")
        if kind == "collected":
            bar.update(total=max(int(event.get("count", 0)), 1), progress=0)
            self._label(f"{event.get('count', 0)} tests collected")
        elif kind == "start":
            self._label(str(event.get("name") or event.get("nodeid", "")))
        elif kind == "done":
            self._done += 1
            bar.advance(1)
        elif kind == "rejected":
            self._label("Static checks failed")

    def finish(self) -> None:
        self.add_class("-idle")

    def _label(self, text: str) -> None:
        # Test names arrive from the grading process: plain text, inert.
        self.query_one("#grading-label", Static).update(Content(inert(text)))
