"""One challenge: its description, hints, and the start / edit / grade / compare loop."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Markdown, Static

from trainer.errors import SolutionExists, TrainerError
from trainer.paths import display_path
from trainer.report import inert
from trainer.tui.messages import OpenCompare, ShowError, ShowReport
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.theme import STATUS_STYLE
from trainer.tui.widgets.grading import GradingIndicator
from trainer.tui.widgets.title_bar import TitleBar
from trainer.watch import SolutionWatcher

if TYPE_CHECKING:
    from trainer.catalog import Challenge
    from trainer.report import GradeReport


class DetailScreen(TrainerScreen):
    """Description as Markdown, hints one at a time, and the keys of the practice loop."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("s", "start_default", "Start"),
        Binding("e", "edit", "Edit"),
        Binding("g", "grade", "Grade"),
        Binding("c", "compare", "Compare"),
        Binding("h", "hint", "Hint"),
        Binding("w", "toggle_watch", "Watch"),
        Binding("i", "start('interview')", "Start, interview level", show=False),
        Binding("l", "switch_level", "Stub level for s", show=False),
        Binding("r", "results", "Last results", show=False),
    ]

    class GradeEvent(Message):
        """A progress event from the engine, posted from the grading thread."""

        def __init__(self, event: dict) -> None:
            super().__init__()
            self.event = event

    class Graded(Message):
        def __init__(self, report: "GradeReport", grade_id: int) -> None:
            super().__init__()
            self.report = report
            self.grade_id = grade_id

    class GradingFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = inert(error)  # may quote the candidate's code

    def __init__(self, challenge: "Challenge") -> None:
        super().__init__()
        self.challenge = challenge
        self.grading = False
        self.watching = False
        self.last_report: "GradeReport | None" = None
        self._watcher: SolutionWatcher | None = None
        self._watch_timer: Timer | None = None
        self._regrade_after = False

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield TitleBar(self.challenge.id)
        yield Static(id="detail-heading")
        yield Static(id="detail-file")
        with VerticalScroll(id="detail-body"):
            yield Markdown(self.challenge.description, id="description")
            yield Markdown(id="hints")
        yield GradingIndicator(id="grading")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_info()

    def on_screen_resume(self) -> None:
        self.refresh_info()

    def on_unmount(self) -> None:
        self._stop_watch()

    def refresh_info(self) -> None:
        c = self.challenge
        context = self.context
        progress = context.overview().get(c.id)
        status = progress.status if progress else "new"
        self.query_one("#detail-heading", Static).update(
            Content.assemble(
                (c.title, "b"), "\n",
                (status, STATUS_STYLE.get(status, "")), " · ",
                (c.difficulty, "$accent"), " · ", ", ".join(c.topics),
            )
        )
        path = context.solution_path(c)
        if path.exists():
            parts: list[Any] = [("Solution ", "$text-muted"), display_path(path)]
        else:
            level = self.app.settings.stub_level
            parts = [("Not started: ", "$text-muted"), f"s writes the {level} stub to ", display_path(path),
                     ("  (l: level)", "$text-muted")]
        if self.watching:
            parts += ["  ", ("● watching for saves", "b $warning")]
        self.query_one("#detail-file", Static).update(Content.assemble(*parts))
        self._show_hints()

    def _show_hints(self) -> None:
        hints = self.challenge.hints
        shown = min(self.context.hints_revealed(self.challenge), len(hints))
        # Hints are Markdown, like the description (code in backticks, emphasis).
        lines = [f"**Hints**: {shown} of {len(hints)} revealed", ""]
        lines += [f"{i + 1}. {hint}" for i, hint in enumerate(hints[:shown])]
        if shown < len(hints):
            lines += ["", "*Press h to reveal the next hint.*"]
        self.query_one("#hints", Markdown).update("\n".join(lines))

    # ------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_start_default(self) -> None:
        """`s`: start at the stub level chosen with `l` (remembered; guided until chosen)."""
        self.action_start(self.app.settings.stub_level)

    def action_switch_level(self) -> None:
        """`l`: switch the level `s` starts at between guided and interview, and remember it."""
        from trainer.catalog import LEVELS

        current = self.app.settings.stub_level
        level = LEVELS[(LEVELS.index(current) + 1) % len(LEVELS)] if current in LEVELS else LEVELS[0]
        self.app.remember(stub_level=level)
        self.notify(f"s now writes the {level} stub.", title="Stub level", markup=False)
        self.refresh_info()

    def action_hint(self) -> None:
        try:
            index = self.context.reveal_hint(self.challenge)
        except TrainerError as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        if index is None:
            self.notify("All hints are already revealed.", severity="warning")
        self._show_hints()
        if index is not None:
            self.query_one("#hints").scroll_visible()

    def action_start(self, level: str = "guided") -> None:
        try:
            path = self.context.start(self.challenge, level=level)
        except SolutionExists as exists:
            def answered(yes: bool | None) -> None:
                if yes:
                    self._start_over(level)

            self.app.push_screen(
                ConfirmScreen(
                    f"{display_path(exists.path)} already exists.\nStart over from a fresh {level} stub? "
                    "Your file is kept as a .bak beside it."
                ),
                answered,
            )
            return
        except TrainerError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(f"Wrote {display_path(path)}", title="Started", markup=False)
        self.refresh_info()

    def _start_over(self, level: str) -> None:
        try:
            path = self.context.start(self.challenge, level=level, force=True)
        except TrainerError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(f"Wrote a fresh stub to {display_path(path)}", title="Started over", markup=False)
        self.refresh_info()

    def action_edit(self) -> None:
        from textual.app import SuspendNotSupported

        path = self.context.solution_path(self.challenge)
        if not path.exists():
            self.notify("No solution file yet: press s to start.", severity="warning")
            return
        command = self.context.editor_command(path)
        try:
            with self.app.suspend():
                subprocess.call(command)
        except SuspendNotSupported:
            self.notify(f"Cannot open an editor here; edit {path} yourself.", severity="warning", markup=False)
        except OSError as error:
            self.notify(f"Could not run {command[0]}: {error.strerror or error}", severity="error", markup=False)
        self.refresh_info()

    def action_compare(self) -> None:
        self.post_message(OpenCompare(self.challenge))

    def action_results(self) -> None:
        """The latest results: of this session, else the latest recorded grade."""
        report = self.last_report
        if report is None:
            report = self.context.latest_report(self.challenge)
        if report is None:
            self.notify("Not graded yet: press g.", severity="warning")
            return
        self.post_message(ShowReport(self.challenge, report))

    # ------------------------------------------------------------ grading

    def action_grade(self) -> None:
        if self.grading:
            self._regrade_after = self.watching
            self.notify("Already grading; results will follow.")
            return
        path = self.context.solution_path(self.challenge)
        if not path.exists():
            self.notify("No solution file yet: press s to start.", severity="warning")
            return
        self.grading = True
        self.query_one(GradingIndicator).begin(self.challenge.id)
        # The worker thread cannot look the app up once this screen is gone.
        self._grading_app = self.app
        self._grade_in_thread()

    @work(thread=True, exclusive=True, group="grading", exit_on_error=False)
    def _grade_in_thread(self) -> None:
        # Runs off the UI thread; talks back only through messages (thread safe).
        try:
            report, grade_id = self._grading_app.context.grade(
                self.challenge, on_event=lambda event: self.post_message(self.GradeEvent(event))
            )
        except TrainerError as error:
            self._report_back(self.GradingFailed(str(error)))
        except Exception as error:  # shown to the user, never raised into the UI
            self._report_back(self.GradingFailed(f"grading failed: {type(error).__name__}: {error}"))
        else:
            self._report_back(self.Graded(report, grade_id))

    def _report_back(self, message: Message) -> None:
        """Post to this screen; if the user has left it meanwhile, tell the app instead."""
        if self.is_attached and self.post_message(message):
            return
        if isinstance(message, DetailScreen.Graded):
            verdict = "passed" if message.report.passed else message.report.status
            text = f"{self.challenge.id}: {verdict} (recorded; open it and press r for details)"
            severity = "information" if message.report.passed else "warning"
        else:
            text, severity = f"{self.challenge.id}: {message.error}", "error"
        app = self._grading_app
        try:
            app.call_from_thread(app.notify, text, title="Graded", severity=severity, markup=False)
        except RuntimeError:
            pass  # the app has exited: the grade is recorded all the same

    def on_detail_screen_grade_event(self, message: GradeEvent) -> None:
        self.query_one(GradingIndicator).handle_event(message.event)

    def on_detail_screen_graded(self, message: Graded) -> None:
        self._grading_done()
        self.last_report = message.report
        self.refresh_info()
        self.post_message(ShowReport(self.challenge, message.report))

    def on_detail_screen_grading_failed(self, message: GradingFailed) -> None:
        self._grading_done()
        self.post_message(ShowError(message.error))

    def _grading_done(self) -> None:
        self.grading = False
        self.query_one(GradingIndicator).finish()
        if self._regrade_after:
            self._regrade_after = False
            self.call_after_refresh(self.action_grade)

    # ------------------------------------------------------------ watch mode

    def action_toggle_watch(self) -> None:
        if self.watching:
            self._stop_watch()
            self.notify("Stopped watching.")
        else:
            path = self.context.solution_path(self.challenge)
            self._watcher = SolutionWatcher(path)
            self._watch_timer = self.set_interval(self.app.watch_interval, self._poll_watch)
            self.watching = True
            self.notify(f"Watching {path.name}: every save is graded.", markup=False)
        self.refresh_info()

    def _stop_watch(self) -> None:
        if self._watch_timer is not None:
            self._watch_timer.stop()
        self._watch_timer = None
        self._watcher = None
        self.watching = False

    def _poll_watch(self) -> None:
        if self._watcher is not None and self._watcher.poll():
            self.action_grade()
