"""The challenge browser: a table of every challenge, filtered as you type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Footer, Input, Static

from trainer.tui.messages import OpenChallenge
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.theme import STATUS_STYLE
from trainer.tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from trainer.progress import ChallengeProgress


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


#: The status column's width (styled cells are not measured: it is fixed).
STATUS_WIDTH = 9

#: Room the table needs besides its cells: two cells of padding per column (5) and a scrollbar.
TABLE_OVERHEAD = 2 * 5 + 2


def column_widths(width: int, progress: "list[ChallengeProgress]") -> tuple[int, int]:
    """How wide the title and the topics columns are in a table `width` cells wide.

    The id, difficulty and status columns take what they need; the title and
    the topics share the rest: in full when they fit, else the title gets
    at least 55% of it and the topics what remains.
    """
    ids = max([len("id"), *(len(p.challenge_id) for p in progress)])
    difficulty = max([len("difficulty"), *(len(p.difficulty) for p in progress)])
    room = max(width - ids - difficulty - STATUS_WIDTH - TABLE_OVERHEAD, 16)
    title = max([len("title"), *(len(p.title) for p in progress)])
    topics = max([len("topics"), *(len(", ".join(p.topics)) for p in progress)])
    if title + topics <= room:
        return title, topics
    title_width = min(title, max(room * 11 // 20, room - topics))
    return title_width, room - title_width


def matches(query: str, p: "ChallengeProgress") -> bool:
    """Every word of the query appears in the id, title, difficulty, a topic or the status."""
    haystack = " ".join([p.challenge_id, p.title, p.difficulty, p.status, *p.topics]).lower()
    return all(word in haystack for word in query.lower().split())


class BrowserScreen(TrainerScreen):
    """Type to filter; up/down to move; enter to open."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "open", "Open", show=True),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar("challenges")
        yield Input(placeholder="Type to filter: id, title, topic, difficulty, status", id="filter")
        yield DataTable(id="challenges", cursor_type="row", zebra_stripes=True)
        yield Static(id="browser-count")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.can_focus = False  # the filter keeps the focus; the table follows the keys
        self.widths: tuple[int, int] | None = None
        self.query_one(Input).focus()
        self.refresh_rows()

    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def on_resize(self) -> None:
        """A wider terminal shows more of the titles and topics (and a narrower one, less)."""
        if hasattr(self, "progress") and column_widths(self.size.width, self.progress) != self.widths:
            self._fill(self.query_one(Input).value)

    def _set_columns(self) -> tuple[int, int]:
        """The table's columns for the screen's width (set again only when the widths change)."""
        widths = column_widths(self.size.width or 80, self.progress)
        if widths != self.widths:
            table = self.query_one(DataTable)
            table.clear(columns=True)
            table.add_column("id", key="id")
            table.add_column("title", width=widths[0], key="title")
            table.add_column("difficulty", key="difficulty")
            table.add_column("topics", width=widths[1], key="topics")
            table.add_column("status", width=STATUS_WIDTH, key="status")
            self.widths = widths
        return widths

    def refresh_rows(self) -> None:
        self.progress = self.context.overview().challenges
        self._fill(self.query_one(Input).value)

    def _fill(self, query: str) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        title_width, topics_width = self._set_columns()
        shown = [p for p in self.progress if matches(query, p)]
        for p in shown:
            table.add_row(
                p.challenge_id,
                _clip(p.title, title_width),
                p.difficulty,
                _clip(", ".join(p.topics), topics_width),
                Content.styled(p.status, STATUS_STYLE.get(p.status, "")),
                key=p.challenge_id,
            )
        if shown:
            table.move_cursor(row=min(max(keep, 0), len(shown) - 1))
        total = len(self.progress)
        self.query_one("#browser-count", Static).update(
            Content.styled(
                (f"{len(shown)} of {total} challenges" if query else f"{total} challenges")
                + "  ·  type to filter, ↑↓ move, enter open, esc back",
                "$text-muted",
            )
        )

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)
        self.query_one(DataTable).move_cursor(row=0)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.action_open()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(OpenChallenge(str(event.row_key.value)))

    def action_cursor(self, delta: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=min(max(table.cursor_row + delta, 0), table.row_count - 1))

    def selected_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value)

    def action_open(self) -> None:
        challenge_id = self.selected_id()
        if challenge_id is None:
            self.app.bell()
            return
        self.post_message(OpenChallenge(challenge_id))

    def action_back(self) -> None:
        field = self.query_one(Input)
        if field.value:
            field.value = ""  # first escape clears the filter
        else:
            self.app.pop_screen()
