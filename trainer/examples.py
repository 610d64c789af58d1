"""Visible examples: small calls a user sees, tries in the sandbox, and runs as a scratchpad.

An example is one call of a challenge's function written as a Python
expression over literals (`softmax(np.array([1.0, 2.0, 3.0]))`) with the
value it must return, also a Python expression
(`np.array([0.09003057, 0.24472847, 0.66524096])`), or the built-in
exception it must raise. Examples come from two places:

- the challenge's `examples:` in challenge.yaml (2 to 4 per bundled
  challenge; `mltrainer show` prints them, the stub's `__main__` block runs
  them with plain Python);
- the user's own inputs, one call per line in `<id>.try` beside the solution
  file (`softmax(np.array([0., 0.])) -> np.array([0.5, 0.5])`).

The text is **never evaluated** in mltrainer's process: `ast` checks it
against a short list of forms (numbers, strings, None/True/False, lists,
tuples, dicts, unary minus, `np.array(<literal>[, dtype=...])`,
`np.zeros/ones/arange(...)`, `np.float32(<number>)` and the other scalar
types, `np.inf`, `np.nan`, `np.random.default_rng(<int>)`, a source function
with scripted draws `iter([3, 5]).__next__`, a call of one of
the challenge's functions, and a method call on its result such as
`VPTree(P).query(q, 2)`) and turns it into a small tree (`Value`s and a
`Call`). The arguments are built from the tree as real numpy values here,
sent to a sandboxed worker running the solution (`trainer.engine.
solution_worker`), and what comes back (untrusted data) is compared with the
expected value and described in inert text. Because the syntax is plain
Python over `import numpy as np`, the same text goes verbatim into the
stub's `__main__` block.

numpy is imported only where values are built or compared, so loading the
catalog (which parses every challenge's examples) stays cheap.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import io
import math
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from trainer.paths import user_paths

DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9
#: The suffix of the user's own inputs file, beside the solution (`kmeans.py` -> `kmeans.try`).
INPUTS_SUFFIX = ".try"
#: The arrow between a call and its expected value on a line of an inputs file.
ARROW = "->"
# What one constructor may build in mltrainer's process (an example is small by definition).
MAX_ELEMENTS = 1_000_000
MAX_DIMENSIONS = 32
# dtype names accepted by np.array(..., dtype=...), np.zeros/ones/arange and as scalar constructors.
DTYPES = frozenset({
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
})
_SCALAR_TYPES = DTYPES - {"bool"} | {"bool_"}
_FILLS = ("zeros", "ones")


class ExampleSyntaxError(ValueError):
    """Text that is not an allowed example: `why` says what is wrong, for the user; `part` is
    the part of the example it is in (call, expected, raises, note)."""

    def __init__(self, why: str, part: str = "call") -> None:
        super().__init__(why)
        self.why = why
        self.part = part


# ---------------------------------------------------------------------- the tree

class Value:
    """A value written in an example, built into a real one with `build()`."""


@dataclass(frozen=True)
class Literal(Value):
    """A number, string, bool or None (np.inf and np.nan are Python floats)."""

    value: object


@dataclass(frozen=True)
class Sequence(Value):
    kind: str                 # "list" | "tuple"
    items: tuple


@dataclass(frozen=True)
class Mapping(Value):
    items: tuple              # ((key Value, value Value), ...)


@dataclass(frozen=True)
class NumpyValue(Value):
    """`np.<function>(...)`: array, zeros, ones, arange, a scalar type, random.default_rng."""

    function: str
    args: tuple
    dtype: str | None = None  # stated explicitly: then a result must have exactly this dtype


@dataclass(frozen=True)
class Script(Value):
    """`iter([3, 5]).__next__`: a function of no arguments returning those values one per call.

    Plain Python (the scratchpad runs it as written); in the sandbox it is
    the harness's `scripted_source`, which says what ran out when it does.
    """

    items: tuple              # Literal numbers


@dataclass(frozen=True)
class Call:
    """`name(args)`, or `name(args).method(method_args)` (a method of the object it returns)."""

    name: str
    args: tuple
    kwargs: tuple             # ((name, Value), ...)
    method: "Call | None" = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,) + ((self.method.name,) if self.method else ())


@dataclass(frozen=True)
class Example:
    """One call with what it must give: `expected` (a Value), `raises` (a built-in exception), or neither."""

    text: str                                  # the call, as written
    call: Call
    expected_text: str | None = None
    expected: Value | None = None
    raises: str | None = None
    note: str = ""
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    origin: str = ""                           # "" for the challenge's; "softmax.try:3" for the user's

    @property
    def judged(self) -> bool:
        """Whether there is something to compare the result with."""
        return self.expected is not None or self.raises is not None


# ---------------------------------------------------------------------- parsing

def _parse(text: str, what: str) -> ast.expr:
    if "\n" in text.strip():
        raise ExampleSyntaxError(f"{what} must be written on one line")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExampleSyntaxError(f"{what} is not a Python expression: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:   # null bytes, absurd nesting
        raise ExampleSyntaxError(f"{what} cannot be read: {type(exc).__name__}") from None


def parse_call(text: str, names: Iterable[str]) -> Call:
    """The call in `text`, one of `names` (the functions an example may call)."""
    names = tuple(names)
    node = _parse(text, "an example")
    if not isinstance(node, ast.Call):
        raise ExampleSyntaxError(f"an example is a call of {_list(names)}, e.g. {names[0]}(...)"
                                 if names else "an example is a call of one of the challenge's functions")
    method = None
    if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
        # name(...).method(...): a method of the object the call returns (VPTree(P).query(q, 2)).
        attribute = node.func.attr
        if attribute.startswith("_"):
            raise ExampleSyntaxError(f".{attribute}() is private: call a public method")
        method = Call(attribute, *_arguments(node))
        node = node.func.value
    if not isinstance(node.func, ast.Name):
        raise ExampleSyntaxError(f"only {_list(names)} can be called here, not {_source(node.func)}")
    name = node.func.id
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]}?" if close else f" (these can: {_list(names)})"
        raise ExampleSyntaxError(f"{name}() is not a function of this challenge{hint}")
    return Call(name, *_arguments(node), method=method)


def parse_value(text: str) -> Value:
    """The value in `text` (an expected result: literals and numpy constructors, no calls)."""
    return _value(_parse(text, "the expected value"))


def _arguments(node: ast.Call) -> tuple[tuple, tuple]:
    args = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise ExampleSyntaxError("*arguments are not allowed: write each argument")
        args.append(_value(arg))
    kwargs = []
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ExampleSyntaxError("**arguments are not allowed: write each keyword argument")
        kwargs.append((keyword.arg, _value(keyword.value)))
    return tuple(args), tuple(kwargs)


def _value(node: ast.expr) -> Value:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bool, int, float, str)) or node.value is None:
            return Literal(node.value)
        raise ExampleSyntaxError(f"{type(node.value).__name__} literals are not allowed here")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _value(node.operand)
        if isinstance(inner, Literal) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
            return Literal(-inner.value if isinstance(node.op, ast.USub) else inner.value)
        raise ExampleSyntaxError(f"a sign goes before a number, not before {_source(node.operand)}")
    if isinstance(node, (ast.List, ast.Tuple)):
        return Sequence("list" if isinstance(node, ast.List) else "tuple", tuple(_value(e) for e in node.elts))
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise ExampleSyntaxError("**mappings are not allowed in a dict: write each key")
        keys = [_value(k) for k in node.keys]
        if not all(isinstance(k, Literal) and isinstance(k.value, (str, int)) for k in keys):
            raise ExampleSyntaxError("dict keys must be strings or integers")
        return Mapping(tuple(zip(keys, (_value(v) for v in node.values))))
    if isinstance(node, ast.Attribute) and node.attr == "__next__":
        return _script(node)
    dotted = _dotted(node)
    if dotted in ("np.inf", "np.nan"):
        return Literal(math.inf if dotted == "np.inf" else math.nan)
    if isinstance(node, ast.Call):
        return _numpy_call(node)
    if isinstance(node, ast.Name):
        hint = {"true": "True", "false": "False", "null": "None", "none": "None",
                "inf": "np.inf", "nan": "np.nan"}.get(node.id.lower())
        raise ExampleSyntaxError(f"{node.id} is not a value here" + (f" (write {hint})" if hint else
                                 ": examples hold literals (numbers, strings, lists, np.array(...)), not variables"))
    raise ExampleSyntaxError(f"{_source(node)} is not allowed in an example (allowed: numbers, strings, "
                             "None/True/False, lists, tuples, dicts, np.array/zeros/ones/arange, np.inf, np.nan, "
                             "np.random.default_rng(seed), iter([3, 5]).__next__)")


def _script(node: ast.Attribute) -> Script:
    """`iter([numbers]).__next__`, a source function with scripted draws; nothing else ends in `.__next__`."""
    inner = node.value
    if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "iter"
            and len(inner.args) == 1 and not inner.keywords and isinstance(inner.args[0], (ast.List, ast.Tuple))):
        raise ExampleSyntaxError(f"{_source(node)} is not allowed: a source function is written "
                                 "iter([3, 5]).__next__ (it returns 3, then 5)")
    items = tuple(_value(e) for e in inner.args[0].elts)
    if not all(isinstance(i, Literal) and _is_number(i.value) for i in items):
        raise ExampleSyntaxError("the values of iter([...]).__next__ must be numbers")
    _check_size(len(items))
    return Script(items)


def _numpy_call(node: ast.Call) -> NumpyValue:
    function = _dotted(node.func)
    if function is None or not function.startswith("np."):
        raise ExampleSyntaxError(f"{_source(node.func)}() cannot be called inside an example's arguments "
                                 "(the example's own function is the only call besides np.array and its kin)")
    function = function[3:]
    # dtype= may name a type (np.float32), which is not a value anywhere else.
    dtype_nodes = [k.value for k in node.keywords if k.arg == "dtype"]
    node = ast.Call(node.func, node.args, [k for k in node.keywords if k.arg != "dtype"])
    args, kwargs = _arguments(node)
    keywords = dict(kwargs)
    if len(keywords) != len(kwargs) or len(dtype_nodes) > 1:
        raise ExampleSyntaxError(f"np.{function}() is given a keyword twice")
    if dtype_nodes:
        keywords["dtype"] = dtype_nodes[0]
    if function == "random.default_rng":
        if keywords or len(args) != 1 or not _is_int(args[0]) or args[0].value < 0:
            raise ExampleSyntaxError("np.random.default_rng() takes one seed: a whole number of 0 or more")
        return NumpyValue(function, args)
    if function in _SCALAR_TYPES:
        if keywords or len(args) != 1 or not (isinstance(args[0], Literal) and _is_number(args[0].value)):
            raise ExampleSyntaxError(f"np.{function}() takes one number")
        return NumpyValue(function, args, dtype="bool" if function == "bool_" else function)
    dtype = _dtype(keywords.pop("dtype", None))
    if keywords:
        raise ExampleSyntaxError(f"np.{function}() takes no {', '.join(keywords)}= here (only dtype=)")
    if function == "array":
        if len(args) != 1:
            raise ExampleSyntaxError("np.array() takes one literal: a number or nested lists of numbers")
        _check_array_literal(args[0])
        return NumpyValue(function, args, dtype)
    if function in _FILLS:
        if len(args) != 1:
            raise ExampleSyntaxError(f"np.{function}() takes one shape: a whole number or a tuple of them")
        shape = args[0]
        dims = shape.items if isinstance(shape, Sequence) else (shape,)
        if not all(_is_int(d) and d.value >= 0 for d in dims) or len(dims) > MAX_DIMENSIONS:
            raise ExampleSyntaxError(f"np.{function}() takes one shape: a whole number or a tuple of them")
        _check_size(math.prod(d.value for d in dims))
        return NumpyValue(function, args, dtype)
    if function == "arange":
        if not 1 <= len(args) <= 3 or not all(_is_int(a) for a in args) or (len(args) == 3 and args[2].value == 0):
            raise ExampleSyntaxError("np.arange() takes 1 to 3 whole numbers (stop; start, stop; start, stop, step)")
        _check_size(len(range(*(a.value for a in args))))
        return NumpyValue(function, args, dtype)
    raise ExampleSyntaxError(f"np.{function}() is not available in examples (available: np.array, np.zeros, "
                             "np.ones, np.arange, np.float64(x) and the other scalar types, "
                             "np.random.default_rng(seed))")


def _dtype(node: ast.expr | None) -> str | None:
    """The dtype named by a `dtype=` argument: a string ("float32") or np.float32."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        name = node.value
    else:
        dotted = _dotted(node)
        name = dotted[3:] if dotted and dotted.startswith("np.") else None
    name = {"bool_": "bool", "float": "float64", "int": "int64", "complex": "complex128"}.get(name, name)
    if name not in DTYPES:
        raise ExampleSyntaxError(f"dtype must be one of {', '.join(sorted(DTYPES))} (a string or np.<name>)")
    return name


