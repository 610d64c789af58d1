"""`mltrainer tui` (and `mltrainer` alone): the full-screen app."""

from __future__ import annotations

import click

from trainer.cli.common import workspace_option


def run_tui(theme: str = "dark", workspace: str | None = None) -> None:
    """Open the app. The catalog and the store are loaded first, so their errors
    are reported at the command line like any other (no traceback)."""
    from pathlib import Path

    from trainer.tui.app import TrainerApp
    from trainer.tui.context import TrainerContext

    context = TrainerContext(workspace=Path(workspace).expanduser() if workspace else None)
    context.catalog  # noqa: B018 - load (and validate) now
    store = context.store
    if store.recovery_message:
        click.echo(f"warning: {store.recovery_message}", err=True)
    try:
        TrainerApp(context, theme=theme).run()
    finally:
        if context.grading_in_progress:
            context.cancel_gradings()
            click.echo("Stopped the grading run in progress; it was not recorded.", err=True)
        context.close()


@click.command()
@click.option("--theme", type=click.Choice(["dark", "light"]), default="dark", show_default=True,
              help="Colour theme (t switches inside the app).")
@workspace_option
def tui(theme: str, workspace: str | None) -> None:
    """Open the full-screen app: dashboard, browser, grading, compare."""
    run_tui(theme=theme, workspace=workspace)
