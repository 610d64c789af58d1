"""Fixtures of the TUI tests: a settings folder, a fake home, a fixed clock, a session over the fixed pack, a seeded history.

Fixtures only; the values and functions they are built from are in tests/tui/helpers.py.
"""

from __future__ import annotations

from datetime import timezone

import pytest

from tests.helpers import FakeClock
from tests.tui.helpers import NOW, PACK, seed_history


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """The settings file (theme, stub level) in a folder of the test's own: never the user's."""
    folder = tmp_path / "config"
    monkeypatch.setenv("MLTRAINER_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fake home, so paths shown on screen are the same on every machine (~/...)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def clock():
    return FakeClock(NOW)


@pytest.fixture
def pack_context(tmp_path, home, clock):
    """A Session over the fixed pack, with an empty history."""
    from trainer.catalog import load_catalog
    from trainer.session import Session

    context = Session(
        store_path=tmp_path / "data" / "progress.db",
        workspace=home / "mltrainer",
        clock=clock,
        tz=timezone.utc,
        catalog_loader=lambda: load_catalog([PACK]),
    )
    yield context
    context.close()


@pytest.fixture
def seeded_context(pack_context, clock):
    seed_history(pack_context, clock)
    return pack_context
