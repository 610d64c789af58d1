"""Horizontal bars drawn with block characters: topic mastery and timing comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from trainer.progress import TopicMastery
    from trainer.report import Measurement

_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, width: int) -> str:
    """A bar ``width`` cells wide filled to ``fraction`` (0..1), in eighths of a cell."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[rest] if rest else "")
    return text.ljust(width)


def track_bar(fraction: float, width: int, style: str) -> Content:
    """A bar on a faint track, so an empty bar is still visible."""
    filled = bar(fraction, width).rstrip()
    return Content.assemble((filled, style), ("░" * (width - len(filled)), "$text-muted 40%"))


class MasteryBars(Static):
    """Mastery per topic: one bar per topic, 0..100%."""

    BAR_WIDTH = 12

    def show(self, topics: Iterable["TopicMastery"]) -> None:
        topics = list(topics)
        if not topics:
            self.update(Content.from_markup("[$text-muted]No topics yet.[/]"))
            return
        name_width = min(max(len(t.topic) for t in topics), 18)
        lines = []
        for t in topics:
            colour = "$success" if t.score >= 0.75 else "$warning" if t.score > 0 else "$text-muted"
            name = t.topic if len(t.topic) <= name_width else t.topic[: name_width - 1] + "…"
            lines.append(
                Content.assemble(
                    name.ljust(name_width + 1),
                    track_bar(t.score, self.BAR_WIDTH, colour),
                    f" {t.score * 100:3.0f}%",
                )
            )
        self.update(Content("\n").join(lines))


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


class TimeComparison(Static):
    """Candidate and reference time of one measurement as two bars on one scale."""

    BAR_WIDTH = 30

    def __init__(self, measurement: "Measurement", **kwargs) -> None:
        super().__init__(**kwargs)
        self.measurement = measurement

    def on_mount(self) -> None:
        self.update(self.render_bars())

    def render_bars(self) -> Content:
        m = self.measurement
        cand, ref = m.candidate or 0.0, m.reference or 0.0
        scale = max(cand, ref) or 1.0
        over = m.within_budget is False
        cand_colour = "$error" if over else "$success"
        prefix = "over " if getattr(m, "cut_off", False) else ""
        ratio = f"{m.ratio:.1f}x" if m.ratio is not None else "?"
        budget = f", budget {m.budget:g}x" if m.budget is not None and not m.informational else ""
        return Content.assemble(
            (f"{m.label}\n", "$text-muted"),
            "  yours     ",
            (bar(cand / scale, self.BAR_WIDTH), cand_colour),
            f" {prefix}{format_seconds(m.candidate)}\n",
            "  reference ",
            (bar(ref / scale, self.BAR_WIDTH), "$primary"),
            f" {format_seconds(m.reference)}  ({prefix}{ratio}{budget})",
        )
