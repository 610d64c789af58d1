"""The one-line bar at the top of every screen: mltrainer and where you are."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class TitleBar(Static):
    """A plain title line (static text: nothing scheduled, nothing to race with)."""

    def __init__(self, where: str = "", **kwargs) -> None:
        text = Content.assemble(("mltrainer", "b"), (f" · {where}" if where else "", "$text-muted"))
        super().__init__(text, **kwargs)