def _check_array_literal(value: Value) -> None:
    """Numbers (or strings), alone or in rectangular nested lists (np.array would refuse ragged ones)."""
    kinds = set()

    def shape(v, depth):
        if depth > MAX_DIMENSIONS:
            raise ExampleSyntaxError(f"np.array() of more than {MAX_DIMENSIONS} dimensions")
        if isinstance(v, Literal) and (_is_number(v.value) or isinstance(v.value, str)):
            kinds.add(isinstance(v.value, str))
            return ()
        if isinstance(v, Sequence):
            inner = {shape(item, depth + 1) for item in v.items}
            if len(inner) > 1:
                raise ExampleSyntaxError("np.array() of nested lists of different lengths (a ragged array)")
            return (len(v.items),) + (inner.pop() if inner else ())
        raise ExampleSyntaxError("np.array() takes numbers (or True/False, or strings) in nested lists, "
                                 f"not {_describe_spec(v)}")
    _check_size(math.prod(shape(value, 0)))
    if len(kinds) > 1:
        raise ExampleSyntaxError("np.array() of numbers and strings mixed")


def _check_size(elements: int) -> None:
    if elements > MAX_ELEMENTS:
        raise ExampleSyntaxError(f"an example's arrays hold at most {MAX_ELEMENTS:,} elements "
                                 f"(this one would hold {elements:,})")


