"""Small pieces shared by the CLI commands: options, lookups, the store, output."""

from __future__ import annotations

import click

from trainer import paths

workspace_option = click.option(
    "--workspace", type=click.Path(file_okay=False), default=None,
    help=f"Folder of your solutions (default: ${paths.WORKSPACE_ENV} or ~/mltrainer).")


def get_challenge(challenge_id: str):
    """The challenge with this id (ChallengeNotFound suggests the nearest one)."""
    from trainer.catalog import load_catalog
    return load_catalog().get(challenge_id)


def open_store():
    """The progress store; says so on stderr when a damaged database was moved aside."""
    from trainer.store import Store
    store = Store.open()
    message = store.recovery_message
    if message:
        click.echo(f"warning: {message}", err=True)
    return store


def console(stderr: bool = False):
    """The CLI's rich console: markup in mltrainer's own strings, nothing else interpreted.

    No emoji codes and no highlighting: `:smile:` or a number in a path or a
    candidate's message prints as it is. Candidate text is never passed as
    markup (`trainer.render` prints it as rich Text; elsewhere, escape it).
    """
    from rich.console import Console
    return Console(stderr=stderr, emoji=False, highlight=False, soft_wrap=False)
