"""The command line: exit codes, messages, and staying light.

Commands are driven with click's CliRunner; the real entry point is run as a
subprocess where what matters is the process (imports, tracebacks, exit codes).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from trainer.cli import cli

from tests.helpers import HOSTILE, REPO, TOY_PACK


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)
    return invoke


def mltrainer(*args, env_extra=None, cwd=None):
    import os
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "trainer", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=300)


def test_list_shows_the_table(run):
    result = run("list")
    assert result.exit_code == 0
    assert "kmeans" in result.output and "toy" in result.output and "difficulty" in result.output


def test_list_json(run):
    data = json.loads(run("list", "--format", "json").output)
    assert {"id", "title", "difficulty", "topics"} <= set(data[0])


def test_show_prints_the_task(run):
    result = run("show", "toy")
    assert result.exit_code == 0 and "row_sums(X)" in result.output and "You write" in result.output
    # What may be imported, as the static check allows it (its words may wrap on the terminal).
    assert "You may import" in result.output
    assert " ".join(result.output.split()).count("from the standard library: abc, bisect") == 1


def test_unknown_id_suggests_the_nearest_and_exits_2(run):
    result = run("show", "tyo")
    assert result.exit_code == 2 and "did you mean 'toy'?" in result.output


def test_start_writes_the_stub_and_never_overwrites_without_force(run, isolated_dirs):
    result = run("start", "toy", "--level", "interview")
    path = isolated_dirs["workspace"] / "toy.py"
    assert result.exit_code == 0 and str(path) in result.output and path.exists()
    path.write_text("my work")
    result = run("start", "toy")        # the README's first line, run again: not a failure
    assert result.exit_code == 0 and "kept as it is" in result.output and path.read_text() == "my work"
    assert run("start", "toy", "--force").exit_code == 0
    [backup] = path.parent.glob("toy.py.*.bak")
    assert backup.read_text() == "my work" and "NotImplementedError" in path.read_text()


def test_hint_reveals_the_next_hint_each_time(run):
    assert "Hint 1/2: Use `X.sum(axis=1)`." in run("hint", "toy").output
    second = run("hint", "toy").output
    assert "Hint 2/2" in second and "last hint" in second
    assert "No more hints" in run("hint", "toy").output


@pytest.mark.slow
def test_grade_exit_codes(run, isolated_dirs):
    assert run("grade", "toy").exit_code == 2  # no solution yet: an input error
    run("start", "toy")
    assert run("grade", "toy").exit_code == 1  # the untouched stub fails
    reference = TOY_PACK / "reference" / "toy.py"
    result = run("grade", "toy", "--solution", str(reference))
    assert result.exit_code == 0 and "PASSED" in result.output and "vs reference" in result.output
    rejected = run("grade", "toy", "--solution", str(HOSTILE / "syntax_error.py"))
    assert rejected.exit_code == 1 and "syntax_error.py:4:" in rejected.output


@pytest.mark.slow
def test_grade_json_and_junit_outputs(run, tmp_path):
    reference = str(TOY_PACK / "reference" / "toy.py")
    data = json.loads(run("grade", "toy", "--solution", reference, "--format", "json").output)
    assert data["passed"] is True and data["challenge_id"] == "toy"
    out = tmp_path / "report.xml"
    result = run("grade", "toy", "--solution", reference, "--format", "junit", "--output", str(out))
    assert result.exit_code == 0 and "PASSED" in result.output
    assert out.read_text().startswith("<?xml")


@pytest.mark.slow
def test_grade_without_id_grades_every_workspace_solution(run, isolated_dirs):
    run("start", "toy")
    shutil.copy(TOY_PACK / "reference" / "toy.py", isolated_dirs["workspace"] / "toy.py")
    result = run("grade", "--format", "markdown")
    assert result.exit_code == 0 and "| toy |" in result.output


@pytest.mark.slow
def test_compare_needs_yes_before_passing_when_it_cannot_ask(run, isolated_dirs):
    isolated_dirs["workspace"].mkdir(parents=True)
    shutil.copy(TOY_PACK / "reference" / "toy.py", isolated_dirs["workspace"] / "toy.py")
    refused = run("compare", "toy")
    assert refused.exit_code == 2 and "pass --yes" in refused.output and "def row_sums" not in refused.output
    result = run("compare", "toy", "--yes")
    assert result.exit_code == 0 and "reference" in result.output and "Speed" in result.output


def test_help_and_list_do_not_import_numpy_pytest_or_textual():
    probe = ("import sys\nfrom trainer.cli import main\n"
             "for args in (['--help'], ['list']):\n"
             "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
             "heavy = sorted(m for m in ('numpy', 'pytest', 'textual') if m in sys.modules)\n"
             "print('HEAVY', heavy)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_broken_challenge_yaml_gives_path_line_and_exit_2_without_traceback(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    yaml_file = pack / "challenges" / "toy" / "challenge.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("difficulty: easy", "difficulty: [easy"))
    result = mltrainer("list", env_extra={"MLTRAINER_CHALLENGE_PATH": str(pack)})
    assert result.returncode == 2
    assert f"{yaml_file}:" in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_unknown_command_suggests_and_exits_2():
    result = mltrainer("grdae")
    assert result.returncode == 2 and "Did you mean 'grade'?" in result.stderr


@pytest.mark.slow
def test_grading_the_kmeans_reference_as_the_candidate_passes_through_the_real_entry_point(isolated_dirs):
    env = {"MLTRAINER_DATA_DIR": str(isolated_dirs["data"]), "MLTRAINER_WORKSPACE": str(isolated_dirs["workspace"])}
    result = mltrainer("grade", "kmeans", "--solution", "reference/kmeans.py", env_extra=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED" in result.stdout and "vs reference" in result.stdout
