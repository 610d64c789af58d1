"""Visible examples: parsing (what is allowed, what is refused and where), comparing, the
references reproducing every example, `mltrainer try`, and the stub's `__main__` scratchpad.

Everything that runs a solution runs it for real, in a sandboxed worker (about 0.3 s each),
or with plain Python in a subprocess for the scratchpad.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from trainer.authoring import example_problems
from trainer.catalog import LEVELS, load_catalog
from trainer.cli import cli
from trainer.errors import InvalidChallenge, InvalidInputs
from trainer.examples import (
    ExampleSyntaxError, build, build_call, compare, inputs_path, make_example, parse_call, parse_inputs, parse_value,
    read_inputs, stub_main_block,
)
from trainer.sandbox.client import Worker
from trainer.sandbox.limits import Limits

from tests.helpers import HOSTILE, TOY_PACK

CATALOG = load_catalog()
CHALLENGES = {c.id: c for c in CATALOG}
TOY_REFERENCE = TOY_PACK / "reference" / "toy.py"
NAMES = ("softmax", "VPTree", "kmeans")


# -- parsing: what an example may hold ---------------------------------------------------------

@pytest.mark.parametrize("text, check", [
    ("softmax(np.array([1.0, 2.0]))",
     lambda a, k: a[0].dtype == np.float64 and a[0].tolist() == [1.0, 2.0]),
    ("softmax(np.array([[1, 2], [3, 4]], dtype='uint8'), axis=0)",
     lambda a, k: a[0].dtype == np.uint8 and a[0].shape == (2, 2) and k == {"axis": 0}),
    ("softmax(np.array([1, 2], dtype=np.float32))", lambda a, k: a[0].dtype == np.float32),
    ("softmax(np.zeros((3, 2)), np.ones(4, dtype='int32'), np.arange(2, 10, 3))",
     lambda a, k: a[0].shape == (3, 2) and a[1].dtype == np.int32 and a[2].tolist() == [2, 5, 8]),
    ("softmax(-np.inf, np.nan, -3, +2.5, None, True, 'a->b')",
     lambda a, k: a[0] == -np.inf and np.isnan(a[1]) and a[2:] == (-3, 2.5, None, True, "a->b")),
    ("softmax([1, (2, 3)], {'a': [1.0], 2: None})",
     lambda a, k: a == ([1, (2, 3)], {"a": [1.0], 2: None})),
    ("softmax(np.float32(0.5), np.int64(3), np.bool_(True))",
     lambda a, k: a[0].dtype == np.float32 and a[1].dtype == np.int64 and a[2].dtype == np.bool_),
    ("kmeans(np.zeros((4, 2)), 2, rng=np.random.default_rng(7))",
     lambda a, k: k["rng"].integers(1 << 30) == np.random.default_rng(7).integers(1 << 30)),
    ("softmax(np.array(['cat', 'dog']))", lambda a, k: a[0].dtype.kind == "U"),
    ("kmeans(2, 7, iter([3, 5]).__next__)",
     lambda a, k: a[2].spec == {"name": "scripted_source", "data": [3, 5], "fname": "source"}),
])
def test_allowed_forms_build_real_values(text, check):
    call = parse_call(text, NAMES)
    args, kwargs = build_call(call)
    assert check(args, kwargs)


def test_a_method_of_what_a_call_returns():
    call = parse_call("VPTree(np.zeros((3, 2)), rng=np.random.default_rng(0)).query(np.zeros(2), 2)", NAMES)
    assert call.name == "VPTree" and call.method.name == "query" and call.names == ("VPTree", "query")
    assert len(call.method.args) == 2


def test_a_source_function_runs_as_written_in_plain_python_and_in_the_sandbox(tmp_path):
    """`iter([..]).__next__` is plain Python (the scratchpad) and a scripted source in a worker (try)."""
    text = "kmeans(2, iter([3, 5]).__next__)"
    solution = tmp_path / "solution.py"
    solution.write_text("def kmeans(k, draw):\n    return [draw() for _ in range(k)]\n")
    plain = {}
    exec(solution.read_text(), plain)
    assert eval(text, {"kmeans": plain["kmeans"]}) == [3, 5]
    args, kwargs = build_call(parse_call(text, NAMES))
    with Worker(solution, Limits(), hostile=False) as worker:
        assert worker.call("kmeans", args, kwargs) == [3, 5]
        with pytest.raises(StopIteration, match="no draws left"):
            worker.call("kmeans", (3,) + args[1:], kwargs)


def test_a_generator_is_built_fresh_for_every_run():
    call = parse_call("kmeans(np.zeros((2, 2)), 1, np.random.default_rng(3))", NAMES)
    first, second = build_call(call)[0][2], build_call(call)[0][2]
    assert first is not second and first.random() == second.random()


@pytest.mark.parametrize("text, why", [
    ("softmax(x)", "x is not a value here"),
    ("softmax(true)", "write True"),
    ("softmax(inf)", "write np.inf"),
    ("os.system('ls')", "only softmax, VPTree, kmeans can be called here"),
    ("softmx(np.array([1.0]))", "softmx() is not a function of this challenge; did you mean softmax?"),
    ("print(1)", "print() is not a function of this challenge"),
    ("softmax(__import__('os'))", "__import__() cannot be called inside an example's arguments"),
    ("softmax(open('/etc/passwd'))", "open() cannot be called inside"),
    ("softmax(kmeans(np.zeros((2, 2)), 1))", "kmeans() cannot be called inside"),
    ("softmax(np.load('x.npy'))", "np.load() is not available in examples"),
    ("softmax(np.array([1.0]).T)", "is not allowed in an example"),
    ("softmax(10**3)", "10 ** 3 is not allowed in an example"),
    ("softmax(lambda: 1)", "is not allowed in an example"),
    ("softmax([i for i in range(3)])", "is not allowed in an example"),
    ("softmax(f'{1}')", "is not allowed in an example"),
    ("softmax(1j)", "complex literals are not allowed"),
    ("softmax(-'a')", "a sign goes before a number"),
    ("softmax(*[1, 2])", "*arguments are not allowed"),
    ("softmax(**{'axis': 0})", "**arguments are not allowed"),
    ("softmax({**{}})", "**mappings are not allowed"),
    ("softmax({(1, 2): 3})", "dict keys must be strings or integers"),
    ("softmax(np.array([[1.0], [2.0, 3.0]]))", "ragged array"),
    ("softmax(np.array([1, 'a']))", "numbers and strings mixed"),
    ("softmax(np.array([None]))", "np.array() takes numbers"),
    ("softmax(np.array([1.0], dtype='object'))", "dtype must be one of"),
    ("softmax(np.array([1.0], order='F'))", "takes no order= here"),
    ("softmax(np.zeros((1000, 1001)))", "at most 1,000,000 elements"),
    ("softmax(np.arange(10000000))", "at most 1,000,000 elements"),
    ("softmax(np.zeros(-1))", "takes one shape"),
    ("softmax(np.arange(1.5))", "np.arange() takes 1 to 3 whole numbers"),
    ("softmax(np.random.default_rng(-1))", "takes one seed"),
    ("softmax(np.float32('x'))", "np.float32() takes one number"),
    ("VPTree(np.zeros((2, 1)))._build()", "._build() is private"),
    ("VPTree(np.zeros((2, 1))).query(1).query(2)", "only softmax, VPTree, kmeans can be called here"),
    ("softmax(iter(x).__next__)", "a source function is written iter([3, 5]).__next__"),
    ("softmax(np.zeros(2).__next__)", "a source function is written iter([3, 5]).__next__"),
    ("softmax(iter(['a']).__next__)", "the values of iter([...]).__next__ must be numbers"),
    ("softmax(iter([1]).__next__())", "cannot be called inside an example's arguments"),
    ("softmax", "an example is a call of softmax, VPTree, kmeans"),
    ("softmax(", "is not a Python expression"),
    ("softmax(1)\nsoftmax(2)", "on one line"),
])
def test_refused_forms_say_why(text, why):
    with pytest.raises(ExampleSyntaxError) as info:
        parse_call(text, NAMES)
    assert why in info.value.why


def test_an_expected_value_is_data():
    with pytest.raises(ExampleSyntaxError, match=r"softmax\(\) cannot be called inside"):
        parse_value("softmax(1)")
    for text in ("np.random.default_rng(0)", "[1, np.random.default_rng(0)]"):
        with pytest.raises(ExampleSyntaxError, match="cannot be a random generator") as info:
            make_example("softmax(1)", NAMES, expected=text)
        assert info.value.part == "expected"


def test_raises_names_a_built_in_exception():
    assert make_example("softmax(1)", NAMES, raises="ValueError").raises == "ValueError"
    for name in ("Foo", "SystemExit", "os.error", "print"):
        with pytest.raises(ExampleSyntaxError, match="not a built-in exception") as info:
            make_example("softmax(1)", NAMES, raises=name)
        assert info.value.part == "raises"


# -- the user's inputs file ------------------------------------------------------------------

def test_an_inputs_file_gives_calls_with_their_lines():
    text = ("# my inputs\n"
            "\n"
            "softmax(np.array([0.0, 0.0])) -> np.array([0.5, 0.5])\n"
            "softmax(np.array([1.0]))   # only look at it\n"
            "softmax('a -> b') -> 'x -> y'  # -> in strings and comments stays\n"
            "kmeans(np.zeros((3, 2)), 4) -> raises ValueError\n")
    examples, problems = parse_inputs(text, NAMES, "softmax.try")
    assert problems == []
    assert [e.origin for e in examples] == ["softmax.try:3", "softmax.try:4", "softmax.try:5", "softmax.try:6"]
    assert examples[0].expected_text == "np.array([0.5, 0.5])" and not examples[1].judged
    assert build(examples[2].call.args[0]) == "a -> b" and build(examples[2].expected) == "x -> y"
    assert examples[3].raises == "ValueError" and examples[3].expected is None


def test_every_bad_line_of_an_inputs_file_is_reported_with_its_line():
    text = ("softmax(np.array([1.0]))\n"
            "softmax(x)\n"
            "# fine\n"
            "softmax(np.array([1.0])) ->\n"
            "softmx(1)\n"
            "softmax(1) -> raises Nope\n"
            "softmax(1) -> raises ValueError TypeError\n"
            "softmax(np.array([1.0]) -> 2\n")
    examples, problems = parse_inputs(text, NAMES, "softmax.try")
    assert len(examples) == 1
    assert [line for line, _ in problems] == [2, 4, 5, 6, 7, 8]
    assert "x is not a value here" in problems[0][1] and "nothing after ->" in problems[1][1]
    assert "did you mean softmax?" in problems[2][1] and "not a built-in exception" in problems[3][1]


def test_read_inputs_raises_one_error_naming_path_and_lines(tmp_path):
    path = tmp_path / "softmax.try"
    path.write_text("softmax(1)\nsoftmax(y)\nsoftmax(z)\n")
    with pytest.raises(InvalidInputs) as info:
        read_inputs(path, NAMES)
    message = str(info.value)
    assert f"{path}:2: y is not a value here" in message and f"{path}:3: z is not a value here" in message
    assert info.value.exit_code == 2
    assert inputs_path(tmp_path / "kmeans.py") == tmp_path / "kmeans.try"


# -- comparing ------------------------------------------------------------------------------

@pytest.mark.parametrize("got, expected, why", [
    (np.array([0.1, 0.2]), "np.array([0.1, 0.2000001])", None),                 # within rtol 1e-6
    (np.array([0.1, 0.2]), "np.array([0.1, 0.21])", "at [1] got 0.2, expected 0.21"),
    (np.array([1.0, np.nan, -np.inf]), "np.array([1.0, np.nan, -np.inf])", None),
    (np.array([1.0, np.inf]), "np.array([1.0, -np.inf])", "at [1] got inf, expected -inf"),
    (np.array([1, 2]), "np.array([1, 2])", None),
    (np.array([1, 3]), "np.array([1, 2])", "at [1] got 3, expected 2 (exactly"),
    (np.array([1.0, 2.0000001]), "np.array([1, 2])", "(exactly"),                 # integers are exact
    (np.array([[1.0, 2.0]]), "np.array([1.0, 2.0])", "shape (1, 2), expected (2,)"),
    (np.float64(0.5), "0.5", None),
    (np.array(0.5), "0.5", None),                                                  # a 0-d array is a number
    (0.5, "np.float32(0.5)", "dtype float64, expected float32"),                 # a stated dtype is exact
    (np.array([1.0], dtype=np.float32), "np.array([1.0], dtype='float32')", None),
    ((np.array([1.0]), np.array([0])), "(np.array([1.0]), np.array([0]))", None),
    ((np.array([1.0]), np.array([1])), "(np.array([1.0]), np.array([0]))", "result[1]: at [0] got 1, expected 0"),
    ((np.array([1.0]),), "(np.array([1.0]), np.array([0]))", "a tuple of 1 items, expected 2"),
    ([10, 20], "[10, 20]", None),
    (np.array([10, 20]), "[10, 20]", None),                                        # a list of numbers ~ an array
    ("continue", "'continue'", None),
    (np.str_("continue"), "'continue'", None),
    ("stop", "'continue'", "got 'stop', expected 'continue'"),
    (None, "None", None),
    (0, "None", "got 0, expected None"),
    ({"a": 1.0}, "{'a': 1.0}", None),
    ({"b": 1.0}, "{'a': 1.0}", "missing key(s) 'a'; unexpected key(s) 'b'"),
    (np.array(["cat"]), "np.array(['cat'])", None),
    (np.array(["dog"]), "np.array(['cat'])", "at [0] got 'dog', expected 'cat'"),
    ("1.0", "1.0", "got a str, expected a number"),
])
def test_compare(got, expected, why):
    verdict = compare(got, parse_value(expected))
    if why is None:
        assert verdict.why is None, verdict.why
    else:
        assert verdict.why is not None and why in verdict.why, verdict.why


def test_a_dtype_not_stated_is_only_noted_and_a_tolerance_can_be_given():
    verdict = compare(np.array([1.0], dtype=np.float32), parse_value("np.array([1.0])"))
    assert verdict.why is None and verdict.notes == ["dtype float32; the example's is float64"]
    assert compare(1.001, parse_value("1.0"), rtol=1e-2, atol=0).why is None
    assert compare(1.001, parse_value("1.0")).why is not None


# -- the challenges' examples -----------------------------------------------------------------

@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
def test_every_bundled_challenge_has_two_to_four_examples_of_its_functions(challenge_id):
    challenge = CHALLENGES[challenge_id]
    assert 2 <= len(challenge.examples) <= 4
    api = {a.name for a in challenge.api}
    assert all(e.call.name in api and (e.expected is not None or e.raises) for e in challenge.examples)


@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
def test_the_reference_reproduces_every_example_in_the_sandbox(challenge_id):
    assert example_problems(CHALLENGES[challenge_id]) == []


def test_a_wrong_expected_value_is_an_author_problem(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    yaml_file = pack / "challenges" / "toy" / "challenge.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("expected: np.array([3.0, 7.5])",
                                                       "expected: np.array([3.0, 7.0])"))
    problems = example_problems(load_catalog([pack]).get("toy"))
    assert len(problems) == 1 and "example row_sums(np.array([[1.0, 2.0], [3.0, 4.5]]))" in problems[0]
    assert "at [1] got 7.5, expected 7.0" in problems[0]


@pytest.fixture
def toy_yaml(tmp_path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    return pack / "challenges" / "toy" / "challenge.yaml"


@pytest.mark.parametrize("old, new, line_of, why", [
    ("call: row_sums(np.array([[1.0, 2.0], [3.0, 4.5]]))", "call: row_sums(X)", "call: row_sums(X)",
     "example call: X is not a value here"),
    ("call: row_sums(np.array([[1.0, 2.0], [3.0, 4.5]]))", "call: rowsums(np.zeros((2, 2)))", "call: rowsums",
     "example call: rowsums() is not a function of this challenge; did you mean row_sums?"),
    ("expected: np.array([3.0, 7.5])", "expected: np.array([3.0, 7.5]) + 1", "expected: np.array([3.0, 7.5]) + 1",
     "example expected: np.array([3.0, 7.5]) + 1 is not allowed"),
    ("expected: np.array([3.0, 7.5])", "expected: null", "expected: null", "example expected: null is not a value "
     "here (write None)"),
    ("expected: np.array([3.0, 7.5])", "raises: Oops", "raises: Oops", "example raises: 'Oops' is not a built-in"),
    ("    note: One sum per row.", "    raises: ValueError", "raises: ValueError", "expected: or raises:, not both"),
    ("    note: One sum per row.", "    nite: x", "nite: x", "unknown key(s) in an example: nite"),
    ("    note: One sum per row.", "    tolerance: -1", "tolerance: -1", "tolerance must be a finite number"),
    ("    note: One sum per row.", "    tolerance: {rtol: 1, btol: 2}", "tolerance: {", "tolerance is a number, or"),
    ("    expected: np.array([0.5, 1.0])\n", "", "- call: scale", "an example needs expected: (the value"),
])
def test_a_broken_example_is_an_error_of_the_challenge_at_its_line(toy_yaml, old, new, line_of, why):
    text = toy_yaml.read_text()
    assert old in text
    text = text.replace(old, new)
    toy_yaml.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if line_of in row)
    with pytest.raises(InvalidChallenge) as info:
        load_catalog([toy_yaml.parents[2]])
    assert str(info.value).startswith(f"{toy_yaml}:{line}: ") and why in str(info.value), str(info.value)


def test_at_most_four_examples(toy_yaml):
    entry = "  - call: scale(np.array([1.0]), 2.0)\n    expected: np.array([2.0])\n"
    toy_yaml.write_text(toy_yaml.read_text() + entry * 3)
    with pytest.raises(InvalidChallenge, match="at most 4 examples"):
        load_catalog([toy_yaml.parents[2]])


def test_examples_are_optional(toy_yaml):
    text = toy_yaml.read_text()
    toy_yaml.write_text(text[:text.index("examples:")])
    challenge = load_catalog([toy_yaml.parents[2]]).get("toy")
    assert challenge.examples == () and stub_main_block("toy", ()) == ""
    assert "__main__" not in challenge.render_stub("guided")


# -- mltrainer try -----------------------------------------------------------------------------

@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(TOY_PACK))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, ["try", *args], catch_exceptions=False)
    return invoke


def solution(tmp_path, body: str, name: str = "toy.py") -> Path:
    path = tmp_path / name
    path.write_text("import numpy as np\n\n\n" + body + "\n\ndef scale(X, c):\n    return c * np.asarray(X, dtype=float)\n")
    return path


def test_try_the_reference_every_example_matches(run):
    result = run("toy", "--solution", str(TOY_REFERENCE))
    assert result.exit_code == 0, result.output
    assert "✓ row_sums(np.array([[1.0, 2.0], [3.0, 4.5]]))" in result.output
    assert "    got       array([3. , 7.5])\n    expected  array([3. , 7.5])" in result.output
    assert "2 of 2 examples match." in result.output and "isolation:" in result.output


def test_try_a_wrong_solution_shows_got_beside_expected_and_why(run, tmp_path):
    path = solution(tmp_path, "def row_sums(X):\n    return np.asarray(X, dtype=float).sum(axis=0)")
    result = run("toy", "--solution", str(path))
    assert result.exit_code == 1
    assert "✗ row_sums(np.array([[1.0, 2.0], [3.0, 4.5]]))" in result.output
    assert "    got       array([4. , 6.5])\n    expected  array([3. , 7.5])" in result.output
    assert "why       at [0] got 4.0, expected 3.0 (within rtol 1e-06, atol 1e-09; 2 of 2" in result.output
    assert "1 of 2 examples match." in result.output


def test_try_shows_what_a_call_printed_and_a_dtype_note(run, tmp_path):
    path = solution(tmp_path, "def row_sums(X):\n    print('summing', np.shape(X))\n"
                              "    return np.asarray(X).sum(axis=1).astype(np.float32)")
    result = run("toy", "--solution", str(path))
    assert result.exit_code == 0, result.output
    assert "    note      dtype float32; the example's is float64" in result.output
    assert "    printed   summing (2, 2)" in result.output


def test_try_a_raising_solution_shows_the_exception_and_its_line(run, tmp_path):
    path = solution(tmp_path, "def row_sums(X):\n    raise KeyError('no rows here')")
    result = run("toy", "--solution", str(path))
    assert result.exit_code == 1
    assert "    raised    KeyError: 'no rows here' (line 5 of your file)" in result.output
    assert f'File "{path}", line 5, in row_sums' in result.output     # the user's path, not the sandbox's copy


def test_try_the_untouched_stub_says_not_implemented_yet(run, tmp_path):
    path = tmp_path / "toy.py"
    path.write_text(load_catalog([TOY_PACK]).get("toy").render_stub("interview"))
    result = run("toy", "--solution", str(path))
    assert result.exit_code == 1
    assert result.output.count("not implemented yet (line ") == 2 and "0 of 2 examples match." in result.output


def test_try_a_hanging_solution_is_stopped_and_the_next_example_still_runs(run):
    result = run("toy", "--solution", str(HOSTILE / "infinite_loop.py"), "--timeout", "0.2")
    assert result.exit_code == 1
    assert "failed    Your solution timed out after 0.2 s while running row_sums(" in result.output
    assert "✓ scale(np.array([1, 2]), 0.5)" in result.output


def test_try_a_crash_and_a_sys_exit_fail_their_example_only(run):
    result = run("toy", "--solution", str(HOSTILE / "sys_exit.py"))
    assert result.exit_code == 1
    assert "failed    Your solution called sys.exit(3) while running row_sums(" in result.output
    assert "✓ scale(" in result.output


def test_try_output_from_a_hostile_file_is_inert(run):
    result = run("toy", "--solution", str(HOSTILE / "isolation" / "reports_escape_sequences.py"))
    assert result.exit_code == 1 and "raised    ValueError:" in result.output
    assert not any(ch in result.output for ch in "\x1b\x07\x9b\u202e\r")
    assert not any(line.lstrip().startswith("::") or "##vso[" in line for line in result.output.splitlines())


def test_try_a_file_that_fails_at_import_says_so_once(run):
    result = run("toy", "--solution", str(HOSTILE / "import_time_crash.py"))
    assert result.exit_code == 1
    assert "error     RuntimeError: broken at import while importing your file (line 4 of your file)" in result.output
    assert "examples match" not in result.output


def test_try_runs_the_static_checks_first(run):
    result = run("toy", "--solution", str(HOSTILE / "syntax_error.py"))
    assert result.exit_code == 1
    assert "syntax_error.py:4:" in result.output and "Nothing was run." in result.output


def test_try_reads_the_inputs_file_beside_the_solution(run, tmp_path):
    path = tmp_path / "toy.py"
    shutil.copy(TOY_REFERENCE, path)
    inputs_path(path).write_text("# mine\n"
                                 "row_sums(np.ones((2, 3))) -> np.array([3.0, 3.0])\n"
                                 "scale(np.array([2.0]), 3)\n"
                                 "bonus_norm(np.array([3.0, 4.0])) -> 5.0\n"
                                 "row_sums(np.zeros(3)) -> raises ValueError\n")
    result = run("toy", "--solution", str(path))
    assert result.exit_code == 0, result.output
    assert "✓ row_sums(np.ones((2, 3)))   (toy.try:2)" in result.output
    assert "· scale(np.array([2.0]), 3)   (toy.try:3)\n    got       array([6.])" in result.output
    assert "got       raised AxisError: axis 1 is out of bounds" in result.output   # a ValueError
    assert "5 of 5 examples match; 1 input without an expected value." in result.output


def test_try_a_call_without_expected_value_that_raises_fails(run, tmp_path):
    inputs = tmp_path / "mine.try"
    inputs.write_text("row_sums(np.zeros(3))\n")
    result = run("toy", "--solution", str(TOY_REFERENCE), "--inputs", str(inputs))
    assert result.exit_code == 1 and "raised    AxisError" in result.output
    assert "(1 did not return)" in result.output


def test_try_a_bad_inputs_file_is_an_input_error_at_its_lines(run, tmp_path):
    path = tmp_path / "toy.py"
    shutil.copy(TOY_REFERENCE, path)
    inputs_path(path).write_text("row_sums(np.ones((2, 3)))\nrow_sums(X)\nrow_sums(np.ones(2)) -> \n")
    result = run("toy", "--solution", str(path))
    assert result.exit_code == 2
    assert f"{inputs_path(path)}:2: X is not a value here" in result.output
    assert f"{inputs_path(path)}:3: nothing after ->" in result.output
    assert "examples match" not in result.output and "Traceback" not in result.output


def test_try_input_errors_exit_2(run, tmp_path):
    assert run("tyo").exit_code == 2
    missing = run("toy", "--solution", str(tmp_path / "nope.py"))
    assert missing.exit_code == 2 and "no solution file at" in missing.output
    no_inputs = run("toy", "--solution", str(TOY_REFERENCE), "--inputs", str(tmp_path / "nope.try"))
    assert no_inputs.exit_code == 2 and "no inputs file at" in no_inputs.output


def test_the_session_tries_the_workspace_solution(isolated_dirs):
    from trainer.session import Session
    session = Session(workspace=isolated_dirs["workspace"], catalog_loader=lambda: load_catalog([TOY_PACK]))
    challenge = session.challenge("toy")
    isolated_dirs["workspace"].mkdir(parents=True)
    shutil.copy(TOY_REFERENCE, session.solution_path(challenge))
    seen = []
    report = session.try_examples(challenge, on_outcome=seen.append)
    assert report.passed and [o.status for o in report.outcomes] == ["match", "match"] and len(seen) == 2
    assert not isolated_dirs["data"].exists()        # nothing recorded, not even a database


def test_show_and_start_mention_the_examples(run, monkeypatch, isolated_dirs):
    runner = CliRunner()
    shown = runner.invoke(cli, ["show", "softmax"]).output
    assert "Examples" in shown and "mltrainer try softmax" in shown
    assert "softmax(np.array([1.0, 2.0, 3.0]))" in shown and "-> np.array([0.09003057317" in shown
    started = runner.invoke(cli, ["start", "softmax"]).output
    assert "mltrainer try softmax" in started and "softmax.try" in started and "python softmax.py" in started


# -- the stub's scratchpad --------------------------------------------------------------------

def run_python(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=path.parent, timeout=120)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
def test_the_untouched_stub_runs_as_a_scratchpad(challenge_id, level, tmp_path):
    challenge = CHALLENGES[challenge_id]
    path = tmp_path / f"{challenge_id}.py"
    path.write_text(challenge.render_stub(level), encoding="utf-8")
    result = run_python(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("    not implemented yet") == len(challenge.examples)
    for example in challenge.examples:
        assert example.text in result.stdout


@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
def test_the_scratchpad_on_the_reference_prints_each_result_beside_the_expected_one(challenge_id, tmp_path):
    """The reference's functions with the stub's __main__ block: every call runs with plain Python."""
    challenge = CHALLENGES[challenge_id]
    block = stub_main_block(challenge.id, challenge.examples)
    assert challenge.render_stub("interview").endswith(block + "\n")
    path = tmp_path / f"{challenge_id}.py"
    path.write_text(challenge.reference_path.read_text(encoding="utf-8") + block + "\n", encoding="utf-8")
    result = run_python(path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "not implemented" not in out
    assert all("as expected" in line for line in out.splitlines() if line.startswith("    raised "))
    judged = [e for e in challenge.examples if not e.raises]
    assert out.count("    got       ") == len(judged) and out.count("    expected  ") == len(judged)
    assert out.count("as expected: ") == len(challenge.examples) - len(judged)
