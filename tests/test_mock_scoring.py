"""The mock round's score: what the formula charges, its documented examples, and the
failing tests' names on the scorecard.

The values asserted here are worked out by hand from the shares and ceilings
of SCORE_FORMULA (50 / 20 / 15 / 15; correctness caps at 100 p, stability at
40 + 60 p), not read back from the code, so a change of the code that changes
what the formula charges fails here and not only in the docs.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from trainer import mock
from trainer.catalog import load_catalog
from trainer.cli import cli
from trainer.mock.models import ItemCard
from trainer.mock.scoring import category_score
from trainer.store import Store

from tests.helpers import REPO, FakeClock

NOW = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
SOFTMAX_SHAPE = {"correctness": 7, "edge_case": 7, "stability": 5, "performance": 2}


def tallies(**passed):
    """(passed, total) per category of the softmax challenge's shape; unnamed categories all pass."""
    return {c: (passed.get(c, n), n) for c, n in SOFTMAX_SHAPE.items()}


# --------------------------------------------------------------------------
# What the formula charges
# --------------------------------------------------------------------------


def test_a_softmax_without_log_sum_exp_scores_about_half_not_70():
    """The issue's case: all correctness tests pass, 1 of 7 edge cases and 4 of 5 stability tests
    fail, so the performance tests do not run. Earned 50 + 20 * 6/7 + 15 * 1/5 + 0 = 70.1, but the
    stability ceiling 40 + 60 * 1/5 = 52 decides."""
    score = category_score(tallies(edge_case=6, stability=1, performance=0), None)
    assert score.earned == pytest.approx(50 + 20 * 6 / 7 + 3)
    assert score.ceiling == pytest.approx(52.0) and score.points == pytest.approx(52.0)


def test_failing_every_stability_test_caps_the_points_at_40():
    score = category_score(tallies(stability=0, performance=0), None)
    assert score.earned == pytest.approx(70.0) and score.points == pytest.approx(40.0)
    # However fast and whatever else passes: 40 at most.
    assert category_score(tallies(stability=0), 0.5).points == pytest.approx(40.0)


def test_a_whole_category_failed_costs_its_whole_share():
    assert category_score(tallies(edge_case=0), 1.0).points == pytest.approx(80.0)
    assert category_score(tallies(performance=0), 1.0).points == pytest.approx(85.0)
    # Stability's share (15) goes too, and its ceiling (40) decides.
    assert category_score(tallies(stability=0), 1.0).earned == pytest.approx(85.0)


def test_correctness_is_a_gate():
    # Every correctness test failed: nothing, although every edge case passes.
    assert category_score(tallies(correctness=0, performance=0), None).points == 0.0
    # Half of them: earned 25 + 20 + 15 = 60, but at most 100 * 1/2 = 50.
    half = category_score({"correctness": (4, 8), "edge_case": (7, 7), "stability": (5, 5),
                           "performance": (0, 2)}, None)
    assert (half.earned, half.ceiling, half.points) == (pytest.approx(60.0), 50.0, 50.0)


def test_performance_not_run_earns_nothing_and_speed_scales_its_share():
    # Everything else passes but the performance tests did not run (a grade stopped early).
    assert category_score(tallies(performance=0), None).points == pytest.approx(85.0)
    # All passed at twice the reference's time: half of the performance share.
    assert category_score(tallies(), 2.0).points == pytest.approx(92.5)
    # Faster than the reference earns no more than the full share.
    assert category_score(tallies(), 0.25).points == pytest.approx(100.0)
    # No timing measured (counting or memory tests only): the passed share counts whole.
    assert category_score(tallies(), None).points == pytest.approx(100.0)


def test_missing_categories_share_the_points_and_set_no_ceiling():
    # No stability tests: 50 + 20 + 15 make the 100, and no stability ceiling applies.
    toy = {"correctness": (1, 1), "edge_case": (0, 2), "performance": (0, 1)}
    score = category_score(toy, None)
    assert score.points == pytest.approx(100 * 50 / 85) and score.ceiling == 100.0
    # A pack's own category counts with the smallest share.
    odd = category_score({"correctness": (1, 1), "style": (0, 1)}, None)
    assert odd.points == pytest.approx(100 * 50 / 65)
    assert category_score({}, None).points == 0.0


def test_more_tests_passed_never_scores_less():
    """Monotone: passing one more test of any category never lowers the points."""
    import itertools

    for c, e, s, p in itertools.product(range(8), range(8), range(6), range(3)):
        base = category_score({"correctness": (c, 7), "edge_case": (e, 7), "stability": (s, 5),
                               "performance": (p, 2)}, 1.5).points
        for name, (got, total) in (("correctness", (c, 7)), ("edge_case", (e, 7)), ("stability", (s, 5)),
                                   ("performance", (p, 2))):
            if got < total:
                more = {"correctness": (c, 7), "edge_case": (e, 7), "stability": (s, 5), "performance": (p, 2)}
                more[name] = (got + 1, total)
                assert category_score(more, 1.5).points >= base - 1e-9, (name, c, e, s, p)


