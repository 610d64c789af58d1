"""Small pieces shared by the CLI commands: options, lookups, the store, output."""

from __future__ import annotations

import click

from trainer import paths

workspace_option = click.option(
    "--workspace", type=click.Path(file_okay=False), default=None,
    help=f"Folder of your solutions (default: ${paths.WORKSPACE_ENV} or ~/mltrainer).")


def open_session(workspace: str | None = None):
    """The user's session (trainer.session): every command goes through it.

    A damaged database moved aside is reported on stderr when the store is
    first opened.
    """
    from pathlib import Path

    from trainer.session import Session
    return Session(workspace=Path(workspace).expanduser() if workspace else None,
                   on_warning=lambda message: click.echo(f"warning: {message}", err=True))


def console(stderr: bool = False):
    """The CLI's rich console: markup in mltrainer's own strings, nothing else interpreted.

    No emoji codes and no highlighting: `:smile:` or a number in a path or a
    candidate's message prints as it is. Candidate text is never passed as
    markup (`trainer.render` prints it as rich Text; elsewhere, escape it).
    """
    from rich.console import Console
    return Console(stderr=stderr, emoji=False, highlight=False, soft_wrap=False)
