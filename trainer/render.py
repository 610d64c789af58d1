"""Renderers of a GradeReport: text (rich), JSON, JUnit XML, Markdown.

Renderers only read the report; they never compute a grade.

Much of a report is the candidate's text: messages, exception type names,
printed output, the file's path. Study groups grade each other's files in
CI, so every renderer keeps that text inert in its own format:

- text (`print_text`): rich `Text`, never read as markup or emoji codes;
- JUnit (`to_junit`): only characters XML 1.0 can hold, escaped by ElementTree;
- Markdown (`to_markdown`): candidate text only inside code spans (`code_span`)
  and, for what a solution printed, fenced code blocks (`code_block`);
- and every format: no line that a CI runner would run as a workflow command
  (`neutralise_ci_commands`), since any of them may be printed to a CI log.

`trainer.report.inert` removed control characters when the report was built;
the renderers apply it again, so a report changed after it was built cannot
bring them back.
"""

from __future__ import annotations

import json
import re
import unicodedata
from xml.etree import ElementTree as ET

from trainer.report import CATEGORY_TITLES, GradeReport, TestResult, inert

STATUS_TEXT = {
    "passed": "PASSED",
    "failed": "FAILED",
    "rejected": "REJECTED before running",
    "error": "ERROR",
}
OUTCOME_MARK = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "-"}


def headline(report: GradeReport) -> str:
    counts = report.counts()
    if report.status == "rejected":
        n = len(report.static_issues)
        return f"{STATUS_TEXT['rejected']}: {n} problem{'s' if n != 1 else ''} in the file"
    text = f"{STATUS_TEXT.get(report.status, report.status.upper())}: {counts['passed']}/{counts['total']} tests passed"
    if counts["skipped"]:
        text += f" ({counts['skipped']} not run)"
    if counts["bonus_total"]:
        text += f", bonus {counts['bonus_passed']}/{counts['bonus_total']}"
    # A speed figure only for a solution that passed everything else: the
    # performance tests do not run otherwise (grading/schedule.py).
    if report.speed_ratio is not None:
        text += f"; speed {report.speed_ratio:.1f}x the reference's time"
    if report.selection:
        text += f"; partial run ({report.selection})"
    return text


def _error_key(message: str) -> str:
    """What two failures share when one error broke both: the exception and the line that raised it.

    Not the call that led there, nor the outer frames of the traceback: a
    helper that raises fails every function that calls it.
    """
    first = message.strip().partition("\n")[0]
    return first.partition(" raised ")[2] if " raised " in first else message


def test_function(test) -> str:
    """The grader's name of a test (what `-k` matches), without its parameters."""
    return test.nodeid.split("::")[-1].split("[")[0]


def isolation_text(report: GradeReport) -> str:
    """What confined the candidate's code, in words (reports from before the field say so)."""
    return report.isolation or "not recorded"


def to_json(report: GradeReport | list[GradeReport]) -> str:
    data = {"reports": [r.to_dict() for r in report]} if isinstance(report, list) else report.to_dict()
    text = json.dumps(data, indent=2)  # ASCII only: every other character is written \uXXXX
    # What makes a CI command (a `:` that starts a line, a `#`) can only be
    # inside a string here, which may spell it \uXXXX: the data stays the same.
    return _rewrite(text, _command_triggers(text), lambda ch: f"\\u{ord(ch):04x}")


# ---------------------------------------------------------------- JUnit XML

# Everything outside XML 1.0's Char production: a document cannot hold these
# even as character references, so a parser would reject the whole report.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", inert(str(text)))


def to_junit(reports: GradeReport | list[GradeReport]) -> str:
    """One <testsuite> per report; its counts are counted from the elements written."""
    reports = reports if isinstance(reports, list) else [reports]
    suites = ET.Element("testsuites", name="mltrainer")
    for report in reports:
        suites.append(_junit_suite(report))
    ET.indent(suites)
    text = ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
    # A `:` or `#` is only ever content here, which a character reference
    # spells as well: the data stays the same.
    return _rewrite(text, _command_triggers(text), lambda ch: f"&#{ord(ch)};")


