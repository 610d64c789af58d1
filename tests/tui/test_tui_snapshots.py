"""Snapshots of the main screens at 80x24, with a fixed clock and a fixed history.

Update after an intended change with `pytest tests/tui --snapshot-update` and
look at the SVGs before committing them.
"""

from __future__ import annotations

from textual.widgets import Input

from tests.helpers import make_report

from trainer.report import GradeReport
from trainer.tui.app import TrainerApp


def failing_report() -> GradeReport:
    """A failed run with a message in each category and a timing over budget."""
    data = make_report("logreg", passed=False, ratio=4.6, duration_s=6.2).to_dict()
    data["tests"][0]["message"] = (
        "sigmoid(z) for z = [-800, 0, 800]: expected [0, 0.5, 1], got [nan, 0.5, 1.0] "
        "(overflow in exp(-z) for z = -800)"
    )
    data["tests"][0]["category"] = "stability"
    data["tests"][0]["name"] = "No overflow for large |z|"
    data["tests"].insert(0, {
        "nodeid": "graders/logreg.py::test_values", "name": "Matches the textbook values",
        "category": "correctness", "outcome": "passed", "message": "", "bonus": False,
        "duration_s": 0.2, "measurements": [],
    })
    data["tests"][-1]["outcome"] = "failed"
    data["tests"][-1]["message"] = "4.6x slower than the reference; budget 3x"
    return GradeReport.from_dict(data)


def quiet_input(pilot) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


def test_dashboard(snap_compare, seeded_context):
    assert snap_compare(TrainerApp(seeded_context), terminal_size=(80, 24))


def test_dashboard_light_theme(snap_compare, seeded_context):
    assert snap_compare(TrainerApp(seeded_context, theme="light"), terminal_size=(80, 24))


def test_dashboard_empty_history(snap_compare, pack_context):
    assert snap_compare(TrainerApp(pack_context), terminal_size=(80, 24))


def test_browser_filtered(snap_compare, seeded_context):
    async def run_before(pilot):
        await pilot.press("b")
        await pilot.pause()
        quiet_input(pilot)
        await pilot.press(*"linear")

    assert snap_compare(TrainerApp(seeded_context), run_before=run_before)


def test_browser_all(snap_compare, seeded_context):
    async def run_before(pilot):
        await pilot.press("b")
        await pilot.pause()
        quiet_input(pilot)
        await pilot.press("down")

    assert snap_compare(TrainerApp(seeded_context), run_before=run_before)


def test_detail_with_a_hint(snap_compare, seeded_context):
    async def run_before(pilot):
        pilot.app.open_challenge("logreg")
        await pilot.pause()

    assert snap_compare(TrainerApp(seeded_context), run_before=run_before)


def test_results_failed(snap_compare, seeded_context):
    async def run_before(pilot):
        app = pilot.app
        app.show_report(app.context.catalog.get("logreg"), failing_report())
        await pilot.pause()

    assert snap_compare(TrainerApp(seeded_context), run_before=run_before)


def test_compare(snap_compare, seeded_context):
    async def run_before(pilot):
        app = pilot.app
        challenge = app.context.catalog.get("softmax")
        path = app.context.solution_path(challenge)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "import numpy as np\n\n\ndef softmax(z, axis=-1):\n"
            "    e = np.exp(z)\n    return e / e.sum(axis=axis, keepdims=True)\n"
        )
        app.open_compare(challenge)   # softmax is passed: no question asked
        await pilot.pause()

    assert snap_compare(TrainerApp(seeded_context), run_before=run_before)


def test_help(snap_compare, seeded_context):
    assert snap_compare(TrainerApp(seeded_context), press=["question_mark"])
