"""`mltrainer list`, `show`, `start` and `hint`: the catalog and the workspace."""

from __future__ import annotations

import click

from trainer.catalog import LEVELS
from trainer.cli.common import console, open_session, workspace_option


@click.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_command(fmt: str) -> None:
    """List the challenges: id, title, difficulty, topics."""
    from trainer.catalog import load_catalog
    catalog = load_catalog()
    if fmt == "json":
        import json
        click.echo(json.dumps([{"id": c.id, "title": c.title, "difficulty": c.difficulty, "topics": list(c.topics),
                                "minutes": c.minutes, "summary": c.summary} for c in catalog], indent=2))
        return
    from rich.table import Table
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "title", "difficulty", "topics"):
        table.add_column(column)
    for c in catalog:
        table.add_row(c.id, c.title, c.difficulty, ", ".join(c.topics))
    out = console()
    out.print(table)
    out.print(f"\n{len(catalog)} challenges. `mltrainer show ID` for the task, `mltrainer start ID` to begin.")


def _print_task(challenge) -> None:
    from rich.markdown import Markdown
    from rich.markup import escape
    out = console()
    out.print(f"[bold]{escape(challenge.title)}[/] ({challenge.id}) · {challenge.difficulty} · "
              f"{escape(', '.join(challenge.topics))} · about {challenge.minutes} min")
    out.print()
    out.print(Markdown(challenge.description))
    out.print()
    out.print("[bold]You write[/]")
    for api in challenge.api:
        out.print(f"  {escape(api.signature)}" + ("  [dim](bonus)[/]" if api.bonus else ""), highlight=False)
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
@click.option("--level", type=click.Choice(LEVELS), default="guided", show_default=True,
              help="guided: helper skeletons and TODOs; interview: signatures and docstrings only.")
@click.option("--force", is_flag=True, help="Overwrite an existing solution (the old file is kept as a .bak).")
@workspace_option
def start(challenge_id: str, level: str, force: bool, workspace: str | None) -> None:
    """Write the challenge's stub into your workspace and show the task."""
    with open_session(workspace) as session:
        challenge = session.challenge(challenge_id)
        path = session.start(challenge, level=level, force=force)
    _print_task(challenge)
    click.echo(f"\nYour file: {path}")
    click.echo(f"Edit it, then run: mltrainer grade {challenge.id}")
    if challenge.examples:
        click.echo(f"On the way: mltrainer try {challenge.id} runs the examples (and your own calls, one per "
                   f"line in {path.with_suffix('.try').name}); python {path.name} runs them too.")


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
