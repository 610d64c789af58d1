"""The score of a mock round: the formula, in one place.

:data:`SCORE_FORMULA` is the formula as the scorecard prints it (also in
docs/mock.md); :func:`item_points`, :func:`late_factor` and :func:`round_score`
compute it. Pure functions of a grade report and of times: the hand-in
(:mod:`trainer.mock.lifecycle`) and the stored scorecard use them alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from trainer.report import GradeReport

# The score formula's weights (see SCORE_FORMULA).
TESTS_WEIGHT = 0.8
SPEED_WEIGHT = 0.2

SCORE_FORMULA = f"""\
Per challenge:  points = 100 * f * ({TESTS_WEIGHT} + {SPEED_WEIGHT} * s)
  f = required tests passed / required tests (0 if the file was rejected by
      the static checks or is missing; bonus tests do not count)
  s = min(1, 1 / r), r = speed vs the reference (the slowest budgeted timing);
      with no timing measured, s = 1 if every performance test passed, else 0
Round:  score = mean of the points * late factor
  late factor = max(0, 1 - overrun / time allowed), 1 when handed in on time"""


def item_points(report: "GradeReport") -> tuple[float, float, float]:
    """(f, s, points) of one graded challenge, by SCORE_FORMULA."""
    required = report.required_tests
    if report.status == "rejected" or not required:
        f = 0.0
    else:
        f = sum(t.passed for t in required) / len(required)
    ratio = report.speed_ratio
    if ratio is not None and ratio > 0:
        s = min(1.0, 1.0 / ratio)
    else:
        performance = [t for t in required if t.category == "performance"]
        s = 1.0 if all(t.passed for t in performance) else 0.0
    return f, s, 100.0 * f * (TESTS_WEIGHT + SPEED_WEIGHT * s)


def late_factor(overrun_s: float, allotted_s: float) -> float:
    """The late factor of SCORE_FORMULA: 1 on time, down to 0 at an overrun as long as the time allowed."""
    if overrun_s <= 0:
        return 1.0
    if allotted_s <= 0:
        return 0.0
    return max(0.0, 1.0 - overrun_s / allotted_s)


def round_score(points: Sequence[float], overrun_s: float, allotted_s: float) -> tuple[float, float, float]:
    """(mean of the points, late factor, score rounded to 0.1) of a round, by SCORE_FORMULA."""
    raw = sum(points) / len(points) if points else 0.0
    factor = late_factor(overrun_s, allotted_s)
    return raw, factor, round(raw * factor, 1)
