"""Rules that every command respects while a mock interview is running.

`trainer.mock` (the mock-interview module) provides the behaviour; these
entry points keep other commands independent of it, and cheap: nothing heavy
is imported unless a mock session actually needs attention.
"""

from __future__ import annotations


def refuse_hints_during_mock(store) -> None:
    """Raise a TrainerError when hints are unavailable (a mock round is running)."""
    from trainer import mock
    mock.refuse_hints_during_mock(store)


def finalise_expired_mock(echo) -> None:
    """Finalise a mock session whose deadline passed while no command was running.

    Called by the CLI before every command; `echo(text)` reports what was done.
    """
    from trainer import paths
    if not paths.database_path().exists():
        return  # no history, so no mock round: skip importing the mock module
    from trainer import mock
    mock.finalise_expired_session(echo)


def refuse_reference_during_mock(store) -> None:
    """Raise a TrainerError when the reference may not be shown (a mock round is running)."""
    from trainer import mock
    mock.refuse_reference_during_mock(store)
