"""Fixtures of every test: a temporary data dir and workspace, and the toy challenge.

Fixtures only; what tests import by name is in tests/helpers.py.
"""

from __future__ import annotations

import os

# One BLAS thread in the test processes, set before anything imports numpy:
# under -n 2 both CPUs already run tests and gradings, and a second BLAS
# thread only spins against them (an oracle's solver took 5x longer in wall
# time beside a grading). Gradings set their own (engine._lane_env).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import pytest  # noqa: E402

from tests.helpers import TOY_PACK  # noqa: E402


def pytest_configure(config):
    """Under pytest-xdist (`-n 2`), each grading takes one CPU.

    The workers already grade side by side; a grading that also took a
    second lane would start a second pytest process and its sandbox workers
    on a CPU the other worker's grading needs (`mltrainer grade --roster
    --jobs N` takes one lane per grading for the same reason). Without -n,
    gradings use the engine's default (two lanes when the CPUs are free).
    """
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        os.environ.setdefault("MLTRAINER_LANES", "1")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Never touch the user's real data dir or workspace, nor inherit a pack path."""
    data = tmp_path / "data"
    workspace = tmp_path / "workspace"
    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(data))
    monkeypatch.setenv("MLTRAINER_WORKSPACE", str(workspace))
    monkeypatch.setenv("MLTRAINER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("MLTRAINER_CHALLENGE_PATH", raising=False)
    return {"data": data, "workspace": workspace}


@pytest.fixture
def toy():
    from trainer.catalog import load_catalog
    return load_catalog([TOY_PACK]).get("toy")
