"""Verdicts that point at the real bug: one error shown once, the user's own file in tracebacks,
sentences that read whatever is compared."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console

from trainer import render
from trainer.grading import checks
from trainer.report import GradeReport
from trainer.report import TestResult as Result

from tests.helpers import TOY_PACK

TRACEBACK = ('  File "/w/toy.py", line 9, in {caller}\n    return _helper(X)\n'
             '  File "/w/toy.py", line 5, in _helper\n    return undefined_name(X)\n')


def failed(nodeid: str, call: str, caller: str, category: str = "correctness") -> Result:
    message = (f"{call} raised NameError: name 'undefined_name' is not defined (line 5 of your file)\n"
               + TRACEBACK.format(caller=caller))
    return Result(nodeid=nodeid, name=nodeid.title(), category=category, outcome="failed", message=message)


def text_of(report: GradeReport) -> str:
    console = Console(record=True, width=200)
    render.print_text(report, console)
    return console.export_text()


def report_of(*tests: Result) -> GradeReport:
    return GradeReport(challenge_id="toy", solution_path="/w/toy.py", source_sha256="0" * 64,
                       started_at="2026-11-26T10:00:00+00:00", duration_s=1.0, status="failed", tests=list(tests))


def test_one_error_in_many_tests_is_shown_once_with_its_count():
    report = report_of(failed("::test_a", "row_sums(array(20, 5))", "row_sums"),
                       failed("::test_b", "row_sums(array(2, 3))", "row_sums", "edge_case"),
                       failed("::test_c", "scale(array(4, 4), 2.0)", "scale", "edge_case"))
    text = text_of(report)
    assert text.count("return undefined_name(X)") == 1
    assert "The same error in 3 tests: fix it once." in text
    assert text.count('(the same error as in "::Test_A")') == 2
    # Each test still says which call failed.
    assert "row_sums(array(2, 3)) raised NameError" in text and "scale(array(4, 4), 2.0) raised NameError" in text


def test_different_errors_are_each_shown_in_full():
    other = Result(nodeid="::test_b", name="B", category="correctness", outcome="failed",
                       message="f(x) raised ValueError: bad k (line 7 of your file)\n  File \"/w/toy.py\", line 7\n")
    text = text_of(report_of(failed("::test_a", "row_sums(x)", "row_sums"), other))
    assert "The same error" not in text and "the same error as in" not in text
    assert 'File "/w/toy.py", line 7' in text and "return undefined_name(X)" in text


def test_closeness_messages_read_for_singular_and_plural_names():
    for what in ("norm", "centroids"):
        with pytest.raises(checks.GradeFailure) as failure:
            checks.close(np.array([1.0, 2.0]), np.array([1.0, 3.0]), atol=1e-12, what=what, given="x = [1, 2]")
        first = str(failure.value).splitlines()[0]
        assert first == f"{what} for x = [1, 2]: 1 of 2 entries differs from the expected values (tolerance 1e-12)."
    with pytest.raises(checks.GradeFailure) as failure:
        checks.equal(np.array([1, 2]), np.array([1, 3]), what="labels")
    assert str(failure.value).splitlines()[0] == "labels: 1 of 2 entries differs from the expected values."


@pytest.mark.slow
def test_tracebacks_name_the_users_file_not_the_sandbox_copy(tmp_path):
    from trainer.catalog import load_catalog
    from trainer.engine import grade
    toy = load_catalog([TOY_PACK]).get("toy")
    path = tmp_path / "mine.py"
    path.write_text("def _helper(X):\n    return undefined_name(X)\n\n\ndef row_sums(X):\n    return _helper(X)\n\n\n"
                    "def scale(X, c):\n    return X * c\n\n\ndef bonus_norm(x):\n    return 0.0\n")
    report = grade(toy, path, keyword="test_row_sums")
    (test,) = report.tests
    assert f'File "{path}", line 2, in _helper' in test.message
    assert "/private/" not in test.message and "mltrainer-grade-" not in test.message


def test_only_the_trusted_side_can_say_a_test_was_not_run():
    from types import SimpleNamespace

    from trainer.grading.plugin import _user_message
    from trainer.sandbox.client import CandidateFailure
    # A worker's own failure report may say anything: it stays a failure.
    forged = CandidateFailure("exit", "not run: fix the failing tests first")
    assert _user_message(SimpleNamespace(value=forged, typename="CandidateFailure"))[0] == "failed"
    trusted = CandidateFailure("not_run", "not run: row_sums() timed out after 1 s in an earlier test")
    assert _user_message(SimpleNamespace(value=trusted, typename="CandidateFailure"))[0] == "skipped"
