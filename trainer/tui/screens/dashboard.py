"""The dashboard: where the user stands and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Footer, Sparkline, Static

from trainer.tui.messages import OpenChallenge
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.theme import OUTCOME_MARK
from trainer.tui.widgets.bars import MasteryBars
from trainer.tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from trainer.progress import Overview


def short_ago(moment, now) -> str:
    """'now', '5m', '3h', '2d' ago: fits a narrow column."""
    seconds = (now - moment).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "now"


class DashboardScreen(TrainerScreen):
    """Solved count, streak, next challenge, mastery per topic, recent attempts."""

    BINDINGS = [
        Binding("enter", "open_next", "Open next"),
        Binding("b", "app.browse", "Browse"),
        Binding("r", "refresh", "Refresh", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar("dashboard")
        with Vertical(id="dashboard"):
            with Horizontal(id="dashboard-top"):
                yield Static(id="summary", classes="panel")
                yield Static(id="next", classes="panel")
            with Horizontal(id="dashboard-middle"):
                yield MasteryBars(id="mastery", classes="panel")
                yield Static(id="recent", classes="panel")
            with Vertical(id="speed", classes="panel"):
                yield Sparkline([], id="speed-sparkline")
                yield Static(id="speed-caption")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#summary").border_title = "Progress"
        self.query_one("#next").border_title = "Next"
        self.query_one("#mastery").border_title = "Mastery per topic"
        self.query_one("#recent").border_title = "Recent attempts"
        self.query_one("#speed").border_title = "Speed vs reference, recent attempts"
        self.refresh_data()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def action_refresh(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        overview = self.context.overview()
        self.overview = overview
        self._show_summary(overview)
        self._show_next(overview)
        self.query_one(MasteryBars).show(overview.topics)
        self._show_recent(overview)
        self._show_speed(overview)

    def _show_summary(self, o: "Overview") -> None:
        streak = f"{o.streak_days} day{'s' if o.streak_days != 1 else ''}"
        parts = [
            ("Solved   ", "$text-muted"), (f"{o.solved}", "b"), f" of {len(o.challenges)}\n",
            ("Mastered ", "$text-muted"), (f"{o.mastered}", "b"), "\n",
            ("Streak   ", "$text-muted"), (streak, "b"),
        ]
        if o.streak_days and not o.practised_today:
            parts += ["\n", ("Today    ", "$text-muted"), ("not yet", "$warning")]
        text = Content.assemble(*parts)
        self.query_one("#summary", Static).update(text)

    def _show_next(self, o: "Overview") -> None:
        rec = o.recommendation
        target = self.query_one("#next", Static)
        if rec is None:
            target.update(Content.from_markup("[$text-muted]No challenges found.[/]"))
            return
        _, _, why = rec.reason.partition(": ")
        target.update(
            Content.assemble(
                (rec.challenge_id, "b $accent"), "\n", why or rec.reason, "\n",
                ("enter: open it", "$text-muted"),
            )
        )

    def _show_recent(self, o: "Overview") -> None:
        target = self.query_one("#recent", Static)
        if not o.recent:
            target.update(Content.from_markup("[$text-muted]No attempts yet. Press b to browse.[/]"))
            return
        lines = []
        for g in o.recent[:6]:
            mark, style = OUTCOME_MARK["passed" if g.passed else "failed"]
            speed = f"{g.speed_ratio:.1f}x" if g.speed_ratio is not None else "  - "
            lines.append(
                Content.assemble(
                    (mark, style), f" {g.challenge_id[:13]:<13}",
                    f"{g.n_passed:>3}/{g.n_tests:<3}{speed:>6} ",
                    (short_ago(g.graded_at, o.now), "$text-muted"),
                )
            )
        target.update(Content("\n").join(lines))

    def _show_speed(self, o: "Overview") -> None:
        ratios = o.recent_speed_ratios
        self.query_one(Sparkline).data = ratios
        caption = self.query_one("#speed-caption", Static)
        if ratios:
            caption.update(
                Content.styled(
                    f"last {ratios[-1]:.1f}x, best {min(ratios):.1f}x over {len(ratios)} "
                    "attempts (lower is faster)",
                    "$text-muted",
                )
            )
        else:
            caption.update(Content.from_markup("[$text-muted]No timed attempts yet.[/]"))

    def action_open_next(self) -> None:
        rec = getattr(self, "overview", None) and self.overview.recommendation
        if rec:
            self.post_message(OpenChallenge(rec.challenge_id))