# --------------------------------------------------------------------------
# The documentation
# --------------------------------------------------------------------------


def test_docs_show_the_formula_and_the_worked_examples_the_code_computes():
    text = (REPO / "docs" / "mock.md").read_text(encoding="utf-8")
    assert mock.worked_examples_table() in text, "docs/mock.md: paste worked_examples_table() anew"
    indented = "\n".join("    " + line for line in mock.SCORE_FORMULA.splitlines())
    assert indented in text, "docs/mock.md: paste SCORE_FORMULA anew"
    # And the table says what the hand-worked cases above say.
    rows = {cells[0]: cells[-1] for cells in
            (re.split(r"\s*\|\s*", line.strip("| ")) for line in text.splitlines() if line.startswith("| "))}
    softmax_row = next(v for k, v in rows.items() if k.startswith("softmax without the log-sum-exp"))
    assert softmax_row == "**52.0**"
    assert rows["Every stability test fails, the rest is right; performance not run"] == "**40.0**"
    assert rows["Everything passes, at twice the reference's time"] == "**92.5**"


def test_every_worked_example_counts_only_known_categories():
    for case, counts, _ in mock.WORKED_EXAMPLES:
        assert set(counts) <= set(mock.SHARES), case
        assert all(0 <= p <= n for p, n in counts.values()), case


# --------------------------------------------------------------------------
# The real engine: the softmax, graded in a round
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_round_with_the_naive_softmax_scores_the_ceiling_and_names_the_failing_tests(isolated_dirs):
    naive = (REPO / "tests" / "variants" / "softmax" / "naive_exp.py").read_text()
    clock = FakeClock(datetime.now(timezone.utc).replace(microsecond=0))
    with Store.open(clock=clock) as store:
        catalog = load_catalog()
        # The only easy challenge about numerical stability.
        session = mock.start_session(store, catalog, topic="numerical-stability", difficulty="easy")
        (item,) = session.items
        assert item.challenge_id == "softmax"
        item.path.write_text(naive)
        card = mock.submit(store, catalog)
    (line,) = card.items
    passed, total = line.categories["stability"]
    assert total >= 4 and passed < total / 2
    # The stability ceiling decides: 40 + 60 * p_stable, far below the 70 the old formula gave.
    assert line.points == pytest.approx(40 + 60 * passed / total)
    assert line.points < 60 and line.ceiling == pytest.approx(line.points) and line.earned > line.points
    failed = {name for category, name in line.failed_tests if category == "stability"}
    assert len(failed) == total - passed
    assert any("1e4" in name for name in failed)
    assert line.not_run_tests and {c for c, _ in line.not_run_tests} == {"performance"}

    # The CLI's scorecard names them, with their categories, and says the performance tests did not run.
    result = CliRunner().invoke(cli, ["mock", "card", "--no-follow-ups"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # rich wraps long names
    assert "softmax: what failed" in out
    for category, name in line.failed_tests:
        assert f"✗ {mock.CATEGORY_NAMES[category]}: {' '.join(name.split())}" in out
    n = len(line.not_run_tests)
    assert f"- {n} tests not run (performance is timed only once every other test passes): no points" in out
    assert f"Score {card.score:.1f} / 100" in out


def test_failed_test_lines_of_a_stored_card():
    item = ItemCard(challenge_id="x", title="X", outcome="failed", categories={}, bonus=[0, 0],
                    tests_passed=0, tests_total=3, speed_ratio=None, speed_credit=1.0, points=0.0,
                    time_used_s=None, untouched=False, edited_late_s=None, checks=0,
                    failed_tests=[["edge_case", "Empty input raises ValueError"]],
                    not_run_tests=[["correctness", "Later test"]])
    assert mock.failed_test_lines(item) == [
        "✗ edge case: Empty input raises ValueError",
        "- 1 test not run (grading stopped before them): no points",
    ]
    # The lines a command prints when it finalises an expired round name them too.
    card = mock.Scorecard(session_id=3, started_at=NOW, deadline=NOW, handed_in_at=NOW, ended_by="deadline",
                          allotted_s=600.0, overrun_s=0.0, raw_score=0.0, late_factor=1.0, score=0.0,
                          items=[item])
    assert mock.card_summary_lines(card) == [
        "Mock round 3: score 0.0 / 100",
        "  x: failed, 0/3 tests, 0.0 points",
        "    ✗ edge case: Empty input raises ValueError",
        "    - 1 test not run (grading stopped before them): no points",
    ]
    # A card stored before the names were kept reads back with none.
    old = item.to_dict()
    del old["failed_tests"], old["not_run_tests"], old["earned"], old["ceiling"]
    old["test_fraction"] = 0.5  # a field of the older formula, ignored
    assert mock.failed_test_lines(ItemCard.from_dict(old)) == []
