"""`mltrainer grade`, `compare` and `check`: the grading engine from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trainer.cli.common import console, open_session, workspace_option
from trainer.errors import InputError
from trainer.report import inert

FORMATS = ("text", "json", "junit", "markdown")


def _progress(out, label: str):
    """A live status line while grading, when writing to a terminal; else nothing."""
    import contextlib
    if not out.is_terminal:
        return contextlib.nullcontext(None)
    return out.status(f"grading {label}...")


def run_grade(session, challenge, path: Path, *, out, record: bool = True, **options):
    """Grade `path` through the session (recorded unless `record` is False), a status line on a terminal.

    `options` go to the engine (fail_fast, marker, isolation). Returns the report.
    """
    with _progress(out, challenge.id) as status:
        state = {"done": 0, "total": 0}

        def on_event(event: dict) -> None:
            if status is None:
                return
            if event.get("event") == "collected":
                state["total"] = event.get("count", 0)
            elif event.get("event") == "start":
                from rich.markup import escape
                name = escape(inert(str(event.get("name", ""))))
                status.update(f"grading {challenge.id}: {state['done'] + 1}/{state['total']} {name}")
            elif event.get("event") == "done":
                state["done"] += 1

        report, _ = session.grade(challenge, path, record=record, on_event=on_event, **options)
        return report


def warn_about_isolation(isolation: str | None) -> None:
    """Refuse (require) or warn once (auto) when the kernel cannot confine candidate code fully."""
    from trainer.engine import isolation_mode, isolation_outlook
    mode = isolation_mode(isolation)
    outlook, why_not = isolation_outlook(mode)   # raises IsolationUnavailable in require mode
    if why_not and mode == "auto":
        click.echo(f"warning: solutions run with {outlook}: a file written to cheat could forge its result "
                   "(docs/security.md; --isolation require refuses to grade here)", err=True)


isolation_option = click.option(
    "--isolation", type=click.Choice(("auto", "require", "none")), default=None,
    help="How candidate code is confined: auto (what the kernel offers; warn if partial), require (refuse to "
         "grade without Landlock and seccomp: for CI), none (resource limits only). Default: "
         "$MLTRAINER_ISOLATION or auto.")


def _render(reports: list, fmt: str) -> str:
    from trainer import render
    if fmt == "json":
        return render.to_json(reports if len(reports) != 1 else reports[0])
    if fmt == "junit":
        return render.to_junit(reports)
    return render.to_markdown(reports)


@click.command()
@click.argument("challenge_id", required=False)
@click.option("--solution", type=click.Path(dir_okay=False), default=None,
              help="Grade this file instead of the one in your workspace.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format; json/junit/markdown are for CI (docs/report-format.md).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report to this file (the text summary still goes to the terminal).")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failing test.")
@isolation_option
@workspace_option
def grade(challenge_id: str | None, solution: str | None, fmt: str, output: str | None, fail_fast: bool,
          isolation: str | None, workspace: str | None) -> None:
    """Grade your solution: hidden tests, clear verdicts, speed vs the reference.

    Without CHALLENGE_ID, grades every solution file in the workspace (for CI).
    Exit status: 0 all passed, 1 graded and failed, 2 usage or input error.
    """
    from trainer import render
    session = open_session(workspace)
    if challenge_id is None:
        if solution:
            raise click.UsageError("--solution needs a CHALLENGE_ID")
        jobs = [(c, session.solution_path(c)) for c in session.catalog if session.solution_path(c).is_file()]
        if not jobs:
            from trainer import paths
            raise InputError(f"no solution files in {paths.workspace_dir(workspace)} "
                                "(start one with `mltrainer start ID`)")
    else:
        challenge = session.challenge(challenge_id)
        jobs = [(challenge, Path(solution) if solution else session.solution_path(challenge))]

    warn_about_isolation(isolation)
    to_stdout = fmt != "text" and output is None
    out = console(stderr=to_stdout)
    reports = []
    with session:
        session.store   # a database that cannot be written is reported now, not after grading
        for challenge, path in jobs:
            report = run_grade(session, challenge, path, out=out, fail_fast=fail_fast, isolation=isolation)
            reports.append(report)
            if fmt == "text" or output is not None:
                render.print_text(report, out)
                if len(jobs) > 1:
                    out.print()
    if fmt != "text":
        text = _render(reports, fmt)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    elif output:
        Path(output).write_text("\n\n".join(render.headline(r) for r in reports) + "\n", encoding="utf-8")
    sys.exit(0 if all(r.passed for r in reports) else 1)


@click.command()
@click.argument("challenge_id")
@click.option("--solution", type=click.Path(dir_okay=False), default=None,
              help="Compare this file instead of the one in your workspace.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation before revealing the reference.")
@workspace_option
def compare(challenge_id: str, solution: str | None, yes: bool, workspace: str | None) -> None:
    """Show the reference solution beside yours, with the speed ratio."""
    from trainer.errors import SolutionNotFound
    out = console()
    with open_session(workspace) as session:
        challenge = session.challenge(challenge_id)
        path = Path(solution) if solution else session.solution_path(challenge)
        if not path.is_file():
            raise SolutionNotFound(path, challenge.id)
        session.refuse_reference_during_mock()
        if not yes and not session.may_see_reference(challenge):
            if not sys.stdin.isatty():
                raise InputError(f"you have not passed {challenge.id} yet; pass --yes to see the reference anyway")
            if not click.confirm(f"You have not passed {challenge.id} yet. Show the reference solution anyway?",
                                 default=False):
                click.echo("Not shown. Keep going!")
                return
        with _progress(out, challenge.id):
            compared = session.compare(challenge, path)
    _side_by_side(out, path, challenge.reference_path)
    out.print()
    if compared.ratio is not None:
        out.print(f"[bold]Speed[/]: your solution takes {compared.ratio:.1f}x the reference's time "
                  "(slowest timed test).")
    for line in compared.timing_lines:
        out.print(f"  {line}", highlight=False, markup=False)


def _side_by_side(out, mine: Path, reference: Path) -> None:
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table
    from rich.markup import escape
    # The solution is candidate text: no control characters reach the terminal, no markup in its name.
    left = Panel(Syntax(inert(mine.read_text(encoding="utf-8", errors="replace")), "python", line_numbers=True,
                        word_wrap=True), title=f"yours: {escape(inert(mine.name))}")
    right = Panel(Syntax(reference.read_text(encoding="utf-8"), "python", line_numbers=True, word_wrap=True),
                  title="reference")
    if out.width >= 160:
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(left, right)
        out.print(grid)
    else:
        out.print(left)
        out.print(right)


@click.command()
@click.argument("challenge_ids", nargs=-1)
def check(challenge_ids: tuple[str, ...]) -> None:
    """Check the invariants of challenges (for challenge authors).

    Each challenge loads, its stub renders at every level and passes the static
    checks, the untouched stub fails its grader and the reference passes it.
    """
    from trainer.catalog import LEVELS, load_catalog
    from trainer.authoring import check_challenge
    catalog = load_catalog()
    challenges = [catalog.get(i) for i in challenge_ids] if challenge_ids else list(catalog)
    out = console()
    ok = True
    for challenge in challenges:
        problems = check_challenge(challenge, levels=LEVELS)
        mark = "[green]✓[/]" if not problems else "[red]✗[/]"
        out.print(f"{mark} {challenge.id}")
        for problem in problems:
            out.print(f"    {problem}", highlight=False)
        ok = ok and not problems
    sys.exit(0 if ok else 1)
