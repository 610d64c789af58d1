"""The invariants of every bundled challenge, graded for real.

For each challenge: the stub renders at every level and passes the static
checks; the reference passes its grader; the untouched stub fails it; and
every known-buggy variant in tests/variants/<id>/ fails exactly the tests
its CAUGHT_BY names; every correct alternative in tests/alternatives/<id>/
(written unlike the reference) passes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from trainer.authoring import stub_problems
from trainer.catalog import LEVELS, load_catalog
from trainer.engine import grade
from trainer.precheck import check_file

from tests.helpers import grader_tests_marked

VARIANTS = Path(__file__).resolve().parent / "variants"
ALTERNATIVES = Path(__file__).resolve().parent / "alternatives"
CATALOG = load_catalog()
CHALLENGES = {c.id: c for c in CATALOG}
# The performance tests of each grader, read from its source (the variant test chooses what to run by them).
PERFORMANCE_TESTS = {c.id: grader_tests_marked(c.grader_path, "performance") for c in CATALOG}


def caught_by(path: Path) -> tuple[str, ...]:
    """The CAUGHT_BY constant of a variant, read without running the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "CAUGHT_BY" for t in node.targets):
            value = ast.literal_eval(node.value)
            return (value,) if isinstance(value, str) else tuple(value)
    raise AssertionError(f"{path} does not declare CAUGHT_BY")


def variant_params():
    params = []
    for challenge_id in sorted(CHALLENGES):
        for path in sorted((VARIANTS / challenge_id).glob("*.py")):
            params.append(pytest.param(challenge_id, path, id=f"{challenge_id}/{path.stem}"))
    return params


def function_of(result) -> str:
    """The name of the grader's test function of a result (its parameters left off)."""
    return result.nodeid.split("::")[-1].split("[")[0]


def summary(report) -> str:
    lines = [f"status {report.status} {report.error}"]
    lines += [f"{i.location()}: {i.message}" for i in report.static_issues]
    lines += [f"{t.outcome}: {t.nodeid}: {t.message[:300]}" for t in report.tests if not t.passed]
    return "\n".join(lines)


@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
def test_stub_renders_and_passes_static_checks(challenge_id):
    assert stub_problems(CHALLENGES[challenge_id]) == []


@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
def test_every_challenge_has_known_buggy_variants(challenge_id):
    assert len(list((VARIANTS / challenge_id).glob("*.py"))) >= 5


@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
@pytest.mark.slow
def test_reference_passes_its_grader(challenge_id):
    challenge = CHALLENGES[challenge_id]
    report = grade(challenge, challenge.reference_path)
    assert report.status == "passed", summary(report)
    assert all(t.passed for t in report.tests), summary(report)  # bonus parts too


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
@pytest.mark.slow
def test_untouched_stub_fails(challenge_id, level, tmp_path):
    challenge = CHALLENGES[challenge_id]
    stub = tmp_path / f"{challenge_id}.py"
    stub.write_text(challenge.render_stub(level), encoding="utf-8")
    report = grade(challenge, stub, fail_fast=True)
    assert report.status == "failed", summary(report)


@pytest.mark.parametrize("challenge_id, path", variant_params())
@pytest.mark.slow
def test_known_buggy_variant_fails_exactly_its_tests(challenge_id, path):
    """A variant fails exactly the tests its CAUGHT_BY names: what a user grading it sees fail.

    Each rule is tested on inputs where no other rule is involved, so a
    one-bug variant fails exactly the tests of its rule. Performance tests
    run only when every other test passed (trainer/grading/schedule.py), so
    CAUGHT_BY names either no performance test, and the variant is graded
    without them (quick, like `mltrainer grade --quick`), or only
    performance tests: then it must pass every other test, and it is graded
    with those and the performance tests it names (the other timed tests
    are not its subject: a slow variant may be slow in several). A test left
    not run (after a timeout of the function it calls) is not a failure. A
    variant whose bug is only in a bonus part fails its bonus tests and
    passes the grade, as a user grading it would see.
    """
    challenge = CHALLENGES[challenge_id]
    source_check = check_file(path, challenge)[1]
    assert source_check == [], "a variant must pass the static checks (the grader must catch it)"
    expected = caught_by(path)
    timed = [name for name in expected if name in PERFORMANCE_TESTS[challenge_id]]
    untimed = [name for name in expected if name not in timed]
    assert not (timed and untimed), (
        f"CAUGHT_BY names the performance tests {timed} and the tests {untimed}: performance tests run only "
        f"when every other test passed, so a variant that fails {untimed} is never timed; list what a user "
        "grading it sees fail")
    # One lane: after a function times out its later tests are not run, and
    # with two lanes which tests are later depends on how the lanes raced.
    if timed:
        report = grade(challenge, path, keyword=" or ".join(["not performance"] + timed), lanes=1)
    else:
        report = grade(challenge, path, quick=True, lanes=1)
    # A bug only in a bonus part fails its tests but not the grade, as the user sees it.
    bonus = {function_of(t) for t in report.tests if t.bonus}
    assert report.status == ("passed" if set(expected) <= bonus else "failed"), summary(report)
    failed = {function_of(t) for t in report.tests if t.outcome in ("failed", "error")}
    missing = sorted(set(expected) - failed)
    unexpected = sorted(failed - set(expected))
    ran = {function_of(t) for t in report.tests}
    not_run = [name for name in missing if name not in ran]
    assert not missing, (f"not caught by {missing}" + (f" ({not_run}: not in the run)" if not_run else "")
                         + f"\n{summary(report)}")
    assert not unexpected, f"also failed {unexpected}: not in CAUGHT_BY\n{summary(report)}"


def alternative_params():
    return [pytest.param(challenge_id, path, id=f"{challenge_id}/{path.stem}")
            for challenge_id in sorted(CHALLENGES)
            for path in sorted((ALTERNATIVES / challenge_id).glob("*.py"))]


@pytest.mark.parametrize("challenge_id, path", alternative_params())
@pytest.mark.slow
def test_correct_alternative_passes(challenge_id, path):
    """Correct solutions written unlike the reference pass every test, the timed ones included."""
    challenge = CHALLENGES[challenge_id]
    report = grade(challenge, path)
    assert report.status == "passed", summary(report)
    assert all(t.passed for t in report.tests), summary(report)
