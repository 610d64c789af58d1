"""What screens tell the app: the steps between screens they ask for, as Textual messages.

A screen never calls the app to open a challenge, show a report, compare with
the reference or show an error: it posts one of these messages, which bubbles
up from the screen to :class:`~trainer.tui.app.TrainerApp`, and the app's
handler (``on_open_challenge``, ...) does the navigation. Screens report what
happened; the app decides where that leads (posting's ``widgets/request/``
talk to their app the same way). Messages that stay inside one screen, such as
a grading thread reporting back, are declared on that screen's class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from trainer.catalog import Challenge
    from trainer.report import GradeReport


class OpenChallenge(Message):
    """The user chose a challenge: open its screen (and, with `grade`, grade its solution at once)."""

    def __init__(self, challenge_id: str, *, grade: bool = False) -> None:
        super().__init__()
        self.challenge_id = challenge_id
        self.grade = grade


class OpenCompare(Message):
    """The user asked to compare a solution with the reference (the app asks first if not passed)."""

    def __init__(self, challenge: "Challenge") -> None:
        super().__init__()
        self.challenge = challenge


class ShowReport(Message):
    """A grade report to show: a grading run ended, or the user asked for the last results."""

    def __init__(self, challenge: "Challenge", report: "GradeReport") -> None:
        super().__init__()
        self.challenge = challenge
        self.report = report


class ShowError(Message):
    """Something failed that the user must read (shown in a dialog, never raised)."""

    def __init__(self, error: str, title: str = "Grading could not finish") -> None:
        super().__init__()
        self.error = error
        self.title = title
