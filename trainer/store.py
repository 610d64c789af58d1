"""The progress store: every start, hint, grade and reference reveal, in SQLite.

One database file (``paths.database_path()``, overridable with
``MLTRAINER_DATA_DIR``) is shared by every mltrainer process of a user: the CLI,
the TUI and a ``mltrainer watch`` running next to them. So:

* the database runs in WAL mode with a busy timeout, and every write is one
  ``BEGIN IMMEDIATE`` transaction (two grading runs at once are both recorded);
* the schema is versioned with ``PRAGMA user_version`` and the migrations in
  :data:`MIGRATIONS` are applied on open, in order, each in its own transaction;
* a file that SQLite cannot read as a database is moved aside (renamed with a
  timestamp, never deleted) and a fresh database is used; ``Store.recovered_from``
  then names the moved file so the caller can say so;
* a database mltrainer may not write (a read-only file or folder, files left
  by another user) is refused at once with :class:`DatabaseNotWritable`, which
  names the file and what to do; it is never mistaken for a damaged one, and
  no grading run is wasted before a write fails.

Timestamps are stored as ISO 8601 strings in UTC. The clock is injectable
(``Store.open(clock=...)``) so scheduling can be tested without waiting.

Extending the schema: append a function to :data:`MIGRATIONS`. It receives the
open connection inside a transaction and must only move the schema forward.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

# The store's errors live in trainer.errors with every other user-facing
# error; they stay importable from here, where they are raised.
from trainer.errors import (  # noqa: F401 - re-exported
    USE_ANOTHER_FOLDER,
    DatabaseNotWritable,
    DatabaseTooNew,
    DataDirUnusable,
    ImportFormatError,
    StoreError,
)

Clock = Callable[[], datetime]

#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_S = 30.0

#: Version of the export file written by :meth:`Store.export_history`.
EXPORT_FORMAT = 1

#: Files SQLite creates beside the database while it is in use.
SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def to_iso(moment: datetime) -> str:
    """UTC ISO 8601 with microseconds, so stored strings sort chronologically."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


# --------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------


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
        _insert_test_rows(db, grade_id, report)


def _migration_3_mock_sessions(db: sqlite3.Connection) -> None:
    """Mock-interview rounds (trainer/mock.py owns these tables and their queries).

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


def _insert_test_rows(db: sqlite3.Connection, grade_id: int, report: dict) -> None:
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


# --------------------------------------------------------------------------
# Records read back from the store
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class StartRecord:
    challenge_id: str
    level: str
    path: str
    mode: str
    started_at: datetime


@dataclass(frozen=True)
class GradeRecord:
    """One stored grade, without its source and full report (see Store.grade_report)."""

    id: int
    challenge_id: str
    mode: str
    mock_session_id: int | None
    graded_at: datetime
    status: str
    passed: bool
    duration_s: float | None
    speed_ratio: float | None
    n_tests: int
    n_passed: int
    source_sha256: str
    solution_path: str | None


@dataclass(frozen=True)
class HintRecord:
    challenge_id: str
    hint_index: int
    revealed_at: datetime


@dataclass(frozen=True)
class RevealRecord:
    challenge_id: str
    revealed_at: datetime


@dataclass
class History:
    """Everything progress needs, read in one go (sources and reports left out)."""

    starts: list[StartRecord] = field(default_factory=list)
    grades: list[GradeRecord] = field(default_factory=list)
    hints: list[HintRecord] = field(default_factory=list)
    reveals: list[RevealRecord] = field(default_factory=list)


# --------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------


def _is_io_error(error: sqlite3.Error) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_IOERR") or "disk i/o error" in str(error).lower()


@contextlib.contextmanager
def _recovery_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``<db>.lock`` (POSIX; elsewhere recovery is unlocked)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock = path.with_name(path.name + ".lock")
    try:
        # Read-only is enough for flock, and works on a lock file another user left.
        fd = os.open(lock, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError as error:
        raise StoreError(f"cannot create the lock file {lock} to recover the progress database "
                         f"{path}: {error.strerror or error}; {USE_ANOTHER_FOLDER}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _is_damaged(error: sqlite3.Error) -> bool:
    """Errors that mean "this file is not a usable database", not "busy, retry"."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return True
    text = str(error).lower()
    return "file is not a database" in text or "malformed" in text


