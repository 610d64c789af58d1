"""The score of a mock round: the formula, in one place.

:data:`SCORE_FORMULA` is the formula as the scorecard prints it (also in
docs/mock.md, with :data:`WORKED_EXAMPLES` as :func:`worked_examples_table`
computes them); :func:`category_score`, :func:`item_points`,
:func:`late_factor` and :func:`round_score` compute it. Pure functions of a
grade report and of times: the hand-in (:mod:`trainer.mock.lifecycle`) and the
stored scorecard use them alike.

Why this shape. An interviewer grades a solution by what it gets wrong, and
charges for a whole missing skill far more than for a slip:

* Each category of tests earns a share of the points (:data:`SHARES`), in
  proportion to the tests of that category passed: failing a whole category
  costs its whole share.
* Correctness is the largest share and also a ceiling: a solution that
  passes a fraction p of the correctness tests scores at most 100 p, so code
  that is wrong on ordinary inputs earns nothing for its edge cases.
* Numerical stability is a ceiling too (:data:`CEILING_FLOORS`): a solution
  that fails every stability test (a softmax without the log-sum-exp trick)
  scores at most 40, whatever else it gets right; each stability test passed
  lifts that ceiling in proportion, up to 100.
* Performance tests are timed only when every other required test passed
  (trainer/grading/schedule.py). A performance test that did not run earns
  nothing: speed is credited only to code that is right. Among those that
  ran, the share is further scaled by the speed against the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

if TYPE_CHECKING:
    from trainer.report import GradeReport

#: Each category's share of a challenge's points (they sum to 100). A category
#: a challenge has no required tests of is left out, and the others are scaled
#: up to make 100 between them.
SHARES = {"correctness": 50.0, "edge_case": 20.0, "stability": 15.0, "performance": 15.0}

#: Categories that also cap the points: ceiling = floor + (100 - floor) * p,
#: p the fraction of the category's tests passed. A category the challenge has
#: no tests of sets no ceiling.
CEILING_FLOORS = {"correctness": 0.0, "stability": 40.0}

_STABILITY_CAP = int(CEILING_FLOORS["stability"])

SCORE_FORMULA = f"""\
Per challenge, from its required tests (bonus tests do not count):
  p_c = tests of category c passed / tests of c; a test that did not run earns
        nothing (performance tests run only once every other test passes)
  s   = min(1, 1 / r), r = speed vs the reference (the slowest budgeted
        timing); s = 1 when no timing was measured
  earned  = ({SHARES['correctness']:g} p_correct + {SHARES['edge_case']:g} p_edge + \
{SHARES['stability']:g} p_stable + {SHARES['performance']:g} p_perf * s) * 100 / S,
            S = the sum of the shares of the categories the challenge has tests of
  ceiling = min(100 p_correct, {_STABILITY_CAP} + {100 - _STABILITY_CAP} p_stable): failing every stability
            test caps the points at {_STABILITY_CAP} (a category without tests sets no ceiling)
  points  = min(earned, ceiling); 0 if the file was rejected by the static
            checks or is missing
