"""`mltrainer mock`: timed mock interviews from the command line.

Thin commands over the mock operations of :class:`trainer.session.Session`
(the rounds themselves, the clock and the score are :mod:`trainer.mock`'s):

    mltrainer mock [--minutes N] [--count K] [--topic T] [--difficulty D] [--seed S]
    mltrainer mock status      time left and the files to edit
    mltrainer mock check [ID]  grade one file now, without handing in
    mltrainer mock submit      hand in: grade, scorecard, follow-up questions
    mltrainer mock abandon     end the round without grading
    mltrainer mock card [N]    a handed-in round's scorecard; rate its follow-ups
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from trainer.catalog import DIFFICULTIES, LEVELS
from trainer.cli.common import console, open_session, workspace_option
from trainer.mock.format import (
    CATEGORY_COLUMNS,
    clock_time,
    ended_phrase,
    failed_test_lines,
    file_state,
    format_duration,
    item_cells,
    key_point_lines,
    late_edit_note,
    rating_scale,
    score_breakdown,
    time_used_of_allotted,
)
from trainer.mock.models import DEFAULT_LEVEL, DONE, GRADING, MAX_COUNT, MAX_MINUTES

if TYPE_CHECKING:
    from trainer.mock import MockSession, Scorecard
    from trainer.session import Session
    from trainer.store import Store

START_OPTIONS = ("minutes", "count", "topic", "difficulty", "seed", "level", "workspace")


def _minutes(n: int) -> str:
    """'1 minute', '30 minutes'."""
    return f"{n} minute{'s' if n != 1 else ''}"


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


@click.group("mock", invoke_without_command=True)
@click.option("--minutes", type=click.IntRange(1, MAX_MINUTES), default=None,
              help="Length of the round [default: the sum of the challenges' own minutes].")
@click.option("--count", type=click.IntRange(1, MAX_COUNT), default=1, show_default=True,
              help="How many challenges.")
@click.option("--topic", default=None, help="Only challenges with this topic.")
@click.option("--difficulty", type=click.Choice(DIFFICULTIES), default=None,
              help="Only challenges of this difficulty.")
@click.option("--seed", type=int, default=None,
              help="Reproducible pick, the same for everyone (it ignores your history): "
                   "a study group runs the same round.")
@click.option("--level", type=click.Choice(LEVELS), default=DEFAULT_LEVEL,
              show_default=True, help="Stub level of the round's files.")
@workspace_option
@click.pass_context
def mock(ctx: click.Context, minutes: int | None, count: int, topic: str | None,
         difficulty: str | None, seed: int | None, level: str, workspace: str | None) -> None:
    """A timed mock interview: challenges, a clock, a scorecard, follow-up questions.

    Alone, starts a round: picks COUNT challenges (favouring topics you are weak
    in or have not seen, unless --seed is given), writes fresh stubs into
    <workspace>/mock/<round>/ (your practice files are never touched) and
    starts the clock. The deadline is stored, so closing the terminal loses
    nothing; if it passes with no submit, the next mltrainer command grades
    the round as it was at the deadline. Hints are off during a round.

    \b
      mltrainer mock --count 2     start a round of two challenges
      mltrainer mock status        time left, the files to edit
      mltrainer mock check [ID]    grade a file now, without handing in
      mltrainer mock submit        hand in: scorecard, then follow-up questions
      mltrainer mock abandon       end the round without grading
      mltrainer mock card [N]      the scorecard of a handed-in round

    The score formula is printed with every scorecard (and in docs/mock.md).
    """
    if ctx.invoked_subcommand is not None:
        from click.core import ParameterSource

        given = [name for name in START_OPTIONS
                 if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)]
        if given:
            raise click.UsageError(
                f"--{given[0]} is an option of starting a round (`mltrainer mock --{given[0]} ...`), "
                f"not of `mltrainer mock {ctx.invoked_subcommand}`")
        return
    _start(minutes=minutes, count=count, topic=topic, difficulty=difficulty, seed=seed, level=level,
           workspace=workspace)


def _start(*, workspace: str | None, **options) -> None:
    from trainer import paths
    from trainer.cli.core import _print_task
    from trainer.workspace import writing

    with open_session(workspace) as app:
        # `mltrainer mock` is a "next command" too: an expired round is finalised first.
        app.finalise_expired_mock(_echo_err)
        # The round's folder and stubs go under the workspace; a round that cannot write them is
        # not started (nothing recorded), and the reason is one line.
        with writing(paths.workspace_dir(workspace)):
            session = app.start_mock(**options)
        challenges = [app.challenge(item.challenge_id) for item in session.items]
    for challenge in challenges:
        _print_task(challenge)
        click.echo()
    n = len(session.items)
    click.echo(f"Mock round {session.id} started: {n} challenge{'s' if n != 1 else ''}, "
               f"{_minutes(session.minutes)}, deadline {clock_time(session.deadline)}.")
    for item in session.items:
        click.echo(f"  {item.challenge_id}: {item.path}")
    if session.seeded:
        share = f"mltrainer mock --seed {session.seed} --count {n}"
        for name in ("topic", "difficulty"):
            if options.get(name):
                share += f" --{name} {options[name]}"
        click.echo(f"Anyone can run the same round with: {share}")
    else:
        click.echo("Picked with your weak and unseen topics first.")
    click.echo("Edit the files, then run `mltrainer mock submit`. "
               "`mltrainer mock status` shows the time left; hints are off until you hand in.")


# --------------------------------------------------------------------------
# status
# --------------------------------------------------------------------------


@mock.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status(fmt: str) -> None:
    """Time left in the running round and the files to edit."""
    with open_session() as app:
        session = app.current_mock()
        now = app.now()
        last = None if session is not None else app.latest_mock()
    if fmt == "json":
        data: dict = {"running": session is not None}
        if session is not None:
            data.update(_session_dict(session, now))
        elif last is not None:
            data["last"] = {"id": last.id, "state": last.state, "score": last.score}
        click.echo(json.dumps(data, indent=2))
        return
    if session is None:
        click.echo("No mock round is running. Start one with `mltrainer mock`.")
        if last is not None and last.state == DONE:
            click.echo(f"The last one, round {last.id}, scored {last.score:.1f} / 100 "
                       "(`mltrainer mock card` shows it).")
        return
    left = session.remaining(now).total_seconds()
    if session.state == GRADING:
        click.echo(f"Mock round {session.id} is being graded.")
    elif left > 0:
        click.echo(f"Mock round {session.id}: {format_duration(left)} left "
                   f"(deadline {clock_time(session.deadline)}, {_minutes(session.minutes)} in all).")
    else:
        click.echo(f"Mock round {session.id}: time is up since {clock_time(session.deadline)} "
                   f"({format_duration(-left)} ago). `mltrainer mock submit` hands it in, "
                   "marked late.")
    for item in session.items:
        checks = f", graded {item.checks}x" if item.checks else ""
        click.echo(f"  {item.challenge_id:<14} {file_state(item):<9}{checks}  {item.path}")


def _session_dict(session: "MockSession", now) -> dict:
    return {
        "id": session.id,
        "state": session.state,
        "started_at": session.started_at.isoformat(),
        "deadline": session.deadline.isoformat(),
        "minutes": session.minutes,
        "remaining_s": session.remaining(now).total_seconds(),
        "seed": session.seed if session.seeded else None,
        "files": [{"challenge_id": i.challenge_id, "path": str(i.path), "state": file_state(i),
                   "checks": i.checks} for i in session.items],
    }


# --------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------


@mock.command("check")
@click.argument("challenge_id", required=False)
def check(challenge_id: str | None) -> None:
    """Grade one file of the round now, without handing anything in.

    Not recorded as a grade; the scorecard counts these checks. CHALLENGE_ID
    may be left out when the round has one challenge.
    """
    from trainer import render

    out = console()
    with open_session() as app:
        with (out.status("grading...") if out.is_terminal else _null()):
            report = app.check_mock(challenge_id)
        session = app.current_mock()
        now = app.now()
    render.print_text(report, out)
    if session is not None:
        left = session.remaining(now).total_seconds()
        out.print(f"\n{format_duration(left)} left in mock round {session.id}. "
                  "Nothing was handed in: `mltrainer mock submit` does that.")
    sys.exit(0 if report.passed else 1)


def _null():
    import contextlib
    return contextlib.nullcontext()


# --------------------------------------------------------------------------
# submit, abandon, card
# --------------------------------------------------------------------------


@mock.command("submit")
@click.option("--no-follow-ups", is_flag=True,
              help="Do not ask the follow-up questions (for scripts and CI; `mock card` asks them later).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: the scorecard as JSON, no questions asked.")
def submit(no_follow_ups: bool, fmt: str) -> None:
    """Hand in the round: grade every file, show the scorecard, ask the follow-ups.

    After the deadline the round is still graded, but marked late with the
    overrun. Exit status: 0 every challenge passed, 1 otherwise.
    """
    with open_session() as app:
        def progress(challenge_id: str, i: int, n: int) -> None:
            _echo_err(f"grading {challenge_id} ({i + 1}/{n})...")

        card = app.submit_mock(on_progress=progress)
        if fmt == "json":
            click.echo(json.dumps(card.to_dict(), indent=2))
        else:
            print_scorecard(card)
            if not no_follow_ups:
                ask_follow_ups(app, card.session_id)
    sys.exit(0 if card.all_passed else 1)


@mock.command("abandon")
def abandon() -> None:
    """End the running round without grading it (its files are kept)."""
    with open_session() as app:
        session = app.abandon_mock()
    click.echo(f"Mock round {session.id} abandoned; its files stay in {session.folder}.")


@mock.command("card")
@click.argument("round_id", type=int, required=False)
@click.option("--no-follow-ups", is_flag=True, help="Only show the card; do not ask the follow-up questions.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def card(round_id: int | None, no_follow_ups: bool, fmt: str) -> None:
    """The scorecard of a handed-in round (the latest by default), then its unrated follow-ups."""
    from trainer.mock import MockError

    with open_session() as app:
        if round_id is None:
            last = app.latest_mock(finished=True)
            if last is None:
                raise MockError("no mock round has been handed in yet")
            round_id = last.id
        scorecard = app.mock_scorecard(round_id)
        if fmt == "json":
            data = scorecard.to_dict()
            data["follow_ups"] = [
                {"challenge_id": f.challenge_id, "index": f.index, "question": f.question, "rating": f.rating,
                 "key_points": list(f.key_points)}
                for f in app.mock_follow_ups(round_id)
            ]
            click.echo(json.dumps(data, indent=2))
            return
        print_scorecard(scorecard)
        if not no_follow_ups:
            ask_follow_ups(app, round_id)


OUTCOME_STYLE = {"passed": "bold green", "failed": "bold red", "rejected": "bold red",
                 "error": "bold red", "missing": "bold red"}


def print_scorecard(card: "Scorecard") -> None:
    """The scorecard, with the formula, and per challenge the names of the failing tests."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    out = console()
    out.print(f"[bold]Mock round {card.session_id}[/]: {ended_phrase(card)} {clock_time(card.handed_in_at)}, "
              f"{time_used_of_allotted(card)}")
    if card.late:
        out.print(f"[bold red]LATE[/] by {format_duration(card.overrun_s)}")
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("challenge", justify="left")
    table.add_column("result", justify="left")
    for name in (*CATEGORY_COLUMNS.values(), "speed", "time used", "points"):
        table.add_column(name, justify="right")
    for item in card.items:
        style = OUTCOME_STYLE.get(item.outcome, "")
        table.add_row(
            item.challenge_id,
            f"[{style}]{item.outcome}[/]" if style else item.outcome,
            *item_cells(item),
        )
    out.print(table)
    for item in card.items:
        notes = []
        if item.edited_late_s:
            notes.append(late_edit_note(item.edited_late_s))
        if item.bonus[1]:
            notes.append(f"bonus {item.bonus[0]}/{item.bonus[1]} (not scored)")
        if item.checks:
            notes.append(f"graded {item.checks}x before handing in")
        if item.message:
            notes.append(item.message)
        if notes:
            out.print(f"  {item.challenge_id}: " + "; ".join(notes), highlight=False, markup=False)
    for item in card.items:
        failures = failed_test_lines(item)
        if failures:
            out.print(f"\n[bold]{item.challenge_id}[/]: what failed")
            # Mark and text in two columns: a long test name wraps under its own start.
            listing = Table.grid(padding=(0, 1))
            listing.add_column(width=1)
            listing.add_column(overflow="fold")
            for line in failures:
                mark, text = line[:1], line[2:]
                listing.add_row(Text(mark, style="bold red" if mark == "✗" else "dim"), Text(text))
            out.print(Padding(listing, (0, 0, 0, 2)))
    out.print(f"\n[bold]Score {card.score:.1f} / 100[/]  ({score_breakdown(card)})")
    out.print(f"[dim]{card.formula}[/]", highlight=False)