def _holds_generator(value: Value) -> bool:
    if isinstance(value, Script):
        return True
    if isinstance(value, NumpyValue):
        return value.function == "random.default_rng"
    if isinstance(value, Sequence):
        return any(_holds_generator(v) for v in value.items)
    if isinstance(value, Mapping):
        return any(_holds_generator(v) for _, v in value.items)
    return False


def _is_number(value) -> bool:
    return isinstance(value, (bool, int, float))


def _is_int(value: Value) -> bool:
    return isinstance(value, Literal) and isinstance(value.value, int) and not isinstance(value.value, bool)


def _dotted(node) -> str | None:
    """'np.random.default_rng' for that attribute chain over a name; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _source(node) -> str:
    try:
        text = ast.unparse(node)
    except Exception:   # pragma: no cover - unparse handles every parsed node
        text = type(node).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _describe_spec(value: Value) -> str:
    if isinstance(value, Literal):
        return "None" if value.value is None else f"a {type(value.value).__name__}"
    if isinstance(value, NumpyValue):
        return f"np.{value.function}(...)"
    if isinstance(value, Script):
        return "a source function"
    return {Sequence: "a sequence", Mapping: "a dict"}.get(type(value), "that")


def _list(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "nothing"


def builtin_exception(name: str) -> str:
    """`name` if it is a built-in exception class (what `raises` may name), else ExampleSyntaxError."""
    candidate = getattr(builtins, name, None) if name.isidentifier() else None
    if not (isinstance(candidate, type) and issubclass(candidate, Exception)):
        raise ExampleSyntaxError(f"{name!r} is not a built-in exception (e.g. ValueError, TypeError)")
    return name


def make_example(call_text: str, names: Iterable[str], *, expected: str | None = None, raises: str | None = None,
                 note: str = "", rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                 origin: str = "") -> Example:
    """An Example from its parts as written (raises ExampleSyntaxError)."""
    call = parse_call(call_text, names)
    value = None
    try:
        if expected is not None:
            value = parse_value(expected)
            if _holds_generator(value):
                raise ExampleSyntaxError("an expected value cannot be a random generator or a source function")
    except ExampleSyntaxError as exc:
        raise ExampleSyntaxError(exc.why, "expected") from None
    if raises is not None:
        try:
            raises = builtin_exception(raises.strip())
        except ExampleSyntaxError as exc:
            raise ExampleSyntaxError(exc.why, "raises") from None
    if "\n" in note:
        raise ExampleSyntaxError("a note is one line", "note")
    return Example(call_text.strip(), call, expected.strip() if expected is not None else None, value, raises,
                   note.strip(), rtol, atol, origin)


# ---------------------------------------------------------------------- the user's inputs file

def inputs_path(solution_path: Path) -> Path:
    """Where the user's own inputs for a solution live: `kmeans.py` -> `kmeans.try` beside it."""
    return Path(solution_path).with_suffix(INPUTS_SUFFIX)