def _junit_suite(report: GradeReport) -> ET.Element:
    challenge = _xml(report.challenge_id)
    suite = ET.Element("testsuite", name=challenge)
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="solution", value=_xml(report.solution_path))
    ET.SubElement(properties, "property", name="isolation", value=_xml(report.isolation))
    if report.status == "rejected":
        case = ET.SubElement(suite, "testcase", classname=challenge, name="static checks")
        ET.SubElement(case, "failure", message="the file was rejected before running").text = "\n".join(
            _xml(f"{i.location()}: {i.message}") for i in report.static_issues)
    if report.status == "error":
        # The run did not complete: even when some tests ran, CI must not read it as passed.
        case = ET.SubElement(suite, "testcase", classname=challenge, name="grading")
        ET.SubElement(case, "error", message="grading could not complete").text = _xml(report.error)
    for test in report.tests:
        name = _xml(test.name) + (" (bonus)" if test.bonus else "")
        case = ET.SubElement(suite, "testcase", classname=f"{challenge}.{_xml(test.category)}",
                             name=name, time=f"{test.duration_s:.3f}")
        message = _xml(test.message)
        details = "\n".join([message, *(_xml(m.summary()) for m in test.measurements)]).strip()
        if test.outcome == "failed":
            # A failed bonus test is reported but does not fail the suite.
            tag = "skipped" if test.bonus else "failure"
            ET.SubElement(case, tag, message=message.splitlines()[0] if message else "failed").text = details
        elif test.outcome == "error":
            ET.SubElement(case, "error", message="grading harness error").text = details
        elif test.outcome == "skipped":
            ET.SubElement(case, "skipped", message=message or "skipped")
        elif details:
            ET.SubElement(case, "system-out").text = details
        if shows_output(test):
            # What the solution printed, as it printed it: JUnit's place for a test's stdout.
            ET.SubElement(case, "system-out").text = _xml(test.output)
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        suite.set(attribute, str(sum(case.find(tag) is not None for case in cases)))
    suite.set("time", f"{report.duration_s:.3f}")
    suite.set("timestamp", _xml(report.started_at))
    return suite


# ----------------------------------------------------------------- Markdown

# Every line break a Markdown renderer (or anything after it) might honour.
_LINE_BREAKS = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")
_BACKTICK_RUN = re.compile("`+")


def code_span(text: str, *, in_table: bool = False) -> str:
    """`text` as one inline code span, which GitHub-flavoured Markdown shows literally.

    Nothing inside a code span is markup: no link, image, HTML tag, emphasis,
    emoji code or @mention. The span holds any text because:

    - line breaks become one space: a span must stay on its line, where a
      line break could end a table row or start a heading;
    - its fence is one backtick longer than the longest run of backticks in
      the text, so no run inside can close it;
    - a space pads both ends when the text starts or ends with a backtick
      (which would otherwise lengthen the fence) or starts and ends with a
      space (CommonMark strips one from each end of such a span);
    - in a table cell (``in_table``) each ``|`` is written ``\\|``: GFM splits
      a row into cells before it reads code spans, then drops that backslash.
    """
    text = _LINE_BREAKS.sub(" ", inert(str(text))) or " "
    fence = "`" * (max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0) + 1)
    if text[0] == "`" or text[-1] == "`" or (text[0] == text[-1] == " " and text.strip(" ")):
        text = f" {text} "
    if in_table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def code_block(text: str, *, indent: str = "") -> list[str]:
    """`text` as the lines of a fenced code block, which Markdown shows literally, line by line.

    Nothing inside a fenced block is markup, and nothing can end it early:

    - its fence is a run of backticks longer than any in the text (three at
      least), so no line of the text can close it;
    - every line, blank ones too, starts with `indent`, the indentation of
      the list item it belongs to: a line indented less would end the item,
      and the block with it;
    - the only line breaks left are newlines (`inert` removed the carriage
      returns, form feeds and the rest that a Markdown reader could take
      for one).
    """
    text = inert(str(text)).strip("\n")
    fence = "`" * max(3, max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0) + 1)
    return [indent + fence, *(indent + line for line in text.split("\n")), indent + fence]


def shows_output(test: TestResult) -> bool:
    """Whether a test's output is shown beside it: when it did not pass (JSON always keeps it)."""
    return test.outcome in ("failed", "error") and bool(test.output.strip())


