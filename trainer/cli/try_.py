"""`mltrainer try`: run a solution on the challenge's examples and the user's own inputs, in the sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trainer.cli.common import console, open_session, workspace_option
from trainer.cli.grade import isolation_option, warn_about_isolation


@click.command("try")
@click.argument("challenge_id")
@click.option("--solution", type=click.Path(dir_okay=False), default=None,
              help="Try this file instead of the one in your workspace.")
@click.option("--inputs", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Your own inputs (default: the .try file beside the solution, e.g. kmeans.try, when it exists).")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=600), default=None, metavar="SECONDS",
              help="How long one call may take (default: the challenge's call timeout).")
@isolation_option
@workspace_option
def try_command(challenge_id: str, solution: str | None, inputs: str | None, timeout: float | None,
                isolation: str | None, workspace: str | None) -> None:
    """Run your solution on the challenge's examples and print what it returns beside what is expected.

    The examples are those `mltrainer show ID` prints. Calls run in the same
    sandbox as grading; nothing is recorded.

    \b
    Your own inputs go in a file beside the solution, named after it with
    .try (softmax.py -> softmax.try), one call per line:
        # a comment
        softmax(np.array([0.0, 0.0])) -> np.array([0.5, 0.5])
        softmax(np.array([1e308, 0.0]))
        cross_entropy(np.array([[1.0, 2.0]]), np.array([2])) -> raises ValueError
    A call is plain Python over literals: numbers, strings, lists, tuples,
    dicts, np.array([...], dtype=...), np.zeros/ones/arange, np.inf, np.nan,
    np.random.default_rng(seed), and a method of what a call returns
    (VPTree(P).query(q, 2)). Without `-> expected`, only the result is shown.

    Exit status: 0 every example matched, 1 some did not (or the file fails
    its static checks), 2 usage or input error (e.g. a bad line in the .try
    file, reported as file:line).
    """
    from trainer.examples import closing_lines, outcome_lines, preamble_lines

    out = console()
    with open_session(workspace) as session:
        challenge = session.challenge(challenge_id)
        warn_about_isolation(isolation)
        path = Path(solution) if solution else session.solution_path(challenge)
        started = []

        def on_start(report) -> None:      # the import went well: what it printed, then each example as it runs
            started.append(True)
            _print(out, header)
            for line in preamble_lines(report):
                _print(out, line)

        def on_outcome(outcome) -> None:
            for line in outcome_lines(outcome):
                _print(out, line)

        header = [(challenge.id, "bold"), (" · ", ""), (str(path), "")]
        report = session.try_examples(challenge, path,
                                      inputs=Path(inputs) if inputs else None, isolation=isolation,
                                      timeout=timeout, on_start=on_start, on_outcome=on_outcome)
    if not started:
        _print(out, header)
        for line in preamble_lines(report):
            _print(out, line)
    for line in closing_lines(report):
        _print(out, line)
    sys.exit(0 if report.passed else 1)


def _print(out, pieces: list[tuple[str, str]]) -> None:
    """One line of (text, style) pieces: never markup, and never a line a CI runner would run as a command."""
    from rich.text import Text

    from trainer.render import neutralise_ci_commands
    from trainer.report import inert

    plain = inert("".join(text for text, _ in pieces))
    safe = neutralise_ci_commands(plain)
    line = Text(safe) if safe != plain else Text.assemble(*((inert(t), s) for t, s in pieces))
    out.print(line, soft_wrap=True, markup=False, emoji=False, highlight=False)
