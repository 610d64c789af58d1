"""The schema of the progress database and its migrations.

The schema is versioned with ``PRAGMA user_version``; the migrations in
:data:`MIGRATIONS` are applied on open (:mod:`trainer.store.database`), in
order, each in its own transaction.

Extending the schema: append a function to :data:`MIGRATIONS`. It receives the
open connection inside a transaction and must only move the schema forward.
Every table has its migration here, the mock-interview tables included
(migration 3): the versions form one sequence, so the migrations stay
together, in order. The queries over the mock tables live with the mock
rounds (:mod:`trainer.mock.persistence`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Callable


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run DDL statements one by one: ``executescript`` would COMMIT the
    migration's transaction before running them."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


def _migration_1_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE starts (
            id           INTEGER PRIMARY KEY,
            challenge_id TEXT NOT NULL,
            level        TEXT NOT NULL,
            path         TEXT NOT NULL,
            mode         TEXT NOT NULL DEFAULT 'practice',
            started_at   TEXT NOT NULL
        );
        CREATE INDEX starts_by_challenge ON starts (challenge_id, started_at);

        CREATE TABLE hints (
            id           INTEGER PRIMARY KEY,
            challenge_id TEXT NOT NULL,
            hint_index   INTEGER NOT NULL,
            revealed_at  TEXT NOT NULL,
            UNIQUE (challenge_id, hint_index)
        );

        CREATE TABLE grades (
            id              INTEGER PRIMARY KEY,
            challenge_id    TEXT NOT NULL,
            mode            TEXT NOT NULL DEFAULT 'practice',
            mock_session_id INTEGER,
            graded_at       TEXT NOT NULL,
            started_at      TEXT,
            status          TEXT NOT NULL,
            passed          INTEGER NOT NULL,
            duration_s      REAL,
            speed_ratio     REAL,
            n_tests         INTEGER NOT NULL DEFAULT 0,
            n_passed        INTEGER NOT NULL DEFAULT 0,
            solution_path   TEXT,
            source_sha256   TEXT NOT NULL,
            source          TEXT NOT NULL,
            report_json     TEXT NOT NULL
        );
        CREATE INDEX grades_by_challenge ON grades (challenge_id, graded_at);
        CREATE INDEX grades_by_time ON grades (graded_at);

        CREATE TABLE reveals (
            id           INTEGER PRIMARY KEY,
            challenge_id TEXT NOT NULL,
            revealed_at  TEXT NOT NULL
        );
        """
    )


def _migration_2_grade_tests(db: sqlite3.Connection) -> None:
    """Per-test rows, queryable without parsing JSON; backfilled from report_json."""
    _run_script(
        db,
        """
        CREATE TABLE grade_tests (
            id          INTEGER PRIMARY KEY,
            grade_id    INTEGER NOT NULL REFERENCES grades (id) ON DELETE CASCADE,
            nodeid      TEXT NOT NULL,
            name        TEXT NOT NULL,
            category    TEXT NOT NULL,
            outcome     TEXT NOT NULL,
            bonus       INTEGER NOT NULL DEFAULT 0,
            duration_s  REAL,
            time_ratio  REAL,
            message     TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX grade_tests_by_grade ON grade_tests (grade_id);
        """
    )
    for grade_id, report_json in db.execute("SELECT id, report_json FROM grades").fetchall():
        try:
            report = json.loads(report_json)
        except ValueError:
            continue  # an unreadable report keeps its grade row; it just has no test rows
        insert_test_rows(db, grade_id, report)


def _migration_3_mock_sessions(db: sqlite3.Connection) -> None:
    """Mock-interview rounds (trainer/mock/persistence.py owns these tables and their queries).

    At most one round is open (active, or being graded) at a time: the partial
    unique index makes two concurrent starts collide instead of both winning.
    """
    _run_script(
        db,
        """
        CREATE TABLE mock_sessions (
            id             INTEGER PRIMARY KEY,
            started_at     TEXT NOT NULL,
            deadline       TEXT NOT NULL,
            minutes        INTEGER NOT NULL,
            seed           INTEGER NOT NULL,
            seeded         INTEGER NOT NULL DEFAULT 0,
            options_json   TEXT NOT NULL DEFAULT '{}',
            folder         TEXT NOT NULL,
            state          TEXT NOT NULL DEFAULT 'active',
            open           INTEGER,
            claimed_by     INTEGER,
            claimed_at     TEXT,
            ended_by       TEXT,
            ended_at       TEXT,
            handed_in_at   TEXT,
            overrun_s      REAL,
            score          REAL
        );
        CREATE UNIQUE INDEX one_open_mock_session ON mock_sessions (open) WHERE open IS NOT NULL;

        CREATE TABLE mock_items (
            id                  INTEGER PRIMARY KEY,
            session_id          INTEGER NOT NULL REFERENCES mock_sessions (id) ON DELETE CASCADE,
            position            INTEGER NOT NULL,
            challenge_id        TEXT NOT NULL,
            path                TEXT NOT NULL,
            stub_sha256         TEXT NOT NULL,
            checks              INTEGER NOT NULL DEFAULT 0,
            snapshot_path       TEXT,
            last_edit_at        TEXT,
            edited_late_s       REAL,
            outcome             TEXT,
            grade_id            INTEGER REFERENCES grades (id),
            points              REAL,
            detail_json         TEXT,
            UNIQUE (session_id, position)
        );

        CREATE TABLE mock_ratings (
            id              INTEGER PRIMARY KEY,
            session_id      INTEGER NOT NULL REFERENCES mock_sessions (id) ON DELETE CASCADE,
            challenge_id    TEXT NOT NULL,
            question_index  INTEGER NOT NULL,
            question        TEXT NOT NULL,
            rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
            rated_at        TEXT NOT NULL,
            UNIQUE (session_id, challenge_id, question_index)
        );
        """
    )


#: Schema migrations, in order: ``MIGRATIONS[i]`` moves version ``i`` to ``i + 1``.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migration_1_initial,
    _migration_2_grade_tests,
    _migration_3_mock_sessions,
]


def schema_version() -> int:
    """The schema version this code writes."""
    return len(MIGRATIONS)


def _headline_time_ratio(test: dict) -> float | None:
    for m in test.get("measurements") or []:
        if m.get("kind") == "time" and not m.get("informational") and m.get("ratio") is not None:
            return float(m["ratio"])
    return None


def insert_test_rows(db: sqlite3.Connection, grade_id: int, report: dict) -> None:
    """The ``grade_tests`` rows of a grade, from its report (a ``GradeReport.to_dict()``)."""
    rows = [
        (
            grade_id,
            str(t.get("nodeid", "")),
            str(t.get("name", "")),
            str(t.get("category", "")),
            str(t.get("outcome", "")),
            int(bool(t.get("bonus"))),
            t.get("duration_s"),
            _headline_time_ratio(t),
            str(t.get("message") or ""),
        )
        for t in report.get("tests") or []
    ]
    db.executemany(
        "INSERT INTO grade_tests (grade_id, nodeid, name, category, outcome, bonus,"
        " duration_s, time_ratio, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
