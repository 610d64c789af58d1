"""A study group's roster: who handed in what, and grading all of it into a leaderboard.

A roster is a folder with one folder per member, each holding that member's
files named after the challenges: `DIR/<member>/<challenge-id>.py`.
`discover` reads only names and file types (never a member's code) and
decides, for every member x challenge pair, what there is to grade or why
there is nothing:

- **no submission**: no such file (an empty folder is a member with no
  submission anywhere); a file whose name differs only in case or is a near
  miss (`Kmeans.py`, `kmean.py`) is named in the cell's note ("did you mean
  kmeans.py?"), never graded in its place.
- **refused** (never graded, never read): a symlink that leads outside the
  member's own folder (or to nothing), something that is not a regular file,
  a member folder that is itself a symlink, and a member whose folder name
  is not a safe name (SAFE_NAME: a letter or digit, then letters, digits,
  `.`, `_` and `-`; a hidden folder such as `.git` is not one either, so
  point the roster at a folder that holds only the members' folders). Such
  a member is still listed, under the name made visible with escapes
  (`"bob\\x1b"` is listed as `bob\\x1b`).

Files directly in the roster folder are not members' files: a `.py` among
them is named in `Roster.warnings`, since it was probably meant for a
member's folder.

`grade_roster` grades the pairs (or one shard of them, `shard_of`) with
`Session.run_grading`, several at once, and never records anything in the
user's progress. Everything a member can name (folder and file names) is
made inert before it reaches a cell.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from trainer.errors import GradingCancelled, InputError, TrainerError
from trainer.leaderboard import NO_SUBMISSION, REFUSED, Cell, Leaderboard, category_points
from trainer.report import inert

if TYPE_CHECKING:
    from trainer.catalog import Catalog, Challenge
    from trainer.report import GradeReport
    from trainer.session import Session

#: A member's folder name that is graded: it is safe in a path, a JUnit suite name and a CI annotation.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
SAFE_NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit"
_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*\Z")

ProgressCallback = Callable[[Cell, int, int], None]


@dataclass(frozen=True)
class Entry:
    """One member x challenge pair of a roster: the file to grade, or the verdict without grading."""

    member: str
    challenge_id: str
    file: str = ""                 # relative to the roster folder, e.g. "alice/kmeans.py"; "" when none
    path: Path | None = None       # what is graded (a symlink already resolved); None: nothing to grade
    verdict: str | None = None     # NO_SUBMISSION or REFUSED when there is nothing to grade
    note: str = ""

    def cell(self) -> Cell:
        """The cell of a pair that is not graded."""
        return Cell(self.member, self.challenge_id, self.verdict or NO_SUBMISSION, self.file, note=self.note)


@dataclass
class Roster:
    """The members (sorted), the challenges (catalog order) and an entry for every pair."""

    root: Path
    members: list[str]
    challenges: list["Challenge"]
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    #: Lines about the roster itself, for the user (e.g. a .py file outside every member's folder).
    warnings: list[str] = field(default_factory=list)

    @property
    def challenge_ids(self) -> list[str]:
        return [c.id for c in self.challenges]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every member x challenge pair, sorted (the order `shard_of` splits)."""
        return sorted(self.entries)

    def challenge(self, challenge_id: str) -> "Challenge":
        return next(c for c in self.challenges if c.id == challenge_id)

    def board(self, shard: tuple[int, int] | None = None) -> Leaderboard:
        """An empty leaderboard of this roster (of one shard of it)."""
        return Leaderboard(list(self.members), self.challenge_ids,
                           {c.id: category_points(c) for c in self.challenges}, {}, shard)


@dataclass
class _Member:
    name: str            # the folder's name as the file system has it
    shown: str           # the name on the board
    folder: Path
    refused: str = ""    # why nothing of this member is graded
    files: tuple[str, ...] = ()


def shown_name(name: str) -> str:
    """A folder name as the board lists it: itself when safe, else with every unusual character escaped.

    The escaped form holds a backslash or a character SAFE_NAME excludes, so
    it never equals a safe member's name.
    """
    if SAFE_NAME.match(name):
        return name
    escaped = name.encode("unicode_escape", "backslashreplace").decode("ascii")
    return inert(escaped) or "\\x00"


def _members(root: Path) -> tuple[list[_Member], list[str]]:
    """Every member folder of `root`, and warnings about what else is there."""
    try:
        with os.scandir(root) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"cannot read the roster folder {root}: {exc.strerror or exc}") from None
    members, warnings = [], []
    for entry in entries:
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()          # follows a symlink
        except OSError:
            is_link, is_dir = False, False
        if not is_dir:
            if entry.name.lower().endswith(".py"):
                warnings.append(f"{shown_name(entry.name)} is not in a member's folder, so it is not graded "
                                f"(a member's files go in {root}/<member>/<challenge-id>.py)")
            continue
        member = _Member(entry.name, shown_name(entry.name), root / entry.name)
        if not SAFE_NAME.match(entry.name):
            member.refused = f"not a safe member name ({SAFE_NAME_RULE}): rename the folder"
        elif is_link:
            member.refused = "the member's folder is a symlink, not followed (it must be a real folder)"
        members.append(member)
    # Refused names are escaped: they can never equal a safe one, but two could equal each other.
    seen: set[str] = set()
    for member in members:
        while member.shown in seen:
            member.shown += "_"
        seen.add(member.shown)
    return sorted(members, key=lambda m: m.shown), warnings


