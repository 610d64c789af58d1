"""Study groups: a roster's discovery, shards, grading into a leaderboard, merging, and bad input.

Each discovery rule has a test of its own on a roster built in a temporary
folder; the tests marked slow grade for real (the toy pack: a second or two
per file) and check what a group relies on: a roster run never writes to the
organiser's progress, the boards of the shards merge into exactly the bytes
of the unsharded board in every format, a member's hostile file cannot touch
another member's, and bad input is one line and exit 2 before any grading.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import REPO, TOY_PACK, make_report
from trainer import paths
from trainer.catalog import load_catalog
from trainer.cli import cli
from trainer.errors import ChallengeNotFound, InputError, InvalidChallenge
from trainer.leaderboard import NO_SUBMISSION, REFUSED, Cell, Leaderboard
from trainer.roster import SAFE_NAME, discover, grade_roster, parse_shard, shard_of, shown_name
from trainer.session import Session

REFERENCE = (TOY_PACK / "reference" / "toy.py").read_text()
FAILING = REFERENCE.replace(".sum(axis=1)", ".sum(axis=0)")      # wrong axis: the correctness test fails
SYNTAX_ERROR = "import numpy as np\n\ndef row_sums(X):\n    return X.sum(axis=1\n"
NOT_UTF8 = b"# caf\xe9\n" + REFERENCE.encode()                    # Latin-1, not UTF-8


def make_roster(root: Path, members: dict[str, dict[str, str | bytes]]) -> Path:
    """root/<member>/<file> for each member and file (a member with no files gets an empty folder)."""
    for member, files in members.items():
        folder = root / member
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


@pytest.fixture(scope="module")
def catalog():
    """The bundled challenges and the toy pack: several ids to discover (nothing here is graded)."""
    return load_catalog([paths.content_root(), TOY_PACK])


@pytest.fixture(scope="module")
def toy_catalog():
    return load_catalog([TOY_PACK])


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
    return invoke


@pytest.fixture
def engine_runs(monkeypatch):
    """Every call of the real engine, recorded (it still grades): to see whether grading started."""
    import trainer.engine
    calls = []
    real = trainer.engine.grade

    def spy(challenge, path, **options):
        calls.append(Path(path))
        return real(challenge, path, **options)
    monkeypatch.setattr(trainer.engine, "grade", spy)
    return calls


def no_grading(*args, **kwargs):
    raise AssertionError("nothing may be graded here")


def one_line_error(result, *needles: str) -> None:
    """Exit 2, one line naming the problem, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output


def progress_rows(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("grades", "starts", "hints", "reveals")}


# -- discovery ------------------------------------------------------------------------------

def test_members_are_sorted_and_the_challenges_are_those_someone_has_a_file_for(tmp_path, catalog):
    root = make_roster(tmp_path / "roster", {
        "bob": {"knn.py": "x = 1\n"},
        "alice": {"kmeans.py": "x = 1\n", "toy.py": "x = 1\n", "notes.txt": "hi"},
        "carol": {},
    })
    roster = discover(root, catalog)
    assert roster.members == ["alice", "bob", "carol"]
    assert sorted(roster.challenge_ids) == ["kmeans", "knn", "toy"]
    assert roster.challenge_ids == [c.id for c in catalog if c.id in {"kmeans", "knn", "toy"}]   # catalog order
    assert len(roster.pairs) == 9 and roster.pairs == sorted(roster.pairs)
    assert roster.entries[("alice", "toy")].path == root / "alice" / "toy.py"
    assert roster.entries[("alice", "toy")].file == "alice/toy.py"
    for member, challenge_id in [("alice", "knn"), ("bob", "kmeans"), ("carol", "kmeans"), ("carol", "toy")]:
        entry = roster.entries[(member, challenge_id)]
        assert entry.verdict == NO_SUBMISSION and entry.path is None and entry.note == ""


def test_an_empty_member_folder_is_listed_with_no_submission_in_every_cell(tmp_path, toy_catalog):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": REFERENCE}, "zoe": {}})
    roster = discover(root, toy_catalog)
    assert roster.members == ["alice", "zoe"]
    board = grade_roster(Session(grade_function=no_grading), discover(root, toy_catalog, members=["zoe"],
                                                                      challenge_ids=["toy"]))
    assert board.members == ["zoe"] and board.cell("zoe", "toy").verdict == NO_SUBMISSION


