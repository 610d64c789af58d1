"""Harness helpers: markers name builders registered in the worker, and the worker builds them."""

import numpy as np
import pytest

from trainer.grading.checks import GradeFailure

from trainer.grading import harness
from trainer.grading.proxy import SolutionProxy
from trainer.sandbox import worker as worker_module
from trainer.sandbox.client import ProtocolError, Worker
from trainer.sandbox.limits import Limits

SOLUTION = """
import numpy as np

def take(stream, k):
    return [next(stream) for _ in range(k)]

def draw(rng):
    return float(rng.random())

def roll(source, k):
    return [source() for _ in range(k)], repr(source)

def identity(value):
    return value

def forward(x, scale=1.0):
    return x * scale, {"x": x, "scale": scale}

def backward(grad, cache):
    return grad * cache["scale"]

def broken_forward(x):
    raise ValueError("forward failed")

def checks_late(rng, x, k):
    rng.random()                  # drawn before the check
    x[0] = -1                     # written before the check
    if k < 1:
        raise ValueError("k must be at least 1")
    return k

def zeros_view(shape):
    import numpy as np
    return np.broadcast_to(np.zeros(()), shape), np.zeros(shape)

def checks_first(rng, x, k):
    if k < 1:
        raise ValueError("k must be at least 1")
    return float(rng.random())

def coin():
    return int(np.random.default_rng().integers(2))

def seeded_draw():
    return int(np.random.default_rng(7).integers(1 << 30))

def global_draw():
    return float(np.random.random())
"""


class _ForgedMarker:
    """A marker naming no registered helper, as a grader bug would send it."""

    def __mltrainer_wire__(self, worker):
        return "$h", {"name": "no_such_helper"}


class _Services:
    services: dict = {}


def test_every_marker_names_a_registered_builder():
    markers = [harness.one_pass([1, 2]), harness.one_pass_range(3), harness.seeded_rng(),
               harness.scripted_source([1, 2], name="rand7"),
               harness.counting_metric(np.zeros((3, 2))), harness.output_of("forward", 1.0)]
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


def test_an_rng_argument_comes_back_as_where_the_call_left_it(tmp_path):
    """inputs_after hands back a Generator as its bit_generator.state: how far the call drew."""
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    with Worker(path, Limits(), hostile=False) as worker:
        reply = worker.call_raw("draw", (np.random.default_rng(5),), {}, return_inputs=True)
    drawn = np.random.default_rng(5)
    assert reply["ok"] == float(drawn.random())
    assert reply["args_after"][0] == drawn.bit_generator.state != np.random.default_rng(5).bit_generator.state


def test_a_call_that_raises_carries_its_arguments_as_the_raise_left_them(tmp_path):
    """inputs_after on a call that raises: the exception has args_after, so a check made too late shows."""
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    fresh = np.random.default_rng(7).bit_generator.state
    with Worker(path, Limits(), hostile=False) as worker:
        solution = SolutionProxy(worker, timeout=30)
        with pytest.raises(ValueError, match="k must be at least 1") as late:
            solution.inputs_after("checks_late", np.random.default_rng(7), np.zeros(3), 0)
        with pytest.raises(ValueError, match="k must be at least 1") as first:
            solution.inputs_after("checks_first", np.random.default_rng(7), np.zeros(3), 0)
        with pytest.raises(ValueError) as plain:
            solution.checks_first(np.random.default_rng(7), np.zeros(3), 0)
    rng, x, k = late.value.args_after
    assert rng != fresh and x.tolist() == [-1.0, 0.0, 0.0] and k == 0 and late.value.kwargs_after == {}
    rng, x, _ = first.value.args_after
    assert rng == fresh and x.tolist() == [0.0, 0.0, 0.0]
    assert plain.value.args_after is None      # not asked for: the reply carries no arguments


