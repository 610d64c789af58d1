"""`mltrainer tui` (and `mltrainer` alone): the full-screen app."""

from __future__ import annotations

import sys

import click

from trainer.cli.common import open_session, workspace_option


def run_tui(theme: str | None = None, workspace: str | None = None) -> None:
    """Open the app. The catalog and the store are loaded first, so their errors
    are reported at the command line like any other (no traceback)."""
    from trainer.tui.app import TrainerApp

    context = open_session(workspace)
    context.catalog  # noqa: B018 - load (and validate) now
    context.store  # noqa: B018 - open now (a damaged database moved aside is reported here)
    app = TrainerApp(context, theme=theme)
    try:
        app.run()
    finally:
        app.stop_gradings()   # also when the app ended without quitting (Ctrl-C, a crash)
        if app.stopped_gradings:
            click.echo("Stopped the grading run in progress; it was not recorded.", err=True)
        context.close()
    if app.return_code:   # Textual's code after an unhandled error: not a clean exit
        sys.exit(app.return_code)


@click.command()
@click.option("--theme", type=click.Choice(["dark", "light"]), default=None,
              help="Colour theme (t switches inside the app) [default: the theme you last chose with t, "
                   "else dark].")
@workspace_option
def tui(theme: str | None, workspace: str | None) -> None:
    """Open the full-screen app: dashboard, browser, grading, compare."""
    run_tui(theme=theme, workspace=workspace)
