"""Follow-up questions with the key points of a good answer: the catalog's two forms and
their validation, the bundled challenges' key points, and the command line showing
them once an answer is rated.

The command-line round here hands in a deleted file: it is scored "missing" without
grading, so the follow-up flow runs in well under a second with the real CLI and a
real progress database.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from trainer.catalog import MAX_KEY_POINTS, FollowUpQuestion, load_catalog
from trainer.cli import cli
from trainer.errors import InvalidChallenge

from tests.helpers import TOY_PACK

OLD_FOLLOW_UPS = "follow_ups:\n  - What is the cost for an (n, d) array?\n"
WITH_KEY_POINTS = """\
follow_ups:
  - question: "  What is the cost for an (n, d) array?  "
    key_points:
      - "O(n·d) time: every entry is read once."
      - "O(n) extra memory for the sums."
  - Would a loop over the rows be slower, and why?
"""


def pack_with(tmp_path: Path, follow_ups: str) -> Path:
    """A copy of the toy pack whose follow_ups block is ``follow_ups``."""
    root = tmp_path / "pack"
    shutil.copytree(TOY_PACK, root)
    path = root / "challenges" / "toy" / "challenge.yaml"
    text = path.read_text()
    assert text.count(OLD_FOLLOW_UPS) == 1
    path.write_text(text.replace(OLD_FOLLOW_UPS, follow_ups))
    return root


def line_of(pack: Path, needle: str) -> int:
    lines = (pack / "challenges" / "toy" / "challenge.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# --------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------


def test_a_follow_up_is_a_string_or_a_question_with_key_points(tmp_path):
    toy = load_catalog([pack_with(tmp_path, WITH_KEY_POINTS)]).get("toy")
    assert toy.follow_ups == (
        FollowUpQuestion("What is the cost for an (n, d) array?",
                         ("O(n·d) time: every entry is read once.", "O(n) extra memory for the sums.")),
        FollowUpQuestion("Would a loop over the rows be slower, and why?"),
    )
    # The older form, a list of strings, loads as before (study groups' packs have it).
    (plain,) = load_catalog([TOY_PACK]).get("toy").follow_ups
    assert plain == FollowUpQuestion("What is the cost for an (n, d) array?", ())


@pytest.mark.parametrize("entry, needle, why", [
    ("  - question: Q?\n    key_points: [a]\n    answer: x\n", "answer: x", "unknown key(s) in a follow-up: answer"),
    ("  - key_points: [a, b]\n", "key_points: [a, b]", "needs question: (a non-empty string)"),
    ("  - question: ''\n    key_points: [a]\n", "question: ''", "needs question: (a non-empty string)"),
    ("  - question: Q?\n    key_points: just one string\n", "question: Q?", "must be a list of 1 to"),
    ("  - question: Q?\n    key_points: []\n", "question: Q?", "must be a list of 1 to"),
    ("  - question: Q?\n    key_points: [a, '']\n", "question: Q?", "must be a list of 1 to"),
    ("  - question: Q?\n    key_points: [a, 3]\n", "question: Q?", "must be a list of 1 to"),
    ("  - question: Q?\n    key_points: [" + ", ".join("p" * (MAX_KEY_POINTS + 1)) + "]\n", "question: Q?",
     f"must be a list of 1 to {MAX_KEY_POINTS}"),
    ("  - 42\n", "- 42", "each entry must be a question (a string) or a mapping"),
    ("  - '   '\n", "- '   '", "a question must not be empty"),
])
def test_a_malformed_follow_up_is_reported_at_its_line(tmp_path, entry, needle, why):
    pack = pack_with(tmp_path, "follow_ups:\n  - A fine question?\n" + entry)
    with pytest.raises(InvalidChallenge) as info:
        load_catalog([pack])
    message = str(info.value)
    assert why in message
    path = pack / "challenges" / "toy" / "challenge.yaml"
    assert message.startswith(f"{path}:{line_of(pack, needle)}:"), message


@pytest.mark.parametrize("block", ["follow_ups: []\n", "follow_ups: a string\n", "follow_ups:\n"])
def test_follow_ups_must_be_a_non_empty_list(tmp_path, block):
    with pytest.raises(InvalidChallenge, match="follow_ups"):
        load_catalog([pack_with(tmp_path, block)])


def test_every_bundled_follow_up_has_two_to_four_key_points():
    for challenge in load_catalog():
        assert challenge.follow_ups, challenge.id
        for f in challenge.follow_ups:
            assert 2 <= len(f.key_points) <= 4, (challenge.id, f.question)
            assert len(set(f.key_points)) == len(f.key_points), (challenge.id, f.question)
            # The answer is in the key points now, not in a parenthesis closing the question.
            assert not f.question.endswith(".)"), (challenge.id, f.question)


# --------------------------------------------------------------------------
# The command line: key points after a rating, none after a skip
# --------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path, monkeypatch, isolated_dirs):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(pack_with(tmp_path, WITH_KEY_POINTS)))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)
    return invoke


def hand_in_a_missing_file(run, isolated_dirs) -> None:
    assert run("mock", "--topic", "testing").exit_code == 0
    (isolated_dirs["workspace"] / "mock" / "1" / "toy.py").unlink()  # scored "missing": nothing to grade


def test_cli_shows_the_key_points_once_an_answer_is_rated(run, isolated_dirs):
    hand_in_a_missing_file(run, isolated_dirs)
    result = run("mock", "submit", input="3\ns\n")
    assert result.exit_code == 1, result.output  # the file was missing: not passed
    out = result.output
    first = out.index("What is the cost for an (n, d) array?")
    points = out.index("Key points of a good answer:")
    second = out.index("Would a loop over the rows be slower")
    assert first < points < second  # after the rating, before the next question
    assert "  - O(n·d) time: every entry is read once." in out and "  - O(n) extra memory for the sums." in out
    assert out.count("Key points of a good answer:") == 1  # the skipped question shows none
    assert "Saved 1 rating. 1 question unrated" in out

    card = json.loads(run("mock", "card", "--format", "json").output)
    assert [(f["question"], f["rating"], f["key_points"]) for f in card["follow_ups"]] == [
        ("What is the cost for an (n, d) array?", 3,
         ["O(n·d) time: every entry is read once.", "O(n) extra memory for the sums."]),
        ("Would a loop over the rows be slower, and why?", None, []),
    ]
    assert card["items"][0]["follow_up_key_points"][0][0] == "O(n·d) time: every entry is read once."

    # `mock card` asks the skipped one again; a question without key points shows none after its rating.
    later = run("mock", "card", input="2\n")
    assert later.exit_code == 0
    assert "Would a loop over the rows be slower" in later.output
    assert "Key points" not in later.output and "Saved 1 rating." in later.output


def test_key_points_are_those_of_the_hand_in_even_if_the_pack_changes_later(run, isolated_dirs, monkeypatch,
                                                                               tmp_path):
    hand_in_a_missing_file(run, isolated_dirs)
    run("mock", "submit", "--no-follow-ups")
    other = pack_with(tmp_path / "other", OLD_FOLLOW_UPS)  # the pack loses its key points
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(other))
    result = run("mock", "card", input="4\nq\n")
    assert "  - O(n) extra memory for the sums." in result.output