def _list_files(member: _Member) -> None:
    try:
        with os.scandir(member.folder) as scan:
            member.files = tuple(sorted(e.name for e in scan))
    except OSError as exc:
        member.refused = f"the member's folder cannot be read ({exc.strerror or exc})"


def _entry(member: _Member, challenge_id: str, known_ids: frozenset[str]) -> Entry:
    """What there is to grade for one member and challenge (never reads the file)."""
    name = f"{challenge_id}.py"
    file = f"{member.shown}/{name}"
    if member.refused:
        return Entry(member.shown, challenge_id, verdict=REFUSED, note=member.refused)
    if name not in member.files:
        same = [f for f in member.files if f.lower() == name]
        if not same:
            # A near miss that is no other challenge's file: "kmean.py", "kmeans (1).py"
            others = [f for f in member.files if f.lower().endswith(".py") and f.lower()[:-3] not in known_ids]
            same = difflib.get_close_matches(name, others, n=1, cutoff=0.8)
        note = f"found {shown_name(same[0])}: did you mean {name}?" if same else ""
        return Entry(member.shown, challenge_id, verdict=NO_SUBMISSION, note=note)
    path = member.folder / name
    try:
        info = path.lstat()
    except OSError as exc:
        return Entry(member.shown, challenge_id, file, verdict=REFUSED,
                     note=f"{file} cannot be read ({exc.strerror or exc})")
    if stat.S_ISLNK(info.st_mode):
        try:
            target = path.resolve(strict=True)
            home = member.folder.resolve(strict=True)
        except (OSError, RuntimeError):
            return Entry(member.shown, challenge_id, file, verdict=REFUSED,
                         note=f"{file} is a symlink that leads nowhere")
        if home not in target.parents:
            return Entry(member.shown, challenge_id, file, verdict=REFUSED,
                         note=f"not graded, not read: {file} is a symlink to a file outside {member.shown}/")
        try:
            info = target.stat()
        except OSError as exc:
            return Entry(member.shown, challenge_id, file, verdict=REFUSED,
                         note=f"{file} cannot be read ({exc.strerror or exc})")
        path = target
    if not stat.S_ISREG(info.st_mode):
        return Entry(member.shown, challenge_id, file, verdict=REFUSED,
                     note=f"{file} is not a regular file")
    return Entry(member.shown, challenge_id, file, path)


def discover(roster_dir: str | os.PathLike, catalog: "Catalog", members: Iterable[str] = (),
             challenge_ids: Iterable[str] = ()) -> Roster:
    """The roster in `roster_dir`: its members (or those named), its challenges, an entry per pair.

    `challenge_ids` names the challenges (ChallengeNotFound for an unknown
    one); without them, every challenge of the catalog for which one of the
    members has a file (in any case) is on the board. Raises InputError for
    a folder that is not there or has no member folders, a member name that
    is not there, or nothing to grade at all.
    """
    root = Path(roster_dir)
    if not root.is_dir():
        why = "no such folder" if not root.exists() else "not a folder"
        raise InputError(f"cannot use {root} as a roster: {why} (expected {root}/<member>/<challenge-id>.py)")
    found, warnings = _members(root)
    if not found:
        raise InputError(f"the roster {root} has no member folders (expected {root}/<member>/<challenge-id>.py)")
    wanted = list(dict.fromkeys(members))
    if wanted:
        by_name = {m.name: m for m in found} | {m.shown: m for m in found}
        unknown = [name for name in wanted if name not in by_name]
        if unknown:
            raise InputError(f"no member named {inert(unknown[0])!r} in {root} "
                             f"(members: {', '.join(m.shown for m in found)})")
        chosen = {id(by_name[name]): by_name[name] for name in wanted}
        found = sorted(chosen.values(), key=lambda m: m.shown)
    for member in found:
        if not member.refused:
            _list_files(member)

    if challenge_ids:
        named = {catalog.get(i).id for i in challenge_ids}   # ChallengeNotFound suggests the nearest
        challenges = [c for c in catalog if c.id in named]
    else:
        present = {f.lower() for m in found if not m.refused for f in m.files}
        challenges = [c for c in catalog if f"{c.id}.py" in present]
        if not challenges:
            raise InputError(f"no member's folder in {root} holds a file of a known challenge "
                             f"(<challenge-id>.py, e.g. {catalog.ids[0] if catalog.ids else 'kmeans'}.py); "
                             "name the challenges to grade after --roster to grade them anyway")
    known = frozenset(catalog.ids)
    entries = {(m.shown, c.id): _entry(m, c.id, known) for m in found for c in challenges}
    return Roster(root, [m.shown for m in found], challenges, entries, warnings)


