"""Print-debugging: what a solution printed during a test is kept, bounded and inert, and shown when it fails.

From the worker (its output file, kept across restarts and kills) through the
plugin (one test's share) to the report (`TestResult.output`) and every
format: under the failing test in the text report, the `output` field in
JSON, `<system-out>` in JUnit, a fenced block in Markdown. Hostile output
(escape sequences, CI workflow commands, XML and Markdown that try to end
their container, a flood) stays inert in each. The TUI's share is in
tests/tui/test_tui_printed_output.py.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import unicodedata
from xml.etree import ElementTree as ET

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from trainer import render
from trainer.report import OUTPUT_LIMIT, GradeReport, PrintedText, printed_output
from trainer.report import TestResult as _TestResult  # (a name pytest does not collect)
from trainer.sandbox.client import CandidateFailure, Worker
from trainer.sandbox.limits import Limits

from tests.helpers import make_report as make_stored_report

LEFT_OUT = re.compile(r"\.\.\. (\d+) characters left out \.\.\.\n")


def report_with(*tests: _TestResult, status: str = "failed") -> GradeReport:
    return GradeReport(challenge_id="toy", solution_path="/w/toy.py", source_sha256="0" * 64,
                       started_at="2026-03-01T10:00:00+00:00", duration_s=1.0, status=status, tests=list(tests))


def a_test(outcome: str, output: str, *, name: str = "", message: str = "", bonus: bool = False) -> _TestResult:
    return _TestResult(nodeid=f"graders/toy.py::test_{outcome}_{name}", name=name or f"A {outcome} test",
                       category="correctness", outcome=outcome, bonus=bonus, output=output,
                       message=message or ("" if outcome == "passed" else "expected 3, got 2"))


def runs_as_ci_command(line: str) -> bool:
    """The runners' rule, passing over what they pass over (as in tests/test_render_safety.py)."""
    seen = "".join(ch for ch in line if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Mn", "Me"))
    return seen.lstrip().startswith("::") or "##[" in seen or "##vso[" in seen.lower()


def printed_text(report: GradeReport) -> str:
    out = io.StringIO()
    render.print_text(report, Console(file=out, width=60))
    return out.getvalue()


def split_excerpt(text: str) -> tuple[str, int, str]:
    """(head, characters left out, tail) of a bounded text."""
    found = LEFT_OUT.search(text)
    return text[:found.start()], int(found.group(1)), text[found.end():]


# -- bounded: head and tail, with what was left out counted --------------------------------

def test_output_within_the_limit_is_kept_whole():
    text = "".join(f"step {i}: loss {1 / (i + 1):.4f}\n" for i in range(100))
    assert len(text) < OUTPUT_LIMIT
    assert PrintedText().add(text).text() == text
    assert printed_output(text) == text


def test_a_flood_keeps_its_first_and_last_lines_and_counts_the_rest():
    lines = [f"line {i}\n" for i in range(200_000)]   # 2.3 MB, in pieces as a worker's file is read
    printed = PrintedText()
    for start in range(0, len(lines), 1000):
        printed.add("".join(lines[start:start + 1000]))
    text = printed.text()
    head, left_out, tail = split_excerpt(text)
    whole = "".join(lines)
    assert len(text) <= OUTPUT_LIMIT
    assert whole.startswith(head) and whole.endswith(tail) and len(head) + left_out + len(tail) == len(whole)
    # Cut at line ends: no line is shown in part.
    assert head.startswith("line 0\n") and tail.endswith("line 199999\n")
    assert all(re.fullmatch(r"line \d+", line) for line in (head + tail).splitlines())
    # What was kept is all that is held: a flood costs no more than a page.
    assert len(printed.head) + len(printed.tail) <= OUTPUT_LIMIT


def test_a_single_line_flood_is_cut_inside_it():
    text = PrintedText().add("x" * (1 << 20)).text()
    head, left_out, tail = split_excerpt(text)
    assert head.rstrip("\n") == "x" * len(head.rstrip("\n")) and set(tail) == {"x"}
    assert len(head.rstrip("\n")) + left_out + len(tail) == 1 << 20 and len(text) <= OUTPUT_LIMIT


def test_bounding_twice_changes_nothing():
    """A report read back (the store, --import) keeps the output it was built with."""
    for text in ("short\n", "y\n" * 10_000, "z" * 100_000, "\x1b[31mred\x1b[0m\r50%\r100%\n" * 1000):
        once = printed_output(text)
        assert printed_output(once) == once
        assert _TestResult.from_dict(json.loads(json.dumps(a_test("failed", once).__dict__ | {
            "measurements": []}))).output == once


# -- inert: what would act on a terminal or a document is gone ------------------------------

def test_escape_sequences_go_whole():
    text = ("\x1b[1;31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x1b\\ \x1b]0;title\x07"
            "\x9b2J C1 \x1b(B\x1b7saved\x1b8 \x1b]2;no end\nnext line")
    assert printed_output(text) == "red link  C1 Bsaved \nnext line"


def test_a_carriage_return_rewrites_the_line_as_a_terminal_shows_it():
    assert printed_output(" 10%|#\r 50%|#####\r100%|##########|\n") == "100%|##########|\n"
    assert printed_output("abcdef\rXY\n") == "XYcdef\n"
    assert printed_output("windows\r\nline\r\n") == "windows\nline\n"


def test_control_characters_and_bidirectional_overrides_are_removed():
    assert printed_output("a\x00b\x07c\x08d\x7fe\x85f\u202eg\u2066h\ud800i\tj\n") == "abcdefghi\tj\n"


# -- the report: the field, old reports, strict reading -------------------------------------

def test_a_report_from_before_the_field_loads_with_no_output():
    data = make_stored_report("kmeans", passed=False, ratio=1.5).to_dict()
    for test in data["tests"]:
        del test["output"]
    report = GradeReport.from_dict(data)
    assert [t.output for t in report.tests] == ["", "", ""]


def test_a_report_stored_before_the_field_is_read_back_from_the_progress_database(tmp_path):
    from trainer.store import Store

    path = tmp_path / "progress.db"
    with Store.open(path) as store:
        grade_id = store.record_grade(make_stored_report("kmeans", passed=False, ratio=None), "# kmeans\n")
    old = make_stored_report("kmeans", passed=False, ratio=None).to_dict()
    for test in old["tests"]:
        del test["output"]
    with sqlite3.connect(path) as db:
        db.execute("UPDATE grades SET report_json = ? WHERE id = ?", (json.dumps(old), grade_id))
    with Store.open(path) as store:
        report = GradeReport.from_dict(store.grade_report(grade_id))
    assert report.tests[0].outcome == "failed" and report.tests[0].output == ""


@pytest.mark.parametrize("output", [None, 3, ["a"], {"text": "a"}, b"bytes"])
def test_reading_a_test_refuses_output_that_is_not_a_string(output):
    data = a_test("failed", "").__dict__ | {"measurements": [], "output": output}
    with pytest.raises(TypeError, match="output must be a string"):
        _TestResult.from_dict(data)


def test_json_keeps_every_tests_output():
    report = report_with(a_test("failed", "in the failing test\n"), a_test("passed", "in the passing test\n"))
    tests = json.loads(render.to_json(report))["tests"]
    assert [t["output"] for t in tests] == ["in the failing test\n", "in the passing test\n"]
    assert GradeReport.from_dict(json.loads(render.to_json(report))).tests == report.tests


# -- shown under the failing test -----------------------------------------------------------

def test_the_text_report_shows_output_under_the_failing_test_only():
    report = report_with(a_test("failed", "shape (2, 3)\n  indented\n\nafter a blank line\n", name="Fails"),
                         a_test("passed", "SHOULD NOT SHOW\n", name="Passes"),
                         a_test("error", "", name="Errs", message="the grading harness failed"))
    lines = printed_text(report).splitlines()
    at = lines.index("  ✗ Fails")
    assert lines[at + 1:at + 7] == ["      expected 3, got 2", "      It printed:", "        shape (2, 3)",
                                    "          indented", "        ", "        after a blank line"]
    assert "SHOULD NOT SHOW" not in "\n".join(lines)
    assert lines.count("      It printed:") == 1   # nothing for a test that printed nothing


def test_junit_puts_a_failing_tests_output_in_its_system_out():
    report = report_with(a_test("failed", "in the failing test\n", name="Fails"),
                         a_test("failed", "in the bonus test\n", name="Bonus", bonus=True),
                         a_test("error", "in the erroring test\n", name="Errs"),
                         a_test("passed", "in the passing test\n", name="Passes"))
    cases = {case.get("name"): case for case in ET.fromstring(render.to_junit(report)).iter("testcase")}
    assert cases["Fails"].find("system-out").text == "in the failing test\n"
    assert cases["Bonus (bonus)"].find("system-out").text == "in the bonus test\n"
    assert cases["Errs"].find("system-out").text == "in the erroring test\n"
    assert cases["Passes"].find("system-out") is None


def markdown_tokens(text: str) -> list:
    tokens = []
    for token in MarkdownIt("commonmark").enable("table").parse(text):
        tokens.append(token)
        tokens.extend(token.children or [])
    return tokens


def test_markdown_shows_a_failing_tests_output_as_a_code_block_in_its_item():
    report = report_with(a_test("failed", "loss went up\n  at step 3\n", name="Fails"),
                         a_test("passed", "SHOULD NOT SHOW\n", name="Passes"))
    text = render.to_markdown(report)
    tokens = markdown_tokens(text)
    fences = [t for t in tokens if t.type == "fence"]
    assert [f.content for f in fences] == ["loss went up\n  at step 3\n"]
    types = [t.type for t in tokens if t.level == 0 or t.type.startswith(("list_item", "fence"))]
    assert types.index("list_item_open") < types.index("fence") < types.index("list_item_close")
    assert "SHOULD NOT SHOW" not in text


# -- hostile output: bounded and inert in every format --------------------------------------

HOSTILE_OUTPUT = (
    "\x1b[2J\x1b[32mPASSED\x1b[0m \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x9b31m \u202eexe.txt\n"
    "::error file=x.py::forged annotation\n"
    "   ::add-mask::secret\n"
    "##vso[task.complete result=Succeeded;]done\n"
    "</system-out></testcase><testcase name=\"fake\"/>]]><![CDATA[\n"
    "```\n~~~\n````````\n"
    "# a heading\n- a list item\n| a | table |\n|---|---|\n"
    "not indented: the end of the list item\n"
    "[a link](https://evil.example) ![image](https://evil.example/i.png) <img src=x onerror=alert(1)> "
    "<details><summary>x</summary> @everyone *emphasis*\n"
)
FLOOD = HOSTILE_OUTPUT + "x" * (1 << 20) + "\n" + HOSTILE_OUTPUT


@pytest.fixture(params=["hostile", "hostile flood"])
def hostile_report(request) -> GradeReport:
    output = HOSTILE_OUTPUT if request.param == "hostile" else FLOOD
    return report_with(a_test("failed", output, name="Fails"), a_test("passed", output, name="Passes"))


def test_hostile_output_is_bounded_and_inert_in_the_report(hostile_report):
    output = hostile_report.tests[0].output
    assert len(output) <= OUTPUT_LIMIT
    assert "\x1b" not in output and "\x9b" not in output and "\u202e" not in output and "\x07" not in output
    assert output.startswith("PASSED click  exe.txt\n::error file=x.py::forged annotation\n")


def test_hostile_output_prints_no_ci_command_and_no_escape_in_the_text_report(hostile_report):
    out = io.StringIO()
    render.print_text(hostile_report, Console(file=out, width=60, force_terminal=True, color_system="truecolor"))
    text = out.getvalue()
    plain = re.sub("\x1b\\[[0-9;]*m", "", text)   # rich's own colours, which a terminal report has
    assert "\x1b]" not in text and "\x9b" not in text and "\u202e" not in text
    assert not [line for line in plain.splitlines() if runs_as_ci_command(line)]
    assert "forged annotation" in plain and "<img src=x onerror=alert(1)>" in plain   # shown, as text
    assert len(plain) < 2 * OUTPUT_LIMIT


def test_hostile_output_keeps_junit_well_formed_and_its_data_unchanged(hostile_report):
    xml = render.to_junit(hostile_report)
    assert not [line for line in xml.splitlines() if runs_as_ci_command(line)]
    root = ET.fromstring(xml.encode("utf-8"))
    assert [case.get("name") for case in root.iter("testcase")] == ["Fails", "Passes"]
    assert root.find(".//system-out").text == hostile_report.tests[0].output


def test_hostile_output_cannot_leave_its_markdown_code_block(hostile_report):
    text = render.to_markdown(hostile_report)
    assert not [line for line in text.splitlines() if runs_as_ci_command(line)]
    tokens = markdown_tokens(text)
    [fence] = [t for t in tokens if t.type == "fence"]
    assert fence.content == render.neutralise_ci_commands(hostile_report.tests[0].output.strip("\n")) + "\n"
    assert not [t.type for t in tokens if t.type in ("html_block", "html_inline", "link_open", "image",
                                                     "em_open", "code_block")]
    assert [t.type for t in tokens].count("table_open") == 1      # the summary
    assert [t.type for t in tokens].count("heading_open") == 1     # the report's own
    assert [t.type for t in tokens].count("bullet_list_open") == 1
    # Nothing after the block but the end of the item and the list.
    after = [t.type for t in tokens[tokens.index(fence) + 1:]]
    assert after == ["list_item_close", "bullet_list_close"]


def test_hostile_output_in_json_is_the_data_with_no_ci_command(hostile_report):
    text = render.to_json(hostile_report)
    assert not [line for line in text.splitlines() if runs_as_ci_command(line)]
    assert [t["output"] for t in json.loads(text)["tests"]] == [t.output for t in hostile_report.tests]


def test_a_code_block_fence_is_longer_than_any_backtick_run():
    lines = render.code_block("a\n" + "`" * 7 + "\nb", indent="  ")
    assert lines[0] == lines[-1] == "  " + "`" * 8
    assert render.code_block("plain") == ["```", "plain", "```"]


# -- the worker keeps what it printed across restarts and kills ---------------------------

PRINTS = '''
import sys, time

print("imported")


def say(text):
    print(text)
    return text


def complain(text):
    print(text, file=sys.stderr)


def say_then_hang(text):
    print(text, flush=True)
    while True:
        time.sleep(0.01)


def say_then_run_out_of_memory(text):
    print(text)
    raise MemoryError


def flood(lines):
    for i in range(lines):
        print(f"line {i}")
'''


@pytest.fixture
def worker(tmp_path):
    path = tmp_path / "prints.py"
    path.write_text(PRINTS)
    with Worker(path, Limits(call_timeout=1)) as made:
        yield made


def test_output_is_read_once(worker):
    worker.call("say", ("one",))
    assert worker.output_excerpt() == "imported\none\n"
    assert worker.output_excerpt() == ""


def test_stderr_is_output_too(worker):
    worker.call("complain", ("on stderr",))
    assert worker.output_excerpt() == "imported\non stderr\n"


def test_output_of_a_restarted_worker_is_kept_until_read(worker):
    """A budget restarts workers in the middle of a test: what the one before printed is not lost."""
    worker.call("say", ("before the restart",))
    worker.start()
    worker.call("say", ("after it",))
    worker.stop()
    assert worker.output_excerpt() == "imported\nbefore the restart\nimported\nafter it\n"


def test_output_before_a_timeout_goes_with_the_failure(worker):
    with pytest.raises(CandidateFailure, match="timed out") as failure:
        worker.call("say_then_hang", ("still here",))
    assert failure.value.output == "imported\nstill here\n"
    assert worker.output_excerpt() == ""


def test_output_before_running_out_of_memory_goes_with_the_failure(worker):
    # The worker is stopped before its output is read: the output must outlive its folder.
    with pytest.raises(CandidateFailure, match="memory") as failure:
        worker.call("say_then_run_out_of_memory", ("allocating",))
    assert failure.value.output == "imported\nallocating\n"


def test_a_flood_from_a_worker_is_bounded(worker):
    # Line-buffered (a hang's prints must reach the file before it is killed): 300 000 writes.
    worker.call("flood", (300_000,), timeout=60)
    head, left_out, tail = split_excerpt(worker.output_excerpt())
    assert head.startswith("imported\nline 0\n") and tail.endswith("line 299999\n")
    assert len(head) + left_out + len(tail) == len("imported\n") + sum(len(f"line {i}\n") for i in range(300_000))


# -- graded by the real engine ----------------------------------------------------------------

# row_sums keeps an int input's dtype (test_integer_input fails); everything prints.
PRINTING_SOLUTION = '''
import sys
import numpy as np

print("imported")


def row_sums(X):
    X = np.asarray(X)
    print("row_sums got", X.shape, X.dtype, file=sys.stderr)
    return X.sum(axis=1)


def scale(X, c):
    print("scale got", c)
    return c * np.asarray(X, dtype=np.float64)


def bonus_norm(x):
    return float(np.sqrt(np.dot(x, x)))
'''


def test_a_grading_keeps_what_each_test_printed(toy, tmp_path):
    """Fast: two tests of the toy challenge, one failing, one passing."""
    from trainer.engine import grade

    path = tmp_path / "toy.py"
    path.write_text(PRINTING_SOLUTION)
    report = grade(toy, path, keyword="integer_input or does_not_mutate")
    tests = {t.nodeid.split("::")[-1]: t for t in report.tests}
    failing, passing = tests["test_integer_input"], tests["test_scale_does_not_mutate"]
    assert failing.outcome == "failed" and passing.outcome == "passed"
    assert failing.output == "imported\nrow_sums got (2, 3) int64\n"
    assert passing.output == "imported\nscale got 2.0\n"
    assert "printed" not in failing.message and "row_sums got" not in failing.message
    lines = printed_text(report).splitlines()
    at = lines.index("      It printed:")
    assert lines[at + 1:at + 3] == ["        imported", "        row_sums got (2, 3) int64"]
    assert "scale got 2.0" not in "\n".join(lines)


@pytest.mark.slow
def test_every_format_shows_the_failing_tests_output(toy, tmp_path):
    from trainer.engine import grade

    path = tmp_path / "toy.py"
    path.write_text(PRINTING_SOLUTION)
    report = grade(toy, path)
    failing = [t for t in report.tests if t.outcome == "failed"]
    assert [t.nodeid.split("::")[-1] for t in failing] == ["test_integer_input"]
    assert "row_sums got (2, 3) int64" in failing[0].output
    # JSON: every test's output, the passing ones' too.
    tests = {t["nodeid"].split("::")[-1]: t for t in json.loads(render.to_json(report))["tests"]}
    assert "row_sums got (20, 5) float64" in tests["test_row_sums"]["output"]
    assert "scale got 2.0" in tests["test_scale_does_not_mutate"]["output"]
    # JUnit: the failing case's system-out.
    case = [c for c in ET.fromstring(render.to_junit(report)).iter("testcase")
            if c.find("failure") is not None]
    assert [c.find("system-out").text for c in case] == [failing[0].output]
    # Markdown: a fenced block under the failure.
    fences = [t.content for t in markdown_tokens(render.to_markdown(report)) if t.type == "fence"]
    assert fences == [failing[0].output]
    # Text: under the failing test only.
    text = printed_text(report)
    assert text.count("It printed:") == 1 and "        row_sums got (2, 3) int64" in text.splitlines()


@pytest.mark.slow
def test_output_survives_the_budgets_restarts(toy, tmp_path):
    """The timed test restarts both workers: what the first one printed (its import) is still there."""
    from trainer.engine import grade

    path = tmp_path / "toy.py"
    path.write_text(PRINTING_SOLUTION.replace("return X.sum(axis=1)", "return X.sum(axis=1, dtype=np.float64)"))
    report = grade(toy, path, keyword="speed")
    (timed,) = report.tests
    assert timed.outcome == "passed", timed.message
    assert timed.output.count("imported") >= 2 and "row_sums got (400, 2000) float64" in timed.output


CRASHES = '''
import os
import numpy as np


def row_sums(X):
    print("about to crash", flush=True)
    os._exit(3)


def scale(X, c):
    # One write, not 200 000 prints: a tenth of the CPU time, far inside
    # the call's 1 s even on a loaded machine.
    print("\\n".join(f"\\x1b[31mline {i}\\x1b[0m ::error::{i}" for i in range(200_000)))
    return c * np.asarray(X, dtype=np.float64) + 1


def bonus_norm(x):
    return 5.0
'''


@pytest.mark.slow
def test_output_of_a_crash_and_of_a_flood_is_kept_bounded_and_inert(toy, tmp_path):
    from trainer.engine import grade

    path = tmp_path / "toy.py"
    path.write_text(CRASHES)
    report = grade(toy, path, keyword="row_sums or does_not_mutate")
    tests = {t.nodeid.split("::")[-1]: t for t in report.tests}
    crashed, flooded = tests["test_row_sums"], tests["test_scale_does_not_mutate"]
    assert "exited with status 3" in crashed.message and "about to crash" not in crashed.message
    assert crashed.output == "about to crash\n"
    assert flooded.outcome == "failed" and len(flooded.output) <= OUTPUT_LIMIT
    head, left_out, tail = split_excerpt(flooded.output)
    assert head.startswith("line 0 ::error::0\n") and tail.endswith("line 199999 ::error::199999\n")
    assert left_out > 4_000_000
    text = printed_text(report)
    assert "\x1b" not in text and not [line for line in text.splitlines() if runs_as_ci_command(line)]
    assert "characters left out" in text
