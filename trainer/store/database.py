"""The progress database file: opening, locking, WAL, recovery, transactions.

One database file (``paths.database_path()``, overridable with
``MLTRAINER_DATA_DIR``) is shared by every mltrainer process of a user: the CLI,
the TUI and a ``mltrainer watch`` running next to them. So:

* the database runs in WAL mode with a busy timeout, and every write is one
  ``BEGIN IMMEDIATE`` transaction (two grading runs at once are both recorded);
* the schema is versioned with ``PRAGMA user_version`` and the migrations of
  :mod:`trainer.store.schema` are applied on open, in order, each in its own
  transaction;
* a file that SQLite cannot read as a database is moved aside (renamed with a
  timestamp, never deleted), a fresh database is created, and every row that
  can still be read from the moved file is copied into it
  (:mod:`trainer.store.salvage`); ``recovered_from`` then names the moved file
  and ``salvage`` says what was recovered and lost, so the caller can say so;
* a database mltrainer may not write (a read-only file or folder, files left
  by another user) is refused at once with :class:`DatabaseNotWritable`, which
  names the file and what to do; it is never mistaken for a damaged one, and
  no grading run is wasted before a write fails.

:class:`Database` knows nothing of what is stored; :class:`trainer.store.Store`
adds the records and their queries.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from datetime import timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, TypeVar

from trainer.errors import (
    USE_ANOTHER_FOLDER,
    DatabaseNotWritable,
    DatabaseTooNew,
    DataDirUnusable,
    StoreError,
)
from trainer.store.schema import MIGRATIONS
from trainer.store.timestamps import Clock, to_iso, utc_now

if TYPE_CHECKING:
    from trainer.store.salvage import SalvageReport

#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_S = 30.0

#: Files SQLite creates beside the database while it is in use.
SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")


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


def salvage_file(db: sqlite3.Connection, path: Path, source: Path, *, now: str) -> "SalvageReport":
    """Copy every row that can be read from the database file ``source`` into
    ``db`` (the database at ``path``), in one write transaction.

    The file is read first, outside the transaction, and never written. When
    nothing in it can be read, the report says why and nothing is written.
    """
    from trainer.store import salvage

    try:
        found = salvage.read_damaged(source)
        with _Transaction(db, path) as conn:
            return salvage.write_found(conn, found, now=now)
    except salvage.Unreadable as unreadable:
        return salvage.unreadable_report(source, str(unreadable))
    except StoreError:   # this database cannot be written (disk full, locked): said as such
        raise
    except Exception as error:
        # A salvage that stops must not stand between the user and a working
        # database; nothing of it was written (the transaction rolled back).
        return salvage.unreadable_report(source, f"the salvage stopped: {type(error).__name__}: {error}",
                                         stopped=True)


_Opened = TypeVar("_Opened", bound="Database")


class Database:
    """An open progress database: its connection, path and clock. Open with :meth:`open`."""

    def __init__(self, db: sqlite3.Connection, path: Path, clock: Clock | None) -> None:
        self._db = db
        self.path = path
        self.clock: Clock = clock or utc_now
        self.recovered_from: Path | None = None
        self.salvage: "SalvageReport | None" = None   # what was copied from the moved file

    # ----------------------------------------------------------- opening

    @classmethod
    def open(cls: type[_Opened], path: Path | None = None, *, clock: Clock | None = None) -> _Opened:
        """Open (creating and migrating as needed) the database at ``path``.

        ``path`` defaults to ``paths.database_path()``. A damaged file is moved
        aside to ``<name>.corrupt-<UTC timestamp>``, a fresh database is
        created and what can still be read from the moved file is copied into
        it; ``recovered_from`` is then set to the moved file and ``salvage`` to
        what was recovered and lost.
        """
        if path is None:
            from trainer import paths

            path = paths.database_path()
        path = Path(path)
        _make_data_dir(path.parent)
        refusal = not_writable(path)
        if refusal is not None:
            raise refusal
        recovered, salvaged = None, None
        try:
            db = cls._connect_and_migrate(path)
        except sqlite3.Error as error:
            if _is_refusal(error):
                raise _refused(path, error) from None
            if not (_is_damaged(error) or _is_io_error(error)):
                raise StoreError(f"cannot open the progress database {path}: {error}") from error
            db, recovered, salvaged = cls._recover(path, clock or utc_now)
        opened = cls(db, path, clock)
        opened.recovered_from = recovered
        opened.salvage = salvaged
        return opened

    @property
    def recovery_message(self) -> str | None:
        """What to tell the user after a damaged database was replaced: where
        it went, and what of it was recovered and lost."""
        if self.recovered_from is None:
            return None
        from trainer.store.salvage import recovery_message

        return recovery_message(self.path, self.recovered_from, self.salvage)

    @classmethod
    def _recover(cls, path: Path, clock: Clock
                 ) -> tuple[sqlite3.Connection, Path | None, "SalvageReport | None"]:
        """Salvage the damaged file into a new database, move it aside, and put
        the new one in its place.

        Recoveries are serialised by a lock file, and each first tries the
        file again: another mltrainer may have just replaced it with a fresh
        database (an I/O error is what a reader sees while that happens).
        The new database is built beside the damaged one
        (``<name>.salvage``) and renamed into place only when the salvage is
        committed: a recovery interrupted before that leaves the damaged file
        where it was, and the next mltrainer salvages it again.
        """
        with _recovery_lock(path):
            try:
                return cls._connect_and_migrate(path), None, None
            except sqlite3.Error as error:
                if _is_refusal(error):
                    raise _refused(path, error) from None
                if not _is_damaged(error):
                    raise StoreError(f"cannot open the progress database {path}: {error}") from error
            fresh = path.with_name(path.name + ".salvage")
            for leftover in (fresh, *side_files(fresh)):   # of an interrupted recovery
                leftover.unlink(missing_ok=True)
            try:
                db = cls._connect_and_migrate(fresh)
            except sqlite3.Error as error:
                raise StoreError(f"the progress database {path} is damaged, and a new one cannot be "
                                 f"created beside it at {fresh}: {error}") from error
            try:
                salvaged = salvage_file(db, fresh, path, now=to_iso(clock()))
            finally:
                db.close()   # the last connection: its WAL is written into the file
            moved = cls._move_aside(path, clock)
            try:
                os.replace(fresh, path)
                for side, target in zip(side_files(fresh), side_files(path)):
                    if side.exists():
                        os.replace(side, target)
            except OSError as error:
                raise StoreError(
                    f"moved the damaged progress database aside to {moved}, but cannot put the new one "
                    f"({fresh}) in its place at {path}: {error.strerror or error}"
                ) from None
            try:
                return cls._connect_and_migrate(path), moved, salvaged
            except sqlite3.Error as error:
                raise StoreError(
                    f"moved the damaged progress database aside to {moved}, "
                    f"but cannot open the new one at {path}: {error}"
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
            # A newer mltrainer's file is refused untouched, damaged or not.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise DatabaseTooNew(path, version, len(MIGRATIONS))
            # Checked before anything is written: a damaged file is moved aside as it was.
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {check}")
            cls._enable_wal(db)
            cls._migrate(db, path)
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

    def __enter__(self: _Opened) -> _Opened:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ salvage

    def recover_from(self, source: Path) -> "SalvageReport":
        """Copy what can be read from the database file ``source`` (damaged or
        not) into this one; records already here are kept and not doubled.

        The file is never written. Nothing readable at all is a report with
        ``readable`` False (and the reason in ``why``); nothing is written then.
        """
        return salvage_file(self._db, self.path, Path(source), now=self._now())

    # ------------------------------------------------------- transactions

    def _now(self) -> str:
        return to_iso(self.clock())

    def _write(self) -> "_Transaction":
        return _Transaction(self._db, self.path)

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