def side_files(path: Path) -> list[Path]:
    """The files SQLite keeps beside the database ``path`` (whether or not they exist now)."""
    return [path.with_name(path.name + suffix) for suffix in SIDE_FILE_SUFFIXES]


def _is_refusal(error: sqlite3.Error) -> bool:
    """Errors that mean "SQLite may not write (or open) the file here", not damage."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return True
    text = str(error).lower()
    return "readonly database" in text or "unable to open database file" in text


def _was_replaced(error: sqlite3.Error) -> bool:
    # The file was renamed or deleted under an open connection: another mltrainer
    # moved a damaged database aside. Not a permission problem: running again helps.
    return (getattr(error, "sqlite_errorname", "") or "") == "SQLITE_READONLY_DBMOVED"


def not_writable(path: Path) -> DatabaseNotWritable | None:
    """Why this process may not use the database ``path``, judged by the file
    system before SQLite tries (None: nothing stands in the way).

    SQLite opens a file it may not write read-only without a word and fails
    only at the first write, and it needs to create ``-wal``/``-shm`` files
    beside the database, so the database, its side files and the folder are
    all looked at. ``os.access`` answers for this process, root included.
    """
    if path.is_dir():
        return DatabaseNotWritable(path, path, "it is a folder, not a file",
                                   f"move it away or {USE_ANOTHER_FOLDER}")
    for candidate in (path, *side_files(path)):
        if candidate.exists() and not os.access(candidate, os.R_OK | os.W_OK):
            return _refusal(path, candidate)
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return _refusal(path, path.parent)
    return None


def _refusal(path: Path, blocker: Path) -> DatabaseNotWritable:
    """The error for ``blocker`` (the database, a side file or the folder), with the fix that applies."""
    import shlex

    folder = blocker == path.parent
    try:
        read_only_fs = bool(os.statvfs(blocker).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        read_only_fs = False
    try:
        owner = blocker.stat().st_uid
    except OSError:
        owner = None
    me = os.geteuid() if hasattr(os, "geteuid") else owner
    if read_only_fs:
        return DatabaseNotWritable(path, blocker, "it is on a read-only file system", USE_ANOTHER_FOLDER)
    if folder:
        if owner != me:  # not the user's to change
            return DatabaseNotWritable(path, blocker, f"it belongs to another user (uid {owner})",
                                       USE_ANOTHER_FOLDER)
        return DatabaseNotWritable(path, blocker, "it is read-only, and SQLite must create its working files in it",
                                   f"make it writable (chmod u+rwx {shlex.quote(str(blocker))}) "
                                   f"or {USE_ANOTHER_FOLDER}")
    # The side files carry the database's owner and mode: one command fixes them all.
    files = shlex.quote(str(path)) + "*"
    if owner != me:
        return DatabaseNotWritable(
            path, blocker, f"it belongs to another user (uid {owner}), perhaps from running mltrainer with sudo",
            f"make it yours (sudo chown $USER {files}) or {USE_ANOTHER_FOLDER}")
    why = "it is read-only" if os.access(blocker, os.R_OK) else "you may neither read nor write it"
    return DatabaseNotWritable(path, blocker, why, f"make it writable (chmod u+rw {files}) or {USE_ANOTHER_FOLDER}")


def _refused(path: Path, error: sqlite3.Error) -> StoreError:
    """The error to show when SQLite refused to open or write ``path``."""
    if _was_replaced(error):
        return StoreError(f"the progress database {path} was replaced by another mltrainer while this one "
                          "was using it (it had been damaged); run the command again")
    return not_writable(path) or DatabaseNotWritable(
        path, path, f"SQLite says {str(error)!r}",
        f"check that you may write it and its folder {path.parent}, or {USE_ANOTHER_FOLDER}")


def _make_data_dir(folder: Path) -> None:
    """Create the folder of the database, or say in plain words why it cannot be used."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return
    except FileExistsError:
        why = "it is a file, not a folder"
    except NotADirectoryError:
        above = next((p for p in folder.parents if p.exists() and not p.is_dir()), None)
        why = f"{above} is a file, not a folder" if above else "part of its path is not a folder"
    except PermissionError:
        above = next((p for p in folder.parents if p.exists()), None)
        why = f"it does not exist, and you may not create folders in {above}"
    except OSError as error:
        why = f"it cannot be created ({error.strerror or error})"
    raise DataDirUnusable(folder, why)


class Store:
    """The progress database of one user. Open with :meth:`Store.open`."""

    def __init__(self, db: sqlite3.Connection, path: Path, clock: Clock | None) -> None:
        self._db = db
        self.path = path
        self.clock: Clock = clock or utc_now
        self.recovered_from: Path | None = None

    # ----------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path | None = None, *, clock: Clock | None = None) -> "Store":
        """Open (creating and migrating as needed) the database at ``path``.

        ``path`` defaults to ``paths.database_path()``. A damaged file is moved
        aside to ``<name>.corrupt-<UTC timestamp>`` and a fresh database is
        created; ``recovered_from`` is then set to the moved file.
        """
        if path is None:
            from trainer import paths

            path = paths.database_path()
        path = Path(path)
        _make_data_dir(path.parent)
        refusal = not_writable(path)
        if refusal is not None:
            raise refusal
        recovered = None
        try:
            db = cls._connect_and_migrate(path)
        except sqlite3.Error as error:
            if _is_refusal(error):
                raise _refused(path, error) from None
            if not (_is_damaged(error) or _is_io_error(error)):
                raise StoreError(f"cannot open the progress database {path}: {error}") from error
            db, recovered = cls._recover(path, clock or utc_now)
        store = cls(db, path, clock)
        store.recovered_from = recovered
        return store

    @property
    def recovery_message(self) -> str | None:
        """What to tell the user after a damaged database was replaced."""
        if self.recovered_from is None:
            return None
        return (
            f"The progress database {self.path} could not be read; it was moved aside to "
            f"{self.recovered_from} and a new, empty one was started."
        )

    @classmethod
    def _recover(cls, path: Path, clock: Clock) -> tuple[sqlite3.Connection, Path | None]:
        """Move the damaged file aside and start a fresh database.

        Recoveries are serialised by a lock file, and each first tries the
        file again: another mltrainer may have just replaced it with a fresh
        database (an I/O error is what a reader sees while that happens).
        """
        with _recovery_lock(path):
            try:
                return cls._connect_and_migrate(path), None
            except sqlite3.Error as error:
                if _is_refusal(error):
                    raise _refused(path, error) from None
                if not _is_damaged(error):
                    raise StoreError(f"cannot open the progress database {path}: {error}") from error
            moved = cls._move_aside(path, clock)
            try:
                return cls._connect_and_migrate(path), moved
            except sqlite3.Error as error:
                raise StoreError(
                    f"moved the damaged progress database aside to {moved}, "
                    f"but cannot create a new one at {path}: {error}"
                ) from error

    @staticmethod
    def _move_aside(path: Path, clock: Clock) -> Path:
        stamp = clock().astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(path, target)
            # The WAL and shared-memory files belong to the damaged database.
            for suffix in SIDE_FILE_SUFFIXES:
                sidecar = path.with_name(path.name + suffix)
                if sidecar.exists():
                    os.replace(sidecar, target.with_name(target.name + suffix))
        except OSError as error:
            raise StoreError(
                f"the progress database {path} is damaged and cannot be moved aside "
                f"({error.strerror or error}); move it away yourself or {USE_ANOTHER_FOLDER}"
            ) from None
        return target

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE below).
        db = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    @classmethod
    def _connect_and_migrate(cls, path: Path) -> sqlite3.Connection:
        db = cls._connect(path)
        try:
            # Reading the schema is what reveals a file that is not a database.
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            cls._enable_wal(db)
            cls._migrate(db, path)
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {check}")
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _enable_wal(db: sqlite3.Connection) -> None:
        # Switching to WAL needs a moment with no other connection; a second
        # process opening at the same time may briefly see SQLITE_BUSY here.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                db.execute("PRAGMA journal_mode = WAL").fetchone()
                db.execute("PRAGMA synchronous = NORMAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @staticmethod
    def _migrate(db: sqlite3.Connection, path: Path) -> None:
        known = len(MIGRATIONS)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > known:
            raise DatabaseTooNew(path, version, known)
        while version < known:
            db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the lock.
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version < known:
                    MIGRATIONS[version](db)
                    version += 1
                    db.execute(f"PRAGMA user_version = {version}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------- writes

    def _now(self) -> str:
        return to_iso(self.clock())

    def _write(self) -> "_Transaction":
        return _Transaction(self._db, self.path)

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
            _insert_test_rows(db, grade_id, data)
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

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads that see one state of the database (a read transaction),
        or simply the caller's transaction when one is already open."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def execute(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        """Run one read statement (for modules that keep their own tables)."""
        return self._db.execute(sql, tuple(args))

    def transaction(self) -> "_Transaction":
        """``with store.transaction() as db:`` runs writes as one BEGIN IMMEDIATE transaction."""
        return self._write()

    # ----------------------------------------------------- export / import

    def export_history(self) -> dict:
        """Every record as a JSON-serialisable document (see docs/progress.md)."""
        with self._snapshot():
            doc: dict[str, Any] = {
                "format": "mltrainer-progress",
                "version": EXPORT_FORMAT,
                "schema_version": schema_version(),
                "exported_at": self._now(),
            }
            for table in EXPORT_TABLES:
                # Ids travel only so that mock rounds can point at their grades.
                columns = ", ".join(("id", *table.columns))
                rows = self._db.execute(
                    f"SELECT {columns} FROM {table.name} ORDER BY id"
                ).fetchall()
                doc[table.name] = [dict(zip(("id", *table.columns), row)) for row in rows]
            for name in MOCK_TABLES:
                # Finished rounds only: an open one belongs to this machine's clock.
                finished = "SELECT id FROM mock_sessions WHERE open IS NULL"
                column = "id" if name == "mock_sessions" else "session_id"
                cursor = self._db.execute(f"SELECT * FROM {name} WHERE {column} IN ({finished}) ORDER BY id")
                names = [d[0] for d in cursor.description]
                doc[name] = [dict(zip(names, row)) for row in cursor.fetchall()]
        for grade in doc["grades"]:
            grade["report"] = json.loads(grade.pop("report_json"))
        return doc

    def import_history(self, doc: dict, *, origin: Path | str = "<import>") -> dict[str, int]:
        """Merge an exported history; records already present are skipped.

        Returns how many records of each kind were added.
        """
        origin = Path(origin)
        if not isinstance(doc, dict) or doc.get("format") != "mltrainer-progress":
            raise ImportFormatError(origin, "not an mltrainer progress export")
        if not isinstance(doc.get("version"), int) or doc["version"] > EXPORT_FORMAT:
            raise ImportFormatError(
                origin, f"export format {doc.get('version')!r} is newer than this mltrainer"
            )
        added: dict[str, int] = {}
        with self._write() as db:
            # Ids differ between machines: mock rounds and grades are matched
            # by content and their references rewritten to this database's ids.
            sessions = _import_mock_sessions(db, origin, doc)
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
                        _insert_test_rows(db, int(cursor.lastrowid), json.loads(row["report_json"]))
                        if isinstance(raw.get("id"), int):
                            grade_ids[raw["id"]] = int(cursor.lastrowid)
                    count += 1
                added[table.name] = count
            added["mock_sessions"] = sessions.added
            added.update(_import_mock_children(db, origin, doc, sessions, grade_ids))
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

#: Mock-round tables carried by export/import (finished rounds only), with their ids remapped.
MOCK_TABLES = ("mock_sessions", "mock_items", "mock_ratings")


@dataclass
class _SessionMap:
    ids: dict  # exported session id -> id in this database
    new: set   # exported ids of the sessions added by this import
    added: int = 0


def _table_columns(db: sqlite3.Connection, name: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({name})")]


def _rows_of(origin: Path, doc: dict, name: str) -> list[dict]:
    rows = doc.get(name, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ImportFormatError(origin, f"{name!r} is not a list of objects")
    return rows


def _import_mock_sessions(db: sqlite3.Connection, origin: Path, doc: dict) -> _SessionMap:
    """Add finished mock rounds not already present (same start time, seed and folder)."""
    mapping = _SessionMap({}, set())
    columns = [c for c in _table_columns(db, "mock_sessions") if c != "id"]
    for i, raw in enumerate(_rows_of(origin, doc, "mock_sessions")):
        if not isinstance(raw.get("id"), int) or any(raw.get(k) is None for k in ("started_at", "deadline", "folder")):
            raise ImportFormatError(origin, f"mock_sessions[{i}] lacks id, started_at, deadline or folder")
        found = db.execute(
            "SELECT id FROM mock_sessions WHERE started_at IS ? AND seed IS ? AND folder IS ?",
            (raw["started_at"], raw.get("seed"), raw["folder"]),
        ).fetchone()
        if found:
            mapping.ids[raw["id"]] = int(found[0])
            continue
        row = {c: raw.get(c) for c in columns}
        row.update(open=None, claimed_by=None, claimed_at=None)  # a finished round holds no lock
        present = [c for c in columns if row[c] is not None]
        cursor = db.execute(
            f"INSERT INTO mock_sessions ({', '.join(present)}) VALUES ({', '.join('?' for _ in present)})",
            [row[c] for c in present],
        )
        mapping.ids[raw["id"]] = int(cursor.lastrowid)
        mapping.new.add(raw["id"])
        mapping.added += 1
    return mapping


def _import_mock_children(db: sqlite3.Connection, origin: Path, doc: dict, sessions: _SessionMap,
                          grade_ids: dict) -> dict[str, int]:
    """Items and ratings of the mock rounds this import added, pointing at the new ids."""
    added = {}
    for name in ("mock_items", "mock_ratings"):
        columns = [c for c in _table_columns(db, name) if c != "id"]
        count = 0
        for i, raw in enumerate(_rows_of(origin, doc, name)):
            if raw.get("session_id") not in sessions.ids:
                raise ImportFormatError(origin, f"{name}[{i}] belongs to no exported mock round")
            if raw["session_id"] not in sessions.new:
                continue  # its round was already here, with its items and ratings
            row = {c: raw.get(c) for c in columns}
            row["session_id"] = sessions.ids[raw["session_id"]]
            if "grade_id" in row:
                row["grade_id"] = grade_ids.get(raw.get("grade_id"))
            present = [c for c in columns if row[c] is not None]
            db.execute(f"INSERT INTO {name} ({', '.join(present)}) VALUES ({', '.join('?' for _ in present)})",
                       [row[c] for c in present])
            count += 1
        added[name] = count
    return added


_IMPORT_DEFAULTS = {"level": "guided", "path": "", "mode": "practice", "n_tests": 0, "n_passed": 0}


def _import_row(origin: Path, table: ExportTable, index: int, raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise ImportFormatError(origin, f"{table.name}[{index}] is not an object")
    row = dict(raw)
    if table.name == "grades":
        # The exported session id means nothing here: import_history maps it.
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


class _Transaction:
    """A BEGIN IMMEDIATE transaction: takes the write lock up front, so two
    writers queue on the busy timeout instead of failing on lock upgrade.

    Errors of the database file rather than of the statements (locked for
    longer than the timeout, damaged while in use, disk full) become a
    StoreError with the path in it; an IntegrityError and other errors of the
    caller's SQL propagate unchanged, so callers can rely on constraints."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise _write_error(self._path, error) from error
        return self._db

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: object) -> bool:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                if _is_environmental(error):
                    raise _write_error(self._path, error) from error
                raise
            return False
        self._rollback()
        if _is_environmental(exc):
            raise _write_error(self._path, exc) from exc
        return False  # constraint violations and the like reach the caller unchanged

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


def _is_environmental(error: BaseException | None) -> bool:
    if isinstance(error, sqlite3.IntegrityError) or not isinstance(error, sqlite3.Error):
        return False
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error).lower()
    return (
        _is_damaged(error)
        or name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_IOERR",
                            "SQLITE_READONLY", "SQLITE_CANTOPEN"))
        or "locked" in text
        or "busy" in text
    )


def _write_error(path: Path, error: sqlite3.Error) -> StoreError:
    if _is_refusal(error):
        return _refused(path, error)
    if "locked" in str(error) or "busy" in str(error):
        why = f"it stayed locked by another mltrainer for {BUSY_TIMEOUT_S:.0f} s"
    else:
        why = str(error)
    return StoreError(f"could not write to the progress database {path}: {why}")