def test_named_challenges_and_members_narrow_the_roster(tmp_path, catalog):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": "", "knn.py": ""}, "bob": {"kmeans.py": ""}})
    roster = discover(root, catalog, challenge_ids=["toy", "kmeans"])
    assert sorted(roster.challenge_ids) == ["kmeans", "toy"] and roster.members == ["alice", "bob"]
    only_bob = discover(root, catalog, members=["bob"])
    assert only_bob.members == ["bob"] and only_bob.challenge_ids == ["kmeans"]
    with pytest.raises(ChallengeNotFound, match="did you mean 'kmeans'"):
        discover(root, catalog, challenge_ids=["kmeens"])


def test_a_member_that_is_not_there_is_an_input_error_with_the_list(tmp_path, catalog):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": ""}, "bob": {"toy.py": ""}})
    with pytest.raises(InputError, match=r"no member named 'carol' in .* \(members: alice, bob\)"):
        discover(root, catalog, members=["alice", "carol"])


def test_an_empty_or_missing_roster_is_an_input_error(tmp_path, catalog):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("the group's files")
    with pytest.raises(InputError, match="has no member folders"):
        discover(tmp_path / "empty", catalog)
    with pytest.raises(InputError, match="no such folder"):
        discover(tmp_path / "nowhere", catalog)
    make_roster(tmp_path / "idle", {"alice": {}, "bob": {"notes.txt": ""}})
    with pytest.raises(InputError, match="name the challenges"):
        discover(tmp_path / "idle", catalog)
    assert discover(tmp_path / "idle", catalog, challenge_ids=["toy"]).members == ["alice", "bob"]


def test_a_file_named_in_the_wrong_case_is_no_submission_with_a_hint(tmp_path, catalog):
    root = make_roster(tmp_path / "roster", {"alice": {"Kmeans.py": REFERENCE}, "bob": {"kmean.py": ""}})
    roster = discover(root, catalog)
    assert roster.challenge_ids == ["kmeans"]          # found through the wrong-case file: nothing is lost
    entry = roster.entries[("alice", "kmeans")]
    assert entry.verdict == NO_SUBMISSION and entry.path is None
    assert entry.note == "found Kmeans.py: did you mean kmeans.py?"
    assert roster.entries[("bob", "kmeans")].note == "found kmean.py: did you mean kmeans.py?"


def test_a_symlink_out_of_the_members_folder_is_refused_and_never_read(tmp_path, toy_catalog):
    root = make_roster(tmp_path / "roster", {"alice": {}, "bob": {"toy.py": REFERENCE},
                                             "carol": {"drafts/v3.py": REFERENCE}, "dave": {}})
    (root / "alice" / "toy.py").symlink_to(root / "bob" / "toy.py")       # another member's file
    (root / "carol" / "toy.py").symlink_to("drafts/v3.py")                # inside her own folder: fine
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)                                                         # reading it would block
    (root / "dave" / "toy.py").symlink_to(fifo)
    (root / "erin").mkdir()
    (root / "erin" / "toy.py").symlink_to(root / "erin" / "gone.py")      # leads nowhere
    roster = discover(root, toy_catalog)
    alice = roster.entries[("alice", "toy")]
    assert alice.verdict == REFUSED and alice.path is None and alice.file == "alice/toy.py"
    assert alice.note == "not graded, not read: alice/toy.py is a symlink to a file outside alice/"
    assert roster.entries[("dave", "toy")].verdict == REFUSED
    assert "leads nowhere" in roster.entries[("erin", "toy")].note
    carol = roster.entries[("carol", "toy")]
    assert carol.verdict is None and carol.path == (root / "carol" / "drafts" / "v3.py").resolve()
    refused_only = discover(root, toy_catalog, members=["alice", "dave", "erin"])
    board = grade_roster(Session(grade_function=no_grading), refused_only, jobs=2)
    assert {c.verdict for c in board.cells.values()} == {REFUSED} and len(board.cells) == 3


def test_a_member_folder_that_is_a_symlink_is_refused(tmp_path, toy_catalog):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": REFERENCE}})
    (root / "mallory").symlink_to(root / "alice")
    roster = discover(root, toy_catalog)
    assert roster.members == ["alice", "mallory"]
    entry = roster.entries[("mallory", "toy")]
    assert entry.verdict == REFUSED and entry.path is None and "symlink" in entry.note


