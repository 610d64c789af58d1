"""The Store: the progress records (starts, hints, grades, reveals), written and read.

:class:`Store` is the :class:`~trainer.store.database.Database` with the
queries of the records: every write is one transaction, and reads come back
as the plain records of :mod:`trainer.store.records`. Export and import of the
whole history are :mod:`trainer.store.exchange`'s.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from trainer.store import exchange
from trainer.store.database import Database
from trainer.store.records import GradeRecord, HintRecord, History, RevealRecord, StartRecord
from trainer.store.schema import insert_test_rows
from trainer.store.timestamps import from_iso


class Store(Database):
    """The progress database of one user. Open with :meth:`Store.open`."""

    # ------------------------------------------------------------- writes

    def record_start(
        self, challenge_id: str, level: str, path: str, *, mode: str = "practice"
    ) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO starts (challenge_id, level, path, mode, started_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (challenge_id, level, str(path), mode, self._now()),
            )

    def reveal_next_hint(self, challenge_id: str, n_hints: int) -> int | None:
        """Record the next hint as revealed; return its 0-based index.

        None when all ``n_hints`` hints were already revealed (nothing recorded).
        """
        with self._write() as db:
            count = db.execute(
                "SELECT count(*) FROM hints WHERE challenge_id = ?", (challenge_id,)
            ).fetchone()[0]
            if count >= n_hints:
                return None
            db.execute(
                "INSERT INTO hints (challenge_id, hint_index, revealed_at) VALUES (?, ?, ?)",
                (challenge_id, count, self._now()),
            )
            return count

    def hints_revealed(self, challenge_id: str) -> int:
        return self._db.execute(
            "SELECT count(*) FROM hints WHERE challenge_id = ?", (challenge_id,)
        ).fetchone()[0]

    def record_grade(
        self,
        report: Any,
        source: str | None = None,
        *,
        mode: str = "practice",
        mock_session_id: int | None = None,
    ) -> int:
        """Store a GradeReport with a copy of the graded source; return the grade's id.

        ``source`` defaults to ``report.source``: the text the engine read and
        graded, whose hash is ``report.source_sha256``. Reading the file again
        instead would store whatever was saved while the grading ran.
        """
        if source is None:
            source = report.source
        data = report.to_dict()
        sha = data.get("source_sha256") or hashlib.sha256(source.encode("utf-8")).hexdigest()
        tests = data.get("tests") or []
        speed_ratio = getattr(report, "speed_ratio", None)
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO grades (challenge_id, mode, mock_session_id, graded_at, started_at,"
                " status, passed, duration_s, speed_ratio, n_tests, n_passed, solution_path,"
                " source_sha256, source, report_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    data["challenge_id"],
                    mode,
                    mock_session_id,
                    self._now(),
                    data.get("started_at"),
                    data["status"],
                    int(bool(report.passed)),
                    data.get("duration_s"),
                    None if speed_ratio is None else float(speed_ratio),
                    len(tests),
                    sum(1 for t in tests if t.get("outcome") == "passed"),
                    None if data.get("solution_path") is None else str(data["solution_path"]),
                    sha,
                    source,
                    json.dumps(data, sort_keys=True),
                ),
            )
            grade_id = int(cursor.lastrowid)
            insert_test_rows(db, grade_id, data)
        return grade_id

    def record_reveal(self, challenge_id: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO reveals (challenge_id, revealed_at) VALUES (?, ?)",
                (challenge_id, self._now()),
            )

    # -------------------------------------------------------------- reads

    def has_passed(self, challenge_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM grades WHERE challenge_id = ? AND passed = 1 LIMIT 1", (challenge_id,)
        ).fetchone()
        return row is not None

    def starts(self, challenge_id: str | None = None) -> list[StartRecord]:
        query, args = "SELECT * FROM starts", ()
        if challenge_id is not None:
            query, args = query + " WHERE challenge_id = ?", (challenge_id,)
        rows = self._db.execute(query + " ORDER BY started_at, id", args).fetchall()
        return [
            StartRecord(r["challenge_id"], r["level"], r["path"], r["mode"], from_iso(r["started_at"]))
            for r in rows
        ]

    def grades(
        self, challenge_id: str | None = None, *, limit: int | None = None, newest_first: bool = False
    ) -> list[GradeRecord]:
        query = (
            "SELECT id, challenge_id, mode, mock_session_id, graded_at, status, passed,"
            " duration_s, speed_ratio, n_tests, n_passed, source_sha256, solution_path FROM grades"
        )
        args: tuple = ()
        if challenge_id is not None:
            query, args = query + " WHERE challenge_id = ?", (challenge_id,)
        query += " ORDER BY graded_at DESC, id DESC" if newest_first else " ORDER BY graded_at, id"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return [_grade_record(r) for r in self._db.execute(query, args).fetchall()]

    def grade_report(self, grade_id: int) -> dict:
        """The full stored report (``GradeReport.to_dict()``) of a grade."""
        row = self._db.execute("SELECT report_json FROM grades WHERE id = ?", (grade_id,)).fetchone()
        if row is None:
            raise KeyError(grade_id)
        return json.loads(row[0])

    def grade_source(self, grade_id: int) -> str:
        """The copy of the source that was graded."""
        row = self._db.execute("SELECT source FROM grades WHERE id = ?", (grade_id,)).fetchone()
        if row is None:
            raise KeyError(grade_id)
        return row[0]

    def grade_tests(self, grade_id: int) -> list[sqlite3.Row]:
        return self._db.execute(
            "SELECT nodeid, name, category, outcome, bonus, duration_s, time_ratio, message"
            " FROM grade_tests WHERE grade_id = ? ORDER BY id",
            (grade_id,),
        ).fetchall()

    def hint_records(self) -> list[HintRecord]:
        rows = self._db.execute(
            "SELECT challenge_id, hint_index, revealed_at FROM hints ORDER BY revealed_at, id"
        ).fetchall()
        return [HintRecord(r[0], r[1], from_iso(r[2])) for r in rows]

    def reveal_records(self) -> list[RevealRecord]:
        rows = self._db.execute(
            "SELECT challenge_id, revealed_at FROM reveals ORDER BY revealed_at, id"
        ).fetchall()
        return [RevealRecord(r[0], from_iso(r[1])) for r in rows]

    def history(self) -> History:
        """All records, oldest first, read in one transaction (a consistent snapshot)."""
        with self._snapshot():
            return History(
                starts=self.starts(),
                grades=self.grades(),
                hints=self.hint_records(),
                reveals=self.reveal_records(),
            )

    # ----------------------------------------------------- export / import

    def export_history(self) -> dict:
        """Every record as a JSON-serialisable document (see docs/progress.md)."""
        with self._snapshot():
            return exchange.export_document(self._db, exported_at=self._now())

    def import_history(self, doc: dict, *, origin: Path | str = "<import>") -> dict[str, int]:
        """Merge an exported history; records already present are skipped.

        Returns how many records of each kind were added.
        """
        origin = Path(origin)
        exchange.check_document(doc, origin)
        with self._write() as db:
            return exchange.import_document(db, doc, origin)


def _grade_record(r: sqlite3.Row) -> GradeRecord:
    return GradeRecord(
        id=r["id"],
        challenge_id=r["challenge_id"],
        mode=r["mode"],
        mock_session_id=r["mock_session_id"],
        graded_at=from_iso(r["graded_at"]),
        status=r["status"],
        passed=bool(r["passed"]),
        duration_s=r["duration_s"],
        speed_ratio=r["speed_ratio"],
        n_tests=r["n_tests"],
        n_passed=r["n_passed"],
        source_sha256=r["source_sha256"],
        solution_path=r["solution_path"],
    )
