"""`mltrainer progress` and `mltrainer next`: where you stand, and what to practise next.

Thin commands: the rules live in trainer.progress, the data in trainer.store.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from trainer.catalog import LEVELS
from trainer.cli.common import open_session, workspace_option
from trainer.errors import InputError

if TYPE_CHECKING:
    from trainer.progress import Overview
    from trainer.store import Store


# --------------------------------------------------------------------------
# mltrainer progress
# --------------------------------------------------------------------------


@click.command("progress")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Text for people, JSON for scripts (fields: docs/progress.md).")
@click.option("--export", "export_path", metavar="FILE",
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write your whole history to FILE ('-' for stdout), to move it to another machine.")
@click.option("--import", "import_path", metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Merge a history written by --export; records already present are skipped.")
@click.option("--recover", "recover_path", metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Copy what can still be read from a damaged progress database FILE (say a "
                   "progress.db.corrupt-... file) into yours; records already there are not doubled.")
@click.option("--mock", "show_mock", is_flag=True,
              help="List past mock-interview rounds with their scores instead.")
def progress(fmt: str, export_path: Path | None, import_path: Path | None, recover_path: Path | None,
             show_mock: bool) -> None:
    """Show status per challenge, solved count, streak and mastery per topic."""
    chosen = [name for name, value in (("--export", export_path), ("--import", import_path),
                                       ("--recover", recover_path)) if value is not None]
    if len(chosen) > 1:
        raise click.UsageError("use one of --export, --import and --recover, not "
                               + ("both " + " and ".join(chosen) if len(chosen) == 2 else "all three"))
    with open_session() as session:
        if recover_path is not None:
            _recover(session.store, recover_path, fmt)
            return
        if show_mock:  # the listing lives with the mock commands (trainer/cli/mock.py)
            from trainer.cli.mock import print_sessions

            print_sessions(session.store, fmt)
            return
        if export_path is not None:
            _export(session.store, export_path)
            return
        if import_path is not None:
            _import(session.store, import_path)
            return
        data = session.overview()
    if fmt == "json":
        click.echo(json.dumps(data.to_dict(), indent=2))
    else:
        _print_overview(data)


def _export(store: "Store", path: Path) -> None:
    doc = store.export_history()
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror or error}") from None
    click.echo(
        f"Exported {len(doc['grades'])} grades, {len(doc['starts'])} starts, "
        f"{len(doc['hints'])} hints and {len(doc['reveals'])} reveals to {path}"
    )


def _import(store: "Store", path: Path) -> None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise InputError(f"cannot import {path}: not JSON ({error})") from None
    added = store.import_history(doc, origin=path)
    total = sum(added.values())
    details = ", ".join(f"{n} {kind}" for kind, n in added.items())
    click.echo(f"Imported {total} new records from {path} ({details}).")


def _recover(store: "Store", path: Path, fmt: str) -> None:
    """Salvage FILE into the progress database; exit 2 when nothing in it can be read."""
    report = store.recover_from(path)
    if not report.readable:
        raise InputError(f"cannot recover anything from {path}: {report.why}")
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(f"Read {path}:")
    shown = report.shown()
    width = max((len(t.label) for t in shown), default=0)
    for table in shown:
        line = f"  {table.label:<{width}}  {table.recovered} recovered"
        if table.partial:
            line += f" ({table.partial} without source or report)"
        if table.lost:
            line += f", {table.lost} lost"
        if table.more_lost:
            line += ", perhaps more lost (the end of the table could not be read)"
        click.echo(line)
    if not shown:
        click.echo("  it holds no records")
    click.echo(f"Added {report.added} record{'s' if report.added != 1 else ''} to {store.path}"
               f" ({report.present} already there).")


def _print_overview(o: "Overview") -> None:
    from rich.console import Console
    from rich.table import Table

    from trainer.progress import ago

    console = Console(highlight=False)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, justify in (("challenge", "left"), ("difficulty", "left"), ("status", "left"),
                          ("attempts", "right"), ("best speed", "right"), ("last practised", "left")):
        table.add_column(name, justify=justify)
    colours = {"new": "dim", "started": "", "attempted": "yellow", "passed": "green",
               "mastered": "bold green"}
    for c in o.challenges:
        table.add_row(
            c.challenge_id,
            c.difficulty,
            f"[{colours[c.status]}]{c.status}[/]" if colours[c.status] else c.status,
            str(c.attempts),
            "-" if c.best_speed_ratio is None else f"{c.best_speed_ratio:.1f}x",
            "-" if c.last_practised is None else ago(c.last_practised, o.now),
        )
    console.print(table)
    console.print()
    streak = f"{o.streak_days} day{'s' if o.streak_days != 1 else ''}"
    if o.streak_days and not o.practised_today:
        streak += " (practise today to keep it)"
    console.print(f"Solved [bold]{o.solved}[/] of {len(o.challenges)}, "
                  f"mastered [bold]{o.mastered}[/]; streak {streak}")
    if o.topics:
        console.print()
        console.print("[bold]Mastery per topic[/]")
        width = max(len(t.topic) for t in o.topics)
        for t in o.topics:
            filled = round(t.score * 20)
            console.print(f"  {t.topic:<{width}}  [green]{'█' * filled}[/][dim]{'░' * (20 - filled)}[/]"
                          f" {t.score * 100:3.0f}%  ({t.passed}/{t.challenges} passed)")
    if o.recommendation is not None:
        console.print()
        console.print(f"Next: {o.recommendation.reason}")


# --------------------------------------------------------------------------
# mltrainer next
# --------------------------------------------------------------------------


#: Recommendations that mean "solve it again from scratch".
REVIEW_KINDS = ("review", "early-review")


@click.command("next")
@click.option("--start", "start_it", is_flag=True,
              help="Also write its stub to the workspace (for a review, a fresh stub; "
                   "your previous solution is kept as a .bak).")
@click.option("--level", type=click.Choice(LEVELS), default="guided",
              show_default=True, help="Stub level used with --start.")
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def next_command(start_it: bool, level: str, workspace: str | None, fmt: str) -> None:
    """Recommend the challenge to practise next, and say why.

    Spaced repetition over your history: passed challenges come back after
    growing intervals, failed ones the next day, new ones easiest first.
    """
    import contextlib

    from trainer.errors import SolutionExists
    from trainer.workspace import backed_up, writing

    with open_session(workspace) as session:
        data = session.overview()
        rec = data.recommendation
        if rec is None:
            raise InputError("there are no challenges to recommend (the catalog is empty)")
        challenge = session.challenge(rec.challenge_id)
        started: Path | None = None
        existing: Path | None = None
        backup: Path | None = None
        if start_it:
            # A review means solving it again from a blank stub; the passed
            # solution is kept beside it as a .bak. A retry or an unfinished
            # start continues in the file as it is.
            review = rec.kind in REVIEW_KINDS
            path = session.solution_path(challenge)
            try:
                # The backup made here is the one reported (put back if the stub cannot be written).
                with writing(path.parent), (backed_up(path) if review else contextlib.nullcontext()) as kept:
                    started = session.start(challenge, level=level)
                    backup = kept
            except SolutionExists as exists:
                existing = exists.path
        path = started or existing or session.solution_path(challenge)
    if fmt == "json":
        click.echo(json.dumps({
            **rec.to_dict(),
            "title": challenge.title,
            "difficulty": challenge.difficulty,
            "solution_path": str(path),
            "started": started is not None,
            "backup": None if backup is None else str(backup),
        }, indent=2))
        return
    click.echo(f"Next: {challenge.id} ({challenge.title}, {challenge.difficulty})")
    click.echo(f"  why: {rec.reason}")
    if backup is not None:
        click.echo(f"  your previous solution is kept as {backup}")
    if started is not None:
        click.echo(f"  wrote {started}; edit it, then run: mltrainer grade {challenge.id}")
    elif existing is not None:
        click.echo(f"  your solution is already at {existing} (kept); "
                   f"edit it, then run: mltrainer grade {challenge.id}")
    else:
        click.echo(f"  start it with: mltrainer next --start   (or: mltrainer start {challenge.id})")
