"""Harness helpers: markers name builders registered in the worker, and the worker builds them."""

import numpy as np
import pytest

from trainer.grading import harness
from trainer.sandbox import worker as worker_module
from trainer.sandbox.client import ProtocolError, Worker
from trainer.sandbox.limits import Limits

SOLUTION = """
def take(stream, k):
    return [next(stream) for _ in range(k)]

def draw(rng):
    return float(rng.random())

def identity(value):
    return value
"""


class _ForgedMarker:
    """A marker naming no registered helper, as a grader bug would send it."""

    def __mltrainer_wire__(self, worker):
        return "$h", {"name": "no_such_helper"}


class _Services:
    services: dict = {}


def test_every_marker_names_a_registered_builder():
    markers = [harness.one_pass([1, 2]), harness.one_pass_range(3), harness.seeded_rng(),
               harness.counting_metric(np.zeros((3, 2)))]
    sent = {marker.__mltrainer_wire__(_Services())[1]["name"] for marker in markers}
    assert sent == set(worker_module.HARNESS_HELPERS)


def test_a_marker_naming_no_builder_fails_at_once():
    with pytest.raises(ValueError, match="no harness helper 'no_such_helper'"):
        harness.Marker("no_such_helper")


def test_a_name_is_registered_once():
    with pytest.raises(ValueError, match="registered twice"):
        worker_module.harness_helper("one_pass")(lambda spec, context: None)
    assert worker_module.HARNESS_HELPERS["one_pass"].__name__ == "_build_one_pass"


def test_the_worker_builds_markers_and_refuses_what_it_cannot_build(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    with Worker(path, Limits(), hostile=False) as worker:
        assert worker.call("take", (harness.one_pass(np.arange(5)), 3)) == [0, 1, 2]
        assert worker.call("take", (harness.one_pass_range(10), 2)) == [0, 1]
        draws = worker.repeat("draw", seeds=[1, 2, 1], args=(harness.seeded_rng(),))
        assert draws[0] == draws[2] == float(np.random.default_rng(1).random()) != draws[1]
        with pytest.raises(ProtocolError, match="only meaningful inside solution.repeat"):
            worker.call("draw", (harness.seeded_rng(),))
        with pytest.raises(ProtocolError, match="unknown harness helper 'no_such_helper'"):
            worker.call("identity", (_ForgedMarker(),))
