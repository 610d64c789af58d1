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
    if not _a_round_may_be_open():
        return
    from trainer import mock
    mock.finalise_expired_session(echo)


def _a_round_may_be_open() -> bool:
    """One read-only query, so that commands do not pay for the store and the
    mock module (and the store's integrity check) when no round is open."""
    import sqlite3
    from contextlib import closing

    from trainer import paths
    from trainer.store import not_writable
    path = paths.database_path()
    # A database this process may not write (read-only, or another user's) holds no
    # round it could finalise: commands that need the store say why themselves,
    # and the others (list, show) run. Opening it read-only would also leave
    # side files behind in the user's way.
    if not path.is_file() or not_writable(path) is not None:
        return False
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            return db.execute("SELECT 1 FROM mock_sessions WHERE open IS NOT NULL LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return True  # an older or damaged database: the store knows how to handle it


def refuse_reference_during_mock(store) -> None:
    """Raise a TrainerError when the reference may not be shown (a mock round is running)."""
    from trainer import mock
    mock.refuse_reference_during_mock(store)
