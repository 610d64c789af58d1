"""The progress store: recording, concurrency, migrations, recovery, export/import."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from trainer import store as store_module
from trainer.errors import TrainerError
from trainer.store import DatabaseTooNew, ImportFormatError, Store, database, schema

from tests.helpers import REPO, FakeClock, make_report

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    directory = tmp_path / "data"
    monkeypatch.setenv("MLTRAINER_DATA_DIR", str(directory))
    return directory


@pytest.fixture
def clock():
    return FakeClock(T0)


@pytest.fixture
def store(data_dir, clock):
    with Store.open(data_dir / "progress.db", clock=clock) as s:
        yield s


def test_open_creates_directories_and_uses_wal(tmp_path):
    path = tmp_path / "a" / "b" / "progress.db"
    with Store.open(path) as s:
        assert path.exists()
        assert s.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.execute("PRAGMA user_version").fetchone()[0] == schema.schema_version()
        assert s.recovered_from is None


def test_default_path_follows_the_environment(data_dir):
    pytest.importorskip("trainer.paths")
    with Store.open() as s:
        assert s.path == data_dir / "progress.db"
    assert (data_dir / "progress.db").exists()


def test_start_hint_reveal_and_grade_are_recorded(store, clock):
    store.record_start("kmeans", "guided", "/w/kmeans.py")
    assert [s.challenge_id for s in store.starts()] == ["kmeans"]
    assert store.starts()[0].started_at == T0

    assert store.hints_revealed("kmeans") == 0
    assert store.reveal_next_hint("kmeans", 2) == 0
    clock.advance(minutes=1)
    assert store.reveal_next_hint("kmeans", 2) == 1
    assert store.reveal_next_hint("kmeans", 2) is None
    assert store.hints_revealed("kmeans") == 2
    assert store.hints_revealed("softmax") == 0

    assert not store.has_passed("kmeans")
    failing = make_report("kmeans", passed=False, ratio=None)
    source = "def kmeans(X, k):\n    raise NotImplementedError\n"
    grade_id = store.record_grade(failing, source)
    assert not store.has_passed("kmeans")
    clock.advance(minutes=5)
    passing = make_report("kmeans", passed=True, ratio=1.7)
    second = store.record_grade(passing, "solved", mode="mock", mock_session_id=7)
    assert store.has_passed("kmeans")
    assert second > grade_id

    records = store.grades("kmeans")
    assert [(g.status, g.passed, g.mode) for g in records] == [
        ("failed", False, "practice"),
        ("passed", True, "mock"),
    ]
    assert records[1].speed_ratio == pytest.approx(1.7)
    assert records[1].mock_session_id == 7
    assert records[1].graded_at == T0 + timedelta(minutes=6)
    assert store.grade_source(grade_id) == source
    assert store.grade_report(second) == passing.to_dict()
    tests = store.grade_tests(grade_id)
    assert [t["outcome"] for t in tests] == ["failed", "passed", "passed"]
    assert tests[0]["message"] == "expected 3 clusters, got 2"
    assert store.grade_tests(second)[2]["time_ratio"] == pytest.approx(1.7)

    store.record_reveal("kmeans")
    assert [r.challenge_id for r in store.reveal_records()] == ["kmeans"]


def test_sha256_is_computed_when_the_report_has_none(store):
    import hashlib

    report = make_report("kmeans", passed=True, ratio=1.0, sha=None)
    grade_id = store.record_grade(report, "print('x')\n")
    row = store.execute("SELECT source_sha256 FROM grades WHERE id = ?", (grade_id,)).fetchone()
    assert row[0] == hashlib.sha256(b"print('x')\n").hexdigest()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.helpers import make_report
    from trainer.store import Store

    path, tag, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    while not go.exists():   # both writers start together
        pass
    for i in range(50):
        with Store.open(path) as store:     # a fresh open each time, as the CLI does
            store.record_grade(make_report("c-" + tag, passed=i % 2 == 0, ratio=1.0 + i),
                               f"# {tag} attempt {i}\\n")
            store.record_start("c-" + tag, "guided", "/w")
    print("done", tag)
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "shared" / "progress.db"
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tag, str(go)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for tag in ("a", "b")
    ]
    go.touch()
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    with Store.open(path) as s:
        grades = s.grades()
        assert len(grades) == 100
        for tag in ("a", "b"):
            sources = {s.grade_source(g.id) for g in grades if g.challenge_id == "c-" + tag}
            assert sources == {f"# {tag} attempt {i}\n" for i in range(50)}
        assert len(s.starts()) == 100
        assert s.execute("SELECT count(*) FROM grade_tests").fetchone()[0] == 300


def _create_version_1(path: Path) -> None:
    """A database as the first release wrote it: schema version 1, no grade_tests."""
    db = sqlite3.connect(path)
    schema.MIGRATIONS[0](db)
    report = make_report("kmeans", passed=False, ratio=None)
    db.execute(
        "INSERT INTO grades (challenge_id, graded_at, status, passed, source_sha256, source,"
        " report_json) VALUES ('kmeans', '2026-01-01T10:00:00.000000+00:00', 'failed', 0,"
        " 'abc', 'src', ?)",
        (json.dumps(report.to_dict()),),
    )
    db.execute("INSERT INTO hints (challenge_id, hint_index, revealed_at) VALUES ('kmeans', 0, 'x')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_migration_from_version_1_keeps_data_and_backfills_test_rows(tmp_path):
    path = tmp_path / "progress.db"
    _create_version_1(path)
    with Store.open(path) as s:
        assert s.execute("PRAGMA user_version").fetchone()[0] == schema.schema_version()
        [grade] = s.grades()
        assert grade.challenge_id == "kmeans" and grade.status == "failed"
        assert [t["name"] for t in s.grade_tests(grade.id)] == [
            "Finds the clusters", "Handles k = 1", "Within the time budget"
        ]
        assert s.hints_revealed("kmeans") == 1
        assert s.recovered_from is None


def test_a_database_from_a_newer_version_is_refused_not_replaced(tmp_path):
    path = tmp_path / "progress.db"
    with Store.open(path):
        pass
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {schema.schema_version() + 5}")
    db.commit()
    db.close()
    with pytest.raises(DatabaseTooNew, match="Upgrade mltrainer"):
        Store.open(path)
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated"],
)
def test_a_corrupt_file_is_moved_aside_and_a_fresh_database_used(tmp_path, clock, damage):
    path = tmp_path / "progress.db"
    if damage == "garbage":
        path.write_bytes(b"this is not a database\n" * 100)
    else:
        with Store.open(path) as s:
            for i in range(30):
                s.record_grade(make_report("kmeans", passed=True, ratio=1.0), "x" * 5000)
        data = path.read_bytes()
        # Keep the header, wipe the pages behind it: SQLite sees a malformed image.
        path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
        for sidecar in tmp_path.glob("progress.db-*"):
            sidecar.unlink()
    damaged = path.read_bytes()

    with Store.open(path, clock=clock) as s:
        assert s.recovered_from == tmp_path / "progress.db.corrupt-20260302T120000Z"
        assert s.recovered_from.read_bytes() == damaged   # moved, never deleted
        assert str(s.recovered_from) in s.recovery_message
        # Neither the header (garbage) nor the list of tables (truncated) is left: nothing to salvage.
        assert "nothing in it could be read" in s.recovery_message
        assert "a new, empty database was started" in s.recovery_message
        assert s.grades() == []
        s.record_start("kmeans", "guided", "/w")
    with Store.open(path) as s:
        assert s.recovered_from is None
        assert len(s.starts()) == 1


def test_two_recoveries_in_the_same_second_keep_both_files(tmp_path, clock):
    path = tmp_path / "progress.db"
    path.write_bytes(b"junk" * 1000)
    Store.open(path, clock=clock).close()
    path.write_bytes(b"more junk" * 1000)
    with Store.open(path, clock=clock) as s:
        assert s.recovered_from.name.endswith("-2")
    assert len(list(tmp_path.glob("progress.db.corrupt-*"))) == 2


def test_export_then_import_elsewhere_reproduces_history_once(tmp_path, clock):
    with Store.open(tmp_path / "one.db", clock=clock) as one:
        one.record_start("kmeans", "guided", "/w/kmeans.py")
        one.reveal_next_hint("kmeans", 3)
        clock.advance(hours=1)
        one.record_grade(make_report("kmeans", passed=True, ratio=2.0), "solution",
                         mode="mock", mock_session_id=4)
        one.record_reveal("kmeans")
        doc = one.export_history()
    text = json.dumps(doc)   # the export is plain JSON
    doc = json.loads(text)
    assert doc["format"] == "mltrainer-progress" and doc["version"] == 1
    assert doc["grades"][0]["report"]["challenge_id"] == "kmeans"

    with Store.open(tmp_path / "two.db", clock=clock) as two:
        two.record_start("softmax", "interview", "/w/softmax.py")
        added = two.import_history(doc)
        none = {"mock_sessions": 0, "mock_items": 0, "mock_ratings": 0}
        assert added == {"starts": 1, "hints": 1, "grades": 1, "reveals": 1, **none}
        assert two.import_history(doc) == {"starts": 0, "hints": 0, "grades": 0, "reveals": 0, **none}
        assert sorted(s.challenge_id for s in two.starts()) == ["kmeans", "softmax"]
        [grade] = two.grades()
        assert grade.passed and grade.speed_ratio == 2.0
        assert (grade.mode, grade.mock_session_id) == ("mock", None)   # rounds do not travel
        assert two.grade_source(grade.id) == "solution"
        assert len(two.grade_tests(grade.id)) == 3
        assert two.hints_revealed("kmeans") == 1


@pytest.mark.parametrize(
    "doc, why",
    [
        ([], "not an mltrainer progress export"),
        ({"format": "other"}, "not an mltrainer progress export"),
        ({"format": "mltrainer-progress", "version": 99}, "newer"),
        ({"format": "mltrainer-progress", "version": 1, "starts": {}}, "'starts' is not a list"),
        ({"format": "mltrainer-progress", "version": 1, "grades": [{"challenge_id": "k"}]},
         "grades\\[0\\] has no report"),
        ({"format": "mltrainer-progress", "version": 1,
          "reveals": [{"challenge_id": "k", "revealed_at": "yesterday"}]}, "not a timestamp"),
    ],
)
def test_import_rejects_bad_files_and_changes_nothing(store, doc, why):
    store.record_start("kmeans", "guided", "/w")
    with pytest.raises(ImportFormatError, match=why):
        store.import_history(doc, origin="backup.json")
    assert len(store.starts()) == 1


def test_a_write_that_cannot_get_the_lock_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "progress.db"
    with Store.open(path) as s:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")      # another process holding the write lock
        s.execute("PRAGMA busy_timeout = 50")
        monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.05)
        with pytest.raises(store_module.StoreError, match="locked by another mltrainer"):
            s.record_start("kmeans", "guided", "/w")
        blocker.execute("ROLLBACK")
        blocker.close()
        s.record_start("kmeans", "guided", "/w")   # the store is still usable
        assert len(s.starts()) == 1


def test_constraint_violations_reach_the_caller_unchanged(store):
    """Callers (mock rounds) rely on unique indexes to detect races."""
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as db:
            db.execute("INSERT INTO hints (challenge_id, hint_index, revealed_at) VALUES ('k', 0, 'x')")
            db.execute("INSERT INTO hints (challenge_id, hint_index, revealed_at) VALUES ('k', 0, 'y')")
    assert store.hints_revealed("k") == 0      # rolled back as a whole


def test_history_can_be_read_inside_a_write_transaction(store):
    with store.transaction() as db:
        db.execute("INSERT INTO reveals (challenge_id, revealed_at) VALUES ('kmeans', ?)", (store_module.to_iso(T0),))
        assert [r.challenge_id for r in store.history().reveals] == ["kmeans"]
        assert len(store.export_history()["reveals"]) == 1
    assert len(store.reveal_records()) == 1


RECOVERER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from trainer.store import Store

    path, tag, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    while not go.exists():
        pass
    with Store.open(path) as store:
        store.record_start("c-" + tag, "guided", "/w")
        print("moved" if store.recovered_from else "fresh")
    """
)


