"""The pre-run checks of a solution file: static checks, before any of it runs.

The file must parse, define every required name at module level, import
only what its challenge allows, and use nothing its challenge forbids
(`forbidden` in challenge.yaml: names such as `matmul`, the `@` operator,
keyword arguments such as `optimize=`). `reference`, `graders` and `trainer` are never
allowed (`trainer.sandbox.limits.FORBIDDEN_IMPORTS`, which the worker refuses
too). Findings carry file:line so editors can jump to them. A file with
findings is reported "rejected by the static checks" and never graded.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from trainer.catalog import Challenge
from trainer.report import Issue
from trainer.sandbox.limits import FORBIDDEN_IMPORTS

# Standard-library modules that cannot reach outside the process; always allowed.
IMPLICIT_IMPORTS = frozenset({
    "__future__", "abc", "bisect", "collections", "dataclasses", "enum", "functools", "heapq",
    "itertools", "math", "numbers", "operator", "statistics", "typing",
})


def importable(challenge: Challenge) -> str:
    """What a solution of the challenge may import, in words: its own modules, then the implicit ones."""
    own = sorted(challenge.allowed_imports - IMPLICIT_IMPORTS)
    standard = ", ".join(sorted(IMPLICIT_IMPORTS - {"__future__"}))
    return (f"{', '.join(own)}, and " if own else "") + f"from the standard library: {standard}"


def defined_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def check_source(source: str, path: str, challenge: Challenge) -> list[Issue]:
    """All static findings for `source` (empty when the file may be run)."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [Issue(path, exc.lineno, exc.offset, f"syntax error: {exc.msg}")]
    except ValueError as exc:  # e.g. null bytes
        return [Issue(path, None, None, f"cannot parse the file: {exc}")]

    issues: list[Issue] = []
    allowed = set(challenge.allowed_imports) | IMPLICIT_IMPORTS
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                issues.append(Issue(path, node.lineno, node.col_offset + 1,
                                    "relative imports are not available: a solution is a single file"))
                continue
            modules = [node.module or ""]
        elif isinstance(node, ast.Name) and node.id == "__import__":
            issues.append(Issue(path, node.lineno, node.col_offset + 1,
                                "__import__ is not allowed: use a plain import statement"))
        for module in modules:
            top = module.split(".")[0]
            if top in FORBIDDEN_IMPORTS:
                issues.append(Issue(path, node.lineno, node.col_offset + 1,
                                    f"importing {module!r} is never allowed in a solution"))
            elif top not in allowed:
                issues.append(Issue(path, node.lineno, node.col_offset + 1,
                                    f"importing {module!r} is not allowed in this challenge "
                                    f"(allowed: {importable(challenge)})"))

    issues += _forbidden_uses(tree, path, challenge.forbidden, {api.name for api in challenge.api})
    names = defined_names(tree)
    for api in challenge.api:
        if not api.bonus and api.name not in names:
            issues.append(Issue(path, None, None,
                                f"missing required name {api.name!r} (expected: {api.signature})"))
    return sorted(issues, key=lambda i: (i.line or 0, i.column or 0))


