"""`mltrainer watch ID`: grade the solution again every time it is saved."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from trainer.cli.common import console, open_session, workspace_option


@click.command()
@click.argument("challenge_id")
@click.option("--solution", type=click.Path(dir_okay=False), default=None,
              help="Watch this file instead of the one in your workspace.")
@click.option("--interval", type=click.FloatRange(min=0.05), default=None,
              help="Seconds between two looks at the file (default 0.5).")
@click.option("--fail-fast", is_flag=True, help="Stop each run at the first failing test.")
@click.option("--max-runs", type=click.IntRange(min=1), default=None,
              help="Stop after this many grading runs (default: until Ctrl-C).")
@workspace_option
def watch(challenge_id: str, solution: str | None, interval: float | None, fail_fast: bool,
          max_runs: int | None, workspace: str | None) -> None:
    """Grade now, then again on every save of the solution file (Ctrl-C stops).

    Each save runs the quick tests first (everything but performance), in
    seconds; once they all pass, the full grade follows. Every failing run and
    every full grade is recorded in your progress. The exit status is that of
    the last run: 0 passed, 1 failed; Ctrl-C exits 130.
    """
    from trainer import render
    from trainer.cli.grade import run_grade
    from trainer.errors import SolutionNotFound
    from trainer.watch import POLL_INTERVAL_S, watch_loop

    session = open_session(workspace)
    challenge = session.challenge(challenge_id)
    path = Path(solution) if solution else session.solution_path(challenge)
    if not path.is_file():
        raise SolutionNotFound(path, challenge.id)
    from trainer.engine import prewarm
    prewarm()   # every grading of the loop, the first one included, starts warm
    # A database that cannot be written is reported now, not after the first run.
    session.store
    from rich.markup import escape
    out = console()
    last = {"passed": False}

    def run_once() -> None:
        out.rule(f"{challenge.id} · {datetime.now().strftime('%H:%M:%S')}")
        try:
            # The logic first, in seconds; the speed only once it is right.
            report = run_grade(session, challenge, path, out=out, fail_fast=fail_fast, quick=True)
            if report.passed:
                render.print_text(report, out)
                out.print()
                out.rule("every quick test passed: the full grade, speed included", style="dim")
                # Recorded with report.source: a save during the run is graded next time.
                report = run_grade(session, challenge, path, out=out, fail_fast=fail_fast)
        except SolutionNotFound as missing:  # deleted between two saves: wait for the next
            out.print(f"[yellow]{escape(str(missing))}[/]; waiting for it to come back")
            last["passed"] = False
            return
        render.print_text(report, out)
        last["passed"] = report.passed
        out.print(f"[dim]Watching {escape(str(path))} for saves; Ctrl-C to stop.[/]")

    try:
        with session:
            watch_loop(path, run_once, interval=interval or POLL_INTERVAL_S, max_runs=max_runs)
    except KeyboardInterrupt:
        out.print("[dim]Stopped watching.[/]")
    sys.exit(0 if last["passed"] else 1)
