"""Every query and write of the mock rounds: the tables ``mock_sessions``,
``mock_items`` and ``mock_ratings`` of the progress database.

The tables are created by migration 3 of :mod:`trainer.store.schema` (the
migrations stay together there, in order); everything that reads or writes
them is here, including their part of a progress export and import
(:mod:`trainer.store.exchange` calls :func:`export_finished_rounds`,
:func:`import_mock_sessions` and :func:`import_mock_children`). The rest of
the mock package works with the records of :mod:`trainer.mock.models`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from trainer.errors import ImportFormatError, InputError
from trainer.mock.models import (
    ABANDONED,
    ACTIVE,
    DONE,
    GRADING,
    FollowUp,
    ItemCard,
    MockItem,
    MockSession,
    SessionSummary,
)
from trainer.store import from_iso, to_iso

if TYPE_CHECKING:
    from trainer.store import Store

# --------------------------------------------------------------------------
# Reading rounds
# --------------------------------------------------------------------------


def _opt_time(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def _item(row: sqlite3.Row) -> MockItem:
    return MockItem(
        id=row["id"],
        position=row["position"],
        challenge_id=row["challenge_id"],
        path=Path(row["path"]),
        stub_sha256=row["stub_sha256"],
        checks=row["checks"],
        snapshot_path=None if row["snapshot_path"] is None else Path(row["snapshot_path"]),
        last_edit_at=_opt_time(row["last_edit_at"]),
        edited_late_s=row["edited_late_s"],
        outcome=row["outcome"],
        grade_id=row["grade_id"],
        points=row["points"],
        detail=json.loads(row["detail_json"]) if row["detail_json"] else {},
    )


def _session(store: Store, row: sqlite3.Row) -> MockSession:
    items = store.execute(
        "SELECT * FROM mock_items WHERE session_id = ? ORDER BY position", (row["id"],)
    ).fetchall()
    return MockSession(
        id=row["id"],
        started_at=from_iso(row["started_at"]),
        deadline=from_iso(row["deadline"]),
        minutes=row["minutes"],
        seed=row["seed"],
        seeded=bool(row["seeded"]),
        options=json.loads(row["options_json"] or "{}"),
        folder=Path(row["folder"]),
        state=row["state"],
        items=tuple(_item(r) for r in items),
        claimed_by=row["claimed_by"],
        claimed_at=_opt_time(row["claimed_at"]),
        ended_by=row["ended_by"],
        ended_at=_opt_time(row["ended_at"]),
        handed_in_at=_opt_time(row["handed_in_at"]),
        overrun_s=row["overrun_s"],
        score=row["score"],
    )


def current_session(store: Store) -> MockSession | None:
    """The open round (active, or being graded), if any."""
    row = store.execute("SELECT * FROM mock_sessions WHERE open IS NOT NULL").fetchone()
    return None if row is None else _session(store, row)


def get_session(store: Store, session_id: int) -> MockSession:
    row = store.execute("SELECT * FROM mock_sessions WHERE id = ?", (int(session_id),)).fetchone()
    if row is None:
        raise InputError(f"there is no mock round {session_id} (`mltrainer progress --mock` lists them)")
    return _session(store, row)


def latest_session(store: Store, *, finished: bool = False) -> MockSession | None:
    """The most recent round; with ``finished``, the most recent one handed in."""
    query = "SELECT * FROM mock_sessions"
    if finished:
        query += f" WHERE state = '{DONE}'"
    row = store.execute(query + " ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else _session(store, row)


def open_round_exists(db: sqlite3.Connection) -> bool:
    """Whether a round is open, on a bare connection (the cheap check before every command)."""
    return db.execute("SELECT 1 FROM mock_sessions WHERE open IS NOT NULL LIMIT 1").fetchone() is not None


# --------------------------------------------------------------------------
# Writing rounds
# --------------------------------------------------------------------------


def insert_session(db: sqlite3.Connection, *, started_at: datetime, deadline: datetime, minutes: int,
                   seed: int, seeded: bool, options: dict) -> int:
    """Open a new round (its folder is set by :func:`set_folder`); return its id.

    Raises sqlite3.IntegrityError while another round is open (a unique index).
    """
    cursor = db.execute(
        "INSERT INTO mock_sessions (started_at, deadline, minutes, seed, seeded, options_json,"
        " folder, state, open) VALUES (?, ?, ?, ?, ?, ?, '', ?, 1)",
        (to_iso(started_at), to_iso(deadline), minutes, seed, int(seeded),
         json.dumps(options, sort_keys=True), ACTIVE),
    )
    return int(cursor.lastrowid)


def insert_item(db: sqlite3.Connection, session_id: int, position: int, challenge_id: str, path: Path,
                stub_sha256: str) -> None:
    db.execute(
        "INSERT INTO mock_items (session_id, position, challenge_id, path, stub_sha256)"
        " VALUES (?, ?, ?, ?, ?)",
        (session_id, position, challenge_id, str(path), stub_sha256),
    )


def set_folder(db: sqlite3.Connection, session_id: int, folder: Path) -> None:
    db.execute("UPDATE mock_sessions SET folder = ? WHERE id = ?", (str(folder), session_id))


def mark_abandoned(store: Store, session_id: int) -> bool:
    """End an active round without a score; False if it was no longer active."""
    with store.transaction() as db:
        changed = db.execute(
            "UPDATE mock_sessions SET state = ?, open = NULL, ended_by = 'abandon', ended_at = ?"
            " WHERE id = ? AND state = ?",
            (ABANDONED, to_iso(store.clock()), session_id, ACTIVE),
        ).rowcount
    return bool(changed)


def count_check(store: Store, item_id: int) -> None:
    """One more "grade now" run of an item before the hand-in."""
    with store.transaction() as db:
        db.execute("UPDATE mock_items SET checks = checks + 1 WHERE id = ?", (item_id,))


def claim(store: Store, session: MockSession, pid: int, now: datetime) -> bool:
    """Mark the round as being graded by process ``pid``, unless its state or claim changed meanwhile."""
    with store.transaction() as db:
        changed = db.execute(
            "UPDATE mock_sessions SET state = ?, claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND state = ? AND claimed_by IS ?",
            (GRADING, pid, to_iso(now), session.id, session.state, session.claimed_by),
        ).rowcount
    return bool(changed)


def release(store: Store, session_id: int) -> None:
    """A round being graded is active again (the hand-in did not finish)."""
    with store.transaction() as db:
        db.execute(
            "UPDATE mock_sessions SET state = ?, claimed_by = NULL, claimed_at = NULL"
            " WHERE id = ? AND state = ?",
            (ACTIVE, session_id, GRADING),
        )


@dataclass(frozen=True)
class HandedInItem:
    """What the hand-in stores of one item: its copy, its last edit and its scorecard line."""

    item_id: int
    snapshot: Path | None
    last_edit: datetime | None
    edited_late_s: float | None
    card: ItemCard


def save_hand_in(store: Store, session_id: int, items: Iterable[HandedInItem], *, ended_by: str,
                 handed_in_at: datetime, overrun_s: float, score: float) -> None:
    """Store the graded round, its items' results, and close it, in one transaction."""
    with store.transaction() as db:
        for h in items:
            card = h.card
            db.execute(
                "UPDATE mock_items SET snapshot_path = ?, last_edit_at = ?, edited_late_s = ?,"
                " outcome = ?, grade_id = ?, points = ?, detail_json = ? WHERE id = ?",
                (None if h.snapshot is None else str(h.snapshot),
                 None if h.last_edit is None else to_iso(h.last_edit), h.edited_late_s,
                 card.outcome, card.grade_id, card.points, json.dumps(card.to_dict(), sort_keys=True),
                 h.item_id),
            )
        db.execute(
            "UPDATE mock_sessions SET state = ?, open = NULL, ended_by = ?, ended_at = ?,"
            " handed_in_at = ?, overrun_s = ?, score = ?, claimed_by = NULL WHERE id = ?",
            (DONE, ended_by, to_iso(store.clock()), to_iso(handed_in_at),
             overrun_s, score, session_id),
        )


