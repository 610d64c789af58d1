"""The source stored with a grade is the text that was graded, byte for byte.

Each test saves the solution again while its grading runs (as an editor
does on every keystroke-save) and checks that the stored copy is still the
text the engine read: its SHA-256 is the report's ``source_sha256``. The
real engine grades the toy challenge of tests/fixtures/pack, and the grade is
recorded in a real SQLite file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import TOY_PACK, alive, descendants, is_lane

from trainer.store import Store

pytestmark = pytest.mark.slow   # every test grades with the real engine

REFERENCE = TOY_PACK / "reference" / "toy.py"
GRADED = REFERENCE.read_text(encoding="utf-8")
# Still a correct solution: what differs is only what the store must not see.
SAVED_DURING_GRADING = GRADED + "\n# saved while the grading ran\n"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def only_grade(store: Store):
    (grade,) = store.grades()
    return grade


def assert_recorded_what_was_graded(store: Store, report) -> None:
    grade = only_grade(store)
    stored = store.grade_source(grade.id)
    assert stored == GRADED, "the store kept the file as saved after grading, not the text graded"
    assert sha256(stored) == report.source_sha256 == grade.source_sha256


def rewrite_when_the_first_test_starts(path: Path, done: list):
    """An on_event callback that saves the file again when the grader starts its first test."""
    def on_event(event: dict) -> None:
        if event.get("event") == "start" and not done:
            path.write_text(SAVED_DURING_GRADING, encoding="utf-8")
            done.append(event)
    return on_event


def test_the_tui_records_the_text_graded_not_the_file_saved_during_grading(tmp_path, toy):
    from trainer.catalog import load_catalog
    from trainer.session import Session

    context = Session(store_path=tmp_path / "data" / "progress.db", workspace=tmp_path / "ws",
                             catalog_loader=lambda: load_catalog([TOY_PACK]))
    path = context.solution_path(toy)
    path.parent.mkdir(parents=True)
    path.write_text(GRADED, encoding="utf-8")
    rewritten: list = []
    try:
        report, grade_id = context.grade(toy, on_event=rewrite_when_the_first_test_starts(path, rewritten))
    finally:
        context.close()
    assert rewritten, "the grader never started a test, so nothing was saved during grading"
    assert path.read_text(encoding="utf-8") == SAVED_DURING_GRADING
    with Store.open(tmp_path / "data" / "progress.db") as store:
        assert only_grade(store).id == grade_id
        assert_recorded_what_was_graded(store, report)


def test_a_mock_hand_in_records_the_snapshot_as_graded(toy, monkeypatch):
    from trainer import mock
    from trainer.catalog import load_catalog

    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    catalog = load_catalog()
    with Store.open() as store:
        session = mock.start_session(store, catalog, topic="testing", minutes=20)
        (item,) = session.items
        item.path.write_text(GRADED, encoding="utf-8")
        snapshot = session.folder / "submitted" / item.path.name
        rewritten: list = []

        def on_event(event: dict) -> None:
            if event.get("event") == "start" and not rewritten:
                # Both copies change: neither may be read again for the record.
                for path in (item.path, snapshot):
                    path.write_text(SAVED_DURING_GRADING, encoding="utf-8")
                rewritten.append(event)

        card = mock.submit(store, catalog, on_event=on_event)
        assert rewritten and card.items[0].outcome == "passed"
        grade = only_grade(store)
        assert grade.mode == "mock"
        stored = store.grade_source(grade.id)
        assert stored == GRADED
        assert sha256(stored) == grade.source_sha256 == store.grade_report(grade.id)["source_sha256"]


def _children() -> set[int]:
    """The living lanes of grading runs under this process (Linux /proc)."""
    return {pid for pid in descendants() if is_lane(pid)}


class SaveWhileGrading(threading.Thread):
    """Saves ``path`` again as soon as a grading process starts under this test process.

    The command line gives no hook into the grading run, but the engine grades
    in a lane process below this one (a child, or a lane server's fork) and
    reads the solution before starting it: a save while that lane runs comes
    after the read and before the record.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.before = _children()
        self.saved_while_running = False
        self.stop = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + 120
        while not self.stop.is_set() and time.monotonic() < deadline:
            started = _children() - self.before
            if started:
                self.path.write_text(SAVED_DURING_GRADING, encoding="utf-8")
                self.saved_while_running = any(alive(pid) for pid in started)
                return
            time.sleep(0.002)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches child processes through /proc")
def test_mltrainer_grade_records_the_text_graded_not_the_file_saved_during_grading(monkeypatch, isolated_dirs):
    from trainer.cli import cli

    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    path = isolated_dirs["workspace"] / "toy.py"
    path.parent.mkdir(parents=True)
    path.write_text(GRADED, encoding="utf-8")
    saver = SaveWhileGrading(path)
    saver.start()
    try:
        result = CliRunner().invoke(cli, ["grade", "toy", "--format", "json"], catch_exceptions=False)
    finally:
        saver.stop.set()
        saver.join()
    assert saver.saved_while_running, "the file was not saved while the grading ran; the test proved nothing"
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source_sha256"] == sha256(GRADED)
    with Store.open() as store:
        grade = only_grade(store)
        stored = store.grade_source(grade.id)
        assert stored == GRADED, "the store kept the file as saved after grading, not the text graded"
        assert sha256(stored) == grade.source_sha256 == report["source_sha256"]


def test_a_file_that_is_not_utf8_is_rejected_and_no_other_text_is_stored_for_it(tmp_path, toy):
    """Its bytes are never graded, so no text is kept; the grade still names their SHA-256."""
    from trainer.catalog import load_catalog
    from trainer.session import Session

    context = Session(store_path=tmp_path / "data" / "progress.db", workspace=tmp_path / "ws",
                      catalog_loader=lambda: load_catalog([TOY_PACK]))
    path = context.solution_path(toy)
    path.parent.mkdir(parents=True)
    raw = ("# -*- coding: latin-1 -*-\n# caf\u00e9\n" + GRADED).encode("latin-1")
    path.write_bytes(raw)
    try:
        report, grade_id = context.grade(toy)
    finally:
        context.close()
    assert report.status == "rejected" and "not UTF-8" in report.static_issues[0].message
    with Store.open(tmp_path / "data" / "progress.db") as store:
        grade = only_grade(store)
        assert grade.id == grade_id and grade.source_sha256 == report.source_sha256 == hashlib.sha256(raw).hexdigest()
        assert store.grade_source(grade.id) == ""
