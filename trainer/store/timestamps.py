"""Time in the progress store: the injectable clock and how moments are written.

Timestamps are stored as ISO 8601 strings in UTC, with microseconds, so that
stored strings sort chronologically. The clock is injectable
(``Store.open(clock=...)``) so scheduling can be tested without waiting.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def to_iso(moment: datetime) -> str:
    """UTC ISO 8601 with microseconds, so stored strings sort chronologically."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment
