"""Salvage: what can still be read from a damaged progress database, copied into a good one.

A damaged page of ``progress.db`` used to cost the whole history, although
SQLite can still read every row that is not on that page. Salvage reads the
damaged file table by table and row by row, and writes what it read into a
good database with the current schema:

* the damaged file is never written: a copy of it (and of its ``-wal``) in a
  temporary folder is what SQLite opens;
* each table is walked by rowid (``rowid >= ?``, one row at a time); where a
  seek fails, the walk finds the first rowid past the damage (doubling steps,
  then bisection), so a bad page costs only the rows on it;
* a row whose own overflow pages are damaged is read column by column; a grade
  whose source or report cannot be read is kept without them (its verdict,
  time and speed are what progress is made of);
* every value is checked against the current schema (types, NOT NULL,
  timestamps) before it is written: garbage read from a damaged page is lost,
  not copied;
* references are kept whole: a mock round's challenges and ratings whose round
  is lost are dropped, a grade or challenge pointing at a lost grade or round
  points at nothing; a hint revealed after a lost one brings the lost one back
  (hints are revealed in order), dated no later than it;
* rows already in the good database (the same key as ``--import`` uses) are
  not doubled, and ids are kept where they are free.

How many rows were lost is counted from the table's indexes when one of them
could be read whole (an index holds the rowid of every row), otherwise from
the gaps in the rowids (mltrainer never deletes rows, so they are consecutive).

The tables and their keys are listed in :data:`SALVAGE_TABLES`; the mock
rounds' tables are among them, since a salvage copies rows as data and runs
none of the mock rounds' own queries (:mod:`trainer.mock.persistence`).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.store.schema import insert_test_rows
from trainer.store.timestamps import from_iso

#: SQLite rowids are signed 64-bit integers.
MIN_ROWID, MAX_ROWID = -(2**63), 2**63 - 1

#: A run of unreadable rowids longer than this is not counted row by row
#: (its end is then unknown: a rowid that large is itself garbage).
MAX_COUNTED_GAP = 1_000_000

#: A hint index at or beyond this is garbage (a challenge has a handful of hints).
MAX_HINT_INDEX = 1000

#: The first bytes of every SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class SalvageTable:
    """A table salvage copies: how a row is identified, and what it points at.

    ``key``: the columns that identify a record across databases (a row with
    the same key already in the good database is not copied again).
    ``refs``: (column, table, required): a column holding the id of a row of
    ``table``; when that row is lost, a required reference drops the row, any
    other is set to NULL. ``substitutes``: columns that may be replaced when
    they alone cannot be read.
    """

    name: str
    singular: str
    plural: str
    key: tuple[str, ...]
    refs: tuple[tuple[str, str, bool], ...] = ()
    substitutes: tuple[str, ...] = ()


#: The tables salvage copies, in the order it copies them (a table after the ones it points at).
#: ``grade_tests`` is rebuilt from each grade's report (or copied for a grade without one).
SALVAGE_TABLES: tuple[SalvageTable, ...] = (
    SalvageTable("starts", "start", "starts", ("challenge_id", "started_at", "mode")),
    SalvageTable("hints", "hint", "hints", ("challenge_id", "hint_index")),
    SalvageTable("reveals", "reference reveal", "reference reveals", ("challenge_id", "revealed_at")),
    SalvageTable("mock_sessions", "mock round", "mock rounds", ("started_at", "seed", "folder")),
    SalvageTable("grades", "grade", "grades", ("challenge_id", "graded_at", "source_sha256"),
                 refs=(("mock_session_id", "mock_sessions", False),),
                 substitutes=("source", "report_json")),
    SalvageTable("mock_items", "mock-round challenge", "mock-round challenges", ("session_id", "position"),
                 refs=(("session_id", "mock_sessions", True), ("grade_id", "grades", False))),
    SalvageTable("mock_ratings", "follow-up rating", "follow-up ratings",
                 ("session_id", "challenge_id", "question_index"),
                 refs=(("session_id", "mock_sessions", True),)),
)

_BY_NAME = {t.name: t for t in SALVAGE_TABLES}

#: The order the counts are shown in: what a user cares about first.
SHOWN_ORDER = ("grades", "hints", "starts", "reveals", "mock_sessions", "mock_items", "mock_ratings")

#: What a grade without a readable report says when it is shown.
LOST_REPORT = "the details of this grade could not be read from a damaged progress database"


class Unreadable(Exception):
    """Nothing at all can be read from the file (the message says why)."""


class _Missing:
    """A value that could not be read (see SalvageTable.substitutes)."""

    def __repr__(self) -> str:
        return "<unreadable>"


UNREADABLE: Any = _Missing()


# --------------------------------------------------------------------------
# What a salvage found and did
# --------------------------------------------------------------------------


@dataclass
class TableCount:
    """One table of a salvage: rows recovered (written, or already there) and rows lost."""

    name: str
    added: int = 0      # written into the good database
    present: int = 0    # already there (the same key), so not written again
    lost: int = 0       # there in the damaged file, but unreadable or unusable
    more_lost: bool = False   # the end of the table could not be read: perhaps more were lost
    partial: int = 0    # of the recovered: grades kept without their source or report

    @property
    def recovered(self) -> int:
        return self.added + self.present

    @property
    def label(self) -> str:
        """What the table holds, as a user says it ('grades', 'mock rounds')."""
        return _BY_NAME[self.name].plural

    @property
    def total(self) -> int:
        return self.recovered + self.lost

    def phrase(self) -> str:
        """'27 of 30 grades', 'all 12 hints', 'both mock rounds', '1 start'."""
        spec = _BY_NAME[self.name]
        noun = spec.singular if self.recovered == 1 else spec.plural
        if self.more_lost:
            text = f"{self.recovered} {noun} (the rest of the table could not be read)"
        elif self.lost:
            text = f"{self.recovered} of {self.total} {spec.plural if self.total != 1 else spec.singular}"
        elif self.recovered == 2:
            text = f"both {noun}"
        elif self.recovered > 2:
            text = f"all {self.recovered} {noun}"
        else:
            text = f"{self.recovered} {noun}"
        if self.partial:
            text += f" ({self.partial} without {'its' if self.partial == 1 else 'their'} source or report)"
        return text

    def lost_phrase(self) -> str:
        spec = _BY_NAME[self.name]
        text = f"{self.lost} {spec.singular if self.lost == 1 else spec.plural}"
        if self.more_lost:
            text = (f"{text}, and perhaps more {spec.plural}" if self.lost
                    else f"an unknown number of {spec.plural}")
        return text

    def to_dict(self) -> dict:
        return {"recovered": self.recovered, "added": self.added, "already_present": self.present,
                "lost": self.lost, "perhaps_more_lost": self.more_lost,
                "without_source_or_report": self.partial}


@dataclass
class SalvageReport:
    """What a salvage of ``source`` recovered and lost, per table (:data:`SHOWN_ORDER`)."""

    source: Path
    readable: bool = True
    why: str = ""                       # why nothing could be read (readable is False)
    stopped: bool = False               # the salvage itself failed: trying again may do better
    schema_version: int | None = None   # of the damaged file, when its header could be read
    tables: dict[str, TableCount] = field(default_factory=dict)

    @property
    def recovered(self) -> int:
        return sum(t.recovered for t in self.tables.values())

    @property
    def added(self) -> int:
        return sum(t.added for t in self.tables.values())

    @property
    def present(self) -> int:
        return sum(t.present for t in self.tables.values())

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.tables.values())

    @property
    def anything_lost(self) -> bool:
        return any(t.lost or t.more_lost for t in self.tables.values())

    def shown(self) -> list[TableCount]:
        """The tables that held anything, in :data:`SHOWN_ORDER`."""
        return [self.tables[n] for n in SHOWN_ORDER
                if n in self.tables and (self.tables[n].total or self.tables[n].more_lost)]

    def recovered_text(self) -> str:
        """'27 of 30 grades, all 12 hints, ...' (or 'no records: it held none')."""
        parts = [t.phrase() for t in self.shown() if t.recovered or not t.lost]
        return ", ".join(parts) if parts else "no records"

    def lost_text(self) -> str:
        """'3 grades, 1 start' (empty when nothing was lost)."""
        return ", ".join(t.lost_phrase() for t in self.shown() if t.lost or t.more_lost)

    def to_dict(self) -> dict:
        return {
            "source": str(self.source),
            "readable": self.readable,
            "why": self.why,
            "schema_version": self.schema_version,
            "recovered": self.recovered,
            "added": self.added,
            "already_present": self.present,
            "lost": self.lost,
            "tables": {t.name: t.to_dict() for t in self.shown()},
        }


def recovery_message(path: Path, aside: Path, report: SalvageReport | None) -> str:
    """What to tell the user once, after the damaged ``path`` was moved to ``aside``."""
    if report is None or not report.readable:
        why = f" ({report.why})" if report is not None and report.why else ""
        again = (f" `mltrainer progress --recover {aside}` tries again."
                 if report is not None and report.stopped else "")
        return (f"The progress database {path} was damaged and nothing in it could be read{why}. "
                f"It was moved aside to {aside}, kept as it was, and a new, empty database was started."
                + again)
    lost = report.lost_text()
    return (f"The progress database {path} was damaged. It was moved aside to {aside}, kept as it was, "
            f"and what could still be read was copied into a new database: {report.recovered_text()}. "
            + (f"Lost: {lost}." if lost else "Nothing was lost."))


# --------------------------------------------------------------------------
# Reading the damaged file
# --------------------------------------------------------------------------


@dataclass
class Found:
    """The rows read from a damaged file: per table, each row as {column: value}, with its old id."""

    source: Path
    schema_version: int | None
    rows: dict[str, list[dict]] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    more_lost: dict[str, bool] = field(default_factory=dict)
    #: grade_tests rows of the grades whose report could not be read, by the grade's old id.
    grade_tests: dict[int, list[dict]] = field(default_factory=dict)


def read_damaged(path: Path) -> Found:
    """Every row that can be read from the database file ``path`` (never written).

    Raises :class:`Unreadable` when nothing at all can be read: not a file,
    not an SQLite database, its list of tables unreadable, or none of
    mltrainer's tables in it.
    """
    path = Path(path)
    if not path.is_file():
        raise Unreadable("no such file" if not path.exists() else "it is not a file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise Unreadable(f"it cannot be opened: {error.strerror or error}") from None
    if magic != SQLITE_MAGIC:
        raise Unreadable("it is not an SQLite database (it does not begin with SQLite's header)")
    with tempfile.TemporaryDirectory(prefix="mltrainer-salvage-") as folder:
        copy = Path(folder) / "damaged.db"
        wal = path.with_name(path.name + "-wal")
        try:
            shutil.copyfile(path, copy)
            if wal.is_file():
                shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        except OSError as error:
            raise Unreadable(f"it cannot be copied to be read: {error.strerror or error}") from None
        try:
            return _read_copy(path, copy)
        except Unreadable:
            if not copy.with_name(copy.name + "-wal").exists():
                raise
        # A damaged write-ahead log can hide a readable database: try once without it.
        for side in ("-wal", "-shm"):
            copy.with_name(copy.name + side).unlink(missing_ok=True)
        shutil.copyfile(path, copy)
        return _read_copy(path, copy)


def _connect_read_only(copy: Path) -> sqlite3.Connection:
    # Read-write on the private copy (SQLite must rebuild the WAL index beside it),
    # but query_only: salvage never writes, not even to the copy.
    db = sqlite3.connect(str(copy), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA query_only = ON")
    db.execute("PRAGMA cell_size_check = ON")   # check each cell's size: garbage is caught, not returned
    return db


def _read_copy(source: Path, copy: Path) -> Found:
    try:
        db = _connect_read_only(copy)
    except sqlite3.Error as error:
        raise Unreadable(f"SQLite cannot open it: {error}") from None
    try:
        try:
            version: int | None = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error:
            version = None
        try:
            schema = db.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
        except sqlite3.Error as error:
            raise Unreadable(f"SQLite cannot read its list of tables: {error}") from None
        tables = {name for kind, name, _ in schema if kind == "table"}
        if not tables & {"starts", "hints", "grades", "reveals"}:
            raise Unreadable("it is not an mltrainer progress database (none of its tables is in it)")
        found = Found(source, version)
        for spec in SALVAGE_TABLES:
            if spec.name not in tables:
                continue
            indexes = [name for kind, name, table in schema if kind == "index" and table == spec.name]
            _read_table(db, spec, indexes, found)
        if "grade_tests" in tables:
            _read_grade_tests(db, found)
        return found
    finally:
        try:
            db.close()
        except sqlite3.Error:
            pass


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _next_rowid(db: sqlite3.Connection, table: str, lo: int) -> int | None:
    """The first rowid >= lo (None: there is none). Reads keys only, never a row's payload."""
    row = db.execute(f"SELECT rowid FROM {_quote(table)} WHERE rowid >= ? ORDER BY rowid LIMIT 1",
                     (lo,)).fetchone()
    return None if row is None else int(row[0])


def _past_damage(db: sqlite3.Connection, table: str, lo: int) -> tuple[bool, int | None]:
    """Where the walk resumes after a seek at ``lo`` failed.

    Returns (found, rowid): found is False when no seek past ``lo`` works (the
    rest of the table is unreadable); otherwise rowid is the first readable
    rowid past the damage (None: nothing after it). Seeks past the damaged
    page stop descending into it: doubling steps find one that works, and
    bisection the smallest one, so no readable row after the damage is skipped.
    """
    def seek(at: int) -> tuple[bool, int | None]:
        try:
            return True, _next_rowid(db, table, at)
        except sqlite3.DatabaseError:
            return False, None

    bad, step = lo, 1
    while True:
        at = min(lo + step, MAX_ROWID)
        works, rowid = seek(at)
        if works:
            break
        if at == MAX_ROWID:
            return False, None
        bad, step = at, step * 2
    good, first = at, rowid
    while good - bad > 1:
        middle = (good + bad) // 2
        works, rowid = seek(middle)
        if works:
            good, first = middle, rowid
        else:
            bad = middle
    return True, first


def _walk(db: sqlite3.Connection, table: str) -> tuple[list[int], list[tuple[int, int | None]]]:
    """The readable rowids of ``table``, in order, and the damaged runs [first, next readable) between them."""
    readable: list[int] = []
    damaged: list[tuple[int, int | None]] = []
    lo = MIN_ROWID
    while True:
        try:
            rowid = _next_rowid(db, table, lo)
        except sqlite3.DatabaseError:
            found, rowid = _past_damage(db, table, lo)
            damaged.append((lo, rowid if found else None))
            if not found:
                break
        if rowid is None:
            break
        readable.append(rowid)
        if rowid >= MAX_ROWID:
            break
        lo = rowid + 1
    return readable, damaged


def _index_rowids(db: sqlite3.Connection, table: str, indexes: list[str]) -> set[int] | None:
    """The rowids held by the first index of ``table`` that can be read whole (None: none can)."""
    for index in indexes:
        try:
            rows = db.execute(f"SELECT rowid FROM {_quote(table)} INDEXED BY {_quote(index)}").fetchall()
        except sqlite3.Error:   # damaged, or a partial index SQLite will not scan whole
            continue
        return {int(r[0]) for r in rows}
    return None


def _count_lost(readable: list[int], damaged: list[tuple[int, int | None]],
                in_index: set[int] | None) -> tuple[int, bool]:
    """How many rows were on the damaged pages, and whether the count may be short."""
    seen = set(readable)
    if in_index is not None:
        return len(in_index - seen), False
    lost, unknown = 0, False
    for first, after in damaged:
        first = max(first, 1)   # mltrainer's ids start at 1
        if after is None:       # the end of the table is unreadable and no index says how far it went
            unknown = True
            continue
        if after - first > MAX_COUNTED_GAP:
            unknown = True
            continue
        lost += sum(1 for rowid in range(first, after) if rowid not in seen)
    return lost, unknown


def _read_row(db: sqlite3.Connection, spec: SalvageTable, columns: list[str], rowid: int) -> dict | None:
    """One row as {column: value}; a column that alone cannot be read is UNREADABLE when it may be
    substituted; None when the row cannot be used."""
    table = _quote(spec.name)
    try:
        values = db.execute(f"SELECT {', '.join(map(_quote, columns))} FROM {table} WHERE rowid = ?",
                            (rowid,)).fetchone()
        if values is None:
            return None
        return dict(zip(columns, values))
    except sqlite3.DatabaseError:
        pass
    # Its own overflow pages are damaged: read what comes before the damage, column by column.
    row: dict[str, Any] = {}
    for column in columns:
        try:
            value = db.execute(f"SELECT {_quote(column)} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            if column not in spec.substitutes:
                return None
            row[column] = UNREADABLE
            continue
        if value is None:
            return None
        row[column] = value[0]
    return row


def _read_table(db: sqlite3.Connection, spec: SalvageTable, indexes: list[str], found: Found) -> None:
    try:
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({_quote(spec.name)})").fetchall()]
    except sqlite3.Error:
        columns = []
    if "id" not in columns:
        found.rows[spec.name], found.lost[spec.name], found.more_lost[spec.name] = [], 0, True
        return
    readable, damaged = _walk(db, spec.name)
    in_index = _index_rowids(db, spec.name, indexes) if damaged else None
    lost, unknown = _count_lost(readable, damaged, in_index)
    rows = []
    for rowid in readable:
        row = _read_row(db, spec, columns, rowid)
        if row is None or row.get("id") != rowid:
            lost += 1
            continue
        rows.append(row)
    found.rows[spec.name], found.lost[spec.name], found.more_lost[spec.name] = rows, lost, unknown


def _read_grade_tests(db: sqlite3.Connection, found: Found) -> None:
    """The test rows of the grades whose report could not be read (the others are rebuilt from it)."""
    for grade in found.rows.get("grades", []):
        if grade.get("report_json") is not UNREADABLE:
            continue
        try:
            cursor = db.execute("SELECT * FROM grade_tests WHERE grade_id = ? ORDER BY id", (grade["id"],))
            names = [d[0] for d in cursor.description]
            found.grade_tests[grade["id"]] = [dict(zip(names, r)) for r in cursor.fetchall()]
        except sqlite3.Error:
            continue


# --------------------------------------------------------------------------
# Writing into the good database
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    name: str
    type: str
    notnull: bool
    has_default: bool


def _columns(db: sqlite3.Connection, table: str) -> dict[str, _Column]:
    return {
        r[1]: _Column(r[1], (r[2] or "").upper(), bool(r[3]), r[4] is not None)
        for r in db.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    }


def _fits(column: _Column, value: Any) -> bool:
    """The value is one the current schema holds in this column (garbage is not)."""
    if value is None:
        return not column.notnull
    if isinstance(value, bool) or isinstance(value, bytes):
        return False
    if column.type == "INTEGER":
        ok = isinstance(value, int)
    elif column.type == "REAL":
        ok = isinstance(value, (int, float)) and value == value   # NaN is garbage here
    elif column.type == "TEXT":
        ok = isinstance(value, str)
    else:
        ok = True
    if ok and column.name.endswith("_at"):
        try:
            from_iso(value)
        except (TypeError, ValueError):
            return False
    return ok


def _placeholder_report(row: dict) -> str:
    """The report kept for a grade whose report could not be read: what the grade row itself says."""
    return json.dumps({
        "challenge_id": row.get("challenge_id"),
        "solution_path": row.get("solution_path") or "",
        "source_sha256": row.get("source_sha256"),
        "started_at": row.get("started_at"),
        "duration_s": row.get("duration_s") or 0.0,
        "status": row.get("status"),
        "static_issues": [],
        "tests": [],
        "error": LOST_REPORT,
    }, sort_keys=True)


class _Writer:
    """Writes the rows of a :class:`Found` into ``db`` (inside the caller's write transaction)."""

    def __init__(self, db: sqlite3.Connection, found: Found, now: str) -> None:
        self.db = db
        self.found = found
        self.now = now
        self.ids: dict[str, dict[int, int]] = {}       # table -> old id -> id here
        self.inserted: dict[str, set[int]] = {}        # table -> ids written by this salvage
        self.report = SalvageReport(found.source, schema_version=found.schema_version)

    def run(self) -> SalvageReport:
        for spec in SALVAGE_TABLES:
            if spec.name not in self.found.rows:
                continue
            count = self.report.tables[spec.name] = TableCount(
                spec.name, lost=self.found.lost.get(spec.name, 0),
                more_lost=self.found.more_lost.get(spec.name, False))
            self.ids[spec.name], self.inserted[spec.name] = {}, set()
            columns = _columns(self.db, spec.name)
            for raw in self.found.rows[spec.name]:
                self._copy(spec, columns, raw, count)
            if spec.name == "hints":
                self._restore_earlier_hints(count)
        return self.report

    def _prepare(self, spec: SalvageTable, columns: dict[str, _Column], raw: dict) -> tuple[dict, bool] | None:
        """The row to write (columns of the current schema, references mapped), or None: unusable."""
        row: dict[str, Any] = {}
        partial = False
        for name, column in columns.items():
            if name == "id" or name not in raw:
                if name != "id" and column.notnull and not column.has_default:
                    return None   # an older schema without a column the current one requires
                continue
            row[name] = raw[name]
        for name, table, required in spec.refs:
            old = row.get(name)
            if old is None or old is UNREADABLE:
                continue
            new = self.ids.get(table, {}).get(old)
            if new is None and required:
                return None
            row[name] = new
        if spec.name == "grades":
            if row.get("source") is UNREADABLE:
                row["source"], partial = "", True
            report = row.get("report_json")
            try:
                usable = report is not UNREADABLE and isinstance(json.loads(report), dict)
            except (TypeError, ValueError):
                usable = False
            if not usable:
                row["report_json"], partial = UNREADABLE, True
        for name, value in row.items():
            if value is UNREADABLE:
                continue
            if not _fits(columns[name], value):
                return None
        if spec.name == "hints" and not 0 <= row.get("hint_index", 0) < MAX_HINT_INDEX:
            return None
        if row.get("report_json") is UNREADABLE:
            row["report_json"] = _placeholder_report(row)
        return row, partial

    def _already_here(self, spec: SalvageTable, row: dict) -> int | None:
        where = " AND ".join(f"{_quote(k)} IS ?" for k in spec.key)
        for (found,) in self.db.execute(f"SELECT id FROM {_quote(spec.name)} WHERE {where}",
                                        [row.get(k) for k in spec.key]).fetchall():
            if found not in self.inserted[spec.name]:   # two equal rows of the damaged file both count
                return int(found)
        return None

    def _copy(self, spec: SalvageTable, columns: dict[str, _Column], raw: dict, count: TableCount) -> None:
        prepared = self._prepare(spec, columns, raw)
        if prepared is None:
            count.lost += 1
            return
        row, partial = prepared
        old_id = raw["id"]
        existing = self._already_here(spec, row)
        if existing is not None:
            self.ids[spec.name][old_id] = existing
            count.present += 1
            return
        if spec.name == "mock_sessions" and row.get("open") is not None and self._a_round_is_open():
            self._close_round(row)
        free = self.db.execute(f"SELECT 1 FROM {_quote(spec.name)} WHERE id = ?", (old_id,)).fetchone() is None
        names = (["id"] if free else []) + list(row)
        values = ([old_id] if free else []) + list(row.values())
        try:
            cursor = self.db.execute(
                f"INSERT INTO {_quote(spec.name)} ({', '.join(map(_quote, names))})"
                f" VALUES ({', '.join('?' for _ in names)})", values)
        except sqlite3.IntegrityError:   # a CHECK or UNIQUE constraint the garbage broke
            count.lost += 1
            return
        new_id = int(cursor.lastrowid)
        self.ids[spec.name][old_id] = new_id
        self.inserted[spec.name].add(new_id)
        count.added += 1
        count.partial += partial
        if spec.name == "grades":
            self._grade_tests(old_id, new_id, row)

    def _a_round_is_open(self) -> bool:
        return self.db.execute("SELECT 1 FROM mock_sessions WHERE open IS NOT NULL").fetchone() is not None

    def _close_round(self, row: dict) -> None:
        """A round still open in the damaged file, while another is open here: it ends, abandoned."""
        from trainer.mock.models import ABANDONED

        row.update(state=ABANDONED, open=None, claimed_by=None, claimed_at=None,
                   ended_by="abandon", ended_at=self.now)

    def _grade_tests(self, old_id: int, new_id: int, row: dict) -> None:
        report = json.loads(row["report_json"])
        if report.get("error") != LOST_REPORT:
            insert_test_rows(self.db, new_id, report)
            return
        columns = _columns(self.db, "grade_tests")
        for test in self.found.grade_tests.get(old_id, []):
            values = {k: v for k, v in test.items() if k in columns and k != "id"}
            values["grade_id"] = new_id
            if not all(_fits(columns[k], v) for k, v in values.items()):
                continue
            try:
                self.db.execute(f"INSERT INTO grade_tests ({', '.join(map(_quote, values))})"
                                f" VALUES ({', '.join('?' for _ in values)})", list(values.values()))
            except sqlite3.IntegrityError:
                continue

    def _restore_earlier_hints(self, count: TableCount) -> None:
        """Hints are revealed in order: a hint here means the ones before it were revealed too.

        A lost earlier hint is written back, dated at the earliest later hint
        (it was revealed no later than that), so the hints of a challenge stay
        0, 1, 2, ... as the rest of mltrainer expects.
        """
        touched = {row["challenge_id"] for row in self.found.rows.get("hints", [])
                   if isinstance(row.get("challenge_id"), str)}
        restored = 0
        for challenge_id in sorted(touched):
            have = dict(self.db.execute("SELECT hint_index, revealed_at FROM hints WHERE challenge_id = ?",
                                        (challenge_id,)).fetchall())
            for index in range(max(have, default=-1)):
                if index in have:
                    continue
                revealed_at = min(at for i, at in have.items() if i > index)
                self.db.execute("INSERT INTO hints (challenge_id, hint_index, revealed_at) VALUES (?, ?, ?)",
                                (challenge_id, index, revealed_at))
                have[index] = revealed_at
                restored += 1
        count.added += restored
        count.lost = max(0, count.lost - restored)


def write_found(db: sqlite3.Connection, found: Found, *, now: str) -> SalvageReport:
    """Copy what was read into ``db``, inside the caller's write transaction."""
    return _Writer(db, found, now).run()


def unreadable_report(source: Path, why: str, *, stopped: bool = False) -> SalvageReport:
    return SalvageReport(Path(source), readable=False, why=why, stopped=stopped)