def ask_follow_ups(app: "Session", round_id: int) -> None:
    """Ask the unrated follow-up questions one at a time; the user rates each answer 1-4,
    then sees the key points of a good answer."""
    pending = [f for f in app.mock_follow_ups(round_id) if f.rating is None]
    if not pending:
        return
    scale = rating_scale(" · ")
    click.echo(f"\nFollow-up questions. Answer each aloud or on paper, then rate your answer:\n"
               f"  {scale}   (s skips, q stops)")
    per_challenge: dict[str, int] = {}
    for f in app.mock_follow_ups(round_id):
        per_challenge[f.challenge_id] = per_challenge.get(f.challenge_id, 0) + 1
    rated = 0
    for f in pending:
        click.echo(f"\n[{f.challenge_id} {f.index + 1}/{per_challenge[f.challenge_id]}] {f.question}")
        try:
            answer = click.prompt("Your rating", type=click.Choice(["1", "2", "3", "4", "s", "q"]),
                                  show_choices=True)
        except click.Abort:  # end of input (a script): stop asking, nothing is lost
            click.echo()
            break
        if answer == "q":
            break
        if answer == "s":
            continue
        app.rate_follow_up(round_id, f, int(answer))
        rated += 1
        _echo_key_points(f)
    left = len(pending) - rated
    click.echo(f"\nSaved {rated} rating{'s' if rated != 1 else ''}."
               + (f" {left} question{'s' if left != 1 else ''} unrated: "
                  f"`mltrainer mock card {round_id}` asks again." if left else ""))


