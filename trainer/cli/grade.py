"""`mltrainer grade`, `compare` and `check`: the grading engine from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trainer.cli.board import BOARD_FORMATS, emit, exit_status, prepare_output, write_output
from trainer.cli.common import console, open_session, workspace_option
from trainer.errors import InputError
from trainer.report import inert

FORMATS = ("text", "json", "junit", "markdown")   # of one grade report; a roster's leaderboard adds html


def _progress(out, label: str):
    """A live status line while grading, when writing to a terminal; else nothing."""
    import contextlib
    if not out.is_terminal:
        return contextlib.nullcontext(None)
    return out.status(f"grading {label}...")


def run_grade(session, challenge, path: Path, *, out, record: bool = True, **options):
    """Grade `path` through the session (recorded unless `record` is False), a status line on a terminal.

    `options` go to the engine (fail_fast, quick, keyword, isolation). Returns the report.
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


def _shard_option(ctx, param, value: str | None):
    if value is None:
        return None
    from trainer.roster import parse_shard
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@click.command()
@click.argument("challenge_ids", nargs=-1, metavar="[CHALLENGE_ID]...")
@click.option("--solution", type=click.Path(dir_okay=False), multiple=True,
              help="Grade this file instead of the one in your workspace (once; recorded in your progress only "
                   "when it is in your workspace, or with --record).")
@click.option("--record", is_flag=True,
              help="Record the grade of a --solution file outside your workspace in your progress.")
@click.option("--roster", "roster_dir", type=click.Path(), default=None, metavar="DIR",
              help="Grade a study group: every DIR/<member>/<challenge-id>.py, into a leaderboard. Never "
                   "recorded in your progress.")