def _forbidden_uses(tree: ast.Module, path: str, forbidden: tuple[str, ...], own: set[str]) -> list[Issue]:
    """Where the source uses what its challenge forbids: a name or attribute, the `@` operator, a keyword.

    A name counts wherever it appears: called, imported (`from numpy import
    matmul`), as an attribute (`np.matmul`, `np.linalg`), or spelt in a
    string (`getattr(np, "matmul")`); a keyword (`optimize=`) as an argument
    or spelt in a string (`**{"optimize": True}`). A name the solution must define itself
    (`own`, its API) is not flagged where it is defined or called, nor in the
    message of a raise (a stub's `NotImplementedError("matmul")`). Static, like every
    pre-run check: it stops the plain uses, which is what a task's "do not
    call" is about. A star import (`from numpy import *`) is refused: it
    binds every public name unspelt, and one under the API's own name would
    be the forbidden function itself (`_product = matmul` before the file's
    own `def matmul`).

    A name can also be looked up at run time from pieces (`getattr(np, "mat"
    + "mul")`), so where a challenge forbids anything, the ways of turning a
    string into an object are refused too (`DYNAMIC_LOOKUPS`: `getattr`,
    `eval`, `exec`, `vars`, `__dict__`, `sys.modules`, pickles, string
    annotations...), as are dunder attributes other than `ALLOWED_DUNDERS`
    and strings written as a path to a forbidden name (`"np.matmul"`). A
    solution that builds the product from the allowed pieces needs none of
    them.
    """
    if not forbidden:
        return []
    names = {f for f in forbidden if f.isidentifier()}
    bare = names - own
    # The message of a raise may name the function it is in (a stub's NotImplementedError("matmul")).
    in_raise = {id(n) for r in ast.walk(tree) if isinstance(r, ast.Raise) for n in ast.walk(r)}
    keywords = {f[:-1] for f in forbidden if f.endswith("=")}
    operator = "@" in forbidden
    imported = {(a.asname or a.name).split(".")[0]
                for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    found: list[Issue] = []

    def flag(node, what: str) -> None:
        found.append(Issue(path, getattr(node, "lineno", None), getattr(node, "col_offset", -1) + 1,
                           f"{what} is not allowed in this challenge (the task says what you may use)"))

    for node in ast.walk(tree):
        if isinstance(node, ast.alias) and node.name == "*":
            flag(node, "a star import (it binds names without spelling them, and so can bind a forbidden one)")
        elif isinstance(node, ast.Name) and node.id in bare:
            flag(node, f"{node.id!r}")
        elif isinstance(node, ast.Attribute) and node.attr in names:
            flag(node, f"{node.attr!r}")
        elif isinstance(node, ast.alias) and (set(node.name.split(".")) & names):
            flag(node, f"{node.name!r}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value in bare or node.value in names and id(node) not in in_raise):
            flag(node, f"{node.value!r}")
        elif isinstance(node, ast.Constant) and node.value in keywords:   # **{"optimize": True}
            flag(node, f"the keyword argument {node.value}=")
        elif operator and isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            flag(node, "the @ operator")
        elif isinstance(node, ast.keyword) and node.arg in keywords:
            flag(node, f"the keyword argument {node.arg}=")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_raise and (
                set(_PATH_PART.split(node.value)) & names) and not _SPACE.search(node.value):
            flag(node, f"the string {node.value!r} (a path to a forbidden name)")
        else:
            lookup = _dynamic_lookup(node, imported)
            if lookup:
                found.append(Issue(path, getattr(node, "lineno", None), getattr(node, "col_offset", -1) + 1,
                                   f"{lookup} is not allowed in this challenge: it can reach a forbidden "
                                   "function without naming it (the task says what you may use)"))
    return found


# What turns a string into an object at run time, refused where a challenge
# forbids names (a forbidden name could be assembled from pieces), and the
# public ways into modules that have such lookups.
DYNAMIC_LOOKUPS = frozenset({
    "getattr", "eval", "exec", "compile", "vars", "globals", "locals", "breakpoint",
    "attrgetter", "methodcaller",                   # operator's getattr
    "get_type_hints", "ForwardRef",                 # typing evaluates string annotations
    "f_globals", "f_builtins", "f_locals",          # a frame's namespaces (from a traceback)
    "modules", "builtins", "inspect", "getmembers", "import_module", "resolve_name", "get_field",
    "pickle", "allow_pickle", "loads",              # a pickle names any global: np.load(allow_pickle=True)
    "ctypes", "ctypeslib", "pythonapi",             # the C API's lookups
    "f2py",                                         # numpy.f2py evaluates strings
})
# Dunder attributes a solution may use; the others reach namespaces
# (`__dict__`, `__globals__`), lookups (`__getattribute__`) or classes.
ALLOWED_DUNDERS = frozenset({"__name__", "__doc__", "__init__", "__version__", "__traceback__"})
_PATH_PART = re.compile(r"[^0-9A-Za-z_]+")
_SPACE = re.compile(r"\s")


def _dynamic_lookup(node: ast.AST, imported: set[str]) -> str | None:
    """What in `node` is a run-time lookup by name (see DYNAMIC_LOOKUPS), or None.

    `imported`: the names the file binds by import; a private attribute is
    refused on those (a module's internals), not on the file's own objects.
    """
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.keyword) and node.arg:
        name = node.arg
    elif isinstance(node, ast.alias):
        name = node.name.split(".")[-1]
    else:
        return None
    if name in DYNAMIC_LOOKUPS or name == "__builtins__":
        return f"{name!r}"
    if not isinstance(node, ast.Attribute):
        return None
    if name.startswith("__") and name.endswith("__") and len(name) > 4:
        return None if name in ALLOWED_DUNDERS else f"the attribute {name!r}"
    root = node.value
    while isinstance(root, ast.Attribute):
        root = root.value
    if name.startswith("_") and isinstance(root, ast.Name) and root.id in imported:
        return f"the private attribute {name!r}"    # np._core: numpy's internals hold every function by name
    return None


def check_bytes(raw: bytes, path: Path, challenge: Challenge) -> tuple[str | None, list[Issue]]:
    """Check a file's contents: (source, or None if it is not text; findings)."""
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Issue(str(path), None, None, f"the file is not UTF-8 text ({exc.reason})")]
    return source, check_source(source, str(path), challenge)


def check_file(path: Path, challenge: Challenge) -> tuple[str | None, list[Issue]]:
    """Read and check a file: (source or None if unreadable, findings)."""
    return check_bytes(path.read_bytes(), path, challenge)