def test_unsafe_member_names_are_refused_and_listed_by_an_inert_name(tmp_path, toy_catalog):
    names = [".hidden", "has space", "bob\x1b[31m", "-rf", "josé"]
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": REFERENCE},
                                             **{name: {"toy.py": REFERENCE} for name in names}})
    roster = discover(root, toy_catalog)
    shown = {name: shown_name(name) for name in names}
    assert shown["bob\x1b[31m"] == "bob\\x1b[31m" and shown["josé"] == "jos\\xe9"
    assert sorted(roster.members) == sorted(["alice", *shown.values()])
    for name in names:
        entry = roster.entries[(shown[name], "toy")]
        assert entry.verdict == REFUSED and entry.path is None
        assert entry.note == ("not a safe member name (letters, digits, '.', '_' and '-', starting with a letter or "
                              "digit): rename the folder")
        assert not SAFE_NAME.match(shown[name])          # never the name of a member who is graded
    assert roster.entries[("alice", "toy")].path is not None
    os.mkdir(os.fsencode(root) + b"/caf\xe9")                       # a name that is not even UTF-8
    assert "caf\\udce9" in discover(root, toy_catalog).members
    # Named by either form on the command line.
    assert discover(root, toy_catalog, members=["bob\\x1b[31m"], challenge_ids=["toy"]).members == ["bob\\x1b[31m"]


def test_a_python_file_outside_every_member_folder_is_a_warning(tmp_path, toy_catalog):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": REFERENCE}})
    (root / "toy.py").write_text(REFERENCE)
    roster = discover(root, toy_catalog)
    assert roster.members == ["alice"]
    assert roster.warnings == [f"toy.py is not in a member's folder, so it is not graded (a member's files go in "
                               f"{root}/<member>/<challenge-id>.py)"]


def test_a_file_that_is_not_utf8_gets_a_clear_note_not_a_crash(tmp_path, toy_catalog):
    root = make_roster(tmp_path / "roster", {"erin": {"toy.py": NOT_UTF8}})
    board = grade_roster(Session(), discover(root, toy_catalog))    # the engine rejects it before running it
    cell = board.cell("erin", "toy")
    assert cell.verdict == "rejected" and cell.points == 0
    assert cell.note.startswith("the file is not UTF-8 text")
    assert cell.report.solution_path == "erin/toy.py" and cell.report.static_issues[0].path == "erin/toy.py"
    json.dumps(board.to_dict())


# -- shards ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, expected", [("1/1", (1, 1)), ("2/3", (2, 3)), (" 4 / 4 ", (4, 4))])
def test_shard_specs(spec, expected):
    assert parse_shard(spec) == expected


@pytest.mark.parametrize("spec, why", [
    ("3/2", "shards are numbered 1 to 2"),
    ("0/2", "shards are numbered 1 to 2"),
    ("1/0", "at least one shard"),
    ("x/y", "write I/N"),
    ("2", "write I/N"),
    ("-1/2", "write I/N"),
])
def test_bad_shard_specs_say_why(spec, why):
    with pytest.raises(ValueError, match=why):
        parse_shard(spec)


def test_shards_are_deterministic_and_cover_every_pair_exactly_once():
    pairs = [(m, c) for m in ("dave", "alice", "carol", "bob", "erin") for c in ("toy", "kmeans", "knn")]
    for n in range(1, 8):
        shards = [shard_of(pairs, i, n) for i in range(1, n + 1)]
        assert sorted(p for shard in shards for p in shard) == sorted(pairs)        # each pair exactly once
        assert shards == [shard_of(list(reversed(pairs)), i, n) for i in range(1, n + 1)]   # order-independent
        assert max(map(len, shards)) - min(map(len, shards)) <= 1                  # balanced
    assert shard_of(pairs, 1, 4)[:2] == [("alice", "kmeans"), ("bob", "knn")]   # sorted pairs 0 and 4: k % n + 1
    with pytest.raises(ValueError):
        shard_of(pairs, 3, 2)


# -- points in challenge.yaml -----------------------------------------------------------------

def _pack_with(tmp_path, text: str) -> Path:
    import shutil
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    yaml_file = pack / "challenges" / "toy" / "challenge.yaml"
    yaml_file.write_text(yaml_file.read_text() + text)
    return pack


