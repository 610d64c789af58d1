"""What the TUI tests import by name: the fixed content pack, a fixed "now", a seeded history.

The fixtures built from these (home, clock, pack_context, seeded_context)
are in tests/tui/conftest.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.helpers import make_report

PACK = Path(__file__).resolve().parent / "pack"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def days_ago(days: float, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def seed_history(context, clock) -> None:
    """Weeks of practice: softmax mastered, logreg passed and due, pca failing, beam_search new."""
    store = context.store

    def at(moment):
        clock.set(moment)

    def grade(cid, passed, ratio):
        store.record_grade(make_report(cid, passed=passed, ratio=ratio), f"# {cid}\n")

    at(days_ago(12, 2)); store.record_start("softmax", "guided", "~/mltrainer/softmax.py")
    at(days_ago(12, 1)); grade("softmax", False, 3.1)
    at(days_ago(12)); grade("softmax", True, 1.4)
    at(days_ago(5, 1)); store.record_start("logreg", "guided", "~/mltrainer/logreg.py")
    at(days_ago(5)); grade("logreg", False, 2.5)
    at(days_ago(4, 3)); store.reveal_next_hint("logreg", 3)
    at(days_ago(4)); grade("logreg", True, 1.9)
    at(days_ago(2)); grade("softmax", True, 1.1)
    at(days_ago(1, 1)); store.record_start("pca", "interview", "~/mltrainer/pca.py")
    at(days_ago(1)); grade("pca", False, 4.2)
    at(NOW)


async def open_detail(pilot, challenge_id: str):
    """Open a challenge's detail screen in the running app and return it."""
    from trainer.tui.screens.detail import DetailScreen
    pilot.app.open_challenge(challenge_id)
    await pilot.pause()
    assert isinstance(pilot.app.screen, DetailScreen)
    return pilot.app.screen
