"""Export and import of the whole history (``mltrainer progress --export/--import``).

The export is one JSON document (described in docs/progress.md): the tables of
:data:`EXPORT_TABLES` as they are, and the finished mock rounds, whose tables
and queries are the mock rounds' own (:mod:`trainer.mock.persistence`, called
here at the points where their ids meet the grades'). An import merges such a
document into this database: records already present are skipped, and a
malformed file is refused as a whole.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.errors import ImportFormatError
from trainer.store.schema import insert_test_rows, schema_version
from trainer.store.timestamps import from_iso, to_iso

#: Version of the export file written by :meth:`Store.export_history`.
EXPORT_FORMAT = 1


def export_document(db: sqlite3.Connection, *, exported_at: str) -> dict:
    """Every record as a JSON-serialisable document; ``db`` is read inside one snapshot."""
    # Imported when used: the mock package is built on the store, not the other way round.
    from trainer.mock.persistence import export_finished_rounds

    doc: dict[str, Any] = {
        "format": "mltrainer-progress",
        "version": EXPORT_FORMAT,
        "schema_version": schema_version(),
        "exported_at": exported_at,
    }
    for table in EXPORT_TABLES:
        # Ids travel only so that mock rounds can point at their grades.
        columns = ", ".join(("id", *table.columns))
        rows = db.execute(
            f"SELECT {columns} FROM {table.name} ORDER BY id"
        ).fetchall()
        doc[table.name] = [dict(zip(("id", *table.columns), row)) for row in rows]
    doc.update(export_finished_rounds(db))
    for grade in doc["grades"]:
        grade["report"] = json.loads(grade.pop("report_json"))
    return doc


def check_document(doc: Any, origin: Path) -> None:
    """Raise ImportFormatError unless ``doc`` is an export this mltrainer can read."""
    if not isinstance(doc, dict) or doc.get("format") != "mltrainer-progress":
        raise ImportFormatError(origin, "not an mltrainer progress export")
    if not isinstance(doc.get("version"), int) or doc["version"] > EXPORT_FORMAT:
        raise ImportFormatError(
            origin, f"export format {doc.get('version')!r} is newer than this mltrainer"
        )


def import_document(db: sqlite3.Connection, doc: dict, origin: Path) -> dict[str, int]:
    """Merge a checked export inside the caller's write transaction; how many of each kind were added."""
    from trainer.mock.persistence import import_mock_children, import_mock_sessions

    added: dict[str, int] = {}
    # Ids differ between machines: mock rounds and grades are matched
    # by content and their references rewritten to this database's ids.
    sessions = import_mock_sessions(db, origin, doc)
    grade_ids: dict[int, int] = {}
    for table in EXPORT_TABLES:
        rows = doc.get(table.name, [])
        if not isinstance(rows, list):
            raise ImportFormatError(origin, f"{table.name!r} is not a list")
        count = 0
        for i, raw in enumerate(rows):
            row = _import_row(origin, table, i, raw)
            if table.name == "grades":
                row["mock_session_id"] = sessions.ids.get(raw.get("mock_session_id"))
            where = " AND ".join(f"{k} IS ?" for k in table.key)
            exists = db.execute(
                f"SELECT id FROM {table.name} WHERE {where} LIMIT 1",
                [row[k] for k in table.key],
            ).fetchone()
            if exists:
                if table.name == "grades" and isinstance(raw.get("id"), int):
                    grade_ids[raw["id"]] = int(exists[0])
                continue
            columns = ", ".join(table.columns)
            marks = ", ".join("?" for _ in table.columns)
            cursor = db.execute(
                f"INSERT INTO {table.name} ({columns}) VALUES ({marks})",
                [row[c] for c in table.columns],
            )
            if table.name == "grades":
                insert_test_rows(db, int(cursor.lastrowid), json.loads(row["report_json"]))
                if isinstance(raw.get("id"), int):
                    grade_ids[raw["id"]] = int(cursor.lastrowid)
            count += 1
        added[table.name] = count
    added["mock_sessions"] = sessions.added
    added.update(import_mock_children(db, origin, doc, sessions, grade_ids))
    return added


@dataclass(frozen=True)
class ExportTable:
    """A table moved by export/import: its columns and the key that identifies a row."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    required: tuple[str, ...] = ()


#: Tables carried by ``mltrainer progress --export/--import`` (grade_tests is rebuilt).
EXPORT_TABLES: list[ExportTable] = [
    ExportTable(
        "starts",
        ("challenge_id", "level", "path", "mode", "started_at"),
        key=("challenge_id", "started_at", "mode"),
        required=("challenge_id", "started_at"),
    ),
    ExportTable(
        "hints",
        ("challenge_id", "hint_index", "revealed_at"),
        key=("challenge_id", "hint_index"),
        required=("challenge_id", "hint_index", "revealed_at"),
    ),
    ExportTable(
        "grades",
        (
            "challenge_id", "mode", "mock_session_id", "graded_at", "started_at", "status",
            "passed", "duration_s", "speed_ratio", "n_tests", "n_passed", "solution_path",
            "source_sha256", "source", "report_json",
        ),
        key=("challenge_id", "graded_at", "source_sha256"),
        required=("challenge_id", "graded_at", "status", "passed", "source_sha256", "source"),
    ),
    ExportTable(
        "reveals",
        ("challenge_id", "revealed_at"),
        key=("challenge_id", "revealed_at"),
        required=("challenge_id", "revealed_at"),
    ),
]


_IMPORT_DEFAULTS = {"level": "guided", "path": "", "mode": "practice", "n_tests": 0, "n_passed": 0}


def _import_row(origin: Path, table: ExportTable, index: int, raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise ImportFormatError(origin, f"{table.name}[{index}] is not an object")
    row = dict(raw)
    if table.name == "grades":
        # The exported session id means nothing here: import_document maps it.
        row["mock_session_id"] = None
        report = row.pop("report", None)
        if not isinstance(report, dict):
            raise ImportFormatError(origin, f"grades[{index}] has no report")
        row["report_json"] = json.dumps(report, sort_keys=True)
    missing = [c for c in table.required if row.get(c) is None]
    if missing:
        raise ImportFormatError(origin, f"{table.name}[{index}] lacks {', '.join(missing)}")
    for column in table.columns:
        row.setdefault(column, _IMPORT_DEFAULTS.get(column))
    for column in table.columns:
        if column.endswith("_at") and row[column] is not None:
            try:
                row[column] = to_iso(from_iso(str(row[column])))
            except ValueError:
                raise ImportFormatError(
                    origin, f"{table.name}[{index}].{column} is not a timestamp: {row[column]!r}"
                ) from None
    return row
