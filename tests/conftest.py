"""Fixtures of every test: a temporary data dir and workspace, and the toy challenge.

Fixtures only; what tests import by name is in tests/helpers.py.
"""

from __future__ import annotations

import pytest

from tests.helpers import TOY_PACK


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Never touch the user's real data dir or workspace, nor inherit a pack path."""
    data = tmp_path / "data"
    workspace = tmp_path / "workspace"
    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(data))
    monkeypatch.setenv("MLTRAINER_WORKSPACE", str(workspace))
    monkeypatch.delenv("MLTRAINER_CHALLENGE_PATH", raising=False)
    return {"data": data, "workspace": workspace}


@pytest.fixture
def toy():
    from trainer.catalog import load_catalog
    return load_catalog([TOY_PACK]).get("toy")