def test_two_processes_meeting_a_corrupt_file_keep_one_fresh_database(tmp_path):
    path = tmp_path / "progress.db"
    path.write_bytes(b"garbage " * 2000)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )}
    procs = [
        subprocess.Popen([sys.executable, "-c", RECOVERER, str(path), tag, str(go)], cwd=REPO,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("a", "b")
    ]
    go.touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    assert sorted(outputs) == ["fresh", "moved"]   # exactly one of them moved it
    [aside] = [p for p in tmp_path.glob("progress.db.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    assert aside.read_bytes() == b"garbage " * 2000
    with Store.open(path) as s:
        assert sorted(x.challenge_id for x in s.starts()) == ["c-a", "c-b"]


def test_an_unusable_data_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(store_module.StoreError, match="MLTRAINER_DATA_DIR"):
        Store.open(blocker / "progress.db")


def test_a_grade_records_the_source_its_report_carries(store):
    """The engine's report holds the text it graded; that, not the file, is what is stored."""
    import hashlib

    graded = "def kmeans(X, k):\n    return X[:k]\n"
    report = make_report("kmeans", passed=True, ratio=1.0, sha=hashlib.sha256(graded.encode()).hexdigest())
    report.source = graded
    grade_id = store.record_grade(report)
    assert store.grade_source(grade_id) == graded
    assert store.grades()[0].source_sha256 == hashlib.sha256(graded.encode()).hexdigest()


def test_a_write_sqlite_refuses_is_a_store_error_naming_the_file(tmp_path):
    """query_only makes SQLite itself refuse writes, as it does for a read-only file."""
    path = tmp_path / "progress.db"
    with Store.open(path) as s:
        s.execute("PRAGMA query_only = ON")
        with pytest.raises(store_module.DatabaseNotWritable) as refused:
            s.record_start("kmeans", "guided", "/w")
        message = str(refused.value)
        assert str(path) in message and "MLTRAINER_DATA_DIR" in message and "\n" not in message
        assert isinstance(refused.value, TrainerError) and refused.value.exit_code == 2
        s.execute("PRAGMA query_only = OFF")
        s.record_start("kmeans", "guided", "/w")   # nothing was left half-done
        assert len(s.starts()) == 1


def test_a_database_path_that_is_a_folder_is_refused_not_moved_aside(tmp_path):
    path = tmp_path / "progress.db"
    path.mkdir()
    with pytest.raises(store_module.DatabaseNotWritable, match="is a folder, not a file"):
        Store.open(path)
    assert path.is_dir() and list(tmp_path.iterdir()) == [path]


def test_store_errors_are_user_errors_defined_with_the_others():
    from trainer import errors

    for name in ("StoreError", "DatabaseTooNew", "DatabaseNotWritable", "DataDirUnusable", "ImportFormatError"):
        error_type = getattr(errors, name)
        assert getattr(store_module, name) is error_type
        assert issubclass(error_type, TrainerError)
