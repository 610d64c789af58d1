"""The results screen shows what a failing test's solution printed, as text, under the test.

Reports are built directly (no grading run) and shown by the real app, driven
by its Pilot; what the widgets draw is read back.
"""

from __future__ import annotations

from trainer.report import GradeReport
from trainer.report import TestResult as _TestResult  # (a name pytest does not collect)
from trainer.tui.app import TrainerApp
from trainer.tui.screens.results import ResultsScreen

MARKUP = "[b]bold [@click=app.quit]quit"


def report_with_output() -> GradeReport:
    tests = [
        _TestResult(nodeid="graders/softmax.py::test_rows", name="Rows sum to one", category="correctness",
                    outcome="failed", message="expected 1.0, got 0.5",
                    output=f"row sums: [0.5 0.5]\n\x1b[31m{MARKUP}\x1b[0m\n::error::x\n"),
        _TestResult(nodeid="graders/softmax.py::test_shape", name="Keeps the shape", category="correctness",
                    outcome="passed", output="a passing test's output\n"),
    ]
    return GradeReport(challenge_id="softmax", solution_path="/w/softmax.py", source_sha256="0" * 64,
                       started_at="2026-03-10T12:00:00+00:00", duration_s=1.0, status="failed", tests=tests)


def shown(screen, selector: str) -> list[str]:
    return [str(widget.render()) for widget in screen.query(selector)]


async def test_results_show_a_failing_tests_output_under_it(pack_context):
    app = TrainerApp(pack_context)
    async with app.run_test() as pilot:
        app.show_report(pack_context.catalog.get("softmax"), report_with_output())
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        texts = shown(app.screen, "#results-body Static")
        at = texts.index("✗ Rows sum to one  · correctness")   # failures come first, with their category
        assert texts[at + 1:at + 4] == ["expected 1.0, got 0.5", "It printed:",
                                        f"row sums: [0.5 0.5]\n{MARKUP}\n::error::x"]
        assert shown(app.screen, ".test-output") == [f"row sums: [0.5 0.5]\n{MARKUP}\n::error::x"]
        assert not [text for text in texts if "a passing test's output" in text]
        assert app.is_running   # the markup's [@click=app.quit] did nothing
