"""The records read back from the progress store: plain values, no SQL.

:mod:`trainer.progress` computes status, schedule and mastery from a
:class:`History`; the store (:mod:`trainer.store.queries`) builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