def test_read_only_arrays_of_a_result_are_reported_though_the_grader_gets_writable_copies(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    with Worker(path, Limits(), hostile=False) as worker:
        (view, fresh), read_only = SolutionProxy(worker, timeout=30).read_only_results("zeros_view", (2, 3))
    assert read_only == ["[0]"]
    assert view.flags.writeable and fresh.flags.writeable and view.shape == (2, 3)


def test_a_scripted_source_returns_its_draws_one_per_call_then_says_it_ran_out(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    with Worker(path, Limits(), hostile=False) as worker:
        draws, shown = worker.call("roll", (harness.scripted_source(np.array([3, 1, 7]), name="rand7"), 3))
        assert draws == [3, 1, 7] and all(type(d) is int for d in draws)
        assert shown == "<scripted rand7()>"
        with pytest.raises(StopIteration, match=r"rand7\(\) has no draws left in this script"):
            worker.call("roll", (harness.scripted_source([3, 1], name="rand7"), 3))
    assert repr(harness.scripted_source([1], name="rand7")) == "rand7()"


def test_output_of_is_the_workers_own_function_computed_when_the_call_runs(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    other = tmp_path / "other" / "solution.py"
    other.parent.mkdir()
    other.write_text(SOLUTION.replace('return grad * cache["scale"]', 'return -grad * cache["scale"]')
                     .replace("return x * scale, {", "return x * scale, {'unused': 0, "))
    cache = harness.output_of("forward", np.arange(3.0), index=1, scale=2.0)
    assert repr(cache) == "forward(...)[1]"
    with Worker(path, Limits(), hostile=False) as worker, Worker(other, Limits(), hostile=False) as second:
        assert worker.call("backward", (np.ones(3), cache)).tolist() == [2.0, 2.0, 2.0]
        assert second.call("backward", (np.ones(3), cache)).tolist() == [-2.0, -2.0, -2.0]   # its own forward
        assert worker.call("identity", (harness.output_of("forward", 3.0, index=0),)) == 3.0
        assert worker.repeat("backward", seeds=[0, 1], args=(np.ones(2), cache))[1].tolist() == [2.0, 2.0]
        # A failure of the first function is the solution's, reported as what it raised.
        with pytest.raises(ValueError, match="forward failed"):
            worker.call("identity", (harness.output_of("broken_forward", 1.0),))
        with pytest.raises(AttributeError, match="does not define 'missing'"):
            worker.call("identity", (harness.output_of("missing"),))


def test_a_metrics_fingerprint_is_the_pairs_evaluated_in_any_order():
    """Two searches that evaluate as many distances but not the same ones differ in the fingerprint only."""
    points = np.random.default_rng(3).random((40, 2))

    def fingerprint(requests):
        metric = harness.counting_metric(points)
        for first, ids in requests:
            metric.serve(first, np.asarray(ids, dtype=np.int64))
        return metric.count, metric.fingerprint

    once = fingerprint([(3, [1, 2, 5]), (7, [0, 39])])
    assert fingerprint([(7, [39]), (3, [5, 1]), (7, [0]), (3, [2])]) == once     # order and batching
    other = fingerprint([(3, [1, 2, 6]), (7, [0, 39])])                         # one pair differs
    assert other[0] == once[0] and other[1] != once[1]
    assert fingerprint([(5, [3]), (3, [1, 2]), (7, [0, 39])]) != once            # (5, 3) is not (3, 5)
    assert fingerprint([]) == (0, 0)



def _splitmix64(x: int) -> int:
    """splitmix64's output for state increment x (Steele, Lea and Flood), one integer at a time."""
    z = (x + 0x9E3779B97F4A7C15) % 2 ** 64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2 ** 64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2 ** 64
    return z ^ (z >> 31)


@pytest.mark.parametrize("size", [0, 1, harness._FEW_IDS, harness._FEW_IDS + 1, 300])
def test_a_metric_counts_and_refuses_alike_for_few_ids_and_many(size):
    """Few ids are hashed on Python's integers, many with numpy: the same fingerprint, the same refusals."""
    g = np.random.default_rng(size)
    points = g.random((500, 3))
    metric = harness.counting_metric(points, g.random((4, 3)))
    ids = g.integers(0, 504, size=size)
    got = metric.serve(17, ids.astype(np.int64))
    assert metric.count == size and metric.calls == 1
    assert metric.fingerprint == sum(_splitmix64(17 * 504 + int(i)) for i in ids) % 2 ** 64
    coords = np.concatenate([points, metric.query_points])
    np.testing.assert_allclose(got, np.linalg.norm(coords[ids] - coords[17], axis=1), rtol=1e-15, atol=0)
    for bad in (-1, 504):
        wrong = ids.copy()
        wrong[size // 2:size // 2 + 1] = bad
        if size:
            with pytest.raises(ValueError, match="do not exist"):
                metric.serve(0, wrong.astype(np.int64))
        with pytest.raises(ValueError, match="do not exist"):
            metric.serve(bad, ids.astype(np.int64))
    assert metric.count == size and metric.calls == 1     # a refused request counts nothing

def _fresh(solution, name, calls):
    harness.check_fresh_randomness(solution, getattr(solution, name), calls=calls, what=name, given="no input",
                                   advice="Use np.random.default_rng().")


def test_fresh_randomness_is_calls_that_do_not_all_agree(tmp_path):
    """A fair coin is fresh randomness though two tosses agree half the time; a fixed seed agrees every time."""
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    with Worker(path, Limits(), hostile=False) as worker:
        solution = SolutionProxy(worker, timeout=30)
        for _ in range(5):            # 40 calls of a coin all agree with probability 2^-39
            _fresh(solution, "coin", 40)
        with pytest.raises(GradeFailure, match="called 3 times with rng=None .* gave the same result every time"):
            _fresh(solution, "seeded_draw", 3)
        # Fresh draws, but from numpy's global generator: a rule of its own.
        with pytest.raises(GradeFailure, match="changed numpy's global random state"):
            _fresh(solution, "global_draw", 3)