def _echo_key_points(follow_up) -> None:
    """The key points of a good answer, each wrapped to the terminal under its own start."""
    import shutil

    lines = key_point_lines(follow_up)
    if not lines:
        return
    width = max(40, min(100, shutil.get_terminal_size().columns))
    click.secho(lines[0], bold=True)
    for point in lines[1:]:
        click.echo(click.wrap_text(point[2:], width, initial_indent="  - ", subsequent_indent="    "))


# --------------------------------------------------------------------------
# progress --mock
# --------------------------------------------------------------------------


def print_sessions(store: "Store", fmt: str = "text") -> None:
    """Past rounds with their scores: the body of `mltrainer progress --mock`."""
    from rich.table import Table

    from trainer.mock import session_summaries
    from trainer.progress import ago

    summaries = session_summaries(store)
    if fmt == "json":
        click.echo(json.dumps([s.to_dict() for s in summaries], indent=2))
        return
    if not summaries:
        click.echo("No mock rounds yet. Start one with `mltrainer mock`.")
        return
    now = store.clock()
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, justify in (("round", "right"), ("when", "left"), ("challenges", "left"),
                          ("passed", "right"), ("score", "right"), ("late", "left"),
                          ("follow-ups", "right")):
        table.add_column(name, justify=justify)
    for s in summaries:
        if s.state == DONE:
            score = f"{s.score:.1f}"
        else:
            score = {"abandoned": "abandoned", "active": "running", "grading": "grading"}.get(s.state, s.state)
        table.add_row(
            str(s.id),
            ago(s.started_at, now),
            ", ".join(s.challenges),
            f"{s.passed}/{len(s.challenges)}" if s.state == DONE else "-",
            score,
            format_duration(s.overrun_s) if s.late else "",
            "-" if s.mean_rating is None else f"{s.mean_rating:.1f}/4 ({s.ratings})",
        )
    out = console()
    out.print(table)
    done = [s for s in summaries if s.state == DONE and s.score is not None]
    if done:
        best = max(done, key=lambda s: s.score)
        out.print(f"\n{len(done)} round{'s' if len(done) != 1 else ''} handed in; "
                  f"best {best.score:.1f} (round {best.id}), "
                  f"mean {sum(s.score for s in done) / len(done):.1f}.")