def test_points_default_and_override_per_category(tmp_path):
    from trainer.leaderboard import DEFAULT_POINTS, category_points
    assert load_catalog([TOY_PACK]).get("toy").points == DEFAULT_POINTS
    toy = load_catalog([_pack_with(tmp_path, "points:\n  performance: 5\n  stability: 0\n")]).get("toy")
    assert toy.points == {**DEFAULT_POINTS, "performance": 5, "stability": 0}
    assert category_points(toy) == {"correctness": 2.0, "edge_case": 1.0, "stability": 0.0, "performance": 5.0}


@pytest.mark.parametrize("text, why", [
    ("points:\n  correctness: -1\n", "points.correctness must be a finite number of 0 or more, not -1"),
    ("points:\n  correctness: lots\n", "points.correctness must be a finite number of 0 or more"),
    ("points:\n  correctness: .inf\n", "points.correctness must be a finite number of 0 or more"),
    ("points:\n  speed: 2\n", "unknown test category: speed (known: correctness, edge_case, stability, performance)"),
    ("points: 3\n", "'points' must be a mapping of names to numbers"),
])
def test_bad_points_say_file_line_and_why(tmp_path, text, why):
    pack = _pack_with(tmp_path, text)
    with pytest.raises(InvalidChallenge) as info:
        load_catalog([pack])
    assert why in str(info.value)
    assert str(info.value).startswith(f"{pack / 'challenges' / 'toy' / 'challenge.yaml'}:")


# -- the command line: usage and input errors, before any grading ------------------------------------

def test_a_repeated_solution_is_a_usage_error(run, tmp_path, engine_runs):
    ref = TOY_PACK / "reference" / "toy.py"
    one_line_error(run("grade", "toy", "--solution", ref, "--solution", ref), "--solution was given more than once")
    assert engine_runs == []


@pytest.mark.parametrize("spec", ["3/2", "0/2", "x/y"])
def test_bad_shard_on_the_command_line(run, tmp_path, spec, engine_runs):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": REFERENCE}})
    one_line_error(run("grade", "--roster", root, "--shard", spec), "--shard", repr(spec))
    assert engine_runs == []


@pytest.mark.parametrize("args, needle", [
    (["--member", "alice"], "--member needs --roster DIR"),
    (["--jobs", "2"], "--jobs needs --roster DIR"),
    (["--shard", "1/2"], "--shard needs --roster DIR"),
    (["--format", "html"], "--format html is for a study group's leaderboard"),
    (["--roster", "r", "--record"], "--record cannot be used with --roster"),
    (["--roster", "r", "--solution", "x.py"], "--solution cannot be used with --roster"),
    (["--roster", "r", "--jobs", "0"], "--jobs"),
])
def test_options_that_do_not_go_together(run, args, needle):
    one_line_error(run("grade", *args), needle)


def test_roster_input_errors_exit_2_with_one_line(run, tmp_path, engine_runs):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": REFERENCE}, "bob": {}})
    one_line_error(run("grade", "--roster", root, "--member", "carol"),
                   "no member named 'carol'", "(members: alice, bob)")
    (tmp_path / "empty").mkdir()
    one_line_error(run("grade", "--roster", tmp_path / "empty"), "has no member folders")
    one_line_error(run("grade", "--roster", tmp_path / "nowhere"), "no such folder")
    assert engine_runs == []


@pytest.mark.parametrize("roster", [True, False])
def test_an_unwritable_output_exits_2_before_grading_starts(run, tmp_path, engine_runs, roster):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": REFERENCE}})
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = blocker / "reports" / "board.json"           # its folder cannot be made, even by root
    args = ["--roster", root] if roster else ["toy", "--solution", root / "alice" / "toy.py"]
    started = time.monotonic()
    result = run("grade", *args, "--format", "json", "--output", target)
    one_line_error(result, f"cannot write --output {target}")
    assert engine_runs == [] and time.monotonic() - started < 10
    one_line_error(run("grade", *args, "--output", tmp_path), "")   # a folder: click refuses it
    assert engine_runs == []


# -- merge: its input errors (boards built here, nothing graded) -------------------------------------

def _board(members=("alice", "bob"), shard=None, cells=None) -> Leaderboard:
    from trainer.leaderboard import DEFAULT_POINTS
    board = Leaderboard(list(members), ["toy"], {"toy": {k: float(v) for k, v in DEFAULT_POINTS.items()}},
                        {}, shard)
    for member in members if cells is None else cells:
        report = make_report("toy", passed=member == "alice", ratio=1.5)
        board.cells[(member, "toy")] = Cell.graded(member, "toy", f"{member}/toy.py", report, board.points["toy"])
    return board


