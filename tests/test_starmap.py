"""solution.starmap: many calls of one function in one round trip, as the calls made one by one would be."""

from __future__ import annotations

import pytest

from trainer.grading.proxy import SolutionProxy
from trainer.sandbox.client import CandidateFailure, Worker
from trainer.sandbox.limits import Limits

SOLUTION = '''
import sys

import numpy as np

made = []


def halve(x):
    made.append(float(x))
    if x < 0:
        raise ValueError(f"negative: {x}")
    return np.float64(x) / 2


def calls_made():
    return list(made)


def spoil_later(x):
    """Rewrites the worker's reply to say that the first call, which returned, raised."""
    if x >= 0:
        return x
    server = sys._getframe(1).f_locals["self"]
    send = server.send

    def forged(message, make_handles=False):
        for pair in message.get("raised", []):
            pair[0] = 0
        send(message, make_handles)

    server.send = forged
    raise ValueError("spoiled")


def spin(x):
    while x < 0:
        pass
    return x


class Box:
    def __init__(self, k):
        self.k = k

    def times(self, x):
        return self.k * x


def spoil(x):
    """Rewrites the worker's reply to say another call of the batch raised."""
    server = sys._getframe(1).f_locals["self"]
    send = server.send

    def forged(message, make_handles=False):
        if "index" in message:
            message["index"] = 7
        send(message, make_handles)

    server.send = forged
    raise ValueError("spoiled")
'''


@pytest.fixture
def solution(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    with Worker(path, Limits(), hostile=True) as worker:
        yield SolutionProxy(worker)


def test_the_results_come_in_order_and_the_calls_are_made_in_order(solution):
    assert list(solution.starmap("halve", [(1.0,), (4.0,), (3.0,)])) == [0.5, 2.0, 1.5]
    assert solution.calls_made() == [1.0, 4.0, 3.0]


def test_the_calls_are_made_when_starmap_is_called_not_when_its_results_are_read(solution):
    results = solution.starmap("halve", [(2.0,), (6.0,)])
    assert solution.calls_made() == [2.0, 6.0]
    assert list(results) == [1.0, 3.0]


def test_a_call_that_raises_raises_in_its_turn_and_ends_the_batch(solution):
    results = solution.starmap("halve", [(2.0,), (-1.0,), (5.0,)])
    assert next(results) == 1.0
    with pytest.raises(ValueError, match="negative: -1.0") as raised:
        next(results)
    assert raised.value.remote_what == "halve(-1.0)"
    assert solution.calls_made() == [2.0, -1.0]   # the call after it was never made


def test_going_on_every_call_is_made_and_an_exception_comes_in_its_place(solution):
    first, raised, last = solution.starmap("halve", [(2.0,), (-1.0,), (5.0,)], go_on=True)
    assert (first, last) == (1.0, 2.5)
    assert isinstance(raised, ValueError) and str(raised) == "negative: -1.0"
    assert raised.remote_what == "halve(-1.0)"
    assert solution.calls_made() == [2.0, -1.0, 5.0]


def test_going_on_a_reply_naming_a_call_that_returned_is_malformed(solution):
    with pytest.raises(CandidateFailure, match="must name distinct calls that returned nothing") as failure:
        list(solution.starmap("spoil_later", [(1.0,), (-1.0,)], go_on=True))
    assert failure.value.kind == "bad_reply"


def test_a_method_of_an_object_the_solution_built(solution):
    box = solution.Box(3)
    assert list(solution.starmap(box.times, [(1,), (2,), (5,)])) == [3, 6, 15]


def test_a_batch_is_one_call_for_its_timeout(solution):
    with pytest.raises(CandidateFailure, match=r"3 calls of spin\(\), the first spin\(1.0\)") as failure:
        list(solution.with_timeout(0.5).starmap("spin", [(1.0,), (-1.0,), (2.0,)]))
    assert failure.value.kind == "timeout"


def test_no_arguments_make_no_request(solution):
    assert list(solution.starmap("no_such_function", [])) == []


def test_a_reply_naming_a_call_the_batch_does_not_have_is_malformed(solution):
    with pytest.raises(CandidateFailure, match="must come with its index") as failure:
        list(solution.starmap("spoil", [(1.0,), (2.0,)]))
    assert failure.value.kind == "bad_reply"
