"""Salvage of a damaged progress database: a bad page costs only the rows on it.

Every database here is a real SQLite file written through the Store and the
mock rounds' API; the damage is garbage written over one page, found by
walking the table's b-tree in the file itself (the page format is SQLite's
documented file format), so the rows that were on it are known exactly.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from trainer import mock
from trainer.catalog import load_catalog
from trainer.cli import cli
from trainer.session import Session
from trainer.store import Store, schema
from trainer.store.salvage import LOST_REPORT

from tests.helpers import TOY_PACK, FakeClock, make_report

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
GARBAGE = b"\xde\xad\xbe\xef"   # 0xde is no page type, and as a page number it lies past the end


# --------------------------------------------------------------------------
# The file format: where a table's rows are
# --------------------------------------------------------------------------


def _page_size(data: bytes) -> int:
    size = int.from_bytes(data[16:18], "big")
    return 65536 if size == 1 else size


def _page(data: bytes, number: int) -> tuple[bytes, int]:
    """Page ``number`` (1-based) and where its header starts (after the file header on page 1)."""
    size = _page_size(data)
    return data[(number - 1) * size:number * size], (100 if number == 1 else 0)


def _varint(buf: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        byte = buf[at + i]
        if i == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    raise AssertionError("unreachable")


def _cells(page: bytes, header: int, header_size: int) -> list[int]:
    count = int.from_bytes(page[header + 3:header + 5], "big")
    pointers = header + header_size
    return [int.from_bytes(page[pointers + 2 * i:pointers + 2 * i + 2], "big") for i in range(count)]


def leaves(data: bytes, root: int) -> list[tuple[int, list[int]]]:
    """(page number, rowids on it) of every leaf of the table b-tree rooted at ``root``, in rowid order."""
    page, header = _page(data, root)
    if page[header] == 0x0D:   # table leaf: cells are (payload size, rowid, payload)
        rowids = []
        for cell in _cells(page, header, 8):
            _, at = _varint(page, cell)
            rowids.append(_varint(page, at)[0])
        return [(root, rowids)]
    assert page[header] == 0x05, f"page {root} is not a table b-tree page"
    children = [int.from_bytes(page[c:c + 4], "big") for c in _cells(page, header, 12)]
    children.append(int.from_bytes(page[header + 8:header + 12], "big"))
    return [leaf for child in children for leaf in leaves(data, child)]


def first_overflow_page(data: bytes, leaf: int, rowid: int) -> int:
    """The first overflow page of the row ``rowid`` on the table leaf ``leaf`` (the file format's formula)."""
    page, header = _page(data, leaf)
    usable = _page_size(data) - data[20]
    for cell in _cells(page, header, 8):
        payload, at = _varint(page, cell)
        found, at = _varint(page, at)
        if found != rowid:
            continue
        most, least = usable - 35, (usable - 12) * 32 // 255 - 23
        assert payload > most, "the row fits on its page: it has no overflow page"
        local = least + (payload - least) % (usable - 4)
        local = local if local <= most else least
        return int.from_bytes(page[at + local:at + local + 4], "big")
    raise AssertionError(f"row {rowid} is not on page {leaf}")


def root_page(path: Path, table: str) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    finally:
        db.close()   # the last connection to close checkpoints the WAL into the file


def damage(path: Path, page: int) -> bytes:
    """Write garbage over one page of the database file; return the damaged file's bytes."""
    data = bytearray(path.read_bytes())
    size = _page_size(bytes(data))
    data[(page - 1) * size:page * size] = GARBAGE * (size // len(GARBAGE))
    path.write_bytes(bytes(data))
    assert not [p for p in path.parent.glob(path.name + "-*")], "the WAL was not checkpointed"
    return bytes(data)


def moved_aside(path: Path) -> Path:
    [aside] = [p for p in path.parent.glob(path.name + ".corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    return aside


# --------------------------------------------------------------------------
# A real history
# --------------------------------------------------------------------------

N_PRACTICE = 40
CHALLENGES = ("kmeans", "softmax", "knn", "pca")


def build_history(path: Path, clock: FakeClock, workspace: Path, monkeypatch) -> dict:
    """40 practice grades, 3 hints for each of 4 challenges, starts, reveals and two finished
    mock rounds (their grades, items and a rating), all through the Store and mock API."""
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    catalog = load_catalog()
    with Store.open(path, clock=clock) as store:
        for c in CHALLENGES:
            store.record_start(c, "guided", f"/w/{c}.py")
        for i in range(N_PRACTICE):
            clock.advance(minutes=7)
            c = CHALLENGES[i % len(CHALLENGES)]
            store.record_grade(make_report(c, passed=i % 3 == 0, ratio=1.0 + i / 10, sha=f"{i:064x}"),
                               f"# attempt {i}\n" + "x = 1\n" * 60)
            if i % 10 == 0:
                for c in CHALLENGES:
                    store.reveal_next_hint(c, 3)
            if i % 8 == 0:
                store.record_reveal(c)
        for n in range(2):
            clock.advance(hours=2)
            mock.start_session(store, catalog, seed=n, minutes=30, workspace=workspace)
            clock.advance(minutes=20)

            def grade(challenge, path, on_event=None, n=n):
                return make_report(challenge.id, passed=n == 1, ratio=1.5, sha=f"{100 + n:064x}")

            card = mock.submit(store, catalog, grade_function=grade)
            [follow_up, *_] = mock.follow_ups(store, card.session_id)
            mock.rate_follow_up(store, card.session_id, follow_up, 3)
        counts = {table: store.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("starts", "hints", "grades", "reveals", "mock_sessions", "mock_items",
                                "mock_ratings")}
    assert counts == {"starts": 4, "hints": 12, "grades": N_PRACTICE + 2, "reveals": 5,
                      "mock_sessions": 2, "mock_items": 2, "mock_ratings": 2}
    return counts


@pytest.fixture
def clock():
    return FakeClock(T0)


# --------------------------------------------------------------------------
# Opening a damaged database
# --------------------------------------------------------------------------


def test_a_damaged_page_costs_only_the_grades_on_it(tmp_path, clock, monkeypatch):
    path = tmp_path / "progress.db"
    build_history(path, clock, tmp_path / "workspace", monkeypatch)
    with Store.open(path) as before:
        grades_before = {g.id: g for g in before.grades()}
        mock_grade_ids = {g.id for g in before.grades() if g.mode == "mock"}
    grade_leaves = leaves(path.read_bytes(), root_page(path, "grades"))
    assert len(grade_leaves) >= 5, "the grades should span several pages"
    page, on_page = grade_leaves[len(grade_leaves) // 2]   # a page in the middle of the table
    assert on_page and not set(on_page) & mock_grade_ids
    damaged = damage(path, page)

    with Store.open(path, clock=clock) as store:
        aside = moved_aside(path)
        assert store.recovered_from == aside
        assert aside.read_bytes() == damaged          # kept as it was, never written
        report = store.salvage
        counts = {t.name: (t.recovered, t.lost) for t in report.shown()}
        assert counts == {
            "grades": (N_PRACTICE + 2 - len(on_page), len(on_page)),
            "hints": (12, 0), "starts": (4, 0), "reveals": (5, 0),
            "mock_sessions": (2, 0), "mock_items": (2, 0), "mock_ratings": (2, 0),
        }
        # The grades not on the page are all there, as they were, ids kept.
        after = {g.id: g for g in store.grades()}
        assert set(after) == set(grades_before) - set(on_page)
        assert all(after[i] == grades_before[i] for i in after)
        assert all(len(store.grade_tests(i)) == 3 for i in after)     # rebuilt from each report
        assert store.grade_source(min(after)).startswith("# attempt 0\n")
        assert {c: store.hints_revealed(c) for c in CHALLENGES} == {c: 3 for c in CHALLENGES}
        # Both mock rounds, their items pointing at their grades, their ratings.
        sessions = mock.session_summaries(store)
        assert [s.state for s in sessions] == ["done", "done"]
        items = store.execute("SELECT grade_id FROM mock_items ORDER BY id").fetchall()
        assert {row[0] for row in items} == mock_grade_ids
        assert len(store.execute("SELECT * FROM mock_ratings").fetchall()) == 2

        message = store.recovery_message
        assert f"moved aside to {aside}, kept as it was" in message
        assert f"{N_PRACTICE + 2 - len(on_page)} of {N_PRACTICE + 2} grades" in message
        assert "all 12 hints" in message and "both mock rounds" in message
        assert message.endswith(f"Lost: {len(on_page)} grade{'s' if len(on_page) > 1 else ''}.")
        store.reveal_next_hint("kmeans", 5)   # the database goes on as usual
    with Store.open(path) as again:
        assert again.recovered_from is None and again.recovery_message is None
        assert len(again.grades()) == N_PRACTICE + 2 - len(on_page)


def test_a_damaged_root_page_loses_the_table_and_counts_it_from_its_index(tmp_path, clock, monkeypatch):
    path = tmp_path / "progress.db"
    build_history(path, clock, tmp_path / "workspace", monkeypatch)
    damage(path, root_page(path, "grades"))
    with Store.open(path, clock=clock) as store:
        grades = store.salvage.tables["grades"]
        assert (grades.recovered, grades.lost, grades.more_lost) == (0, N_PRACTICE + 2, False)
        # A mock round's items point at no grade now; the rounds themselves are kept.
        assert [r[0] for r in store.execute("SELECT grade_id FROM mock_items")] == [None, None]
        assert len(mock.session_summaries(store)) == 2
        assert f"Lost: {N_PRACTICE + 2} grades." in store.recovery_message
        assert "grades" not in store.recovery_message.split("Lost:")[0]


def test_rows_of_a_table_without_an_index_are_counted_from_the_gaps_in_their_ids(tmp_path, clock):
    path = tmp_path / "progress.db"
    with Store.open(path, clock=clock) as store:
        for i in range(400):
            clock.advance(seconds=1)
            store.record_reveal(f"challenge-{i:03d}")
    reveal_leaves = leaves(path.read_bytes(), root_page(path, "reveals"))
    assert len(reveal_leaves) >= 4
    page, on_page = reveal_leaves[1]
    damage(path, page)
    with Store.open(path, clock=clock) as store:
        reveals = store.salvage.tables["reveals"]
        assert (reveals.recovered, reveals.lost, reveals.more_lost) == (400 - len(on_page), len(on_page), False)
        assert f"{400 - len(on_page)} of 400 reference reveals" in store.recovery_message


def test_an_unreadable_end_of_a_table_without_an_index_is_said_to_be_unknown(tmp_path, clock):
    path = tmp_path / "progress.db"
    with Store.open(path, clock=clock) as store:
        for i in range(400):
            clock.advance(seconds=1)
            store.record_reveal(f"challenge-{i:03d}")
    *readable, (page, on_page) = leaves(path.read_bytes(), root_page(path, "reveals"))
    damage(path, page)   # the last page: no later row says how many it held
    with Store.open(path, clock=clock) as store:
        reveals = store.salvage.tables["reveals"]
        assert (reveals.recovered, reveals.more_lost) == (400 - len(on_page), True)
        assert "(the rest of the table could not be read)" in store.recovery_message
        assert "an unknown number of reference reveals" in store.recovery_message


def test_a_grade_whose_overflow_page_is_damaged_keeps_its_verdict(tmp_path, clock):
    path = tmp_path / "progress.db"
    with Store.open(path, clock=clock) as store:
        for i in range(3):
            clock.advance(minutes=1)
            store.record_grade(make_report("kmeans", passed=i == 1, ratio=2.0, sha=f"{i:064x}"),
                               f"# {i}\n" + "y = 2\n" * 3000)   # 18 kB: most of it on overflow pages
        before = store.grades()
    data = path.read_bytes()
    [(leaf, rowids)] = [(p, r) for p, r in leaves(data, root_page(path, "grades")) if 2 in r]
    damage(path, first_overflow_page(data, leaf, 2))
    with Store.open(path, clock=clock) as store:
        grades = store.salvage.tables["grades"]
        assert (grades.recovered, grades.lost, grades.partial) == (3, 0, 1)
        assert store.grades() == before   # verdict, time, speed ratio: all kept
        assert store.grade_source(2) == ""
        assert store.grade_report(2)["error"] == LOST_REPORT
        assert [t["name"] for t in store.grade_tests(2)] == [  # copied, since no report rebuilds them
            "Finds the clusters", "Handles k = 1", "Within the time budget"]
        assert store.grade_source(1).startswith("# 0\n")
        assert "all 3 grades (1 without its source or report)" in store.recovery_message
        assert store.recovery_message.endswith("Nothing was lost.")
    # The report kept is one mltrainer can show.
    with Session(store_path=path, clock=clock, catalog_loader=lambda: load_catalog()) as session:
        from trainer.report import GradeReport

        shown = GradeReport.from_dict(session.store.grade_report(2))
        assert (shown.status, shown.tests, shown.error) == ("passed", [], LOST_REPORT)


def test_a_hint_revealed_after_a_lost_one_brings_it_back(tmp_path, clock):
    path = tmp_path / "progress.db"
    ids = [f"challenge-{i:03d}" for i in range(150)]
    with Store.open(path, clock=clock) as store:
        for _ in range(2):   # every first hint, then every second one: on later pages
            for c in ids:
                clock.advance(seconds=1)
                store.reveal_next_hint(c, 3)
        second_hint_at = {r.challenge_id: r.revealed_at for r in store.hint_records() if r.hint_index == 1}
    hint_leaves = leaves(path.read_bytes(), root_page(path, "hints"))
    page, on_page = hint_leaves[0]   # only first hints on it
    assert max(on_page) <= len(ids)
    damage(path, page)
    with Store.open(path, clock=clock) as store:
        hints = store.salvage.tables["hints"]
        assert (hints.recovered, hints.lost) == (300, 0)
        assert all(store.hints_revealed(c) == 2 for c in ids)
        restored = {r.challenge_id: r.revealed_at for r in store.hint_records() if r.hint_index == 0}
        lost_first = ids[:len(on_page)]
        assert all(restored[c] == second_hint_at[c] for c in lost_first)   # no later than the second
        assert store.reveal_next_hint(ids[0], 3) == 2


def test_a_damaged_index_loses_nothing_and_an_older_schema_is_brought_up_to_date(tmp_path, clock):
    path = tmp_path / "progress.db"
    db = sqlite3.connect(path, isolation_level=None)
    schema.MIGRATIONS[0](db)   # version 1: no per-test rows, no mock tables
    report = json.dumps(make_report("kmeans", passed=False, ratio=None).to_dict())
    for i in range(200):
        db.execute("INSERT INTO grades (challenge_id, graded_at, status, passed, source_sha256, source,"
                   " report_json) VALUES ('kmeans', ?, 'failed', 0, ?, 'x', ?)",
                   (f"2026-03-01T10:{i // 60:02d}:{i % 60:02d}.000000+00:00", f"{i:064x}", report))
    db.execute("PRAGMA user_version = 1")
    db.close()
    damage(path, root_page(path, "grades_by_time"))   # an index: every row is still in its table
    with Store.open(path, clock=clock) as store:
        assert store.recovered_from is not None
        assert store.salvage.schema_version == 1
        assert (store.salvage.tables["grades"].recovered, store.salvage.lost) == (200, 0)
        assert store.execute("PRAGMA user_version").fetchone()[0] == schema.schema_version()
        assert len(store.grade_tests(store.grades()[0].id)) == 3
        assert store.recovery_message.endswith("all 200 grades. Nothing was lost.")


def test_a_file_with_nothing_readable_is_kept_and_said_so(tmp_path, clock):
    path = tmp_path / "progress.db"
    with Store.open(path, clock=clock) as store:
        store.record_start("kmeans", "guided", "/w")
    damage(path, 1)   # the header and the list of tables
    with Store.open(path, clock=clock) as store:
        assert not store.salvage.readable
        assert "nothing in it could be read (it is not an SQLite database" in store.recovery_message
        assert "a new, empty database was started" in store.recovery_message
        assert store.starts() == []


def test_every_table_of_the_schema_is_salvaged(tmp_path):
    """A table added by a migration must be added to SALVAGE_TABLES too, or a salvage would drop it."""
    from trainer.store.salvage import SALVAGE_TABLES

    with Store.open(tmp_path / "progress.db") as store:
        tables = {r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for spec in SALVAGE_TABLES:
            columns = {r[1] for r in store.execute(f"PRAGMA table_info({spec.name})")}
            assert set(spec.key) <= columns, spec.name
            assert {column for column, _, _ in spec.refs} <= columns, spec.name
    rebuilt = {"grade_tests"}   # from each grade's report
    assert tables == {spec.name for spec in SALVAGE_TABLES} | rebuilt


# --------------------------------------------------------------------------
# Where the user sees it: once on the command line, in the app
# --------------------------------------------------------------------------


def _damaged_history(tmp_path, clock, monkeypatch, path: Path) -> int:
    """A damaged database at ``path``; how many grades it loses."""
    path.parent.mkdir(parents=True, exist_ok=True)
    build_history(path, clock, tmp_path / "workspace", monkeypatch)
    grade_leaves = leaves(path.read_bytes(), root_page(path, "grades"))
    page, on_page = grade_leaves[len(grade_leaves) // 2]
    damage(path, page)
    return len(on_page)


def test_the_command_line_says_what_was_recovered_once(tmp_path, clock, monkeypatch, isolated_dirs):
    path = isolated_dirs["data"] / "progress.db"
    lost = _damaged_history(tmp_path, clock, monkeypatch, path)
    result = CliRunner().invoke(cli, ["progress"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("was damaged") == 1
    assert f"warning: The progress database {path} was damaged." in result.stderr
    assert f"{N_PRACTICE + 2 - lost} of {N_PRACTICE + 2} grades" in result.stderr
    assert "Traceback" not in result.output
    again = CliRunner().invoke(cli, ["progress"])
    assert again.exit_code == 0 and "damaged" not in again.stderr


async def test_the_app_shows_what_was_recovered(tmp_path, clock, monkeypatch):
    from trainer.tui.app import TrainerApp

    path = tmp_path / "data" / "progress.db"
    lost = _damaged_history(tmp_path, clock, monkeypatch, path)
    context = Session(store_path=path, workspace=tmp_path / "workspace", clock=clock, tz=timezone.utc,
                      catalog_loader=lambda: load_catalog([TOY_PACK]))
    app = TrainerApp(context)
    async with app.run_test(notifications=True) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert [m for m in messages if "was damaged" in m] == [context.recovery_message]
        assert f"{N_PRACTICE + 2 - lost} of {N_PRACTICE + 2} grades" in context.recovery_message


# --------------------------------------------------------------------------
# mltrainer progress --recover FILE
# --------------------------------------------------------------------------


def test_recover_merges_a_file_without_doubling_what_is_there(tmp_path, clock, monkeypatch, isolated_dirs):
    damaged = tmp_path / "old" / "progress.db"
    lost = _damaged_history(tmp_path, clock, monkeypatch, damaged)
    runner = CliRunner()
    # What is already here: one of the file's hints (the same record) and a start of its own.
    with Store.open(isolated_dirs["data"] / "progress.db", clock=clock) as store:
        original = sqlite3.connect(f"{damaged.resolve().as_uri()}?mode=ro", uri=True)
        [hint] = original.execute("SELECT challenge_id, hint_index, revealed_at FROM hints"
                                  " ORDER BY id LIMIT 1").fetchall()
        original.close()
        with store.transaction() as db:
            db.execute("INSERT INTO hints (challenge_id, hint_index, revealed_at) VALUES (?, ?, ?)", hint)
        clock.advance(days=30)
        store.record_start("logreg", "interview", "/w/logreg.py")
    before = damaged.read_bytes()

    result = runner.invoke(cli, ["progress", "--recover", str(damaged)])
    assert result.exit_code == 0, result.output + result.stderr
    recovered = N_PRACTICE + 2 - lost
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert lines[0] == f"Read {damaged}:"
    assert lines[1:8] == [f"grades {recovered} recovered, {lost} lost", "hints 12 recovered",
                          "starts 4 recovered", "reference reveals 5 recovered", "mock rounds 2 recovered",
                          "mock-round challenges 2 recovered", "follow-up ratings 2 recovered"]
    total = recovered + 12 + 4 + 5 + 2 + 2 + 2
    assert f"Added {total - 1} records to {isolated_dirs['data'] / 'progress.db'} (1 already there)." \
        in result.output
    assert damaged.read_bytes() == before   # read, never written

    again = runner.invoke(cli, ["progress", "--recover", str(damaged), "--format", "json"])
    assert again.exit_code == 0
    doc = json.loads(again.output)
    assert (doc["added"], doc["already_present"], doc["lost"]) == (0, total, lost)
    assert doc["tables"]["grades"] == {"recovered": recovered, "added": 0, "already_present": recovered,
                                       "lost": lost, "perhaps_more_lost": False,
                                       "without_source_or_report": 0}
    with Store.open(isolated_dirs["data"] / "progress.db") as store:
        assert len(store.grades()) == recovered
        assert len(store.starts()) == 5
        assert {c: store.hints_revealed(c) for c in CHALLENGES} == {c: 3 for c in CHALLENGES}
        assert len(mock.session_summaries(store)) == 2


def test_recover_keeps_one_open_round(tmp_path, clock, monkeypatch, isolated_dirs):
    """A round still open in the file, while one is open here: it comes back ended, not open."""
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    catalog = load_catalog()
    other = tmp_path / "other.db"
    with Store.open(other, clock=clock) as store:
        mock.start_session(store, catalog, seed=1, minutes=30, workspace=tmp_path / "w1")
    with Store.open(clock=clock) as store:
        mine = mock.start_session(store, catalog, seed=2, minutes=30, workspace=tmp_path / "w2")
        report = store.recover_from(other)
        assert report.tables["mock_sessions"].added == 1
        assert mock.current_session(store).id == mine.id
        states = dict(store.execute("SELECT id, state FROM mock_sessions").fetchall())
        assert sorted(states.values()) == ["abandoned", "active"]
        assert states[mine.id] == "active"


@pytest.mark.parametrize("content, why", [
    (None, "no such file"),
    (b"hello, not a database\n" * 50, "it is not an SQLite database"),
])
def test_recover_from_a_file_that_cannot_be_read_at_all_exits_2(tmp_path, content, why):
    target = tmp_path / "old.db"
    if content is not None:
        target.write_bytes(content)
    result = CliRunner().invoke(cli, ["progress", "--recover", str(target)])
    assert result.exit_code == 2
    assert f"cannot recover anything from {target}: {why}" in result.stderr
    assert "Traceback" not in result.output


def test_recover_from_a_database_of_another_program_exits_2(tmp_path):
    target = tmp_path / "other.db"
    db = sqlite3.connect(target)
    db.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    db.commit()
    db.close()
    result = CliRunner().invoke(cli, ["progress", "--recover", str(target)])
    assert result.exit_code == 2
    assert "not an mltrainer progress database" in result.stderr


def test_recover_is_one_of_export_import_and_recover(tmp_path):
    result = CliRunner().invoke(cli, ["progress", "--recover", "a.db", "--export", "b.json"])
    assert result.exit_code == 2
    assert "use one of --export, --import and --recover" in result.output + result.stderr


# --------------------------------------------------------------------------
# A recovery that stops
# --------------------------------------------------------------------------


def _reveals(path: Path, clock: FakeClock) -> tuple[bytes, int]:
    """400 reveals, the second page of them damaged: the damaged file and how many were on that page."""
    with Store.open(path, clock=clock) as store:
        for i in range(400):
            store.record_reveal(f"c{i}")
    page, on_page = leaves(path.read_bytes(), root_page(path, "reveals"))[1]
    return damage(path, page), len(on_page)


def test_a_salvage_that_stops_still_leaves_a_working_database(tmp_path, clock, monkeypatch):
    from trainer.store import salvage

    path = tmp_path / "progress.db"
    damaged, lost = _reveals(path, clock)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    working = salvage.write_found
    monkeypatch.setattr(salvage, "write_found", broken)
    with Store.open(path, clock=clock) as store:
        assert "nothing in it could be read (the salvage stopped: RuntimeError: a bug)" in store.recovery_message
        assert store.recovery_message.endswith(f"`mltrainer progress --recover {store.recovered_from}` tries again.")
        assert store.reveal_records() == []
        assert store.recovered_from.read_bytes() == damaged
    monkeypatch.setattr(salvage, "write_found", working)
    with Store.open(path, clock=clock) as store:
        assert store.recover_from(moved_aside(path)).tables["reveals"].added == 400 - lost


def test_a_recovery_interrupted_before_the_new_database_is_in_place_is_done_again(tmp_path, clock, monkeypatch):
    """The damaged file stays where it is until its salvage is committed and renamed into place."""
    path = tmp_path / "progress.db"
    damaged, lost = _reveals(path, clock)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    moving = staticmethod(Store._move_aside)
    monkeypatch.setattr(Store, "_move_aside", staticmethod(interrupted))
    with pytest.raises(KeyboardInterrupt):
        Store.open(path, clock=clock)
    assert path.read_bytes() == damaged and (tmp_path / "progress.db.salvage").exists()
    monkeypatch.setattr(Store, "_move_aside", moving)
    with Store.open(path, clock=clock) as store:
        assert store.salvage.tables["reveals"].recovered == 400 - lost
        assert len(store.reveal_records()) == 400 - lost
    assert not (tmp_path / "progress.db.salvage").exists()
