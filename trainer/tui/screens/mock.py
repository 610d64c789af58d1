"""The mock-interview screens: a running round with its countdown, and the scorecard.

:class:`MockScreen` shows the task, a live countdown (it turns to the warning
colour in the last :data:`WARNING_AT` and to the error colour at zero), grades
a file on demand without handing it in, and hands the round in, by key or by
itself when the clock reaches zero. :class:`MockScorecardScreen` shows the
scorecard with its formula and asks the follow-up questions one at a time,
each rated 1-4.

The round itself lives in the progress database (:mod:`trainer.mock`): leaving
the screen does not stop the clock, and :func:`open_mock` brings it back (or
offers to start one). Time comes from the context's clock, so tests drive the
countdown with a fake one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Markdown, Static

from trainer import mock
from trainer.errors import TrainerError
from trainer.paths import display_path
from trainer.report import inert
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.theme import file_state_style, mock_outcome_style, summary_line
from trainer.tui.widgets.grading import GradingIndicator
from trainer.tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from trainer.report import GradeReport
    from trainer.tui.app import TrainerApp

#: The countdown changes colour when this little time is left.
WARNING_AT = timedelta(minutes=5)

#: How often the countdown is redrawn (seconds).
TICK_S = 0.5


def countdown_text(remaining: timedelta) -> str:
    """'23:45', '1:05:00', '0:00' once the time is up."""
    seconds = max(0, int(-(-remaining.total_seconds() // 1)))  # round up: 0:00 means up
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes:02d}:{seconds:02d}"


def open_mock(app: "TrainerApp") -> None:
    """Show the running round; without one, offer to start one. (The app's `m` key.)"""
    context = app.context
    session = context.current_mock()
    if session is not None:
        app.push_screen(MockScreen(session.id))
        return

    def answered(yes: bool | None) -> None:
        if not yes:
            return
        try:
            started = context.start_mock()
        except TrainerError as error:
            app.notify(str(error), severity="error", markup=False)
            return
        app.push_screen(MockScreen(started.id))

    app.push_screen(ConfirmScreen(
        "Start a mock round?\nOne challenge, picked for your weak and unseen topics; the clock "
        "starts at once and hints are off until you hand in.\n(More options: `mltrainer mock --help`.)"
    ), answered)


def announce_open_round(app: "TrainerApp") -> None:
    """On start-up, say that a mock round is running (or has run out), and how to get to it."""
    session = app.context.current_mock()
    if session is None:
        return
    left = session.remaining(app.context.now())
    if left > timedelta(0):
        text = f"Mock round {session.id} is running: {countdown_text(left)} left. m returns to it."
        severity = "information"
    else:
        text = f"The time of mock round {session.id} is up: m hands it in as it was at the deadline."
        severity = "warning"
    app.notify(text, title="Mock round", severity=severity, timeout=10)


class MockScreen(TrainerScreen):
    """A running mock round: the task, the countdown, grade now, hand in."""

    BINDINGS = [
        Binding("escape", "back", "Back (the clock runs on)"),
        Binding("g", "check", "Grade now"),
        Binding("s", "submit", "Submit"),
        Binding("n", "next_challenge", "Next challenge"),
        Binding("p", "previous_challenge", "Previous", show=False),
        Binding("e", "edit", "Edit"),
        Binding("a", "abandon", "Abandon", show=False),
    ]

    class GradeEvent(Message):
        def __init__(self, event: dict) -> None:
            super().__init__()
            self.event = event

    class Checked(Message):
        def __init__(self, challenge_id: str, report: "GradeReport") -> None:
            super().__init__()
            self.challenge_id = challenge_id
            self.report = report

    class HandedIn(Message):
        def __init__(self, session_id: int) -> None:
            super().__init__()
            self.session_id = session_id

    class Failed(Message):
        def __init__(self, error: str, during: str) -> None:
            super().__init__()
            self.error = inert(error)  # may quote the candidate's code
            self.during = during

    def __init__(self, session_id: int, *, tick: float = TICK_S) -> None:
        super().__init__()
        self.session_id = session_id
        self.tick = tick
        self.index = 0
        self.checking = False
        self.handing_in = False
        self.waiting_for_other = False
        self.last_checks: dict[str, "GradeReport"] = {}
        self._timer: Timer | None = None

    @property
    def session(self) -> mock.MockSession:
        return self.context.mock_round(self.session_id)

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield TitleBar(f"mock round {self.session_id}")
        with Horizontal(id="mock-bar"):
            yield Static(id="mock-title")
            yield Static(id="mock-clock")
        yield Static(id="mock-file")
        with VerticalScroll(id="mock-body"):
            yield Markdown(id="mock-description")
            yield Static(id="mock-check")
        yield GradingIndicator(id="mock-grading")
        yield Footer()

    def on_mount(self) -> None:
        self.show_challenge()
        self.refresh_clock()
        self._timer = self.set_interval(self.tick, self.refresh_clock)

    def on_screen_resume(self) -> None:
        self.refresh_clock()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def show_challenge(self) -> None:
        session = self.session
        item = session.items[self.index]
        try:
            challenge = self.context.catalog.get(item.challenge_id)
            title, description = challenge.title, challenge.description
        except TrainerError:
            title, description = item.challenge_id, "*This challenge is no longer in the catalog.*"
        n = len(session.items)
        # The same header as a challenge's screen: where you are in the title bar, then the title.
        self.query_one(TitleBar).show(f"mock round {session.id} · {item.challenge_id}"
                                      + (f" ({self.index + 1} of {n})" if n > 1 else ""))
        self.query_one("#mock-title", Static).update(Content.styled(title, "b"))
        self.query_one("#mock-description", Markdown).update(description)
        self._show_file()
        self._show_check(self.last_checks.get(item.challenge_id))

    def _show_file(self) -> None:
        item = self.session.items[self.index]
        state = mock.file_state(item)
        self.query_one("#mock-file", Static).update(Content.assemble(
            ("File ", "$text-muted"), display_path(item.path), "  ", (state, file_state_style(state)),
        ))

    def _show_check(self, report: "GradeReport | None") -> None:
        target = self.query_one("#mock-check", Static)
        if report is None:
            target.update(Content.styled("g grades this file now (not handed in); s hands the round in.",
                                         "$text-muted"))
            return
        from trainer.report import CATEGORY_TITLES

        parts: list[Any] = [Content.assemble(("Last check  ", "b")), summary_line(report)]
        for issue in report.static_issues:
            parts.append(Content.assemble("  ", (issue.location(), "$accent"), ": ", issue.message))
        if report.error:
            parts.append(Content.styled("  " + report.error.splitlines()[0], "$error"))
        for test in report.tests:
            if test.outcome in ("failed", "error"):
                category = CATEGORY_TITLES.get(test.category, test.category)
                parts.append(Content.assemble(("  ✗ ", "$error"), test.name, (f"  ({category})", "$text-muted")))
                if test.message:
                    parts.append(Content.styled("    " + test.message.splitlines()[0], "$text-muted"))
        target.update(Content("\n").join(parts))

    def refresh_clock(self) -> None:
        """Redraw the countdown; at zero, hand the round in."""
        try:
            session = self.session
        except TrainerError:
            return
        clock = self.query_one("#mock-clock", Static)
        remaining = session.remaining(self.context.now())
        clock.update(f" {countdown_text(remaining)} ")
        clock.set_class(timedelta(0) < remaining <= WARNING_AT, "-warning")
        clock.set_class(remaining <= timedelta(0), "-expired")
        if session.state == mock.DONE:
            self._show_scorecard()
        elif session.state == mock.ABANDONED:
            self.app.pop_screen()
        elif remaining <= timedelta(0) and not self.handing_in:
            if session.state == mock.ACTIVE or not self.waiting_for_other:
                self._hand_in(at_deadline=True)

    # ------------------------------------------------------------ actions

    def action_back(self) -> None:
        if not self.handing_in:
            self.notify("The clock runs on: m brings the round back.", title=f"Mock round {self.session_id}")
        self.app.pop_screen()

    def action_next_challenge(self) -> None:
        self.index = (self.index + 1) % len(self.session.items)
        self.show_challenge()

    def action_previous_challenge(self) -> None:
        self.index = (self.index - 1) % len(self.session.items)
        self.show_challenge()

    def action_edit(self) -> None:
        import subprocess

        from textual.app import SuspendNotSupported

        item = self.session.items[self.index]
        command = self.context.editor_command(item.path)
        try:
            with self.app.suspend():
                subprocess.call(command)
        except SuspendNotSupported:
            self.notify(f"Cannot open an editor here; edit {item.path} yourself.", severity="warning",
                        markup=False)
        except OSError as error:
            self.notify(f"Could not run {command[0]}: {error.strerror or error}", severity="error", markup=False)
        self._show_file()

    def action_check(self) -> None:
        if self.handing_in:
            return
        if self.checking:
            self.notify("Already grading.")
            return
        item = self.session.items[self.index]
        self.checking = True
        self.query_one(GradingIndicator).begin(f"{item.challenge_id} (not handed in)")
        self._check_in_thread(item.challenge_id)

    @work(thread=True, exclusive=True, group="mock-check", exit_on_error=False)
    def _check_in_thread(self, challenge_id: str) -> None:
        context = self.context
        try:
            # Counted and cancelled like every grading run.
            report = context.check_mock(challenge_id, on_event=lambda e: self.post_message(self.GradeEvent(e)))
        except TrainerError as error:
            self._report_back(self.Failed(str(error), "check"))
        except Exception as error:  # shown, never raised into the UI
            self._report_back(self.Failed(f"grading failed: {type(error).__name__}: {error}", "check"))
        else:
            self._report_back(self.Checked(challenge_id, report))

    def action_submit(self) -> None:
        if self.handing_in:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._hand_in(at_deadline=False)

        left = self.session.remaining(self.context.now())
        self.app.push_screen(ConfirmScreen(
            f"Hand in mock round {self.session_id} now, with {countdown_text(left)} left?\n"
            "Every file is graded as it is now; the round then ends."
        ), answered)

    def action_abandon(self) -> None:
        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.context.abandon_mock()
            except TrainerError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify(f"Mock round {self.session_id} abandoned.")
            self.app.pop_screen()

        self.app.push_screen(ConfirmScreen(
            f"Abandon mock round {self.session_id}? It ends without a score (the files are kept)."
        ), answered)

    def _hand_in(self, *, at_deadline: bool) -> None:
        self.handing_in = True
        self.query_one(GradingIndicator).begin("the round (time is up)" if at_deadline else "the round")
        self._hand_in_in_thread(at_deadline)

    @work(thread=True, exclusive=True, group="mock-hand-in", exit_on_error=False)
    def _hand_in_in_thread(self, at_deadline: bool) -> None:
        context = self.context
        try:
            # Counted and cancelled like every grading run.
            context.submit_mock(at_deadline=at_deadline, on_event=lambda e: self.post_message(self.GradeEvent(e)))
        except mock.MockBusy as busy:
            self._report_back(self.Failed(str(busy), "busy"))
        except TrainerError as error:
            self._report_back(self.Failed(str(error), "hand-in"))
        except Exception as error:
            self._report_back(self.Failed(f"grading failed: {type(error).__name__}: {error}", "hand-in"))
        else:
            self._report_back(self.HandedIn(self.session_id))

    def _report_back(self, message: Message) -> None:
        """Post to this screen; if the user has left it, tell the app instead."""
        if self.is_attached and self.post_message(message):
            return
        if isinstance(message, self.HandedIn):
            text, severity = f"Mock round {self.session_id} is graded: m shows the scorecard.", "information"
        elif isinstance(message, self.Checked):
            text, severity = f"{message.challenge_id}: checked, {message.report.status}", "information"
        else:
            text, severity = str(getattr(message, "error", "")), "error"
        try:
            self.app.call_from_thread(self.app.notify, text, title="Mock round", severity=severity, markup=False)
        except RuntimeError:
            pass  # the app has exited; the database has the result all the same

    # ------------------------------------------------------------ results

    def on_mock_screen_grade_event(self, message: GradeEvent) -> None:
        self.query_one(GradingIndicator).handle_event(message.event)

    def on_mock_screen_checked(self, message: Checked) -> None:
        self.checking = False
        if not self.handing_in:
            self.query_one(GradingIndicator).finish()
        self.last_checks[message.challenge_id] = message.report
        self.show_challenge()

    def on_mock_screen_handed_in(self, message: HandedIn) -> None:
        self._show_scorecard()

    def on_mock_screen_failed(self, message: Failed) -> None:
        self.query_one(GradingIndicator).finish()
        if message.during == "check":
            self.checking = False
        else:
            self.handing_in = False
        if message.during == "busy":
            # Another mltrainer process is grading the round; the clock tick
            # shows the scorecard once it is done.
            self.waiting_for_other = True
            self.handing_in = True
            self.notify(message.error, severity="warning", markup=False)
            return
        self.notify(message.error, title="Mock round", severity="error", timeout=10, markup=False)

    def _show_scorecard(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self not in self.app.screen_stack:
            return
        # A question left open on top of the round (submit? abandon?) is moot now.
        from textual.screen import ModalScreen

        while self.app.screen is not self and isinstance(self.app.screen, ModalScreen):
            self.app.pop_screen()
        if self.app.screen is self:
            self.app.switch_screen(MockScorecardScreen(self.session_id))


class MockScorecardScreen(TrainerScreen):
    """The scorecard of a handed-in round (with the names of the failing tests), then its
    follow-up questions, rated 1-4, each rating followed by the key points of a good answer."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("1", "rate(1)", "Rate your answer", key_display="1-4"),
        # Covered by "1-4" above: no description, so neither the footer nor the help lists them.
        Binding("2", "rate(2)", show=False),
        Binding("3", "rate(3)", show=False),
        Binding("4", "rate(4)", show=False),
        Binding("k", "skip", "Skip question"),
    ]

    def __init__(self, session_id: int) -> None:
        super().__init__()
        self.session_id = session_id
        self.card: mock.Scorecard | None = None
        self.pending: list[mock.FollowUp] = []
        self.skipped = 0

    def compose(self) -> ComposeResult:
        yield TitleBar(f"mock round {self.session_id} · scorecard")
        yield Static(id="card-summary")
        with VerticalScroll(id="card-body"):
            yield DataTable(id="card-table", cursor_type="none", zebra_stripes=False)
            yield Static(id="card-notes")
            yield Static(id="card-formula")
        yield Static(id="card-key-points")
        yield Static(id="card-follow-up")
        yield Footer()

    def on_mount(self) -> None:
        self.card = self.context.mock_scorecard(self.session_id)
        self.pending = [f for f in self.context.mock_follow_ups(self.session_id) if f.rating is None]
        self._show_card(self.card)
        self._show_key_points(None)
        self._show_follow_up()

    def _show_card(self, card: mock.Scorecard) -> None:
        parts: list[Any] = [
            (f"Score {card.score:.1f} / 100", "b $success" if card.all_passed else "b"),
            f"   {mock.ended_phrase(card)}, {mock.time_used_of_allotted(card)}",
        ]
        if card.late:
            parts += ["   ", (f"LATE by {mock.format_duration(card.overrun_s)}", "b $error")]
        self.query_one("#card-summary", Static).update(Content.assemble(*parts))

        table = self.query_one("#card-table", DataTable)
        table.clear(columns=True)
        for label in ("challenge", "result", "correct", "edge", "stable", "perf", "speed", "time", "points"):
            table.add_column(label, key=label)
        for item in card.items:
            cells: list[Any] = [item.challenge_id,
                                Content.styled(item.outcome, mock_outcome_style(item.outcome)),
                                *mock.item_cells(item)]
            table.add_row(*cells, key=item.challenge_id)

        notes: list[Content] = []
        for item in card.items:
            if item.edited_late_s:
                notes.append(Content.assemble(
                    (f"{item.challenge_id}: ", "b"),
                    (mock.late_edit_note(item.edited_late_s), "$error")))
            if item.message:
                notes.append(Content.assemble((f"{item.challenge_id}: ", "b"), inert(item.message)))
            failures = mock.failed_test_lines(item)
            if failures:
                notes.append(Content.assemble((f"{item.challenge_id}", "b"), ": what failed"))
                for line in failures:
                    style = "$error" if line.startswith("✗") else "$text-muted"
                    notes.append(Content.assemble("  ", (line[:2], style), inert(line[2:])))
        if card.late:
            notes.append(Content(mock.score_breakdown(card)))
        self.query_one("#card-notes", Static).update(Content("\n").join(notes))
        self.query_one("#card-formula", Static).update(Content.styled(card.formula, "$text-muted"))

    def _show_follow_up(self) -> None:
        target = self.query_one("#card-follow-up", Static)
        if not self.pending:
            ratings = [f.rating for f in self.context.mock_follow_ups(self.session_id)
                       if f.rating is not None]
            if ratings:
                mean = sum(ratings) / len(ratings)
                text = f"Follow-up questions rated: {len(ratings)}, mean {mean:.1f} / 4."
            else:
                text = "No follow-up questions rated."
            if self.skipped:
                text += f" {self.skipped} skipped (`mltrainer mock card {self.session_id}` asks again)."
            target.update(Content.styled(text, "$text-muted"))
            return
        f = self.pending[0]
        scale = mock.rating_scale("  ")
        target.update(Content.assemble(
            ("Follow-up", "b"), f" ({len(self.pending)} left) · ", (f.challenge_id, "$accent"), "\n",
            f.question, "\n",
            (f"Answer it aloud or on paper, then rate yourself:  {scale}  ·  k skips", "$text-muted"),
        ))

    def _show_key_points(self, rated: "mock.FollowUp | None") -> None:
        """The key points of a good answer to the question just rated (hidden when there are none)."""
        target = self.query_one("#card-key-points", Static)
        lines = mock.key_point_lines(rated) if rated is not None else []
        target.display = bool(lines)
        if not lines:
            target.update("")
            return
        heading, *points = lines
        target.update(Content.assemble(
            " ", (heading, "b $success"), " ", (f"({rated.challenge_id}: {rated.question})", "$text-muted"),
            *(Content.assemble("\n ", point) for point in points),
        ))

    def action_rate(self, rating: int) -> None:
        if not self.pending:
            return
        f = self.pending.pop(0)
        self.context.rate_follow_up(self.session_id, f, rating)
        self._show_key_points(f)
        self._show_follow_up()

    def action_skip(self) -> None:
        if self.pending:
            self.pending.pop(0)
            self.skipped += 1
            self._show_key_points(None)
            self._show_follow_up()

    def action_back(self) -> None:
        self.app.pop_screen()