def _write(path: Path, board: Leaderboard) -> Path:
    path.write_text(json.dumps(board.to_dict()))
    return path


def test_merge_input_errors_name_the_file_and_the_problem(run, tmp_path):
    members = ("alice", "bob", "carol")
    one = _write(tmp_path / "1.json", _board(members, (1, 3), cells=["alice"]))
    three = _write(tmp_path / "3.json", _board(members, (3, 3), cells=["carol"]))
    one_line_error(run("merge", one, tmp_path / "2.json", three), f"{tmp_path / '2.json'}: no such file")
    one_line_error(run("merge", one, three), "incomplete: shard 2 of 3 is missing")
    one_line_error(run("merge", one), "incomplete: shards 2, 3 of 3 are missing")
    (tmp_path / "bad.json").write_text('{"format": "mltrainer-leaderboard",')
    one_line_error(run("merge", one, tmp_path / "bad.json"), "bad.json: not valid JSON")
    (tmp_path / "report.json").write_text(json.dumps(make_report("toy", passed=True, ratio=1.0).to_dict()))
    one_line_error(run("merge", tmp_path / "report.json"), "report.json: not an mltrainer leaderboard")
    other = _write(tmp_path / "other.json", _board(("alice", "zoe"), (2, 3), cells=["zoe"]))
    one_line_error(run("merge", one, other), "are not shards of one roster run")
    halves = _write(tmp_path / "half.json", _board(members, (2, 2), cells=["bob"]))
    one_line_error(run("merge", one, halves), "split in different ways")
    data = _board(members, (2, 3), cells=["bob"]).to_dict()
    data["cells"][0]["member"] = "mallory"
    (tmp_path / "forged.json").write_text(json.dumps(data))
    one_line_error(run("merge", one, tmp_path / "forged.json", three), "forged.json: not a valid leaderboard")
    del data["members"]
    (tmp_path / "broken.json").write_text(json.dumps(data))
    one_line_error(run("merge", tmp_path / "broken.json"), "broken.json: not a valid leaderboard")
    one_line_error(run("merge"), "Missing argument")


def test_the_exit_status_says_whether_every_submission_was_graded(run, tmp_path):
    board = _board(("alice", "bob"))
    assert run("merge", _write(tmp_path / "ok.json", board)).exit_code == 0
    board.cells[("bob", "toy")] = Cell("bob", "toy", "error", "bob/toy.py", note="the grader could not be loaded")
    result = run("merge", _write(tmp_path / "error.json", board))
    assert result.exit_code == 1 and "the grader could not be loaded" in result.stdout


# -- measurements: two at once on the machine ------------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from trainer.grading.budget import TimingSlot
TimingSlot.folder = Path(sys.argv[1])
with TimingSlot():
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_at_most_two_measurements_at_once_across_processes(tmp_path, monkeypatch):
    from trainer.grading.budget import TimingSlot
    if TimingSlot.slots() < 2:
        pytest.skip("one CPU: one slot")
    monkeypatch.setattr(TimingSlot, "folder", tmp_path)

    def holder(seconds: float):
        proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), str(seconds)], cwd=REPO,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline() == "holding\n"
        return proc
    first, second = holder(30), holder(1.5)
    try:
        started = time.monotonic()
        with TimingSlot():                     # waits for the second holder to finish
            waited = time.monotonic() - started
            with TimingSlot():                 # re-entrant: a nested measurement shares the slot
                pass
        assert 0.5 < waited < 20, waited
    finally:
        first.kill()
        second.wait()
        first.wait()
    started = time.monotonic()
    with TimingSlot():                         # a killed holder's slot is free at once
        assert time.monotonic() - started < 1


# -- grading for real -----------------------------------------------------------------------------

@pytest.fixture
def group(tmp_path):
    """Six members: passing, failing, missing file, syntax error, not UTF-8, wrong case."""
    return make_roster(tmp_path / "roster", {
        "alice": {"toy.py": REFERENCE},
        "bob": {"toy.py": FAILING},
        "carol": {},
        "dave": {"toy.py": SYNTAX_ERROR},
        "erin": {"toy.py": NOT_UTF8},
        "frank": {"Toy.py": REFERENCE},
    })


FORMATS = ("text", "json", "junit", "markdown", "html")


