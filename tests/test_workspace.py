"""The workspace: where stubs go, and never losing a user's work."""

import pytest

from trainer.errors import SolutionExists
from trainer.workspace import solution_path, start_challenge


def test_start_writes_the_stub_into_the_workspace(toy, isolated_dirs):
    path = start_challenge(toy, level="interview")
    assert path == isolated_dirs["workspace"] / "toy.py"
    assert path.read_text() == toy.render_stub("interview")


def test_workspace_option_beats_the_environment(toy, tmp_path):
    path = start_challenge(toy, workspace=tmp_path / "mine")
    assert path == tmp_path / "mine" / "toy.py" == solution_path(toy, tmp_path / "mine")


def test_existing_solution_is_never_overwritten_without_force(toy):
    path = start_challenge(toy)
    path.write_text("my work")
    with pytest.raises(SolutionExists, match="--force"):
        start_challenge(toy)
    assert path.read_text() == "my work"


def test_force_keeps_a_backup(toy):
    path = start_challenge(toy)
    path.write_text("my work")
    start_challenge(toy, level="interview", force=True)
    backups = list(path.parent.glob("toy.py.*.bak"))
    assert path.read_text() == toy.render_stub("interview")
    assert [b.read_text() for b in backups] == ["my work"]
