"""`mltrainer list`, `show`, `start`, `reset` and `hint`: the catalog and the workspace."""

from __future__ import annotations

import click

from trainer.catalog import LEVELS
from trainer.cli.common import console, open_session, workspace_option


@click.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_command(fmt: str) -> None:
    """List the challenges: id, title, difficulty, topics, and where you stand on each.

    Your status per challenge (new, started, attempted, passed, mastered:
    docs/progress.md) and your best speed ratio come from your progress; if
    the progress database cannot be read, the list is shown without them.
    """
    from trainer.errors import TrainerError

    session = open_session()
    catalog = session.catalog
    try:
        progress = {p.challenge_id: p for p in session.overview().challenges}
        unreadable = None
    except TrainerError as error:   # the catalog is what `list` is for: show it anyway
        progress, unreadable = {}, str(error)
    finally:
        session.close()
    if fmt == "json":
        import json
        rows = []
        for c in catalog:
            p = progress.get(c.id)
            rows.append({"id": c.id, "title": c.title, "difficulty": c.difficulty, "topics": list(c.topics),
                         "minutes": c.minutes, "summary": c.summary,
                         # Added fields (the ones above keep their meaning); null without progress.
                         "status": p.status if p else None,
                         "attempts": p.attempts if p else None,
                         "best_speed_ratio": p.best_speed_ratio if p else None})
        click.echo(json.dumps(rows, indent=2))
        if unreadable:
            click.echo(f"warning: your progress could not be read: {unreadable}", err=True)
        return
    from rich.markup import escape
    from rich.table import Table
    out = console()
    table = Table(box=None, pad_edge=False, header_style="bold")
    # One line per challenge: in a narrow terminal the title and the topics are cut, nothing else.
    fixed = [max([2, *(len(c.id) for c in catalog)]), len("difficulty")]
    if not unreadable:
        fixed += [len("attempted"), len("best speed")]
    room = max(out.width - sum(fixed) - 2 * (len(fixed) + 1), 20)   # two spaces between columns
    title_width = min(max([5, *(len(c.title) for c in catalog)]), max(room * 3 // 5, 10))
    table.add_column("id", no_wrap=True)
    table.add_column("title", no_wrap=True, overflow="ellipsis", max_width=title_width)
    table.add_column("difficulty", no_wrap=True)
    table.add_column("topics", no_wrap=True, overflow="ellipsis", max_width=max(room - title_width, 6))
    if not unreadable:
        table.add_column("status", no_wrap=True)
        table.add_column("best speed", justify="right", no_wrap=True)
    for c in catalog:
        cells = [escape(c.id), escape(c.title), c.difficulty, escape(", ".join(c.topics))]
        p = progress.get(c.id)
        if p is not None:
            style = LIST_STATUS_STYLE.get(p.status, "")
            cells += [f"[{style}]{p.status}[/]" if style else p.status,
                      "-" if p.best_speed_ratio is None else f"{p.best_speed_ratio:.1f}x"]
        elif not unreadable:
            cells += ["new", "-"]
        table.add_row(*cells)
    out.print(table)
    passed = sum(p.status in ("passed", "mastered") for p in progress.values())
    started = sum(p.status in ("started", "attempted") for p in progress.values())
    out.print()
    if unreadable:
        out.print(f"{len(catalog)} challenges. (Your progress could not be read: {escape(unreadable)})")
    else:
        out.print(f"{len(catalog)} challenges: {passed} passed, {started} started, "
                  f"{len(catalog) - passed - started} not started. Best speed: your time / the "
                  "reference's in your fastest grade (lower is faster).")
    out.print("`mltrainer show ID` for the task, `mltrainer start ID` to begin.")


#: How `list` colours a status (the same colours as `mltrainer progress`).
LIST_STATUS_STYLE = {"new": "dim", "started": "", "attempted": "yellow", "passed": "green",
                     "mastered": "bold green"}


def _print_task(challenge) -> None:
    from rich.markdown import Markdown
    from rich.markup import escape

    from trainer.precheck import importable
    out = console()
    out.print(f"[bold]{escape(challenge.title)}[/] ({challenge.id}) · {challenge.difficulty} · "
              f"{escape(', '.join(challenge.topics))} · about {challenge.minutes} min")
    out.print()
    out.print(Markdown(challenge.description))
    out.print()
    out.print("[bold]You write[/]")
    for api in challenge.api:
        out.print(f"  {escape(api.signature)}" + ("  [dim](bonus)[/]" if api.bonus else ""), highlight=False)
    out.print("\n[bold]You may import[/]")
    out.print(f"  {escape(importable(challenge))}", highlight=False)
    for label, value in challenge.extra_facts.items():
        out.print(f"\n[bold]{escape(label)}[/]")
        out.print(Markdown(str(value)))
    _print_examples(out, challenge)


def _print_examples(out, challenge) -> None:
    """The challenge's examples: each call, what it returns (or raises), and its note."""
    from rich.markup import escape
    if not challenge.examples:
        return
    out.print(f"\n[bold]Examples[/] [dim](`mltrainer try {challenge.id}` runs them on your file)[/]")
    for example in challenge.examples:
        outcome = f"raises {example.raises}" if example.raises else example.expected_text
        out.print(f"  {escape(example.text)}", highlight=False)
        out.print(f"    [dim]->[/] {escape(outcome)}", highlight=False)
        if example.note:
            out.print(f"    [dim]{escape(example.note)}[/]", highlight=False)


@click.command()
@click.argument("challenge_id")
def show(challenge_id: str) -> None:
    """Show a challenge's task."""
    _print_task(open_session().challenge(challenge_id))


@click.command()
@click.argument("challenge_id")
@click.option("--level", type=click.Choice(LEVELS), default=None,
              help="guided: helper skeletons and TODOs; interview: signatures and docstrings only "
                   "[default: the level last chosen in the app (l), else guided].")
@click.option("--force", is_flag=True,
              help="Start over from a fresh stub even if your file exists (it is kept as a .bak; "
                   "the same as `mltrainer reset ID`).")
@workspace_option
def start(challenge_id: str, level: str | None, force: bool, workspace: str | None) -> None:
    """Write the challenge's stub into your workspace and show the task.

    If your file is already there it is kept as it is (nothing is written)
    and the task is shown: running this again is safe. `--force` or
    `mltrainer reset ID` starts over from a fresh stub, keeping a backup.
    """
    from trainer.errors import SolutionExists

    level = level or _remembered_level()
    with open_session(workspace) as session:
        challenge = session.challenge(challenge_id)
        session.store   # a database that cannot be written is reported before any file is written
        try:
            path = session.start(challenge, level=level, force=force)
        except SolutionExists as exists:
            path, kept = exists.path, True
        else:
            kept = False
    _print_task(challenge)
    if kept:
        click.echo(f"\nYour file: {path} (it already exists and is kept as it is; "
                   f"`mltrainer reset {challenge.id}` starts over from a fresh stub, keeping a backup)")
    else:
        click.echo(f"\nYour file: {path}")
    _print_next_steps(challenge, path)


def _remembered_level() -> str:
    """The stub level last chosen in the app (settings.json), else the first level."""
    from trainer.settings import load_settings
    return load_settings().stub_level


def _print_next_steps(challenge, path) -> None:
    click.echo(f"Edit it, then run: mltrainer grade {challenge.id}")
    if challenge.examples:
        click.echo(f"On the way: mltrainer try {challenge.id} runs the examples (and your own calls, one per "
                   f"line in {path.with_suffix('.try').name}); python {path.name} runs them too.")


@click.command()
@click.argument("challenge_id")
@click.option("--level", type=click.Choice(LEVELS), default=None,
              help="guided: helper skeletons and TODOs; interview: signatures and docstrings only "
                   "[default: the level last chosen in the app (l), else guided].")
@workspace_option
def reset(challenge_id: str, level: str | None, workspace: str | None) -> None:
    """Start a challenge over: your file is kept as a backup beside it, then a fresh stub is written.

    The backup is `<ID>.py.<date-time>.bak` in the workspace (never
    overwriting an earlier one); the task is not shown again (`mltrainer show ID`).
    """
    from trainer.workspace import backed_up, writing

    level = level or _remembered_level()
    with open_session(workspace) as session:
        challenge = session.challenge(challenge_id)
        session.store   # a database that cannot be written is reported before any file is moved
        path = session.solution_path(challenge)
        with writing(path.parent), backed_up(path) as backup:
            session.start(challenge, level=level)   # put back if the stub cannot be written
    if backup is None:
        click.echo(f"There was no file to keep; wrote a fresh {level} stub to {path}")
    else:
        click.echo(f"Your previous file is kept as {backup}")
        click.echo(f"Wrote a fresh {level} stub to {path}")
    _print_next_steps(challenge, path)


@click.command()
@click.argument("challenge_id")
def hint(challenge_id: str) -> None:
    """Reveal the next hint (remembered between runs)."""
    with open_session() as session:
        challenge = session.challenge(challenge_id)
        index = session.reveal_hint(challenge)
    total = len(challenge.hints)
    if index is None:
        click.echo(f"No more hints: all {total} are revealed. Here they are again:\n")
        for i, text in enumerate(challenge.hints, 1):
            click.echo(f"Hint {i}/{total}: {text}\n")
        return
    click.echo(f"Hint {index + 1}/{total}: {challenge.hints[index]}")
    if index + 1 == total:
        click.echo("\nThat was the last hint.")