@pytest.mark.slow
def test_a_roster_run_records_nothing_and_its_shards_merge_into_the_same_bytes(run, group, tmp_path,
                                                                               isolated_dirs):
    from trainer import render_board
    from trainer.cli.board import render
    from trainer.store import Store
    with Store.open():                                   # a real progress database, empty
        pass
    database = isolated_dirs["data"] / "progress.db"
    assert progress_rows(database) == {"grades": 0, "starts": 0, "hints": 0, "reveals": 0}
    summary = tmp_path / "summary.md"
    output = tmp_path / "out" / "nested" / "board.json"       # its folders do not exist yet
    result = run("grade", "--roster", group, "--jobs", "2", "--format", "json", "--output", output,
                 env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, result.output
    assert progress_rows(database) == {"grades": 0, "starts": 0, "hints": 0, "reveals": 0}
    data = json.loads(output.read_text())
    board = Leaderboard.from_dict(data)
    verdicts = {m: board.cell(m, "toy").verdict for m in board.members}
    assert verdicts == {"alice": "passed", "bob": "failed", "carol": NO_SUBMISSION, "dave": "rejected",
                        "erin": "rejected", "frank": NO_SUBMISSION}
    assert board.cell("frank", "toy").note == "found Toy.py: did you mean toy.py?"
    assert board.standings()[0][:2] == (1, "alice") and board.shard is None
    # CI: the Markdown board in the step summary, annotations on stdout (the report went to --output).
    assert render_board.to_markdown(board) in summary.read_text()
    annotations = render_board.github_annotations(board, group)
    assert annotations and all(line in result.stdout.splitlines() for line in annotations)

    pairs = sorted(board.cells)
    for n in (2, 3):
        shard_files = []
        for i in range(1, n + 1):
            shard = Leaderboard.from_dict(data)
            shard.cells = {key: cell for key, cell in shard.cells.items() if key in shard_of(pairs, i, n)}
            shard.shard = (i, n)
            shard_files.append(_write(tmp_path / f"shard-{i}-of-{n}.json", shard))
        for fmt in FORMATS:
            merged = tmp_path / f"merged-{n}.{fmt}"
            result = run("merge", *reversed(shard_files), "--format", fmt, "--output", merged)
            assert result.exit_code == 0, result.output
            assert merged.read_text() == render(board, fmt), fmt
            to_stdout = run("merge", *shard_files, "--format", fmt)
            assert to_stdout.exit_code == 0 and to_stdout.stdout == run("merge", output, "--format", fmt).stdout
            if fmt != "text":
                assert to_stdout.stdout == render(board, fmt)
    # On CI with the report on stdout: the report alone there, so it still parses.
    result = run("merge", *shard_files, "--format", "json",
                 env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert json.loads(result.stdout) == json.loads(render(board, "json"))


@pytest.mark.slow
def test_real_shards_grade_each_pair_once_and_merge_into_the_whole_board(run, tmp_path):
    root = make_roster(tmp_path / "roster", {"alice": {"toy.py": REFERENCE}, "bob": {"toy.py": FAILING},
                                             "carol": {}, "dave": {"toy.py": SYNTAX_ERROR}})
    files = []
    for i in (1, 2):
        files.append(tmp_path / f"shard{i}.json")
        result = run("grade", "--roster", root, "--shard", f"{i}/2", "--format", "json", "--output", files[-1])
        assert result.exit_code == 0, result.output
    boards = [Leaderboard.from_dict(json.loads(f.read_text())) for f in files]
    assert [b.shard for b in boards] == [(1, 2), (2, 2)]
    assert sorted(boards[0].cells) == [("alice", "toy"), ("carol", "toy")]
    assert sorted(boards[1].cells) == [("bob", "toy"), ("dave", "toy")]
    merged = tmp_path / "merged.json"
    assert run("merge", *files, "--format", "json", "--output", merged).exit_code == 0
    board = Leaderboard.from_dict(json.loads(merged.read_text()))
    assert board.complete and board.shard is None
    assert [(m, board.cell(m, "toy").verdict) for m in board.members] == [
        ("alice", "passed"), ("bob", "failed"), ("carol", NO_SUBMISSION), ("dave", "rejected")]


@pytest.mark.slow
def test_jobs_run_gradings_side_by_side(tmp_path, toy_catalog):
    from trainer.session import engine_grade
    root = make_roster(tmp_path / "roster", {m: {"toy.py": REFERENCE} for m in ("a1", "a2", "a3", "a4")})
    state = {"now": 0, "most": 0}
    lock = threading.Lock()

    def counted(challenge, path, **options):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            return engine_grade(challenge, path, **options)
        finally:
            with lock:
                state["now"] -= 1
    seen = []
    board = grade_roster(Session(grade_function=counted), discover(root, toy_catalog), jobs=2,
                         on_progress=lambda cell, done, total: seen.append((done, total)))
    assert state["most"] == 2
    assert {c.verdict for c in board.cells.values()} == {"passed"}
    assert seen == [(k, 4) for k in range(1, 5)]


@pytest.mark.slow
def test_a_solution_outside_the_workspace_is_recorded_only_with_record(run, tmp_path, isolated_dirs):
    database = isolated_dirs["data"] / "progress.db"
    outside = tmp_path / "elsewhere" / "toy.py"
    outside.parent.mkdir()
    outside.write_text(REFERENCE)
    result = run("grade", "toy", "--solution", outside, "--output", tmp_path / "new" / "folder" / "toy.txt")
    assert result.exit_code == 0, result.output
    assert "outside your workspace" in result.stderr and "--record" in result.stderr
    assert (tmp_path / "new" / "folder" / "toy.txt").read_text().startswith("PASSED")
    assert not database.exists() or progress_rows(database)["grades"] == 0
    assert run("grade", "toy", "--solution", outside, "--record").exit_code == 0
    assert progress_rows(database)["grades"] == 1
    inside = isolated_dirs["workspace"] / "toy.py"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text(REFERENCE)
    result = run("grade", "toy", "--solution", inside)
    assert result.exit_code == 0 and "outside your workspace" not in result.output
    assert progress_rows(database)["grades"] == 2


@pytest.mark.slow
def test_a_hostile_member_cannot_touch_another_members_file(run, tmp_path, isolated_dirs):
    import hashlib
    import uuid

    from tests.test_isolation import ATTACKS, PRELUDE
    from trainer.sandbox.confine import probe
    abi, seccomp, why = probe()
    if not (abi and seccomp):
        pytest.skip(f"needs Landlock and seccomp: {why}")
    root = make_roster(tmp_path / "roster", {"bob": {"toy.py": REFERENCE + "\n# BOB-SECRET\n"}, "mallory": {}})
    bob, mallory = root / "bob" / "toy.py", root / "mallory" / "toy.py"
    targets = {
        "other_student": str(bob), "own_original": str(mallory), "database": str(isolated_dirs["data"] / "x.db"),
        "workspace": str(root / "bob"), "home": str(Path.home()), "tmp_root": str(tmp_path),
        "slash_tmp": "/tmp", "marker_name": f"mltrainer-hostile-{uuid.uuid4().hex}",
        "toy_reference": str(TOY_PACK / "reference" / "toy.py"), "toy_grader": str(TOY_PACK / "graders" / "toy.py"),
        "bundled_reference": str(REPO / "reference" / "kmeans.py"),
        "bundled_grader": str(REPO / "graders" / "kmeans.py"), "trainer_engine": str(REPO / "trainer" / "engine.py"),
        "content_root": str(REPO),
    }
    prelude = PRELUDE.format(targets=targets)
    mallory.write_text(prelude + (ATTACKS / "write_outside.py").read_text())
    (root / "eve").mkdir()
    (root / "eve" / "toy.py").write_text(prelude + (ATTACKS / "read_secrets.py").read_text())
    before = hashlib.sha256(bob.read_bytes()).hexdigest()
    output = tmp_path / "board.json"
    result = run("grade", "--roster", root, "--isolation", "require", "--jobs", "2", "--format", "json",
                 "--output", output)
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(bob.read_bytes()).hexdigest() == before
    assert sorted(os.listdir(root / "bob")) == ["toy.py"]
    assert not (root / "bob" / targets["marker_name"]).exists()
    board = Leaderboard.from_dict(json.loads(output.read_text()))
    assert board.cell("bob", "toy").verdict == "passed"
    for member in ("mallory", "eve"):
        cell = board.cell(member, "toy")
        assert cell.verdict == "failed"
        messages = [t.message for t in cell.report.tests if not t.passed]
        assert any("allowed: none" in m for m in messages), messages
    assert "BOB-SECRET" not in output.read_text()
