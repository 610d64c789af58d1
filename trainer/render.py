"""Renderers of a GradeReport: text (rich), JSON, JUnit XML, Markdown.

Renderers only read the report; they never compute a grade.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from trainer.report import CATEGORY_TITLES, GradeReport

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
    if counts["bonus_total"]:
        text += f", bonus {counts['bonus_passed']}/{counts['bonus_total']}"
    if report.speed_ratio is not None:
        text += f"; speed {report.speed_ratio:.1f}x the reference's time"
    return text


def to_json(report: GradeReport | list[GradeReport]) -> str:
    if isinstance(report, list):
        return json.dumps({"reports": [r.to_dict() for r in report]}, indent=2)
    return json.dumps(report.to_dict(), indent=2)


def to_junit(reports: GradeReport | list[GradeReport]) -> str:
    reports = reports if isinstance(reports, list) else [reports]
    suites = ET.Element("testsuites", name="mltrainer")
    for report in reports:
        tests = report.tests
        failures = sum(t.outcome == "failed" and not t.bonus for t in tests)
        errors = sum(t.outcome == "error" for t in tests) + (1 if report.status in ("rejected", "error") and not tests else 0)
        suite = ET.SubElement(suites, "testsuite", name=report.challenge_id, tests=str(max(len(tests), 1)),
                              failures=str(failures), errors=str(errors),
                              skipped=str(sum(t.outcome == "skipped" for t in tests)),
                              time=f"{report.duration_s:.3f}", timestamp=report.started_at)
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="solution", value=report.solution_path)
        if report.status == "rejected":
            case = ET.SubElement(suite, "testcase", classname=report.challenge_id, name="static checks")
            ET.SubElement(case, "failure", message="the file was rejected before running").text = "\n".join(
                f"{i.location()}: {i.message}" for i in report.static_issues)
        elif report.status == "error" and not tests:
            case = ET.SubElement(suite, "testcase", classname=report.challenge_id, name="grading")
            ET.SubElement(case, "error", message="grading could not complete").text = report.error
        for test in tests:
            name = test.name + (" (bonus)" if test.bonus else "")
            case = ET.SubElement(suite, "testcase", classname=f"{report.challenge_id}.{test.category}",
                                 name=name, time=f"{test.duration_s:.3f}")
            details = "\n".join([test.message, *(m.summary() for m in test.measurements)]).strip()
            if test.outcome == "failed":
                # A failed bonus test is reported but does not fail the suite.
                tag = "skipped" if test.bonus else "failure"
                ET.SubElement(case, tag, message=test.message.splitlines()[0] if test.message else "failed").text = details
            elif test.outcome == "error":
                ET.SubElement(case, "error", message="grading harness error").text = details
            elif test.outcome == "skipped":
                ET.SubElement(case, "skipped", message=test.message or "skipped")
            elif details:
                ET.SubElement(case, "system-out").text = details
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def to_markdown(reports: GradeReport | list[GradeReport]) -> str:
    reports = reports if isinstance(reports, list) else [reports]
    lines = ["| challenge | solution | result | tests | speed vs reference |", "|---|---|---|---|---|"]
    for r in reports:
        counts = r.counts()
        speed = f"{r.speed_ratio:.1f}x" if r.speed_ratio is not None else "–"
        tests = f"{counts['passed']}/{counts['total']}" if r.tests else "–"
        lines.append(f"| {r.challenge_id} | `{r.solution_path}` | {STATUS_TEXT.get(r.status, r.status)} | {tests} | {speed} |")
    for r in reports:
        failing = [t for t in r.tests if t.outcome in ("failed", "error")]
        if not failing and r.status != "rejected" and not r.error:
            continue
        lines += ["", f"### {r.challenge_id}: {headline(r)}", ""]
        for issue in r.static_issues:
            lines.append(f"- `{issue.location()}`: {issue.message}")
        if r.error:
            lines.append(f"- {r.error.splitlines()[0]}")
        for t in failing:
            first = t.message.splitlines()[0] if t.message else t.outcome
            lines.append(f"- **{CATEGORY_TITLES.get(t.category, t.category)}{' (bonus)' if t.bonus else ''}**: "
                         f"{t.name}: {first}")
    return "\n".join(lines) + "\n"


def print_text(report: GradeReport, console, *, verbose: bool = False) -> None:
    """The human report: grouped by category, failures explained, timings shown."""
    from rich.markup import escape
    style = {"passed": "green", "failed": "red", "error": "magenta", "rejected": "red"}.get(report.status, "")
    console.print(f"[bold]{escape(report.challenge_id)}[/] · {escape(report.solution_path)}")
    console.print(f"[bold {style}]{escape(headline(report))}[/]")
    if report.static_issues:
        console.print()
        for issue in report.static_issues:
            console.print(f"  [red]{escape(issue.location())}[/]: {escape(issue.message)}")
        console.print("\nNothing was run. Fix these and grade again.")
    if report.error:
        console.print(f"\n[magenta]{escape(report.error)}[/]")
    for category, tests in report.by_category().items():
        console.print(f"\n[bold]{CATEGORY_TITLES.get(category, category)}[/]")
        for test in tests:
            colour = {"passed": "green", "failed": "red" if not test.bonus else "yellow",
                      "error": "magenta", "skipped": "dim"}[test.outcome]
            bonus = " [dim](bonus)[/]" if test.bonus else ""
            console.print(f"  [{colour}]{OUTCOME_MARK[test.outcome]}[/] {escape(test.name)}{bonus}")
            if test.outcome != "passed" and test.message:
                for line in test.message.rstrip().splitlines():
                    console.print(f"      {escape(line)}", soft_wrap=True)
            for m in test.measurements:
                if test.outcome == "passed" or not test.message.startswith(m.label):
                    console.print(f"      [dim]{escape(m.label)}: {escape(m.summary())}[/]")
    if any(t.bonus and not t.passed for t in report.tests) and report.status == "passed":
        console.print("\n[yellow]A bonus part is not done yet; it does not count against the challenge.[/]")
    console.print(f"\n[dim]graded in {report.duration_s:.1f} s[/]")


__all__ = ["headline", "print_text", "to_json", "to_junit", "to_markdown"]
