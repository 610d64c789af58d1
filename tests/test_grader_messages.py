"""Grader messages read as sentences: numbers agree with their nouns, a single
value is not counted as "1 of 1 entries", and a `given` fits "... for <given>"."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from trainer.grading import checks
from trainer.grading.proxy import describe_call, describe_value

GRADERS = sorted((Path(__file__).resolve().parent.parent / "graders").glob("*.py"))


def first_line(call) -> str:
    with pytest.raises(checks.GradeFailure) as failure:
        call()
    return str(failure.value).splitlines()[0]


def test_count_agrees_with_its_noun():
    assert checks.count(1, "item") == "1 item"
    assert checks.count(0, "item") == "0 items"
    assert checks.count(3, "index", "indices") == "3 indices"
    assert checks.count(1, "index", "indices") == "1 index"


@pytest.mark.parametrize("actual, expected, sentence", [
    ([1.0, 2.0], [1.0, 3.0], "1 of 2 entries differs from the expected values"),
    ([0.0, 2.0], [1.0, 3.0], "2 of 2 entries differ from the expected values"),
    ([0.0], [1.0], "1 of 1 entry differs from the expected value"),
])
def test_the_count_of_differing_entries_agrees(actual, expected, sentence):
    close = first_line(lambda: checks.close(np.array(actual), np.array(expected), atol=1e-9, what="loss",
                                            given="x"))
    assert close == f"loss for x: {sentence} (tolerance 1e-09)."
    equal = first_line(lambda: checks.equal(np.array(actual), np.array(expected), what="labels"))
    assert equal == f"labels: {sentence}."


def test_a_call_names_arrays_by_their_shape_inside_small_containers():
    """How a call is named in messages (a timeout's, a crash's): a network's parameters by their shapes."""
    params = [(np.zeros((4, 8)), np.zeros(8)), (np.zeros((8, 3)), np.zeros(3))]
    assert describe_call("sgd_step", (params, {"W": np.ones((2, 2))}, 0.1)) == \
        "sgd_step([(array(4, 8), array(8,)), (array(8, 3), array(3,))], {'W': array(2, 2)}, 0.1)"
    assert describe_call("f", ((1,), (2, 3), "abc", None)) == "f((1,), (2, 3), 'abc', None)"


def test_a_call_names_large_or_deep_arguments_briefly():
    assert describe_value(list(range(10 ** 6))) == "<list of 1000000>"
    assert describe_value([[[np.zeros(3)]]]) == "[[<list of 1>]]"
    assert describe_value("a" * 10 ** 6) == "'" + "a" * 20 + "..."
    assert len(describe_call("f", tuple(np.zeros((k, k)) for k in range(4)) + ("x" * 200,) * 4)) <= 120 + len("f()")


def test_a_single_value_is_not_counted_as_entries():
    assert first_line(lambda: checks.close(np.float64(1.0), 2.0, atol=1e-9, what="the loss", given="x")) == \
        "the loss for x: expected 2.0, got 1.0 (tolerance 1e-09)."
    assert first_line(lambda: checks.equal(np.array(1), np.array(2), what="n_used", given="x")) == \
        "n_used for x: expected 2, got 1"


@pytest.mark.parametrize("path", GRADERS, ids=lambda p: p.stem)
def test_messages_put_a_space_before_the_given(path):
    """'reject_rate for{given}' needed a given starting with a space; every `for {given}` has its own."""
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"\bfor\{given\}", source)
    assert not re.search(r'given = \(?f?" ', source)