@click.option("--member", "members", multiple=True, metavar="NAME",
              help="With --roster: only this member (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="With --roster: grading runs at once (default: the number of CPUs).")
@click.option("--shard", type=str, default=None, callback=_shard_option, metavar="I/N",
              help="With --roster: grade only shard I of N of the member x challenge pairs (a fixed split, "
                   "for N CI jobs; join their JSON boards with `mltrainer merge`).")
@click.option("--format", "fmt", type=click.Choice(BOARD_FORMATS), default="text", show_default=True,
              help="Report format; json/junit/markdown are for CI (docs/report-format.md); html is for a "
                   "roster's leaderboard.")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file, creating its folder (the text summary still goes to the "
                   "terminal). Checked before grading starts.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failing test.")
@click.option("--quick", is_flag=True,
              help="Leave out the performance tests: the logic in seconds. A partial run is recorded only when "
                   "it fails (a pass needs the full grade).")
@click.option("-k", "keyword", metavar="PATTERN", default=None,
              help="Run only the tests whose names match PATTERN (pytest's -k: words, 'and', 'or', 'not'), "
                   "e.g. -k empty to run one failing test again. Recorded only when it fails.")
@isolation_option
@workspace_option
def grade(challenge_ids: tuple[str, ...], solution: tuple[str, ...], record: bool, roster_dir: str | None,
          members: tuple[str, ...], jobs: int | None, shard: tuple[int, int] | None, fmt: str, output: str | None,
          fail_fast: bool, quick: bool, keyword: str | None, isolation: str | None,
          workspace: str | None) -> None:
    """Grade your solution: hidden tests, clear verdicts, speed vs the reference.

    Without CHALLENGE_ID, grades every solution file in the workspace (for CI).
    Exit status: 0 all passed, 1 graded and failed, 2 usage or input error.

    \b
    With --roster DIR, grades a study group (docs/study-groups.md): every
    member x challenge in DIR/<member>/<challenge-id>.py (the CHALLENGE_IDs
    given, else every challenge someone has a file for), into a leaderboard.
    Exit status: 0 every submission was graded (failures are on the board),
    1 some grading could not complete, 2 usage or input error.

    \b
    --jobs and timing: N gradings run side by side, each on a CPU of its own
    while there are enough; the speed measurements (candidate and reference
    timed in turn, on one CPU) take one of two machine-wide slots, so at most
    two run at once whatever --jobs is and however many mltrainer processes
    run, and the others wait. Speed ratios stay honest; a --jobs above the
    number of CPUs only makes the untimed tests share CPUs.
    """
    if len(solution) > 1:
        raise click.UsageError("--solution was given more than once: grade one file at a time "
                               "(or a whole study group with --roster DIR)")
    if roster_dir is not None:
        given = [name for name, value in (("--solution", solution), ("--record", record), ("--quick", quick),
                                          ("-k", keyword)) if value]
        if given:
            raise click.UsageError(f"{given[0]} cannot be used with --roster (a roster run never records)")
        from trainer.engine import prewarm
        prewarm()
        _grade_roster(roster_dir, challenge_ids, members, jobs or default_jobs(), shard, fmt, output, fail_fast,
                      isolation, workspace)
        return
    given = [name for name, value in (("--member", members), ("--jobs", jobs), ("--shard", shard)) if value]
    if given:
        raise click.UsageError(f"{given[0]} needs --roster DIR")
    if fmt == "html":
        raise click.UsageError("--format html is for a study group's leaderboard (--roster DIR, or merge)")
    if len(challenge_ids) > 1:
        raise click.UsageError("grade one CHALLENGE_ID at a time, or every solution in the workspace without one")
    challenge_id = challenge_ids[0] if challenge_ids else None
    solution_file = solution[0] if solution else None

    from trainer import render
    from trainer.engine import prewarm
    prewarm()   # the lane server imports while the session loads and the file is checked
    session = open_session(workspace)
    if challenge_id is None:
        if solution_file:
            raise click.UsageError("--solution needs a CHALLENGE_ID")
        work = [(c, session.solution_path(c)) for c in session.catalog if session.solution_path(c).is_file()]
        if not work:
            from trainer import paths
            raise InputError(f"no solution files in {paths.workspace_dir(workspace)} "
                                "(start one with `mltrainer start ID`)")
    else:
        challenge = session.challenge(challenge_id)
        work = [(challenge, Path(solution_file) if solution_file else session.solution_path(challenge))]
    if solution_file and not record and not _in_workspace(Path(solution_file), workspace):
        if fmt == "text":   # said where a person reads; a CI report stays clean
            click.echo(f"note: {inert(solution_file)} is outside your workspace, so its grade is not recorded in "
                       "your progress (--record records it)", err=True)
    else:
        record = True
    output_path = prepare_output(output)

    warn_about_isolation(isolation)
    to_stdout = fmt != "text" and output is None
    out = console(stderr=to_stdout)
    reports = []
    with session:
        if record:
            session.store   # a database that cannot be written is reported now, not after grading
        for challenge, path in work:
            report = run_grade(session, challenge, path, out=out, record=record, fail_fast=fail_fast,
                               quick=quick, keyword=keyword, isolation=isolation)
            reports.append(report)
            if fmt == "text" or output is not None:
                render.print_text(report, out)
                if len(work) > 1:
                    out.print()
    if fmt != "text":
        text = _render(reports, fmt)
        if output_path:
            write_output(output_path, text)
        else:
            click.echo(text, nl=False)
    elif output_path:
        write_output(output_path, "\n\n".join(render.headline(r) for r in reports) + "\n")
    sys.exit(0 if all(r.passed for r in reports) else 1)


def _in_workspace(path: Path, workspace: str | None) -> bool:
    from trainer import paths
    try:
        return path.expanduser().resolve().is_relative_to(paths.workspace_dir(workspace).resolve())
    except OSError:
        return False


def _grade_roster(roster_dir: str, challenge_ids: tuple[str, ...], members: tuple[str, ...], jobs: int,
                  shard: tuple[int, int] | None, fmt: str, output: str | None, fail_fast: bool,
                  isolation: str | None, workspace: str | None) -> None:
    """`grade --roster`: discover, check the output, grade (never recorded), print and write the board."""
    from trainer.roster import discover, grade_roster
    session = open_session(workspace)
    roster = discover(roster_dir, session.catalog, members, challenge_ids)
    for warning in roster.warnings:
        click.echo(f"warning: {warning}", err=True)
    output_path = prepare_output(output)
    warn_about_isolation(isolation)

    def on_progress(cell, done: int, total: int) -> None:
        note = f" ({cell.note.splitlines()[0]})" if cell.note and cell.verdict in ("no submission", "refused") else ""
        click.echo(f"[{done}/{total}] {cell.member}/{cell.challenge_id}: {cell.verdict}{note}", err=True)

    options = {"isolation": isolation}
    if fail_fast:
        options["fail_fast"] = True
    with session:
        board = grade_roster(session, roster, jobs=jobs, shard=shard, on_progress=on_progress, **options)
    emit(board, fmt, output_path, roster_dir=roster.root)
    sys.exit(exit_status(board))


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
