"""Rules that other commands must respect while a mock interview is running.

The mock-interview module (trainer/mock.py) fills these in; without a running
mock session they allow everything.
"""

from __future__ import annotations


def refuse_hints_during_mock(store) -> None:
    """Raise a TrainerError when hints are unavailable (a mock round is running)."""
    try:
        from trainer import mock
    except ImportError:
        return
    check = getattr(mock, "refuse_hints_during_mock", None)
    if check is not None:
        check(store)