def to_markdown(reports: GradeReport | list[GradeReport]) -> str:
    """A summary table, then the first line of each failure: for a CI job's summary page.

    Every string that is not mltrainer's own (the path, static issues, the
    error, test messages) is a code span; so are test names and categories,
    which hold `*`, `_`, `<` and `[...]` that Markdown would read as markup,
    and the isolation, which quotes the kernel. What a failing test's
    solution printed follows it as a fenced code block (`code_block`).
    """
    reports = reports if isinstance(reports, list) else [reports]
    lines = ["| challenge | solution | result | tests | speed vs reference | isolation |",
             "|---|---|---|---|---|---|"]
    for r in reports:
        counts = r.counts()
        speed = f"{r.speed_ratio:.1f}x" if r.speed_ratio is not None else "–"
        tests = f"{counts['passed']}/{counts['total']}" if r.tests else "–"
        isolation = code_span(r.isolation, in_table=True) if r.isolation else isolation_text(r)
        lines.append(f"| {r.challenge_id} | {code_span(r.solution_path, in_table=True)} "
                     f"| {STATUS_TEXT.get(r.status, r.status)} | {tests} | {speed} | {isolation} |")
    for r in reports:
        failing = [t for t in r.tests if t.outcome in ("failed", "error")]
        if not failing and r.status != "rejected" and not r.error.strip():
            continue
        lines += ["", f"### {r.challenge_id}: {headline(r)}", ""]
        for issue in r.static_issues:
            lines.append(f"- {code_span(issue.location())}: {code_span(issue.message)}")
        if r.error.strip():
            lines.append(f"- {code_span(r.error.strip().splitlines()[0])}")
        for t in failing:
            title = CATEGORY_TITLES.get(t.category) or code_span(t.category)
            first = code_span(t.message.strip().splitlines()[0]) if t.message.strip() else t.outcome
            lines.append(f"- **{title}{' (bonus)' if t.bonus else ''}**: {code_span(t.name)}: {first}")
            if shows_output(t):
                lines += ["", "  It printed:", "", *code_block(t.output, indent="  ")]
    # Code spans cannot hold character references: a visible mark it is.
    return neutralise_ci_commands("\n".join(lines) + "\n")


# ------------------------------------------------------------- CI commands

CI_COMMAND_MARK = "·"

# The first "#" of "##[" or "##vso[" (any case).
_DOUBLE_HASH = re.compile(r"#(?=#(?:vso)?\[)", re.IGNORECASE)


def _skipped_by_runners(ch: str) -> bool:
    # The runners compare strings culture-aware (.NET's default), which
    # passes over controls, format characters (soft hyphen, zero-width
    # space, BOM) and combining marks: to them "\u00ad::error::" starts with "::".
    return not ch.isspace() and unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co", "Cs", "Me", "Mn")


def _command_triggers(text: str) -> list[int]:
    """Offsets of the characters that make a line of `text` a CI command: the
    first `:` of a leading `::`, the second `#` of `##[` or `##vso[`."""
    if ":" not in text and "#" not in text:
        return []
    triggers: set[int] = set()
    start = 0
    # splitlines: every line boundary any log reader might honour.
    for line in text.splitlines(keepends=True):
        kept = [start + i for i, ch in enumerate(line) if not _skipped_by_runners(ch)]
        seen = "".join(text[i] for i in kept)
        indent = len(seen) - len(seen.lstrip())
        if seen.startswith("::", indent):
            triggers.add(kept[indent])
        triggers.update(kept[m.start() + 1] for m in _DOUBLE_HASH.finditer(seen))
        start += len(line)
    return sorted(triggers)


def _rewrite(text, offsets: list[int], replace):
    """`text` (a str or a rich Text) with the character at each offset replaced by `replace(char)`."""
    if not offsets:
        return text
    pieces, last = [], 0
    for at in offsets:
        pieces += [text[last:at], replace(text[at])]
        last = at + 1
    return text[:0].join([*pieces, text[last:]])


def neutralise_ci_commands(text: str) -> str:
    """`text` with no line that a CI runner would take as a command, still readable.

    What the runners take as a command (read in their sources):

    - GitHub Actions (actions/runner, `ActionCommand.TryParseV2`): a line
      that starts with `::` once its leading whitespace is trimmed
      (`::error::`, `::add-mask::`, `::stop-commands::`...); and, tried next
      (`ActionCommand.TryParse`), `##[` anywhere in a line.
    - Azure Pipelines (azure-pipelines-agent, `Command.TryParse`): `##vso[`
      anywhere in a line; its log viewer also formats `##[group]`,
      `##[error]`... lines.

    Both compare culture-aware, passing over characters such as a soft hyphen
    or a zero-width space, so those are passed over here too, and any line
    boundary counts. A visible mark goes before the first `:` of such a `::`
    (after the indentation) and before the second `#`: `::error::x` becomes
    `·::error::x`, `##vso[` becomes `#·#vso[`. JSON and JUnit spell that
    character as an escape instead, which keeps their data unchanged.
    """
    return _rewrite(text, _command_triggers(text), lambda ch: CI_COMMAND_MARK + ch)