def callable_names(challenge, source: str | None = None) -> tuple[str, ...]:
    """What the user's own inputs may call: the challenge's functions, and the public
    top-level functions and classes of the solution's source (its helpers)."""
    names = [a.name for a in challenge.api]
    if source is not None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            tree = None
        if tree is not None:
            names += [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                      and not n.name.startswith("_") and n.name not in names]
    return tuple(names)


def parse_inputs(text: str, names: Iterable[str], origin: str) -> tuple[list[Example], list[tuple[int, str]]]:
    """The examples of an inputs file and its problems as (line, why); `origin` names the file in results.

    One call per line, optionally `-> expected value` or `-> raises ValueError`;
    `#` starts a comment; blank lines are skipped.
    """
    names = tuple(names)
    examples, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        call_text, expected_text = _split_arrow(line)
        try:
            raises = expected = None
            if expected_text is not None:
                if not expected_text.strip():
                    raise ExampleSyntaxError(f"nothing after {ARROW}: write the expected value, "
                                             f"or leave out {ARROW} to only see the result")
                words = expected_text.split()
                if words[0] == "raises":
                    if len(words) != 2:
                        raise ExampleSyntaxError(f"write {ARROW} raises ValueError (one built-in exception)")
                    raises = words[1]
                else:
                    expected = expected_text
            examples.append(make_example(call_text, names, expected=expected, raises=raises,
                                         origin=f"{origin}:{number}"))
        except ExampleSyntaxError as exc:
            problems.append((number, exc.why))
    return examples, problems


