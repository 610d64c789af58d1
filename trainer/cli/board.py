"""`mltrainer merge`, and what `grade --roster` and `merge` share: the output file, the board's
formats, the CI conventions and the exit status.

Exit status of a roster run and of a merge: 0 when every submission on the
board was graded (members' failures, missing files and refused files are on
the board, not in the exit status), 1 when some grading run could not
complete (those cells say "error" and why; the board is still written), 2
for usage and input errors (nothing is graded, nothing is written).

When GITHUB_ACTIONS is "true", the Markdown board is appended to the file
named by $GITHUB_STEP_SUMMARY, and one `::error` annotation per failed test
is printed on stdout, where the runner reads workflow commands, unless
stdout carries the report itself (a --format other than text without
--output): annotations would corrupt it, so they are left out and a line on
stderr says so.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from trainer.errors import InputError

BOARD_FORMATS = ("text", "json", "junit", "markdown", "html")


def prepare_output(output: str | None) -> Path | None:
    """The --output file, its folder created, checked writable now (InputError, exit 2, if not).

    Called before any grading starts, so that an output that cannot be
    written is reported at once, not after the work. A file that did not
    exist is not left behind by the check.
    """
    if not output:
        return None
    path = Path(output).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write --output {path}: cannot create the folder {path.parent} "
                         f"({exc.strerror or exc})") from None
    if path.is_dir():
        raise InputError(f"cannot write --output {path}: it is a folder")
    existed = path.exists()
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise InputError(f"cannot write --output {path}: {exc.strerror or exc}") from None
    if not existed:
        path.unlink(missing_ok=True)
    return path


def write_output(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write --output {path}: {exc.strerror or exc}") from None


def text_board(board) -> str:
    """The text board as plain text (no colours), for a file."""
    import io

    from rich.console import Console

    from trainer import render_board
    buffer = io.StringIO()
    render_board.to_text(board, Console(file=buffer, width=200, color_system=None, force_terminal=False,
                                        emoji=False, highlight=False, soft_wrap=False))
    return buffer.getvalue()


def render(board, fmt: str) -> str:
    from trainer import render_board
    if fmt == "text":
        return text_board(board)
    return {"json": render_board.to_json, "junit": render_board.to_junit, "markdown": render_board.to_markdown,
            "html": render_board.to_html}[fmt](board)


def exit_status(board) -> int:
    """0: every submission was graded; 1: some grading could not complete (its cell says "error")."""
    return 1 if any(cell.verdict == "error" for cell in board.cells.values()) else 0


def emit(board, fmt: str, output: Path | None, *, roster_dir: Path | None) -> None:
    """Print and write the board as asked, and follow the CI's conventions.

    The text board goes to stdout unless stdout carries the report (a format
    other than text, without --output).
    """
    from trainer import render_board
    from trainer.cli.common import console
    report_on_stdout = fmt != "text" and output is None
    if output is not None:
        write_output(output, render(board, fmt))
    if report_on_stdout:
        click.echo(render(board, fmt), nl=False)
    else:
        render_board.to_text(board, console())
    if os.environ.get("GITHUB_ACTIONS") == "true":
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            try:
                render_board.append_step_summary(board, Path(summary))
            except OSError as exc:
                click.echo(f"warning: cannot append the leaderboard to $GITHUB_STEP_SUMMARY ({summary}): "
                           f"{exc.strerror or exc}", err=True)
        if roster_dir is None:
            return
        if report_on_stdout:
            click.echo("note: no CI annotations: stdout carries the report (write it with --output to get them)",
                       err=True)
            return
        for line in render_board.github_annotations(board, roster_dir):
            click.echo(line)
        sys.stdout.flush()


def _read_board(path: Path):
    from trainer.leaderboard import VERDICTS, Leaderboard
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a leaderboard file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a leaderboard (not UTF-8 text)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        where = f" at line {exc.lineno}" if hasattr(exc, "lineno") else ""
        raise InputError(f"{path}: not valid JSON ({getattr(exc, 'msg', exc)}{where}); a leaderboard is written by "
                         "`mltrainer grade --roster DIR --format json`") from None
    try:
        board = Leaderboard.from_dict(data)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise InputError(f"{path}: not a valid leaderboard (a field is missing or has the wrong type: "
                         f"{type(exc).__name__} {exc})") from None
    members, challenges = set(board.members), set(board.challenges)
    for (member, challenge_id), cell in board.cells.items():
        if member not in members or challenge_id not in challenges or cell.verdict not in VERDICTS:
            raise InputError(f"{path}: not a valid leaderboard (a cell of {member!r} x {challenge_id!r} "
                             f"with verdict {cell.verdict!r} does not belong to its table)")
    if board.shard is not None and not 1 <= board.shard[0] <= board.shard[1]:
        raise InputError(f"{path}: not a valid leaderboard (shard {board.shard[0]}/{board.shard[1]})")
    return board


def merge_boards(paths: list[Path]):
    """One leaderboard from the shard files (InputError naming the file or the missing shards)."""
    from trainer.leaderboard import merge as merge_model
    boards = [(path, _read_board(path)) for path in paths]
    first_path, first = boards[0]
    for path, board in boards[1:]:
        if board.members != first.members or board.challenges != first.challenges:
            raise InputError(f"{path} and {first_path} are not shards of one roster run (their members or "
                             "challenges differ)")
    splits = sorted({board.shard[1] for _, board in boards if board.shard is not None})
    if len(splits) > 1:
        raise InputError(f"these boards come from runs split in different ways ({' and '.join(map(str, splits))} "
                         "shards); merge the shards of one run")
    try:
        merged = merge_model(board for _, board in boards)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if not merged.complete:
        if splits:
            n = splits[0]
            have = {board.shard[0] for _, board in boards if board.shard is not None}
            missing = [str(i) for i in range(1, n + 1) if i not in have]
            raise InputError(f"the merged leaderboard is incomplete: shard{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)} of {n} {'are' if len(missing) > 1 else 'is'} missing")
        gaps = [f"{m}/{c}" for m in merged.members for c in merged.challenges if (m, c) not in merged.cells]
        raise InputError(f"the merged leaderboard is incomplete: {len(gaps)} member x challenge cell"
                         f"{'s are' if len(gaps) > 1 else ' is'} missing (e.g. {gaps[0]})")
    return merged


@click.command()
@click.argument("boards", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(BOARD_FORMATS), default="text", show_default=True,
              help="Leaderboard format: text, json (what merge reads), junit, markdown (a CI summary page), "
                   "html (one self-contained page with a sortable table).")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Write the leaderboard to this file (folders are created; the text board still goes to "
                   "stdout).")
@click.option("--roster", "roster_dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="The roster folder the shards graded, as they named it: with GITHUB_ACTIONS=true, print an "
                   "annotation on the member's file for each failed test (the shard jobs print those of "
                   "their own cells already).")
def merge(boards: tuple[str, ...], fmt: str, output: str | None, roster_dir: str | None) -> None:
    """Merge the leaderboards of the shards of one roster run into one.

    BOARDS are the JSON files written by `mltrainer grade --roster DIR --shard I/N --format json --output
    FILE`, one per shard. The merged leaderboard is exactly what one unsharded run would print for the same
    verdicts. A missing shard, a file that is not a leaderboard, or boards of different runs: exit 2.

    Exit status: 0 every submission was graded, 1 some grading could not complete (its cell says "error"),
    2 usage or input error.
    """
    output_path = prepare_output(output)
    board = merge_boards([Path(b) for b in boards])
    emit(board, fmt, output_path, roster_dir=Path(roster_dir) if roster_dir else None)
    sys.exit(exit_status(board))
