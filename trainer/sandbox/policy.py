"""What a confined worker may touch: the Landlock rules, computed on the trusted side.

A worker may read the Python standard library, the third-party packages its
challenge allows (with the packages they depend on), and the system's shared
libraries; it may list the folders Python imports from; it may read and
write its own private folder and nothing else. Read grants are whole trees,
so where a granted tree contains something secret (an interpreter whose
`site-packages` holds mltrainer's graders and references, say) the tree is
granted piece by piece around it: the secret is never granted, only listed
on the way down.

The rules are sent to the worker, which applies them to itself
(`confine.confine`) before it imports numpy or candidate code.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import site
import sys
import sysconfig
from pathlib import Path

# Shared libraries and what the dynamic loader reads to find them.
_SYSTEM_READ = ("/lib", "/lib32", "/lib64", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/local/lib",
                "/etc/ld.so.cache", "/sys/devices/system/cpu")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")


def _real(path) -> str:
    return os.path.realpath(os.fspath(path))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def site_folders() -> list[str]:
    """Every folder third-party packages are installed in (system, user, virtual environment)."""
    found = set()
    try:
        found.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - old virtualenv's site module
        pass
    try:
        found.add(site.getusersitepackages())
    except AttributeError:  # pragma: no cover
        pass
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    for key in ("purelib", "platlib"):
        found.add(sysconfig.get_paths()[key])
        found.add(sysconfig.get_paths(vars=base)[key])   # the interpreter's own, under a venv
    found.update(p for p in sys.path if p.rstrip(os.sep).endswith(("site-packages", "dist-packages")))
    return sorted({_real(p) for p in found if p})


def _stdlib_folders() -> list[str]:
    paths = sysconfig.get_paths()
    return sorted({_real(paths[key]) for key in ("stdlib", "platstdlib")})


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _distribution_locations(dist: importlib.metadata.Distribution) -> set[str]:
    """The top-level files and folders a distribution installed (package dirs, `.libs`)."""
    found = set()
    for file in dist.files or ():
        parts = Path(file).parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".egg-info")):
            continue
        location = dist.locate_file(parts[0])
        found.add(_real(location))
    return found


def package_locations(names: frozenset[str]) -> tuple[str, ...]:
    """Where the allowed third-party packages (and what they require) are installed.

    Reading the installed files of a distribution takes tens of milliseconds
    for numpy, so the answer is kept for the process (a lane server computes
    it once for all its lanes, trainer/warm.py); it is computed again if a
    folder it names has gone (a package reinstalled elsewhere meanwhile).
    """
    stdlib = set(getattr(sys, "stdlib_module_names", ()))
    third_party = frozenset(n for n in names if n not in stdlib and n not in sys.builtin_module_names)
    found = _third_party_locations(third_party)
    if not all(os.path.exists(p) for p in found):
        _third_party_locations.cache_clear()
        found = _third_party_locations(third_party)
    return found


@functools.lru_cache(maxsize=None)
def _third_party_locations(names: frozenset[str]) -> tuple[str, ...]:
    found: set[str] = set()
    seen_dists: set[str] = set()
    pending: list[str] = []
    for name in sorted(names):
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        if spec.submodule_search_locations:
            found.update(_real(p) for p in spec.submodule_search_locations)
        elif spec.origin and spec.origin not in ("built-in", "frozen"):
            found.add(_real(spec.origin))
        pending.extend(_distributions_of(name))
    while pending:
        dist_name = pending.pop()
        key = dist_name.lower().replace("_", "-")
        if key in seen_dists:
            continue
        seen_dists.add(key)
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            continue
        found.update(_distribution_locations(dist))
        for requirement in dist.requires or ():
            marker = requirement.partition(";")[2]
            if "extra" in marker:
                continue  # an optional dependency
            match = _REQUIREMENT_NAME.match(requirement)
            if match:
                pending.append(match.group(1))
    return tuple(sorted(found))


def _distributions_of(name: str) -> list[str]:
    """The distributions that install the top-level module `name` (usually one, of that name)."""
    try:
        importlib.metadata.distribution(name)
        return [name]
    except importlib.metadata.PackageNotFoundError:
        return list(importlib.metadata.packages_distributions().get(name, ()))   # e.g. sklearn


def _grant_around(root: str, grant: str, holes: list[str], rules: list) -> None:
    """Grant `root`, except every hole strictly inside it (listed on the way down, never granted).

    A root that lies inside a hole is still granted: it was asked for by
    name (a virtual environment inside the workspace, say).
    """
    if root in holes:
        return
    inner = [hole for hole in holes if _inside(hole, root) and hole != root]
    if not inner:
        rules.append([root, grant])
        return
    rules.append([root, "list"])
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        _grant_around(_real(entry.path), grant, inner, rules)


def worker_rules(private_dir: str | os.PathLike, allowed_imports: frozenset[str],
                 secrets: list[str | os.PathLike]) -> list:
    """The Landlock rules ([path, grant] pairs) of one worker.

    `secrets` are folders and files the worker must never read, whatever
    contains them (content roots, mltrainer's package, the workspace, the
    progress database's folder, the grading run's folder).
    """
    shared = _shared_rules(frozenset(allowed_imports), tuple(sorted(str(p) for p in secrets)))
    return [*shared, [_real(private_dir), "private"]]


@functools.lru_cache(maxsize=8)
def _shared_rules(allowed_imports: frozenset[str], secrets: tuple[str, ...]) -> tuple:
    """The rules every worker of a grading run shares (computed once per run: they walk folders)."""
    holes = sorted({_real(p) for p in secrets} | set(site_folders()))
    rules: list = []
    roots = [*_stdlib_folders(), *_SYSTEM_READ]
    for root in roots:
        if os.path.exists(root):
            _grant_around(_real(root), "read", holes, rules)
    # Allowed packages live inside site folders (holes): granted on their own.
    secret_holes = sorted({_real(p) for p in secrets})
    for location in package_locations(frozenset(allowed_imports) | {"numpy"}):
        _grant_around(location, "read", secret_holes, rules)
    # Python lists the folders it imports from to find modules: listing
    # shows names, never contents.
    for folder in site_folders():
        if os.path.isdir(folder):
            rules.append([folder, "list"])
    rules.extend([device, "device"] for device in _DEVICES)
    return tuple(rules)