# --------------------------------------------------------------------------
# Follow-up ratings and the list of rounds
# --------------------------------------------------------------------------


def follow_up_ratings(store: Store, session_id: int) -> dict[tuple[str, int], int]:
    """The ratings given so far in a round: (challenge id, question index) -> rating."""
    return {
        (r["challenge_id"], r["question_index"]): r["rating"]
        for r in store.execute(
            "SELECT challenge_id, question_index, rating FROM mock_ratings WHERE session_id = ?",
            (session_id,),
        ).fetchall()
    }


def save_rating(store: Store, session_id: int, follow_up: FollowUp, rating: int) -> None:
    """Save (or change) the rating of a follow-up question."""
    with store.transaction() as db:
        db.execute(
            "INSERT INTO mock_ratings (session_id, challenge_id, question_index, question, rating,"
            " rated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (session_id, challenge_id, question_index)"
            " DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at",
            (session_id, follow_up.challenge_id, follow_up.index, follow_up.question, int(rating),
             to_iso(store.clock())),
        )


def session_summaries(store: Store) -> list[SessionSummary]:
    """Every round, newest first: what `mltrainer progress --mock` lists."""
    rows = store.execute("SELECT * FROM mock_sessions ORDER BY id DESC").fetchall()
    ratings = {
        r[0]: (r[1], r[2])
        for r in store.execute(
            "SELECT session_id, count(*), avg(rating) FROM mock_ratings GROUP BY session_id"
        ).fetchall()
    }
    summaries = []
    for row in rows:
        items = store.execute(
            "SELECT challenge_id, outcome FROM mock_items WHERE session_id = ? ORDER BY position",
            (row["id"],),
        ).fetchall()
        n_ratings, mean = ratings.get(row["id"], (0, None))
        summaries.append(SessionSummary(
            id=row["id"],
            started_at=from_iso(row["started_at"]),
            minutes=row["minutes"],
            state=row["state"],
            ended_by=row["ended_by"],
            challenges=tuple(i["challenge_id"] for i in items),
            passed=sum(1 for i in items if i["outcome"] == "passed"),
            score=row["score"],
            overrun_s=row["overrun_s"],
            ratings=n_ratings,
            mean_rating=mean,
            seed=row["seed"] if row["seeded"] else None,
        ))
    return summaries


