"""The progress store: every start, hint, grade and reference reveal, in SQLite.

One database file per user, shared by every mltrainer process (the CLI, the
TUI, a ``mltrainer watch`` beside them); writes are transactional, so two
grading runs at once are both recorded. The modules:

* :mod:`~trainer.store.database`: the file: opening, locking, WAL, recovery of
  a damaged file, refusal of one that may not be written, transactions;
* :mod:`~trainer.store.schema`: the schema and its migrations, in order;
* :mod:`~trainer.store.records`: the records read back (plain values, no SQL);
* :mod:`~trainer.store.queries`: :class:`Store`, the writes and reads of those records;
* :mod:`~trainer.store.exchange`: export and import of the whole history;
* :mod:`~trainer.store.salvage`: what can still be read from a damaged
  database, copied row by row into a good one (on open, and
  ``mltrainer progress --recover FILE``);
* :mod:`~trainer.store.timestamps`: the injectable clock and the stored time format.

The mock-interview rounds keep their own tables in the same database; their
queries are :mod:`trainer.mock.persistence`'s.

The store's errors live in :mod:`trainer.errors` with every other user-facing
error; they are importable from here too, where they are raised.
"""

from trainer.errors import (
    DatabaseNotWritable,
    DatabaseTooNew,
    DataDirUnusable,
    ImportFormatError,
    StoreError,
)
from trainer.store.database import not_writable
from trainer.store.queries import Store
from trainer.store.records import GradeRecord, HintRecord, History, RevealRecord, StartRecord
from trainer.store.timestamps import Clock, from_iso, to_iso, utc_now

__all__ = [
    "Clock",
    "DataDirUnusable",
    "DatabaseNotWritable",
    "DatabaseTooNew",
    "GradeRecord",
    "HintRecord",
    "History",
    "ImportFormatError",
    "RevealRecord",
    "StartRecord",
    "Store",
    "StoreError",
    "from_iso",
    "not_writable",
    "to_iso",
    "utc_now",
]
