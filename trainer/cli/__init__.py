"""The `mltrainer` command line: a click group whose subcommands load lazily.

Each subcommand lives in its own module and is imported only when it runs
(or when `--help` lists it), so `mltrainer --help` and `mltrainer list` do
not import numpy, pytest or textual. Errors a user can cause
(`TrainerError`) are turned into a one-line message and exit code 2 here,
at the edge; no traceback reaches the user for them.

Exit codes: 0 success / all passed, 1 graded and failed, 2 usage or input error,
130 interrupted (Ctrl-C, whatever the command was doing).
"""

from __future__ import annotations

import importlib
import sys

import click

from trainer import __version__
from trainer.errors import TrainerError

# command name -> "module:attribute"
LAZY_COMMANDS = {
    "list": "trainer.cli.core:list_command",
    "show": "trainer.cli.core:show",
    "start": "trainer.cli.core:start",
    "reset": "trainer.cli.core:reset",
    "hint": "trainer.cli.core:hint",
    "try": "trainer.cli.try_:try_command",
    "grade": "trainer.cli.grade:grade",
    "compare": "trainer.cli.grade:compare",
    "check": "trainer.cli.grade:check",
    "merge": "trainer.cli.board:merge",
    "progress": "trainer.cli.progress:progress",
    "next": "trainer.cli.progress:next_command",
    "watch": "trainer.cli.watch:watch",
    "tui": "trainer.cli.tui:tui",
    "mock": "trainer.cli.mock:mock",
}


class UserError(click.ClickException):
    """A TrainerError shown as `Error: message`, with the error's exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


#: The exit status of a command stopped with Ctrl-C: 128 + SIGINT, what shells report.
INTERRUPTED = 130


class Interrupted(click.ClickException):
    """Ctrl-C reached the command line: one line on stderr, exit status 130 (never 1, "graded and failed")."""

    exit_code = INTERRUPTED

    def __init__(self) -> None:
        super().__init__("interrupted")

    def show(self, file=None) -> None:
        click.echo("\nInterrupted.", err=True)   # the blank line closes the terminal's ^C


class LazyGroup(click.Group):
    """A click group whose `lazy_commands` (name -> "module:attribute") are imported when first used.

    What an entry names is checked to be a click command when it loads (as
    click's docs on lazy groups advise), so a wrong entry fails with the entry
    named instead of an AttributeError deep in click; tests/test_cli_help.py
    loads every entry by running its `--help`.
    """

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, name: str):
        if name in self.lazy_commands:
            return self._load(name)
        return super().get_command(ctx, name)

    def _load(self, name: str) -> click.Command:
        target = self.lazy_commands[name]
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute, None)
        if not isinstance(command, click.Command):
            found = "nothing" if command is None else f"a {type(command).__name__}"
            raise TypeError(f"the command {name!r} is mapped to {target!r}, which is {found}, not a click command")
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError:
            import difflib
            name = args[0] if args else ""
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise click.UsageError(f"no command {name!r}.{hint} See `mltrainer --help`.", ctx) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TrainerError as exc:
            raise UserError(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise Interrupted() from None


@click.group(cls=LazyGroup, lazy_commands=LAZY_COMMANDS, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mltrainer")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Practise machine-learning coding interviews: start a challenge, write it,
    grade it against hidden tests and the reference's speed.

    \b
    Typical loop:
      mltrainer list              the challenges
      mltrainer start kmeans      write the stub into your workspace
      mltrainer try kmeans        your code on the examples, got beside expected
      mltrainer grade kmeans      hidden tests + speed vs the reference
      mltrainer hint kmeans       the next hint
      mltrainer compare kmeans    the reference beside your solution

    Run `mltrainer` alone for the full-screen app.
    """
    if ctx.invoked_subcommand not in (None, "mock") and not ctx.resilient_parsing:
        _finalise_expired_mock()
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())
            return
        from trainer.cli.tui import run_tui
        run_tui()


def _finalise_expired_mock() -> None:
    """A mock round whose deadline passed while nothing ran is finalised by the next command."""
    from trainer.mock.guard import a_round_may_be_open
    if not a_round_may_be_open():   # nearly always: one read-only query, nothing else imported
        return
    from trainer.cli.common import open_session
    try:
        with open_session() as session:
            session.finalise_expired_mock(lambda text: click.echo(text, err=True))
    except TrainerError as exc:
        raise UserError(str(exc), exc.exit_code) from None


def main(argv: list[str] | None = None) -> None:
    """The `mltrainer` console script.

    Ctrl-C ends every command with exit status 130: when the interrupt reaches
    click (`Interrupted`), and also when a command catches it to stop cleanly
    (watch mode says "Stopped watching.", the follow-up questions save the
    ratings given) and then exits as it would have: the process was still
    interrupted, and a shell or a script must not read 0 or 1 from it.
    """
    _start_lanes_early(sys.argv[1:] if argv is None else argv)
    interrupted, restore = _notice_interrupts()
    try:
        cli.main(args=argv, prog_name="mltrainer")
    except SystemExit as done:
        if interrupted.is_set() and done.code != INTERRUPTED:
            sys.exit(INTERRUPTED)
        raise
    except KeyboardInterrupt:   # one that arrived after click's own handlers
        sys.exit(INTERRUPTED)
    finally:
        restore()


# Commands whose first grading should not wait for the lane server's imports.
_GRADING_COMMANDS = ("grade", "watch")


def _start_lanes_early(args: list[str]) -> None:
    """Start the lane server (trainer/warm.py) before click and the command's modules load.

    Its imports then overlap with everything the command does before its
    first grading (about 0.1 s sooner than the command itself could start
    it). Not for help, and never an error: the command starts it anyway.
    """
    if not args or args[0] not in _GRADING_COMMANDS or any(a in ("-h", "--help") for a in args):
        return
    from trainer.engine import prewarm
    prewarm()


def _notice_interrupts():
    """Note every SIGINT (then raise KeyboardInterrupt as Python does): (the event, undo).

    Left alone when SIGINT is not Python's default handler (ignored by a
    `nohup`, or handled by an embedding program) or outside the main thread.
    """
    import signal
    import threading

    seen = threading.Event()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        return seen, lambda: None

    def on_interrupt(signum, frame):
        seen.set()
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, on_interrupt)
    return seen, lambda: signal.signal(signal.SIGINT, signal.default_int_handler)
