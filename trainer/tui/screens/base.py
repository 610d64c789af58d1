"""What every screen of the app shares: the typed app and the user's Session as `context`.

A screen reads and acts only through :attr:`TrainerScreen.context`, the
:class:`~trainer.session.Session` the CLI goes through too: it never opens
the store or calls the engine itself. It tells the app what happened by
posting the messages of :mod:`trainer.tui.messages`, never by calling the
app's methods, and shows :class:`~trainer.tui.widgets.title_bar.TitleBar`
at the top (dialogs, which sit over a screen, have none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import ModalScreen, Screen, ScreenResultType

if TYPE_CHECKING:
    from trainer.session import Session
    from trainer.tui.app import TrainerApp


class TrainerScreen(Screen[ScreenResultType]):
    """A screen of mltrainer's app."""

    # The app's type for type checkers only: at run time `app` stays Textual's
    # property (textual.getters.app would check it too, but needs Textual 6).
    app: "TrainerApp"

    @property
    def context(self) -> "Session":
        """The user's session: every read and every action of the screen goes through it."""
        return self.app.context


class TrainerModalScreen(ModalScreen[ScreenResultType], TrainerScreen[ScreenResultType]):
    """A dialog over a screen: ModalScreen's keys and look, TrainerScreen's app and context.

    ModalScreen comes first: Textual takes a class's CSS type names from its
    first base, so ``ModalScreen`` rules (the dimmed background, the centring
    in styles.tcss) keep applying to every dialog.
    """
