"""The check the CLI runs before every command: a mock round whose deadline
passed while no command was running is finalised by the next one.

Cheap when no round needs attention, which is nearly always: without a
database file nothing is imported or opened, and otherwise it is one
read-only query, without opening the store (and its integrity check). Only
when it says a round may be open does the CLI open the session, which
finalises the round (trainer.session.Session.finalise_expired_mock) and
grades it like every other grading run.
"""

from __future__ import annotations


def a_round_may_be_open() -> bool:
    """One read-only query, so that commands do not pay for the store and the
    mock rounds (and the store's integrity check) when no round is open."""
    from trainer import paths
    path = paths.database_path()
    if not path.is_file():   # no database yet: nothing else is imported
        return False
    import sqlite3
    from contextlib import closing

    from trainer.mock.persistence import open_round_exists
    from trainer.store import not_writable
    # A database this process may not write (read-only, or another user's) holds no
    # round it could finalise: commands that need the store say why themselves,
    # and the others (list, show) run. Opening it read-only would also leave
    # side files behind in the user's way.
    if not_writable(path) is not None:
        return False
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            return open_round_exists(db)
    except sqlite3.Error:
        return True  # an older or damaged database: the store knows how to handle it
