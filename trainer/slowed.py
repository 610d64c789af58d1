"""Variants of a solution made from its source: slower by a factor, or hanging in every call.

For authors and the project's own checks of what graders tolerate (a correct
solution several times slower than the reference must pass every test but
the performance ones) and of how long a verdict takes (benchmarks/latency.py).
Only the standard library's `ast`: the result imports nothing new, so it
passes the same pre-run checks as the solution it came from.
"""

from __future__ import annotations

import ast

_HANG = "while True:\n    pass"


def _slow_body(factor: int) -> str:
    """The call, then (outermost calls only) the same work factor - 1 more times: factor x its time.

    A random generator among the arguments (anything with a `bit_generator`)
    starts each repetition where the call found it and is left where the
    first run left it: every repetition makes the same draws, and the caller
    sees the draws of one call.
    """
    return f"""
_depth[0] += 1
try:
    if _depth[0] > 1:
        return _inner()
    _gens = [_g for _g in _params() if hasattr(_g, 'bit_generator')]
    _before = [_g.bit_generator.state for _g in _gens]
    _r = _inner()
    _after = [_g.bit_generator.state for _g in _gens]
    for _ in range({factor} - 1):
        for _g, _s in zip(_gens, _before):
            _g.bit_generator.state = _s
        _inner()
    for _g, _s in zip(_gens, _after):
        _g.bit_generator.state = _s
    return _r
finally:
    _depth[0] -= 1
"""


def _wrapped(source: str, body: str) -> str:
    """The source with every public function and method (and __init__, __call__) run inside `body`.

    The original body becomes a nested `_inner` with the same parameters,
    every `_inner()` call in `body` passes the function's own arguments, and
    `_params()` stands for a tuple of the argument values.
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or \
                (node.name.startswith("_") and node.name not in ("__init__", "__call__")):
            continue
        inner = ast.FunctionDef(name="_inner", args=node.args, body=node.body, decorator_list=[], returns=None,
                                type_comment=None, type_params=[])
        node.body = [inner] + ast.parse(body).body
        a = node.args
        positional = [ast.Name(p.arg) for p in a.posonlyargs + a.args]
        if a.vararg:
            positional.append(ast.Starred(ast.Name(a.vararg.arg)))
        keywords = [ast.keyword(arg=p.arg, value=ast.Name(p.arg)) for p in a.kwonlyargs]
        if a.kwarg:
            keywords.append(ast.keyword(arg=None, value=ast.Name(a.kwarg.arg)))
        values = positional + [ast.Name(p.arg) for p in a.kwonlyargs]
        if a.kwarg:
            values.append(ast.Starred(ast.Call(ast.Attribute(ast.Name(a.kwarg.arg), "values"), [], [])))
        for call in ast.walk(ast.Module(body=node.body[1:], type_ignores=[])):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "_inner":
                call.args, call.keywords = positional, keywords
            elif isinstance(call, ast.Call) and getattr(call.func, "id", None) == "_params":
                call.func, call.args = ast.Name("tuple"), [ast.List(values)]
    return "_depth = [0]\n" + ast.unparse(ast.fix_missing_locations(tree))


def slowed(source: str, factor: int) -> str:
    """The same solution, `factor` times slower in every public call (the work done `factor` times)."""
    return _wrapped(source, _slow_body(int(factor)))


def hanging(source: str) -> str:
    """The same solution, hanging (a busy loop) in every public call."""
    return _wrapped(source, _HANG)
