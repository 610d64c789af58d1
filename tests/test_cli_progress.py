"""`mltrainer progress`, `next` and `watch` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from tests.helpers import REPO, TOY_PACK, FakeClock, make_report

from trainer.cli import cli
from trainer.store import Store

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(NOW)
    monkeypatch.setattr("trainer.store.database.utc_now", fake)
    return fake


@pytest.fixture
def run(monkeypatch, clock):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)
    return invoke


def seed(clock):
    with Store.open() as store:
        clock.set(NOW - timedelta(days=9))
        store.record_start("kmeans", "guided", "/w/kmeans.py")
        store.record_grade(make_report("kmeans", passed=True, ratio=1.8), "# kmeans\n")
        clock.set(NOW - timedelta(days=1))
        store.record_grade(make_report("toy", passed=False, ratio=None), "# toy\n")
        clock.set(NOW)


def test_progress_text_lists_every_challenge_with_totals(run, clock):
    seed(clock)
    result = run("progress")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    kmeans = next(line for line in lines if line.startswith("kmeans"))
    assert "passed" in kmeans and "1.8x" in kmeans and "9 days ago" in kmeans
    toy = next(line for line in lines if line.startswith("toy"))
    assert "attempted" in toy and "1 day ago" in toy
    assert "Solved 1 of" in result.output and "streak 1 day" in result.output
    assert "Mastery per topic" in result.output
    assert "Next: kmeans: last passed 9 days ago, due for review" in result.output


def test_progress_json_fields(run, clock):
    seed(clock)
    data = json.loads(run("progress", "--format", "json").output)
    assert {"generated_at", "solved", "mastered", "total", "streak_days", "practised_today",
            "topics", "challenges", "recent", "next"} <= set(data)
    by_id = {c["challenge_id"]: c for c in data["challenges"]}
    assert by_id["kmeans"]["status"] == "passed" and by_id["kmeans"]["best_speed_ratio"] == 1.8
    assert by_id["toy"]["status"] == "attempted" and by_id["toy"]["attempts"] == 1
    assert by_id["kmeans"]["due"] == (NOW - timedelta(days=6)).isoformat()
    assert data["next"] == {
        "challenge_id": "kmeans", "kind": "review",
        "reason": "kmeans: last passed 9 days ago, due for review",
        "due": (NOW - timedelta(days=6)).isoformat(),
    }
    assert [r["challenge_id"] for r in data["recent"]] == ["toy", "kmeans"]


def test_export_and_import_move_a_history(run, clock, tmp_path, monkeypatch):
    seed(clock)
    backup = tmp_path / "history.json"
    result = run("progress", "--export", str(backup))
    assert result.exit_code == 0 and "Exported 2 grades, 1 starts" in result.output

    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(tmp_path / "other-machine"))
    result = run("progress", "--import", str(backup))
    assert result.exit_code == 0 and "Imported 3 new records" in result.output
    assert "Imported 0 new records" in run("progress", "--import", str(backup)).output
    data = json.loads(run("progress", "--format", "json").output)
    assert data["solved"] == 1


def test_export_to_stdout(run, clock):
    seed(clock)
    doc = json.loads(run("progress", "--export", "-").output)
    assert doc["format"] == "mltrainer-progress" and len(doc["grades"]) == 2


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "not JSON"),
    ('{"format": "something else"}', "not an mltrainer progress export"),
])
def test_import_of_a_bad_file_exits_2(run, tmp_path, content, message):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    result = run("progress", "--import", str(path))
    assert result.exit_code == 2 and message in result.output


def test_export_and_import_together_is_a_usage_error(run, tmp_path):
    result = run("progress", "--export", str(tmp_path / "a"), "--import", str(tmp_path / "b"))
    assert result.exit_code == 2 and "not both" in result.output


@pytest.fixture
def toy_only(monkeypatch):
    """The toy pack as the whole catalog, so what comes next does not depend on content."""
    monkeypatch.setattr("trainer.paths.content_root", lambda: TOY_PACK)
    monkeypatch.delenv("MLTRAINER_CHALLENGE_PATH")


def test_next_explains_and_start_writes_the_stub(run, toy_only, isolated_dirs):
    result = run("next")
    assert result.exit_code == 0
    assert result.output.startswith("Next: toy (Toy vector sum, easy)")
    assert "why: toy: new, easy; topic testing not practised yet" in result.output
    assert not (isolated_dirs["workspace"] / "toy.py").exists()

    result = run("next", "--start")
    assert result.exit_code == 0 and "wrote" in result.output
    stub = isolated_dirs["workspace"] / "toy.py"
    assert 'raise NotImplementedError("row_sums")' in stub.read_text()
    with Store.open() as store:
        assert [s.challenge_id for s in store.starts()] == ["toy"]

    stub.write_text("# my work\n")
    result = run("next", "--start")
    assert "toy: started just now and never graded; finish it" in result.output
    assert "already at" in result.output and stub.read_text() == "# my work\n"


def test_next_json(run, toy_only):
    data = json.loads(run("next", "--format", "json").output)
    assert data["challenge_id"] == "toy" and data["kind"] == "new" and data["started"] is False
    assert data["solution_path"].endswith("toy.py")


@pytest.mark.slow
def test_watch_grades_and_records_each_run(run, isolated_dirs):
    reference = TOY_PACK / "reference" / "toy.py"
    result = run("watch", "toy", "--solution", str(reference), "--max-runs", "1")
    assert result.exit_code == 0, result.output
    assert "Watching" in result.output
    run("start", "toy")
    result = run("watch", "toy", "--max-runs", "1")
    assert result.exit_code == 1
    with Store.open() as store:
        assert [g.passed for g in store.grades("toy")] == [True, False]


def test_watch_input_errors_exit_2(run):
    result = run("watch", "tyo", "--max-runs", "1")
    assert result.exit_code == 2 and "did you mean 'toy'?" in result.output
    result = run("watch", "toy", "--max-runs", "1")
    assert result.exit_code == 2 and "mltrainer start toy" in result.output


def test_progress_commands_stay_light(tmp_path):
    """Listing progress imports neither numpy, pytest nor textual."""
    code = (
        "import sys\n"
        "from trainer.cli import main\n"
        "try:\n"
        "    main(['progress', '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('numpy', 'pytest', 'textual') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "MLTRAINER_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in result.stderr, result.stderr
    assert json.loads(result.stdout)["solved"] == 0


def test_tui_reports_a_broken_catalog_before_starting(run, tmp_path, monkeypatch):
    pack = tmp_path / "pack"
    (pack / "challenges" / "broken").mkdir(parents=True)
    (pack / "challenges" / "broken" / "challenge.yaml").write_text("id: [unclosed\n")
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(pack))
    started = []
    monkeypatch.setattr("trainer.tui.app.TrainerApp.run", lambda self: started.append(self))
    result = run("tui")
    assert result.exit_code == 2 and "invalid YAML" in result.output
    assert started == []


def test_tui_command_opens_the_app_with_the_options(run, monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr("trainer.tui.app.TrainerApp.run", lambda self: started.append(self))
    result = run("tui", "--theme", "light", "--workspace", str(tmp_path / "ws"))
    assert result.exit_code == 0, result.output
    [app] = started
    assert app.theme == "textual-light" and app.context.workspace == tmp_path / "ws"


def test_next_start_for_a_review_begins_from_a_fresh_stub(run, toy_only, clock, isolated_dirs):
    solution = isolated_dirs["workspace"] / "toy.py"
    solution.parent.mkdir(parents=True)
    solution.write_text("# my passing solution\n")
    with Store.open() as store:
        clock.set(NOW - timedelta(days=9))
        store.record_grade(make_report("toy", passed=True, ratio=1.0), "# my passing solution\n")
        clock.set(NOW)
    result = run("next", "--start")
    assert result.exit_code == 0, result.output
    assert "toy: last passed 9 days ago, due for review" in result.output
    assert "NotImplementedError" in solution.read_text()
    [backup] = solution.parent.glob("toy.py.*.bak")
    assert backup.read_text() == "# my passing solution\n"
    assert f"kept as {backup}" in result.output