# --------------------------------------------------------------------------
# Export and import (finished rounds, ids remapped)
# --------------------------------------------------------------------------

#: Mock-round tables carried by export/import (finished rounds only), with their ids remapped.
MOCK_TABLES = ("mock_sessions", "mock_items", "mock_ratings")


def export_finished_rounds(db: sqlite3.Connection) -> dict[str, list[dict]]:
    """The rows of :data:`MOCK_TABLES` that belong to finished rounds, with their ids as they are here."""
    doc = {}
    for name in MOCK_TABLES:
        # Finished rounds only: an open one belongs to this machine's clock.
        finished = "SELECT id FROM mock_sessions WHERE open IS NULL"
        column = "id" if name == "mock_sessions" else "session_id"
        cursor = db.execute(f"SELECT * FROM {name} WHERE {column} IN ({finished}) ORDER BY id")
        names = [d[0] for d in cursor.description]
        doc[name] = [dict(zip(names, row)) for row in cursor.fetchall()]
    return doc


@dataclass
class SessionIdMap:
    """The mock rounds of an import, and where each landed in this database."""

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


def import_mock_sessions(db: sqlite3.Connection, origin: Path, doc: dict) -> SessionIdMap:
    """Add finished mock rounds not already present (same start time, seed and folder)."""
    mapping = SessionIdMap({}, set())
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


def import_mock_children(db: sqlite3.Connection, origin: Path, doc: dict, sessions: SessionIdMap,
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