# ---------------------------------------------------------------------- text


def _print_line(console, *parts: str | tuple[str, str]) -> None:
    """Print one line of plain strings and (string, style) pairs, inert for terminals and CI logs.

    A rich Text is never read as markup or emoji codes. It is printed without
    wrapping, so the log holds exactly the lines that were neutralised (a
    wrapped line could start with a `::` that was mid-line).
    """
    from rich.text import Text

    text = Text.assemble(*(inert(p) if isinstance(p, str) else (inert(p[0]), p[1]) for p in parts))
    text = _rewrite(text, _command_triggers(text.plain), lambda ch: Text(CI_COMMAND_MARK) + ch)
    console.print(text, soft_wrap=True, markup=False, emoji=False, highlight=False)


def print_text(report: GradeReport, console, *, verbose: bool = False) -> None:
    """The human report: grouped by category, failures explained, timings shown.

    Every line goes through `_print_line`: candidate text is never markup,
    never an emoji code, and never a CI command.
    """
    def line(*parts: str | tuple[str, str]) -> None:
        _print_line(console, *parts)

    style = {"passed": "green", "failed": "red", "error": "magenta", "rejected": "red"}.get(report.status, "")
    line((report.challenge_id, "bold"), " · ", report.solution_path)
    line((headline(report), f"bold {style}".strip()))
    if report.static_issues:
        console.print()
        for issue in report.static_issues:
            line("  ", (issue.location(), "red"), ": ", issue.message)
        console.print()
        line("Nothing was run. Fix these and grade again.")
    if report.error:
        console.print()
        line((report.error, "magenta"))
    repeated: dict[str, list] = {}
    for test in report.tests:
        if test.outcome in ("failed", "error") and "\n" in test.message.strip():
            repeated.setdefault(_error_key(test.message), []).append(test)
    for category, tests in report.by_category().items():
        console.print()
        line((CATEGORY_TITLES.get(category, category), "bold"))
        for test in tests:
            colour = {"passed": "green", "failed": "red" if not test.bonus else "yellow",
                      "error": "magenta", "skipped": "dim"}.get(test.outcome, "")
            line("  ", (OUTCOME_MARK.get(test.outcome, "?"), colour), " ", test.name,
                 (" (bonus)" if test.bonus else "", "dim"))
            if test.outcome != "passed" and test.message:
                lines = test.message.rstrip().splitlines()
                same = repeated.get(_error_key(test.message), [])
                if len(same) > 1 and same[0] is not test:
                    # The traceback was shown under the first test with this error.
                    line("      ", lines[0])
                    line("      ", (f"(the same error as in \"{same[0].name}\")", "dim"))
                else:
                    for text in lines:
                        line("      ", text)
                    if len(same) > 1:
                        line("      ", (f"The same error in {len(same)} tests: fix it once.", "bold"))
            for m in test.measurements:
                if test.outcome == "passed" or not test.message.startswith(m.label):
                    line("      ", (f"{m.label}: {m.summary()}", "dim"))
            if shows_output(test):
                line("      ", ("It printed:", "dim"))
                for text in test.output.strip("\n").split("\n"):
                    line("        ", text)
    if any(t.bonus and not t.passed for t in report.tests) and report.status == "passed":
        console.print()
        line(("A bonus part is not done yet; it does not count against the challenge.", "yellow"))
    failing = [t for t in report.tests if t.outcome in ("failed", "error") and not t.bonus]
    if failing:
        console.print()
        line(("Run one test again: ", "dim"), (f"mltrainer grade {report.challenge_id} -k {test_function(failing[0])}",
                                               "bold"), ("   (--quick: everything but the speed tests)", "dim"))
    console.print()
    line((f"graded in {report.duration_s:.1f} s", "dim"))
    line((f"isolation: {isolation_text(report)}", "dim"))


__all__ = ["code_block", "code_span", "headline", "isolation_text", "neutralise_ci_commands", "print_text",
           "shows_output", "test_function", "to_json", "to_junit", "to_markdown"]