def parse_shard(spec: str) -> tuple[int, int]:
    """"I/N" as (i, n), 1 <= i <= n (ValueError with a message for the user otherwise)."""
    match = _SHARD.match(str(spec))
    if not match:
        raise ValueError(f"{spec!r} is not a shard: write I/N, shard I of N, e.g. 1/4")
    i, n = int(match.group(1)), int(match.group(2))
    if n < 1:
        raise ValueError(f"{spec!r}: there must be at least one shard (N >= 1)")
    if not 1 <= i <= n:
        raise ValueError(f"{spec!r}: shards are numbered 1 to {n}, so I must be between 1 and {n}")
    return i, n


def shard_of(pairs: Iterable[tuple[str, str]], i: int, n: int) -> list[tuple[str, str]]:
    """Shard i of n (1-based) of the member x challenge pairs: the k-th sorted pair goes to shard k % n + 1."""
    if not 1 <= i <= n:
        raise ValueError(f"shard {i}/{n} does not exist")
    return [pair for k, pair in enumerate(sorted(pairs)) if k % n == i - 1]


def graded_cell(entry: Entry, report: "GradeReport", points: dict[str, float]) -> Cell:
    """The cell of a graded entry: paths in the report relative to the roster, a note when it was not run."""
    report.solution_path = entry.file
    for issue in report.static_issues:
        issue.path = entry.file
    cell = Cell.graded(entry.member, entry.challenge_id, entry.file, report, points)
    if report.status == "rejected" and report.static_issues and not cell.note:
        first = report.static_issues[0]
        more = len(report.static_issues) - 1
        note = first.message + (f" (line {first.line})" if first.line else "") + (f"; {more} more" if more else "")
        cell = replace(cell, note=note)
    return cell


def grade_roster(session: "Session", roster: Roster, *, jobs: int = 1, shard: tuple[int, int] | None = None,
                 on_progress: ProgressCallback | None = None, **options: Any) -> Leaderboard:
    """Grade every pair of the roster (of shard (i, n)) `jobs` at a time: the leaderboard.

    Every pair of the shard gets a cell: the grade, or "no submission" /
    "refused" without grading. Grading goes through `session.run_grading`,
    so nothing is recorded; `options` go to the engine (isolation,
    fail_fast). An input error while grading one file (e.g. it cannot be
    read), or a grading run the machine could not set up, becomes that
    cell's "error" with the message. `on_progress(cell,
    done, total)` is called as each cell is known. Ctrl-C cancels every
    grading run in progress.
    """
    board = roster.board(shard)
    pairs = shard_of(roster.pairs, *shard) if shard else roster.pairs
    entries = [roster.entries[pair] for pair in pairs]
    total, done = len(entries), 0
    lock = threading.Lock()

    def finish(cell: Cell) -> None:
        nonlocal done
        with lock:
            board.cells[(cell.member, cell.challenge_id)] = cell
            done += 1
            count = done
        if on_progress is not None:
            on_progress(cell, count, total)

    def grade_one(entry: Entry) -> Cell:
        challenge = roster.challenge(entry.challenge_id)
        try:
            report = session.run_grading(challenge, entry.path, **options)
        except GradingCancelled:
            raise
        except TrainerError as exc:
            return Cell(entry.member, entry.challenge_id, "error", entry.file, note=str(exc))
        except OSError as exc:   # the machine, not the member: this cell could not be graded, the others go on
            return Cell(entry.member, entry.challenge_id, "error", entry.file,
                        note=f"the grading run could not be set up ({exc.strerror or exc})")
        return graded_cell(entry, report, board.points[entry.challenge_id])

    # Several gradings at once take a CPU each; one at a time may use the
    # machine's CPUs as lanes (trainer/grading/schedule.py).
    if int(jobs) > 1:
        options.setdefault("lanes", 1)
    to_grade = [e for e in entries if e.path is not None]
    for entry in entries:
        if entry.path is None:
            finish(entry.cell())
    if not to_grade:
        return board
    pool = ThreadPoolExecutor(max_workers=max(1, int(jobs)), thread_name_prefix="mltrainer-roster")
    try:
        pending = {pool.submit(grade_one, entry) for entry in to_grade}
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                finish(future.result())
    except BaseException:
        session.cancel_gradings()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return board


def submissions(roster: Roster, pairs: Sequence[tuple[str, str]] | None = None) -> int:
    """How many of the pairs (all by default) have a file to grade."""
    return sum(roster.entries[p].path is not None for p in (roster.pairs if pairs is None else pairs))
