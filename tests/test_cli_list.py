"""`mltrainer list` shows where the user stands on each challenge; `mltrainer mock` counts minutes right.

Driven with click's CliRunner over the toy pack, the bundled catalog and a
real progress database in the test's data folder (tests/conftest.py).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.helpers import TOY_PACK, make_report

from trainer.cli import cli


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    monkeypatch.setenv("COLUMNS", "120")
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)
    return invoke


def row(output: str, challenge_id: str) -> list[str]:
    (line,) = [line for line in output.splitlines() if line.split(" ")[0] == challenge_id]
    return line.split()


def record(challenge_id: str, *, passed: bool, ratio: float | None) -> None:
    from trainer.store import Store

    with Store.open() as store:
        store.record_grade(make_report(challenge_id, passed=passed, ratio=ratio), f"# {challenge_id}\n")


def test_list_shows_status_and_best_speed_per_challenge(run):
    assert run("start", "toy").exit_code == 0
    assert run("start", "softmax").exit_code == 0
    record("softmax", passed=False, ratio=None)
    record("kmeans", passed=False, ratio=3.5)
    record("kmeans", passed=True, ratio=2.4)
    record("kmeans", passed=True, ratio=1.6)

    result = run("list")
    assert result.exit_code == 0
    header = result.output.splitlines()[0].split()
    assert header[-3:] == ["status", "best", "speed"]
    assert row(result.output, "toy")[-2:] == ["started", "-"]
    assert row(result.output, "softmax")[-2:] == ["attempted", "-"]
    assert row(result.output, "kmeans")[-2:] == ["passed", "1.6x"]
    assert row(result.output, "glr")[-2:] == ["new", "-"]
    from trainer.catalog import load_catalog
    total = len({c.id for c in load_catalog()} | {"toy"})
    assert f"{total} challenges: 1 passed, 2 started, {total - 3} not started." in result.output


def test_list_json_keeps_its_fields_and_adds_the_progress(run):
    record("kmeans", passed=True, ratio=1.6)
    data = {c["id"]: c for c in json.loads(run("list", "--format", "json").output)}
    assert set(data["kmeans"]) == {"id", "title", "difficulty", "topics", "minutes", "summary",
                                   "status", "attempts", "best_speed_ratio"}
    assert (data["kmeans"]["status"], data["kmeans"]["attempts"], data["kmeans"]["best_speed_ratio"]) \
        == ("passed", 1, 1.6)
    assert (data["toy"]["status"], data["toy"]["best_speed_ratio"]) == ("new", None)


def test_list_without_readable_progress_still_lists(run, monkeypatch, tmp_path):
    """The catalog is what `list` is for: a data folder that is a file costs the status column only."""
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(blocker))
    result = run("list")
    assert result.exit_code == 0
    assert row(result.output, "toy")[:1] == ["toy"] and "status" not in result.output.splitlines()[0]
    assert "Your progress could not be read" in result.output
    data = json.loads(CliRunner().invoke(cli, ["list", "--format", "json"]).stdout)
    assert data[0]["status"] is None


def test_list_fits_an_80_column_terminal_one_line_per_challenge(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = run("list")
    from trainer.catalog import load_catalog
    ids = sorted({c.id for c in load_catalog()} | {"toy"})
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert sorted(line.split(" ")[0] for line in lines[1:len(ids) + 1]) == ids
    assert lines[len(ids) + 1] == ""


@pytest.mark.parametrize(("minutes", "said"), [(1, "1 minute,"), (2, "2 minutes,")])
def test_mock_says_1_minute(run, minutes, said):
    result = run("mock", "--minutes", str(minutes), "--topic", "testing")
    assert result.exit_code == 0, result.output
    assert said in result.output
    status = run("mock", "status")
    assert f"{said[:-1]} in all" in status.output


def test_start_and_reset_use_the_level_last_chosen_in_the_app(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from trainer.cli import cli
    from trainer.settings import Settings, save_settings
    from tests.helpers import TOY_PACK
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    assert save_settings(Settings(stub_level="interview")) is None
    runner = CliRunner()
    assert runner.invoke(cli, ["start", "toy"], catch_exceptions=False).exit_code == 0
    reset = runner.invoke(cli, ["reset", "toy"], catch_exceptions=False)
    assert reset.exit_code == 0 and "fresh interview stub" in reset.output
    explicit = runner.invoke(cli, ["reset", "toy", "--level", "guided"], catch_exceptions=False)
    assert "fresh guided stub" in explicit.output
