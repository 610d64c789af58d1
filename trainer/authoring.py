"""The author checks of a challenge: the invariants every challenge keeps.

Run by `mltrainer check` (for challenge authors) and the project's tests. The
stub renders at every level, parses and defines the required names; the
reference passes the pre-run checks (`trainer.precheck`) and its grader, and
reproduces every example of the challenge (`trainer.examples`, run in the
sandbox as `mltrainer try` runs them); the untouched stub fails the grader. (Known-buggy variants live in the
repository's tests.) Not to be confused with `trainer.precheck`, the checks
of one solution file before it runs, or `trainer.grading.checks`, the
graders' assertions.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from trainer.catalog import LEVELS, Challenge
from trainer.engine import grade
from trainer.errors import InvalidChallenge
from trainer.precheck import check_source


def stub_problems(challenge: Challenge, levels=LEVELS) -> list[str]:
    """What is wrong with the stub at each level: it must render and pass the pre-run checks."""
    problems = []
    for level in levels:
        try:
            text = challenge.render_stub(level)
        except InvalidChallenge as exc:
            problems.append(str(exc))
            continue
        for issue in check_source(text, f"<{level} stub>", challenge):
            problems.append(f"{level} stub: {issue.location()}: {issue.message}")
    return problems


def example_problems(challenge: Challenge) -> list[str]:
    """Every example of the challenge that its reference does not reproduce, with why."""
    from trainer.examples import TryReport, run_examples
    if not challenge.examples:
        return []
    report = TryReport(challenge.id, str(challenge.reference_path))
    run_examples(challenge, challenge.reference_path, list(challenge.examples), report)
    if report.error:
        return [f"the reference cannot run the examples: {report.error}"]
    return [f"example {outcome.example.text}: the reference {_example_failure(outcome)}"
            for outcome in report.outcomes if not outcome.ok]


def _example_failure(outcome) -> str:
    if outcome.status == "mismatch":
        return f"returns {outcome.got} ({outcome.why}); the example expects {outcome.expected}"
    return f"fails: {outcome.why}"


def check_challenge(challenge: Challenge, levels=LEVELS, *, run_graders: bool = True) -> list[str]:
    """Every broken invariant of `challenge`, as readable lines (empty when all hold)."""
    problems = stub_problems(challenge, levels)
    if problems or not run_graders:
        return problems
    problems += example_problems(challenge)
    reference = grade(challenge, challenge.reference_path)
    if not reference.passed:
        failing = [f"{t.name}: {t.message.splitlines()[0] if t.message else t.outcome}"
                   for t in reference.tests if not t.passed and not t.bonus]
        problems.append(f"the reference does not pass its grader ({reference.status}"
                        f"{': ' + reference.error if reference.error else ''})")
        problems += [f"  {line}" for line in failing + [i.message for i in reference.static_issues]]
    with tempfile.TemporaryDirectory(prefix="mltrainer-check-") as tmp:
        for level in levels:
            stub = Path(tmp) / f"{challenge.id}.py"
            stub.write_text(challenge.render_stub(level), encoding="utf-8")
            report = grade(challenge, stub, fail_fast=True)
            if report.status != "failed":
                problems.append(f"the untouched {level} stub should fail its grader, but the run ended "
                                f"{report.status}{': ' + report.error if report.error else ''}")
    return problems
