"""`--help` of every command, and the lazy group's check of what it loads.

The subcommands of `mltrainer` are imported only when used (trainer/cli/__init__.py),
so a wrong entry in LAZY_COMMANDS or a command module that no longer imports
shows only when that command runs. As click's docs on lazy groups advise, one
parametrised test runs `--help` for every command and subcommand, found by
walking the group the way click does (list_commands, then get_command, which
loads each lazy command).
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from trainer.cli import LAZY_COMMANDS, LazyGroup, cli


def command_paths(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every command below `group` (`("mock", "status")`, ...), nested groups included."""
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        found.append((*path, name))
        if isinstance(command, click.Group):
            found += command_paths(command, click.Context(command, info_name=name, parent=ctx), (*path, name))
    return found


COMMAND_PATHS = command_paths(cli, click.Context(cli, info_name="mltrainer"))


def test_the_walk_finds_every_lazy_command_and_the_mock_subcommands():
    assert {path[0] for path in COMMAND_PATHS} == set(LAZY_COMMANDS)
    assert ("mock", "status") in COMMAND_PATHS and ("mock", "submit") in COMMAND_PATHS


@pytest.mark.parametrize("path", [(), *COMMAND_PATHS], ids=lambda path: " ".join(path) or "mltrainer")
def test_help_of_every_command(path):
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="mltrainer", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Usage: {' '.join(('mltrainer', *path))} " in result.output


@pytest.mark.parametrize("target, found", [
    ("trainer.cli:LAZY_COMMANDS", "a dict"),               # exists, but is not a command
    ("trainer.cli.core:no_such_command", "nothing"),       # the module has no such name
])
def test_the_lazy_group_refuses_an_entry_that_is_not_a_command(target, found):
    group = LazyGroup(name="broken", lazy_commands={"oops": target})
    ctx = click.Context(group, info_name="broken")
    with pytest.raises(TypeError, match=f"'oops' is mapped to '{target}', which is {found}, not a click command"):
        group.get_command(ctx, "oops")
    with pytest.raises(TypeError, match="not a click command"):
        CliRunner().invoke(group, ["oops", "--help"], catch_exceptions=False)


def test_the_lazy_group_loads_a_good_entry_only_when_asked():
    group = LazyGroup(name="good", lazy_commands={"show": "trainer.cli.core:show", "oops": "trainer.cli:LAZY_COMMANDS"})
    ctx = click.Context(group, info_name="good")
    assert group.list_commands(ctx) == ["oops", "show"]         # listing loads nothing
    assert group.get_command(ctx, "show").name == "show"
    assert group.get_command(ctx, "nope") is None               # unknown names are click's usual "no such command"
