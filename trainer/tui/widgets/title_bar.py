"""The one-line bar at the top of every screen: mltrainer and where you are."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class TitleBar(Static):
    """A plain title line (static text: nothing scheduled, nothing to race with)."""

    def __init__(self, where: str = "", **kwargs) -> None:
        super().__init__(self._text(where), **kwargs)

    def show(self, where: str) -> None:
        """Say where the user is now (a screen that moves between things, like a mock round's items)."""
        self.update(self._text(where))

    @staticmethod
    def _text(where: str) -> Content:
        return Content.assemble(("mltrainer", "b"), (f" · {where}" if where else "", "$text-muted"))
