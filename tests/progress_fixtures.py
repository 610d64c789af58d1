"""Deterministic helpers for the progress and TUI tests: a fake clock and reports."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


def make_report(
    challenge_id: str,
    *,
    passed: bool,
    ratio: float | None,
    sha: str | None = "0" * 64,
    duration_s: float = 3.5,
):
    """A GradeReport with three tests: correctness, edge case and a timed one."""
    from trainer.report import GradeReport

    timed = {
        "kind": "time",
        "label": "n=2000, k=8",
        "candidate": 0.020 * (ratio or 1.0),
        "reference": 0.020,
        "unit": "s",
        "ratio": ratio,
        "budget": 3.0,
        "within_budget": True if ratio is None else ratio <= 3.0,
        "note": "",
        "informational": False,
    }
    data = {
        "challenge_id": challenge_id,
        "solution_path": f"/w/{challenge_id}.py",
        "source_sha256": sha,
        "started_at": "2026-03-01T10:00:00+00:00",
        "duration_s": duration_s,
        "status": "passed" if passed else "failed",
        "static_issues": [],
        "error": None,
        "tests": [
            {
                "nodeid": f"graders/{challenge_id}.py::test_clusters",
                "name": "Finds the clusters",
                "category": "correctness",
                "outcome": "passed" if passed else "failed",
                "message": "" if passed else "expected 3 clusters, got 2",
                "bonus": False,
                "duration_s": 0.5,
                "measurements": [],
            },
            {
                "nodeid": f"graders/{challenge_id}.py::test_k1",
                "name": "Handles k = 1",
                "category": "edge_case",
                "outcome": "passed",
                "message": "",
                "bonus": False,
                "duration_s": 0.1,
                "measurements": [],
            },
            {
                "nodeid": f"graders/{challenge_id}.py::test_speed",
                "name": "Within the time budget",
                "category": "performance",
                "outcome": "passed",
                "message": "",
                "bonus": False,
                "duration_s": 1.2,
                "measurements": [timed] if ratio is not None else [],
            },
        ],
    }
    return GradeReport.from_dict(data)
