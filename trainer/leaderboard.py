"""A study group's results: members x challenges, points and ranks.

`mltrainer grade --roster DIR` grades every member's files and builds a
:class:`Leaderboard`; `mltrainer merge` joins the boards of several shards.
Every renderer (trainer/render_board.py) reads this model only, and nothing
in it depends on how the work was split or when it ran: a merged board and
an unsharded one with the same verdicts are equal, so they print the same
bytes.

Points: each passed test earns the points of its category, from the
challenge's `points:` in challenge.yaml (default DEFAULT_POINTS); bonus tests
count like the others. A cell without a graded file earns 0. A member's total
is the sum over the challenges; ranks follow totals (ties share a rank, in
"1, 1, 3" fashion), ties listed by member name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from trainer.report import CATEGORIES, GradeReport, inert

#: The JSON format's version (docs/report-format.md, "Leaderboard").
BOARD_VERSION = 1

#: Points per passed test, by category, unless the challenge says otherwise.
DEFAULT_POINTS = {"correctness": 2, "edge_case": 1, "stability": 1, "performance": 2}

#: A cell's verdict: a report's status, or why there is none.
NO_SUBMISSION = "no submission"
REFUSED = "refused"
VERDICTS = ("passed", "failed", "rejected", "error", NO_SUBMISSION, REFUSED)

FORMULA = ("points = sum over passed tests of the points of the test's category "
           "(per challenge, from its challenge.yaml; default: correctness 2, edge case 1, "
           "stability 1, performance 2); a member's total is the sum over challenges; "
           "ties share a rank")


def test_points(report: GradeReport, points: dict[str, float]) -> tuple[float, float]:
    """(points earned, points available) of one graded report."""
    earned = sum(points.get(t.category, 0) for t in report.tests if t.passed)
    available = sum(points.get(t.category, 0) for t in report.tests)
    return float(earned), float(available)


@dataclass
class Cell:
    """One member x challenge: the verdict and what the leaderboard shows of it."""

    member: str
    challenge_id: str
    verdict: str                     # one of VERDICTS
    file: str = ""                   # the member's file, relative to the roster folder
    tests_passed: int = 0
    tests_total: int = 0
    speed_ratio: float | None = None
    points: float = 0.0
    note: str = ""                   # why there is no grade, or a hint ("did you mean kmeans.py?")
    report: GradeReport | None = field(default=None, compare=True, repr=False)

    def __post_init__(self) -> None:
        self.note = inert(self.note)
        self.file = inert(self.file)

    @classmethod
    def graded(cls, member: str, challenge_id: str, file: str, report: GradeReport,
               points: dict[str, float]) -> "Cell":
        counts = report.counts()
        earned, _ = test_points(report, points)
        return cls(member, challenge_id, report.status, file, counts["passed"], counts["total"],
                   report.speed_ratio, earned, report.error, report)

    def to_dict(self) -> dict:
        return {
            "member": self.member, "challenge_id": self.challenge_id, "verdict": self.verdict,
            "file": self.file, "tests_passed": self.tests_passed, "tests_total": self.tests_total,
            "speed_ratio": self.speed_ratio, "points": self.points, "note": self.note,
            "report": None if self.report is None else self.report.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Cell":
        report = data.get("report")
        return cls(data["member"], data["challenge_id"], data["verdict"], data.get("file", ""),
                   int(data.get("tests_passed", 0)), int(data.get("tests_total", 0)), data.get("speed_ratio"),
                   float(data.get("points", 0.0)), data.get("note", ""),
                   None if report is None else GradeReport.from_dict(report))


@dataclass
class Leaderboard:
    """Members x challenges; `cells` may hold only part of them (a shard)."""

    members: list[str]
    challenges: list[str]
    points: dict[str, dict[str, float]]            # challenge id -> category -> points per passed test
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    shard: tuple[int, int] | None = None           # (i, n) of a shard's board; None when whole

    def cell(self, member: str, challenge_id: str) -> Cell | None:
        return self.cells.get((member, challenge_id))

    @property
    def complete(self) -> bool:
        return all((m, c) in self.cells for m in self.members for c in self.challenges)

    def total(self, member: str) -> float:
        # fsum: exact, so the total does not depend on the order the cells were added.
        return math.fsum(cell.points for (m, _), cell in self.cells.items() if m == member)

    def max_points(self, challenge_id: str) -> float | None:
        """The points a challenge can give: from any graded cell of it (all have the same tests)."""
        for (_, c), cell in sorted(self.cells.items()):
            if c == challenge_id and cell.report is not None and cell.report.tests:
                return test_points(cell.report, self.points.get(challenge_id, DEFAULT_POINTS))[1]
        return None

    def standings(self) -> list[tuple[int, str, float]]:
        """(rank, member, total), best first; equal totals share a rank, listed by name."""
        ordered = sorted(self.members, key=lambda m: (-self.total(m), m))
        rows, rank, previous = [], 0, None
        for position, member in enumerate(ordered, 1):
            total = self.total(member)
            if total != previous:
                rank, previous = position, total
            rows.append((rank, member, total))
        return rows

    def to_dict(self) -> dict:
        return {
            "format": "mltrainer-leaderboard",
            "version": BOARD_VERSION,
            "shard": None if self.shard is None else list(self.shard),
            "members": list(self.members),
            "challenges": list(self.challenges),
            "points": {c: dict(p) for c, p in sorted(self.points.items())},
            "formula": FORMULA,
            "cells": [self.cells[key].to_dict() for key in sorted(self.cells)],
            "standings": [{"rank": r, "member": m, "points": t} for r, m, t in self.standings()],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Leaderboard":
        """Read a board written by to_dict (raises ValueError for anything else)."""
        if not isinstance(data, dict) or data.get("format") != "mltrainer-leaderboard":
            raise ValueError("not an mltrainer leaderboard (written by `mltrainer grade --roster --format json`)")
        if data.get("version") != BOARD_VERSION:
            raise ValueError(f"leaderboard format version {data.get('version')!r}; this mltrainer reads "
                             f"version {BOARD_VERSION}")
        cells = [Cell.from_dict(c) for c in data.get("cells", [])]
        shard = data.get("shard")
        return cls(list(data["members"]), list(data["challenges"]),
                   {c: {k: float(v) for k, v in p.items()} for c, p in data.get("points", {}).items()},
                   {(c.member, c.challenge_id): c for c in cells},
                   None if shard is None else (int(shard[0]), int(shard[1])))


def merge(boards: Iterable[Leaderboard]) -> Leaderboard:
    """One board from the boards of the shards of one roster run (ValueError if they disagree)."""
    boards = list(boards)
    if not boards:
        raise ValueError("no leaderboards to merge")
    first = boards[0]
    merged = Leaderboard(list(first.members), list(first.challenges), dict(first.points))
    for board in boards:
        if board.members != first.members or board.challenges != first.challenges:
            raise ValueError("these leaderboards are not shards of one roster run (members or challenges differ)")
        for key, cell in board.cells.items():
            if key in merged.cells and merged.cells[key] != cell:
                raise ValueError(f"two shards graded {key[0]}/{key[1]} differently")
            merged.cells[key] = cell
        for challenge_id, points in board.points.items():
            merged.points.setdefault(challenge_id, points)
    return merged


def category_points(challenge) -> dict[str, float]:
    """A challenge's points per passed test, by category (its YAML's `points:` over DEFAULT_POINTS)."""
    own = getattr(challenge, "points", None) or {}
    return {c: float(own.get(c, DEFAULT_POINTS[c])) for c in CATEGORIES}
