"""Text about mock rounds that the command line and the TUI both show.

Plain strings: each interface styles them its own way (rich markup in
:mod:`trainer.cli.mock`, Textual content in :mod:`trainer.tui.screens.mock`),
so a duration, a file's state or a scorecard cell reads the same in both.
"""

from __future__ import annotations

from datetime import datetime

from trainer.mock.models import RATINGS, FollowUp, ItemCard, MockItem, MockSession, Scorecard, sha256_hex

#: The scorecard's columns of tests passed, per category, in order: category -> heading.
CATEGORY_COLUMNS = {"correctness": "correct", "edge_case": "edge", "stability": "stable",
                    "performance": "perf"}


def format_duration(seconds: float) -> str:
    """'1h 05m', '12m 30s', '45s' (rounded down to whole seconds; negative as positive)."""
    s = int(abs(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h {m:02d}m"
    if m:
        return f"{m}m {s:02d}s"
    return f"{s}s"


def clock_time(moment: datetime) -> str:
    """'14:05': a moment (a deadline, a hand-in) in the local time zone."""
    return moment.astimezone().strftime("%H:%M")


def time_left(session: MockSession, now: datetime) -> str:
    """'12m 30s left', or 'its time is up'."""
    left = session.remaining(now).total_seconds()
    return f"{format_duration(left)} left" if left > 0 else "its time is up"


def file_state(item: MockItem) -> str:
    """'missing', 'untouched' (still the stub) or 'edited'."""
    try:
        data = item.path.read_bytes()
    except FileNotFoundError:
        return "missing"
    return "untouched" if sha256_hex(data) == item.stub_sha256 else "edited"


def late_edit_note(edited_late_s: float) -> str:
    """What the scorecard says of a file modified after the deadline."""
    return f"modified {format_duration(edited_late_s)} after the deadline"


def ended_phrase(card: Scorecard) -> str:
    """How the round ended: 'submitted', or 'handed in at the deadline' when the clock ran out."""
    return "handed in at the deadline" if card.ended_by == "deadline" else "submitted"


def time_used_of_allotted(card: Scorecard) -> str:
    """'12m 00s of 20m 00s'."""
    return f"{format_duration(card.used_s)} of {format_duration(card.allotted_s)}"


def score_breakdown(card: Scorecard) -> str:
    """'mean of the points 90.0', with ' x late factor 0.75' when the round was late."""
    factor = f" x late factor {card.late_factor:.2f}" if card.late else ""
    return f"mean of the points {card.raw_score:.1f}{factor}"


def item_cells(item: ItemCard) -> list[str]:
    """A challenge's scorecard cells after its result: tests passed per category
    (:data:`CATEGORY_COLUMNS`), speed, time used, points."""
    cells = []
    for category in CATEGORY_COLUMNS:
        tally = item.categories.get(category)
        cells.append("-" if not tally else f"{tally[0]}/{tally[1]}")
    cells.append("-" if item.speed_ratio is None else f"{item.speed_ratio:.1f}x")
    cells.append("untouched" if item.untouched else
                 "-" if item.time_used_s is None else format_duration(item.time_used_s))
    cells.append(f"{item.points:.1f}")
    return cells


#: The category of a failing test as the scorecard names it.
CATEGORY_NAMES = {"correctness": "correctness", "edge_case": "edge case", "stability": "stability",
                  "performance": "performance"}


def failed_test_lines(item: ItemCard) -> list[str]:
    """The scorecard's list of what went wrong in a challenge: one line per failing
    required test, '✗ <category>: <test name>', then one line for the tests that did not run."""
    lines = [f"✗ {CATEGORY_NAMES.get(category, category)}: {name}" for category, name in item.failed_tests]
    if item.not_run_tests:
        n = len(item.not_run_tests)
        categories = {category for category, _ in item.not_run_tests}
        if categories == {"performance"}:
            why = "performance is timed only once every other test passes"
        else:
            why = "grading stopped before them"
        lines.append(f"- {n} test{'s' if n != 1 else ''} not run ({why}): no points")
    return lines


def key_point_lines(follow_up: FollowUp) -> list[str]:
    """'Key points of a good answer:' and one line per point; no lines when the question has none."""
    if not follow_up.key_points:
        return []
    return ["Key points of a good answer:", *(f"- {point}" for point in follow_up.key_points)]


def rating_scale(separator: str) -> str:
    """The follow-up ratings in short ('1 could not answer', '2 partly', ...), joined by ``separator``."""
    return separator.join(f"{n} {text.split(':')[0]}" for n, text in RATINGS.items())


def card_summary_lines(card: Scorecard) -> list[str]:
    """A few plain lines: the score, each challenge, the late flags."""
    lines = [f"Mock round {card.session_id}: score {card.score:.1f} / 100"
             + (f" (late by {format_duration(card.overrun_s)})" if card.late else "")]
    for item in card.items:
        line = f"  {item.challenge_id}: {item.outcome}, {item.tests_passed}/{item.tests_total} tests, " \
               f"{item.points:.1f} points"
        if item.edited_late_s:
            line += f"; {late_edit_note(item.edited_late_s)}"
        lines.append(line)
        lines += [f"    {failure}" for failure in failed_test_lines(item)]
    return lines
