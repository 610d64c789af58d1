"""The wheel: a non-editable install finds the bundled content from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.slow   # builds and installs the wheel, then grades with it


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project's wheel installed into a private folder (its dependencies come from this environment)."""
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(build), str(REPO)],
                   check=True, timeout=600)
    (wheel,) = build.glob("mltrainer-*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                    str(wheel)], check=True, timeout=600)
    return wheel, target


def run_installed(target, *args, cwd, env_extra):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(env_extra, PYTHONPATH=str(target))
    return subprocess.run([str(target / "bin" / "mltrainer"), *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


def test_wheel_bundles_challenges_graders_and_references(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    for part in ("trainer/_content/challenges/kmeans/challenge.yaml", "trainer/_content/graders/kmeans.py",
                 "trainer/_content/reference/kmeans.py", "trainer/sandbox/worker.py"):
        assert part in names


def test_installed_mltrainer_works_from_an_unrelated_directory(installed, tmp_path, isolated_dirs):
    _, target = installed
    env = {"MLTRAINER_DATA_DIR": str(isolated_dirs["data"]), "MLTRAINER_WORKSPACE": str(isolated_dirs["workspace"])}
    listed = run_installed(target, "list", cwd=tmp_path, env_extra=env)
    assert listed.returncode == 0 and "kmeans" in listed.stdout, listed.stderr
    started = run_installed(target, "start", "kmeans", cwd=tmp_path, env_extra=env)
    assert started.returncode == 0 and "kmeans.py" in started.stdout, started.stderr
    graded = run_installed(target, "grade", "kmeans", "--fail-fast", cwd=tmp_path, env_extra=env)
    assert graded.returncode == 1 and "FAILED" in graded.stdout, graded.stdout + graded.stderr
    assert "NotImplementedError" in graded.stdout
