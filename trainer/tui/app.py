"""The mltrainer Textual app: wires the screens to the user's Session (trainer.session).

Screens are pushed on top of the dashboard: dashboard → browser → challenge →
results → compare; escape goes back one, ``d`` returns to the dashboard.
Behaviour lives in the screens; this class only navigates and owns the context.
Screens ask for a step to another screen with the messages of
:mod:`trainer.tui.messages`; the ``on_`` handlers here take those steps.

Adding a screen (the mock-interview screen, for one): write it in
``trainer/tui/screens/`` as a :class:`~trainer.tui.screens.base.TrainerScreen`,
add a binding to :attr:`TrainerApp.BINDINGS` and an ``action_`` method here
that pushes it; it reads and acts through ``self.context``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from trainer.errors import TrainerError
from trainer.session import Session
from trainer.settings import Settings, load_settings, remember
from trainer.tui.messages import OpenChallenge, OpenCompare, ShowError, ShowReport
from trainer.tui.screens.dashboard import DashboardScreen
from trainer.tui.theme import THEMES

#: Quitting waits this long at most for a cancelled grading run to stop (it takes a fraction of a second).
STOP_WAIT_S = 10.0

if TYPE_CHECKING:
    from trainer.catalog import Challenge
    from trainer.report import GradeReport


class TrainerApp(App):
    CSS_PATH = "styles.tcss"
    TITLE = "mltrainer"
    ENABLE_COMMAND_PALETTE = False

    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False),
        Binding("d", "dashboard", "Dashboard", show=False),
        Binding("b", "browse", "Browse", show=False),
        Binding("t", "toggle_theme", "Light/dark", show=False),
        Binding("m", "mock", "Mock round", show=False),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False),
    ]

    def __init__(
        self,
        context: Session | None = None,
        *,
        theme: str | None = None,
        watch_interval: float | None = None,
        settings: Settings | None = None,
    ) -> None:
        """`theme`: "dark" or "light" for this run; None takes the one last chosen with `t`
        (trainer/settings.py), which also gives the default stub level."""
        super().__init__()
        from trainer.watch import POLL_INTERVAL_S

        self.context = context or Session()
        self.settings = load_settings() if settings is None else settings
        theme = theme or self.settings.theme
        self.theme = THEMES.get(theme, theme)
        self.watch_interval = POLL_INTERVAL_S if watch_interval is None else watch_interval
        self.stopped_gradings = False   # set when quitting cancelled a grading run (not recorded)
        self._settings_warned = False
        self._stopping_since: float | None = None   # quitting, waiting for a grading run to stop

    def get_default_screen(self) -> Screen:
        return DashboardScreen()

    def on_mount(self) -> None:
        message = self.context.recovery_message
        if message:
            self.notify(message, title="Progress database recovered", severity="warning", timeout=15, markup=False)
        from trainer.tui.screens.mock import announce_open_round

        announce_open_round(self)

    def stop_gradings(self) -> None:
        """Cancel the grading runs in progress (practice or mock): quitting never waits for them."""
        if self.context.grading_in_progress:
            self.context.cancel_gradings()
            self.stopped_gradings = True

    async def action_quit(self) -> None:
        """Quit; during a grading run, stop it first and say so (`q` again quits without waiting).

        Each grading runs in a thread of this process, and the process cannot
        end before that thread does: the app stays on screen, saying that the
        run is being stopped, until it has.
        """
        import time

        if self.context.grading_in_progress and self._stopping_since is None:
            from trainer.tui.screens.stopping import StoppingScreen

            self.stop_gradings()
            self._stopping_since = time.monotonic()
            self.push_screen(StoppingScreen())
            self.set_interval(0.05, self._exit_when_stopped)
            return
        self.stop_gradings()
        await super().action_quit()

    def _exit_when_stopped(self) -> None:
        import time

        waited = time.monotonic() - (self._stopping_since or 0.0)
        if not self.context.grading_in_progress or waited > STOP_WAIT_S:
            self.exit()

    @property
    def stopping(self) -> bool:
        """Quitting is waiting for a cancelled grading run to stop."""
        return self._stopping_since is not None

    def on_unmount(self) -> None:
        self.stop_gradings()
        self.context.close()

    # ---------------------------------------------------------- navigation

    def action_help(self) -> None:
        from trainer.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        """Switch between the light and the dark theme, and remember the choice for the next start."""
        name = "light" if self.current_theme.dark else "dark"
        self.theme = THEMES[name]
        self.remember(theme=name)

    def remember(self, **changes: str) -> None:
        """Save a setting (trainer/settings.py); if it cannot be saved, say so once and carry on."""
        self.settings, problem = remember(self.settings, **changes)
        if problem and not self._settings_warned:
            self._settings_warned = True
            self.notify(f"The choice applies until you quit: {problem}.", title="Settings not saved",
                        severity="warning", timeout=8, markup=False)

    def action_dashboard(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_browse(self) -> None:
        from trainer.tui.screens.browser import BrowserScreen

        self.action_dashboard()
        self.push_screen(BrowserScreen())

    def action_mock(self) -> None:
        """The running mock round, or an offer to start one (trainer/tui/screens/mock.py)."""
        from trainer.tui.screens.mock import MockScorecardScreen, MockScreen, open_mock

        if not isinstance(self.screen, (MockScreen, MockScorecardScreen)):
            open_mock(self)

    def challenge(self, challenge_id: str) -> "Challenge | None":
        try:
            return self.context.catalog.get(challenge_id)
        except TrainerError as error:
            self.notify(str(error), severity="error", markup=False)
            return None

    def open_challenge(self, challenge_id: str, *, grade: bool = False) -> None:
        from trainer.tui.screens.detail import DetailScreen

        challenge = self.challenge(challenge_id)
        if challenge is None:
            return
        screen = DetailScreen(challenge)
        self.push_screen(screen)
        if grade:
            self.call_after_refresh(screen.action_grade)

    def show_report(self, challenge: "Challenge", report: "GradeReport") -> None:
        """Show a report; replace the one on top if it is for the same challenge."""
        from trainer.tui.screens.results import ResultsScreen

        top = self.screen
        if isinstance(top, ResultsScreen) and top.challenge.id == challenge.id:
            top.show(report)
        else:
            self.push_screen(ResultsScreen(challenge, report))

    def open_compare(self, challenge: "Challenge") -> None:
        """Compare with the reference; ask first if the challenge is not passed yet."""
        from trainer.errors import TrainerError
        from trainer.tui.screens.confirm import ConfirmScreen

        try:
            self.context.refuse_reference_during_mock()
        except TrainerError as error:  # a mock round is running
            self.notify(str(error), severity="warning", markup=False)
            return
        if self.context.may_see_reference(challenge):
            self._push_compare(challenge)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._push_compare(challenge)

        self.push_screen(
            ConfirmScreen(
                f"You have not passed {challenge.id} yet.\n"
                "Reveal the reference solution? (It is recorded in your progress.)"
            ),
            answered,
        )

    def _push_compare(self, challenge: "Challenge") -> None:
        from trainer.tui.screens.compare import CompareScreen

        path: Path = self.context.solution_path(challenge)
        candidate = path.read_text(encoding="utf-8", errors="replace") if path.exists() else None
        reference = self.context.reference_source(challenge, record=True)
        self.push_screen(CompareScreen(challenge, candidate, reference))

    def show_error(self, message: str, title: str = "Grading could not finish") -> None:
        from trainer.tui.screens.error import ErrorScreen

        self.push_screen(ErrorScreen(message, title))

    # ------------------------------------------------- what the screens ask for

    def on_open_challenge(self, message: OpenChallenge) -> None:
        self.open_challenge(message.challenge_id, grade=message.grade)

    def on_open_compare(self, message: OpenCompare) -> None:
        self.open_compare(message.challenge)

    def on_show_report(self, message: ShowReport) -> None:
        self.show_report(message.challenge, message.report)

    def on_show_error(self, message: ShowError) -> None:
        if self.stopping:   # a grading run stopped because the app is quitting: nothing to tell
            return
        self.show_error(message.error, message.title)


def run(context: Session | None = None, *, theme: str | None = None) -> None:
    TrainerApp(context, theme=theme).run()