def _split_arrow(line: str) -> tuple[str, str | None]:
    """(call, expected or None): the line split at its first `->` outside strings and brackets; comments dropped."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return line, None       # let the parser say what is wrong
    depth, arrow, comment = 0, None, None
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif token.type == tokenize.OP and token.string == ARROW and depth == 0 and arrow is None:
            arrow = token.start[1]
        elif token.type == tokenize.COMMENT and comment is None:
            comment = token.start[1]
    code = line[:comment] if comment is not None else line
    if arrow is None:
        return code, None
    return code[:arrow], code[arrow + len(ARROW):]


def read_inputs(path: Path, names: Iterable[str]) -> list[Example]:
    """The user's inputs file at `path` (raises InvalidInputs listing every bad line as path:line)."""
    from trainer.errors import InputError, InvalidInputs
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputs(path, [(None, f"the file is not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    examples, problems = parse_inputs(text, names, Path(path).name)
    if problems:
        raise InvalidInputs(path, problems)
    return examples


# ---------------------------------------------------------------------- building values

def build(value: Value):
    """The real value an example's tree stands for (numpy arrays, generators, Python literals)."""
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, Sequence):
        items = [build(item) for item in value.items]
        return items if value.kind == "list" else tuple(items)
    if isinstance(value, Mapping):
        return {build(k): build(v) for k, v in value.items}
    if isinstance(value, Script):
        from trainer.grading.harness import scripted_source
        return scripted_source([build(item) for item in value.items], name="source")
    if isinstance(value, NumpyValue):
        import numpy as np
        args = [build(a) for a in value.args]
        if value.function == "random.default_rng":
            return np.random.default_rng(*args)
        if value.function in _SCALAR_TYPES:
            return getattr(np, value.function)(*args)
        kwargs = {"dtype": value.dtype} if value.dtype else {}
        return getattr(np, value.function)(*args, **kwargs)
    raise TypeError(f"not an example value: {value!r}")


def build_call(call: Call) -> tuple[tuple, dict]:
    """(args, kwargs) of a call, built fresh (a generator starts at its seed, a script at its first value, each time)."""
    return tuple(build(a) for a in call.args), {k: build(v) for k, v in call.kwargs}


# ---------------------------------------------------------------------- comparing

@dataclass
class Verdict:
    """How a result compares: `why` is None when it matches; `notes` are differences that do not fail."""

    why: str | None = None
    notes: list[str] = field(default_factory=list)


def compare(got, expected: Value, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> Verdict:
    """Compare a result (untrusted data from a worker) with an expected value.

    Numbers and arrays of floats: np.allclose(got, expected, rtol, atol), NaN
    equal to NaN, infinities equal to themselves; integers, bools and strings:
    exactly; tuples, lists and dicts: item by item (a list of numbers also
    matches an array of them). Shapes must agree. A dtype stated in the
    expected value (`np.array(..., dtype="float32")`, `np.float32(...)`) must
    agree too; any other dtype difference is only noted.
    """
    verdict = Verdict()
    verdict.why = _compare(got, expected, rtol, atol, "", verdict.notes)
    return verdict


def _where(path: str) -> str:
    return f"result{path}: " if path else ""


def _compare(got, spec: Value, rtol: float, atol: float, path: str, notes: list[str]) -> str | None:
    import numpy as np
    if isinstance(spec, Mapping):
        if not isinstance(got, dict):
            return f"{_where(path)}got {_kind(got)}, expected a dict"
        keys = {build(k): v for k, v in spec.items}
        missing, extra = [k for k in keys if k not in got], [k for k in got if k not in keys]
        if missing or extra:
            parts = ([f"missing key(s) {', '.join(map(repr, missing))}"] if missing else []) + \
                    ([f"unexpected key(s) {', '.join(map(repr, extra[:5]))}"] if extra else [])
            return _where(path) + "; ".join(parts)
        for key, item in keys.items():
            why = _compare(got[key], item, rtol, atol, f"{path}[{key!r}]", notes)
            if why:
                return why
        return None
    if isinstance(spec, Sequence) and isinstance(got, (list, tuple)):
        if len(got) != len(spec.items):
            return f"{_where(path)}got {_kind(got)} of {len(got)} items, expected {len(spec.items)}"
        for i, (item, item_spec) in enumerate(zip(got, spec.items)):
            why = _compare(item, item_spec, rtol, atol, f"{path}[{i}]", notes)
            if why:
                return why
        return None
    if isinstance(spec, Literal) and (spec.value is None or isinstance(spec.value, str)):
        if (got is None) if spec.value is None else (isinstance(got, str) and got == spec.value):
            return None
        return f"{_where(path)}got {_short(got)}, expected {spec.value!r}"
    expected = build(spec)
    if isinstance(spec, Sequence):
        try:
            expected = np.asarray(expected)
        except ValueError:
            return f"{_where(path)}got {_kind(got)}, expected a {spec.kind}"
        if expected.dtype.kind not in "biufc":
            return f"{_where(path)}got {_kind(got)}, expected a {spec.kind}"
    strict = spec.dtype if isinstance(spec, NumpyValue) else None
    return _compare_numbers(got, expected, strict, isinstance(spec, NumpyValue), rtol, atol, path, notes)


def _numeric(value):
    """`value` as a numeric ndarray, or None when it is not numbers (an untrusted result)."""
    import numpy as np
    if isinstance(value, (bool, int, float, complex, np.ndarray, np.generic, list, tuple)):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError, OverflowError):
            return None
        return array if array.dtype.kind in "biufc" else None
    return None


def _compare_numbers(got, expected, strict: str | None, note_dtype: bool, rtol: float, atol: float,
                     path: str, notes: list[str]) -> str | None:
    import numpy as np
    e = np.asarray(expected)
    if e.dtype.kind == "U":
        return _compare_strings(got, e, path)
    g = _numeric(got)
    if g is None:
        return f"{_where(path)}got {_kind(got)}, expected {'an array' if e.ndim else 'a number'}"
    if g.shape != e.shape:
        return f"{_where(path)}shape {g.shape}, expected {e.shape}"
    if strict is not None and g.dtype != np.dtype(strict):
        return f"{_where(path)}dtype {g.dtype}, expected {np.dtype(strict)}"
    if note_dtype and g.dtype != e.dtype and isinstance(got, (np.ndarray, np.generic)):
        notes.append(f"{_where(path)}dtype {g.dtype}; the example's is {e.dtype}")
    exact = e.dtype.kind in "biu"
    with np.errstate(all="ignore"):
        if exact:
            bad = g != e
            rule = "exactly"
        else:
            bad = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
            rule = f"within rtol {rtol:g}, atol {atol:g}"
    bad = np.asarray(bad)
    if not bad.any():
        return None
    if e.ndim == 0:
        return f"{_where(path)}got {_scalar(g[()])}, expected {_scalar(e[()])} ({rule})"
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    index = ", ".join(map(str, first))
    count = int(bad.sum())
    return (f"{_where(path)}at [{index}] got {_scalar(g[first])}, expected {_scalar(e[first])} ({rule}; "
            f"{count} of {bad.size} entries differ)")


def _compare_strings(got, e, path: str) -> str | None:
    """An array of strings: the same shape and the same strings (exactly)."""
    import numpy as np
    g = None
    if isinstance(got, (np.ndarray, list, tuple)):
        try:
            g = np.asarray(got)
        except (ValueError, TypeError):
            g = None
    if g is None or g.dtype.kind != "U":
        return f"{_where(path)}got {_kind(got)}, expected an array of strings"
    if g.shape != e.shape:
        return f"{_where(path)}shape {g.shape}, expected {e.shape}"
    bad = np.asarray(g != e)
    if not bad.any():
        return None
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    return (f"{_where(path)}at [{', '.join(map(str, first))}] got {_scalar(g[first])}, "
            f"expected {_scalar(e[first])} (exactly)")


def _scalar(value) -> str:
    import numpy as np
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _kind(value) -> str:
    """'a str', 'an array of shape (3,)', 'None', 'an object' ... for messages."""
    import numpy as np
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    name = type(value).__name__ if isinstance(value, (bool, int, float, complex, str, bytes, list, tuple, dict,
                                                       np.generic)) else "object"
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _short(value) -> str:
    text = format_value(value)
    return text if len(text) <= 60 and "\n" not in text else _kind(value)


def format_value(value) -> str:
    """A result or an expected value as text: numpy's repr at 8 digits, long arrays summarised.

    Untrusted: callers make it inert before it reaches a terminal.
    """
    import numpy as np
    from trainer.sandbox.client import RemoteObject
    if isinstance(value, RemoteObject):
        return "an object (it lives in the sandbox)"
    def items(values) -> str:   # a result may hold millions of items: show the first few
        shown = [format_value(v) for v in values[:_SHOWN_ITEMS]]
        if len(values) > _SHOWN_ITEMS:
            shown.append(f"... ({len(values) - _SHOWN_ITEMS} more)")
        return ", ".join(shown)

    if isinstance(value, tuple):
        return f"({items(value)}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return f"[{items(value)}]"
    if isinstance(value, dict):
        return "{" + items([_Pair(k, v) for k, v in value.items()]) + "}"
    if isinstance(value, _Pair):
        return f"{format_value(value.key)}: {format_value(value.value)}"
    if isinstance(value, str) and len(value) > _SHOWN_CHARS:
        value = value[:_SHOWN_CHARS]
    with np.printoptions(precision=8, threshold=40, edgeitems=3, linewidth=88):
        text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + " ..."


_SHOWN_ITEMS = 40
_SHOWN_CHARS = 4000


@dataclass(frozen=True)
class _Pair:
    key: object
    value: object


# ---------------------------------------------------------------------- running in the sandbox

MATCH, MISMATCH, RAISED, FAILED, SKIPPED, SHOWN = "match", "mismatch", "raised", "failed", "skipped", "shown"
#: Outcomes that make `mltrainer try` exit 1.
NOT_OK = frozenset({MISMATCH, RAISED, FAILED, SKIPPED})


@dataclass
class Outcome:
    """What one example did. Every string is inert (it may hold the solution's text)."""

    example: Example
    status: str                 # match | mismatch | raised | failed | skipped | shown
    got: str = ""               # the result as text ("" when there is none)
    expected: str = ""          # the expected value (or exception) as text
    why: str = ""               # why it does not match, the exception, or the failure
    notes: list[str] = field(default_factory=list)
    printed: str = ""           # what the solution printed during the call

    @property
    def ok(self) -> bool:
        return self.status not in NOT_OK


@dataclass
class TryReport:
    """A `mltrainer try` run: static findings, or an import failure, or one outcome per example."""

    challenge_id: str
    solution_path: str
    inputs_path: str | None = None      # the user's inputs file, when one was read
    static_issues: list = field(default_factory=list)
    error: str = ""                     # the solution could not be imported / the harness failed
    printed: str = ""                   # what the solution printed while it was imported
    outcomes: list[Outcome] = field(default_factory=list)
    isolation: str = ""

    @property
    def passed(self) -> bool:
        return not self.static_issues and not self.error and all(o.ok for o in self.outcomes)


def try_solution(challenge, solution_path: Path, *, inputs: Path | None = None, isolation: str | None = None,
                 timeout: float | None = None, on_start: Callable[[TryReport], None] | None = None,
                 on_outcome: Callable[[Outcome], None] | None = None) -> TryReport:
    """Run a solution on the challenge's examples and the user's inputs file, in the sandbox.

    `inputs` is the inputs file (default: `<solution>.try` beside it, read
    when it exists; given explicitly, it must exist). Raises InvalidInputs
    (every bad line as path:line), InputError, SolutionNotFound,
    IsolationUnavailable; what the solution does is in the report.
    `on_start(report)` is called once the solution is imported in the
    sandbox (report.printed holds what the import printed), `on_outcome`
    after each example, so a caller can show them as they come.
    """
    from trainer.engine import read_solution
    from trainer.errors import InputError
    from trainer.precheck import check_bytes
    from trainer.report import inert

    path, raw = read_solution(solution_path, challenge)
    source, issues = check_bytes(raw, path, challenge)
    explicit = inputs is not None
    inputs = Path(inputs).expanduser() if explicit else inputs_path(path)
    own: list[Example] = []
    if inputs.is_file() or explicit:
        if not inputs.is_file():
            raise InputError(f"no inputs file at {inputs}")
        own = read_inputs(inputs, callable_names(challenge, source))
    report = TryReport(challenge.id, inert(str(path)), inert(str(inputs)) if own or explicit else None)
    examples = list(challenge.examples) + own
    if not examples:
        raise InputError(f"nothing to try: {challenge.id} has no examples and there is no {inputs} "
                         f"(write one call per line there, e.g. {challenge.api[0].name}(...); see "
                         "`mltrainer try --help`)")
    if issues:
        report.static_issues = issues
        return report
    run_examples(challenge, path, examples, report, isolation=isolation, timeout=timeout, on_start=on_start,
                 on_outcome=on_outcome)
    return report


def run_examples(challenge, path: Path, examples: list[Example], report: TryReport, *, isolation: str | None = None,
                 timeout: float | None = None, on_start: Callable[[TryReport], None] | None = None,
                 on_outcome: Callable[[Outcome], None] | None = None) -> None:
    """Run `examples` on the solution at `path` in one sandboxed worker, adding to `report`."""
    from trainer.engine import solution_worker
    from trainer.report import inert
    from trainer.sandbox.client import CandidateFailure, CandidateRaised, ProtocolError

    with solution_worker(challenge, path, isolation=isolation, label="try") as worker:
        try:
            worker.start()
        except CandidateFailure as exc:
            report.error = inert(f"Your solution {exc.message}.")
            report.printed = inert(_excerpt(user_paths(exc.output, path)))
            return
        except Exception as exc:
            if not isinstance(exc, CandidateRaised):
                raise
            report.error = inert(user_paths(_raised_text(exc, "importing your file"), path))
            report.printed = inert(_excerpt(user_paths(worker.output_excerpt(), path)))
            return
        except ProtocolError as exc:
            report.error = inert(f"the sandbox failed: {exc} (a bug in mltrainer, not in your solution)")
            return
        report.isolation = worker.isolation
        report.printed = inert(_excerpt(user_paths(worker.output_excerpt(), path)))
        if on_start is not None:
            on_start(report)
        timed_out: set[str] = set()
        for example in examples:
            try:
                outcome = _run_one(worker, example, timeout, timed_out)
            except ProtocolError as exc:
                outcome = Outcome(example, FAILED, why=f"the sandbox failed: {exc} (a bug in mltrainer, "
                                                       "not in your solution)")
            outcome.why, outcome.printed = user_paths(outcome.why, path), user_paths(outcome.printed, path)
            outcome.got, outcome.expected, outcome.why, outcome.printed = (
                inert(outcome.got), inert(outcome.expected), inert(outcome.why), inert(_excerpt(outcome.printed)))
            outcome.notes = [inert(n) for n in outcome.notes]
            report.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)


# What the solution printed is shown up to this much per example (the worker keeps the rest of it out too).
_PRINTED_CHARS = 1500
_PRINTED_LINES = 20


def _excerpt(text: str) -> str:
    """At most _PRINTED_LINES lines and _PRINTED_CHARS characters of printed output."""
    lines = text.splitlines()
    cut = "\n".join(lines[:_PRINTED_LINES])
    if len(cut) > _PRINTED_CHARS:
        cut = cut[:_PRINTED_CHARS]
    left = len(text.rstrip("\n")) - len(cut)
    return cut + (f"\n... ({left} more characters)" if left > 0 else "")


def _expected_text(example: Example) -> str:
    if example.raises:
        return f"raises {example.raises}"
    if example.expected is None:
        return ""
    try:
        return format_value(build(example.expected))
    except Exception:   # pragma: no cover - a parsed value always builds
        return example.expected_text or ""


def _run_one(worker, example: Example, timeout: float | None, timed_out: set[str]) -> Outcome:
    from trainer.sandbox.client import CandidateFailure, CandidateRaised, RemoteMethod, RemoteObject

    call = example.call
    expected = _expected_text(example)
    already = [name for name in call.names if name in timed_out]
    if already:
        return Outcome(example, SKIPPED, expected=expected,
                       why=f"not run: {already[0]}() already timed out above")
    what = _what(example.text)
    current = call.name
    try:
        args, kwargs = build_call(call)
        result = worker.call(call.name, args, kwargs, what=what, timeout=timeout)
        if call.method is not None:
            if not isinstance(result, RemoteObject):
                return Outcome(example, FAILED, got=format_value(result), expected=expected,
                               why=f"{call.name}(...) returned {_kind(result)}, not an object with a "
                                   f".{call.method.name}() method", printed=worker.output_excerpt())
            current = call.method.name
            margs, mkwargs = build_call(call.method)
            result = worker.call(RemoteMethod(result, call.method.name).target(), margs, mkwargs, what=what,
                                 timeout=timeout)
    except Exception as exc:
        if not isinstance(exc, CandidateRaised):   # a mixin: the class derives from the built-in raised
            raise
        printed = worker.output_excerpt()
        if example.raises and isinstance(exc, getattr(builtins, example.raises)):
            return Outcome(example, MATCH, got=f"raised {exc.remote_type}: {_message(exc)}", expected=expected,
                           printed=printed)
        return Outcome(example, RAISED, expected=expected, why=_raised_text(exc), printed=printed)
    except CandidateFailure as exc:
        if exc.kind == "timeout":
            timed_out.add(current)
        message = exc.message if exc.message.startswith("not run") else f"Your solution {exc.message}."
        return Outcome(example, FAILED, expected=expected, why=message, printed=exc.output)
    printed = worker.output_excerpt()
    got = format_value(result)
    if example.raises:
        return Outcome(example, MISMATCH, got=got, expected=expected,
                       why=f"returned instead of raising {example.raises}", printed=printed)
    if example.expected is None:
        return Outcome(example, SHOWN, got=got, printed=printed)
    verdict = compare(result, example.expected, rtol=example.rtol, atol=example.atol)
    return Outcome(example, MATCH if verdict.why is None else MISMATCH, got=got, expected=expected,
                   why=verdict.why or "", notes=verdict.notes, printed=printed)


def _what(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _message(exc) -> str:
    """The message the solution's exception had (as sent: str(KeyError('k')) would quote it again)."""
    return str(exc.args[0]) if exc.args else ""


def _raised_text(exc, during: str = "") -> str:
    where = f" (line {exc.remote_line} of your file)" if exc.remote_line else ""
    text = f"{exc.remote_type}: {_message(exc)}" if _message(exc) else exc.remote_type
    if during:
        text = f"{text} while {during}"
    if issubclass(type(exc), NotImplementedError):
        text = "not implemented yet" + (f" (line {exc.remote_line} of your file raises NotImplementedError)"
                                        if exc.remote_line else "")
    else:
        text += where
        if exc.remote_traceback:
            text += "\n" + exc.remote_traceback.rstrip()
    return text


# ---------------------------------------------------------------------- text

def report_lines(report: TryReport) -> list[list[tuple[str, str]]]:
    """The whole report as lines of (text, style) pieces; every text is inert already."""
    lines = preamble_lines(report)
    for outcome in report.outcomes:
        lines += outcome_lines(outcome)
    return lines + closing_lines(report)


def preamble_lines(report: TryReport) -> list[list[tuple[str, str]]]:
    """What comes before the examples: static findings, an import that failed, or what the import printed."""
    lines: list[list[tuple[str, str]]] = []
    for issue in report.static_issues:
        lines.append([("  ", ""), (issue.location(), "red"), (": " + issue.message, "")])
    if report.static_issues:
        lines.append([("Nothing was run. Fix these and try again.", "")])
    if report.error:
        lines += _block("error", report.error, "red")
    label = "printed" if report.error else "on import, your file printed"
    lines += _block(label, report.printed, "dim")
    return lines


def closing_lines(report: TryReport) -> list[list[tuple[str, str]]]:
    """The count of examples that match and the isolation they ran under (nothing when none ran)."""
    if report.static_issues or report.error:
        return []
    lines = [[], summary_line(report)]
    if report.isolation:
        lines.append([(f"isolation: {report.isolation}", "dim")])
    return lines


MARKS = {MATCH: ("✓", "green"), MISMATCH: ("✗", "red"), RAISED: ("✗", "red"), FAILED: ("✗", "red"),
         SKIPPED: ("-", "yellow"), SHOWN: ("·", "cyan")}


def outcome_lines(outcome: Outcome) -> list[list[tuple[str, str]]]:
    mark, colour = MARKS[outcome.status]
    origin = f"   ({outcome.example.origin})" if outcome.example.origin else ""
    lines = [[(mark, colour), (" " + outcome.example.text, "bold"), (origin, "dim")]]
    if outcome.example.note:
        lines.append([("    " + outcome.example.note, "dim")])
    if outcome.status in (RAISED, FAILED, SKIPPED):
        lines += _block(outcome.status, outcome.why, colour)
        lines += _block("expected", outcome.expected, "")
    else:
        lines += _block("got", outcome.got, "")
        lines += _block("expected", outcome.expected, "")
        lines += _block("why", outcome.why, colour)
    for note in outcome.notes:
        lines += _block("note", note, "yellow")
    lines += _block("printed", outcome.printed, "dim")
    return lines


_LABEL_WIDTH = 10


def _block(label: str, text: str, style: str) -> list[list[tuple[str, str]]]:
    """`label` and `text` aligned, continuation lines indented under the text; nothing for empty text."""
    text = text.rstrip()
    if not text.strip():
        return []
    rows = text.splitlines()
    head = f"    {label:<{_LABEL_WIDTH}}" if len(label) < _LABEL_WIDTH else f"    {label}: "
    lines = [[(head, "dim"), (rows[0], style)]]
    indent = " " * (4 + _LABEL_WIDTH)
    lines += [[(indent + row, style)] for row in rows[1:]]
    return lines


def summary_line(report: TryReport) -> list[tuple[str, str]]:
    judged = [o for o in report.outcomes if o.example.judged]
    matched = sum(o.status == MATCH for o in judged)
    shown = len(report.outcomes) - len(judged)
    problems = [o for o in report.outcomes if not o.example.judged and not o.ok]
    style = "green" if report.passed else "red"
    text = f"{matched} of {len(judged)} example{'s' if len(judged) != 1 else ''} match"
    if shown:
        text += f"; {shown} input{'s' if shown != 1 else ''} without an expected value"
        if problems:
            text += f" ({len(problems)} did not return)"
    return [(text + ".", f"bold {style}")]


# ---------------------------------------------------------------------- the stub's scratchpad

_MAIN_HEAD = '''

if __name__ == "__main__":
    # A scratchpad: `python {id}.py` runs the examples of `mltrainer show {id}`
    # with plain Python and prints what each call returns beside what it should.
    # `mltrainer try {id}` runs them in the sandbox and compares the two (add
    # your own calls to {id}.try, one per line: `call -> expected`).
    def _show(label, value):
        print(f"    {{label:<9}}", str(value).replace("\\n", "\\n" + " " * 14))

    def _example(text, run, expected=None, raises=None):
        print(text)
        try:
            got = run()
        except NotImplementedError:
            print("    not implemented yet")
            return
        except Exception as exc:
            if raises is not None and isinstance(exc, raises):
                print(f"    raised {{type(exc).__name__}} as expected: {{exc}}")
                return
            line, tb = None, exc.__traceback__
            while tb is not None:
                if tb.tb_frame.f_code.co_filename == __file__:
                    line = tb.tb_lineno
                tb = tb.tb_next
            print(f"    raised {{type(exc).__name__}}: {{exc}}" + (f" (line {{line}})" if line else ""))
            return
        _show("got", got)
        _show("expected", expected if raises is None else f"{{raises.__name__}} to be raised")
'''


def stub_main_block(challenge_id: str, examples: Iterable[Example]) -> str:
    """The `if __name__ == "__main__":` block that ends a stub: each example, run with plain Python.

    Each call is written verbatim (its syntax is plain Python over
    `import numpy as np`) inside a lambda, so one that raises
    NotImplementedError says "not implemented yet" and the next still runs.
    Empty when there are no examples. It starts with two blank lines and
    ends without a newline: a template ends with `{{ examples_main }}` on a
    line of its own.
    """
    examples = list(examples)
    if not examples:
        return ""
    parts = [_MAIN_HEAD.format(id=challenge_id).rstrip("\n")]
    for example in examples:
        parts.append("")
        if example.note:
            parts.append(f"    # {example.note}")
        lines = [f"    _example({example.text!r},", f"             lambda: {example.text}"]
        if example.raises:
            lines[-1] += ","
            lines.append(f"             raises={example.raises})")
        elif example.expected_text is not None:
            lines[-1] += ","
            lines.append(f"             {example.expected_text})")
        else:
            lines[-1] += ")"
        parts += lines
    return "\n".join(parts)