Round:  score = mean of the points * late factor
  late factor = max(0, 1 - overrun / time allowed), 1 when handed in on time"""


@dataclass(frozen=True)
class ItemScore:
    """The terms of SCORE_FORMULA for one challenge."""

    fractions: dict[str, float]  # p_c, for each category the challenge has required tests of
    speed_credit: float          # s
    earned: float
    ceiling: float
    points: float


def category_score(tallies: Mapping[str, tuple[int, int]], speed_ratio: float | None) -> ItemScore:
    """SCORE_FORMULA's points from (passed, total) required tests per category and the speed ratio.

    Passed means passed: a failed, erroring or not-run test earns nothing. A
    category this formula does not know (a pack's own) counts with the
    smallest share.
    """
    present = {c: (int(p), int(n)) for c, (p, n) in tallies.items() if n > 0}
    s = min(1.0, 1.0 / speed_ratio) if speed_ratio is not None and speed_ratio > 0 else 1.0
    if not present:
        return ItemScore({}, s, 0.0, 0.0, 0.0)
    fallback = min(SHARES.values())
    fractions = {c: p / n for c, (p, n) in present.items()}
    total_share = sum(SHARES.get(c, fallback) for c in fractions)
    earned = 0.0
    for c, p in fractions.items():
        earned += SHARES.get(c, fallback) * p * (s if c == "performance" else 1.0)
    earned = 100.0 * earned / total_share
    ceiling = min((floor + (100.0 - floor) * fractions[c] for c, floor in CEILING_FLOORS.items()
                   if c in fractions), default=100.0)
    return ItemScore(fractions, s, earned, ceiling, min(earned, ceiling))


def tallies_of(report: "GradeReport") -> dict[str, tuple[int, int]]:
    """(passed, total) of the required tests of a report, per category."""
    tallies: dict[str, list[int]] = {}
    for t in report.required_tests:
        tally = tallies.setdefault(t.category, [0, 0])
        tally[0] += int(t.passed)
        tally[1] += 1
    return {c: (p, n) for c, (p, n) in tallies.items()}


def item_points(report: "GradeReport") -> ItemScore:
    """The points of one graded challenge, by SCORE_FORMULA (0 for a file the static checks rejected)."""
    if report.status == "rejected":
        return ItemScore({}, 0.0, 0.0, 0.0, 0.0)
    return category_score(tallies_of(report), report.speed_ratio)


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


# --------------------------------------------------------------------------
# Worked examples (docs/mock.md shows this table; a test checks that it is current)
# --------------------------------------------------------------------------

#: (what happened, (passed, total) per category, speed ratio or None). The
#: counts are the softmax challenge's (7 correctness, 7 edge-case, 5
#: stability, 2 performance tests) unless the case says otherwise.
WORKED_EXAMPLES: tuple[tuple[str, dict[str, tuple[int, int]], float | None], ...] = (
    ("Everything passes, as fast as the reference",
     {"correctness": (7, 7), "edge_case": (7, 7), "stability": (5, 5), "performance": (2, 2)}, 1.0),
    ("Everything passes, at twice the reference's time",
     {"correctness": (7, 7), "edge_case": (7, 7), "stability": (5, 5), "performance": (2, 2)}, 2.0),
    ("Everything passes but one performance test, 4x over a 3x budget",
     {"correctness": (7, 7), "edge_case": (7, 7), "stability": (5, 5), "performance": (1, 2)}, 4.0),
    ("One edge case fails; performance not run",
     {"correctness": (7, 7), "edge_case": (6, 7), "stability": (5, 5), "performance": (0, 2)}, None),
    ("Every edge case fails; performance not run",
     {"correctness": (7, 7), "edge_case": (0, 7), "stability": (5, 5), "performance": (0, 2)}, None),
    ("softmax without the log-sum-exp trick: 4 of 5 stability tests and 1 edge case fail; "
     "performance not run",
     {"correctness": (7, 7), "edge_case": (6, 7), "stability": (1, 5), "performance": (0, 2)}, None),
    ("Every stability test fails, the rest is right; performance not run",
     {"correctness": (7, 7), "edge_case": (7, 7), "stability": (0, 5), "performance": (0, 2)}, None),
    ("Half the correctness tests fail (4 of 8), the rest passes; performance not run",
     {"correctness": (4, 8), "edge_case": (7, 7), "stability": (5, 5), "performance": (0, 2)}, None),
    ("Every correctness test fails, every edge case passes",
     {"correctness": (0, 7), "edge_case": (7, 7), "stability": (5, 5), "performance": (0, 2)}, None),
    ("No stability tests in the challenge; everything passes at twice the reference's time",
     {"correctness": (8, 8), "edge_case": (6, 6), "performance": (2, 2)}, 2.0),
)

_EXAMPLE_COLUMNS = ("correctness", "edge_case", "stability", "performance")


def worked_examples_table() -> str:
    """:data:`WORKED_EXAMPLES` as a Markdown table, each row computed by :func:`category_score`."""
    lines = ["| case | correct | edge | stable | perf | speed | earned | ceiling | points |",
             "|------|---------|------|--------|------|-------|--------|---------|--------|"]
    for case, tallies, ratio in WORKED_EXAMPLES:
        score = category_score(tallies, ratio)
        cells = [case]
        for c in _EXAMPLE_COLUMNS:
            cells.append(f"{tallies[c][0]}/{tallies[c][1]}" if c in tallies else "-")
        cells.append("-" if ratio is None else f"{ratio:g}x")
        cells += [f"{score.earned:.1f}", f"{score.ceiling:.1f}", f"**{score.points:.1f}**"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
