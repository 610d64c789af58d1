"""What a confined worker may touch: the Landlock rules and the seccomp filter, without grading.

The end-to-end behaviour is tests/test_isolation.py's; these tests pin the
rules themselves, so a change that would grant a secret fails here by name.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import REPO
from trainer.sandbox import confine, policy

_ABI, _SECCOMP, _WHY = confine.probe()
needs_confinement = pytest.mark.skipif(not (_ABI and _SECCOMP), reason=f"needs Landlock and seccomp: {_WHY}")


def granted(rules, path) -> set[str]:
    """The grants of the rules whose tree contains `path`."""
    path = os.path.realpath(path)
    return {grant for root, grant in rules if path == root or path.startswith(root.rstrip("/") + "/")}


def test_a_secret_inside_a_readable_tree_is_only_listed(tmp_path):
    # An interpreter tree whose site-packages holds mltrainer's content.
    lib = tmp_path / "lib" / "python3"
    (lib / "json").mkdir(parents=True)
    (lib / "json" / "__init__.py").write_text("")
    secret = lib / "site-packages" / "trainer" / "_content" / "reference"
    secret.mkdir(parents=True)
    (secret / "kmeans.py").write_text("# reference\n")
    (lib / "site-packages" / "numpy").mkdir()
    rules: list = []
    policy._grant_around(str(lib), "read", [str(lib / "site-packages")], rules)
    assert granted(rules, lib / "json" / "__init__.py") == {"list", "read"}
    assert granted(rules, secret / "kmeans.py") == {"list"}   # names, never contents


def test_a_granted_tree_inside_a_secret_is_still_granted(tmp_path):
    # A virtual environment inside the workspace: its numpy must stay readable.
    venv_numpy = tmp_path / "workspace" / ".venv" / "numpy"
    venv_numpy.mkdir(parents=True)
    rules: list = []
    policy._grant_around(str(venv_numpy), "read", [str(tmp_path / "workspace")], rules)
    assert rules == [[str(venv_numpy), "read"]]


def test_worker_rules_grant_numpy_and_the_private_folder_but_no_content(tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    rules = policy.worker_rules(private, frozenset({"numpy", "math"}), [REPO, tmp_path])
    assert "read" in granted(rules, np.__file__)
    assert granted(rules, private / "solution.py") == {"private"}
    for secret in (REPO / "reference" / "kmeans.py", REPO / "graders" / "kmeans.py", REPO / "trainer" / "engine.py",
                   tmp_path / "elsewhere.py"):
        assert granted(rules, secret) <= {"list"}, secret
    assert not granted(rules, Path.home() / ".ssh" / "id_rsa") - {"list"}


def test_allowed_packages_bring_what_they_require():
    locations = policy.package_locations(frozenset({"sklearn"}))
    names = {Path(p).name for p in locations}
    assert {"sklearn", "scipy", "numpy", "joblib"} <= names


def test_the_seccomp_filter_is_well_formed():
    for machine in ("x86_64", "aarch64"):
        program = confine.seccomp_filter(4242, machine, block_truncation=True)
        assert len(program) < 4096   # the kernel's BPF_MAXINSNS
        for i, (code, jt, jf, k) in enumerate(program):
            assert 0 <= jt < 256 and 0 <= jf < 256
            assert i + 1 + max(jt, jf) < len(program) or code == 0x06, f"jump past the end at {i}"
        assert program[-1] == (0x06, 0, 0, 0x7FFF0000)   # what no rule names is allowed


CONFINED = """
import json, os, sys
sys.path.insert(0, {here!r})
import confine
level = confine.confine({{"landlock": True, "seccomp": True, "rules": json.loads({rules!r})}})
import threading, numpy as np
results = {{"level": level}}
def probe(name, action):
    try:
        action()
        results[name] = "allowed"
    except OSError as exc:
        results[name] = exc.errno
probe("thread", lambda: [t.start() or t.join() for t in [threading.Thread(target=lambda: np.ones(3).sum())]])
probe("read secret", lambda: open({secret!r}).read())
probe("fork", os.fork)
probe("kill parent", lambda: os.kill(os.getppid(), 0))
probe("signal self", lambda: os.kill(os.getpid(), 0))
probe("write private", lambda: open(os.path.join({private!r}, "x"), "w").write("x"))
probe("chmod own file", lambda: os.chmod(os.path.join({private!r}, "x"), 0o600))
import ctypes, fcntl, termios
r, w = os.pipe()
probe("non-blocking pipe", lambda: os.set_blocking(r, False))
probe("O_ASYNC", lambda: fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC))
probe("F_SETOWN", lambda: fcntl.fcntl(r, fcntl.F_SETOWN, os.getpid()))
probe("FIOASYNC", lambda: fcntl.ioctl(r, termios.FIOASYNC, (1).to_bytes(4, "little")))
own = os.open(os.path.join({private!r}, "x"), os.O_RDONLY)
probe("lease", lambda: fcntl.fcntl(own, 1024, fcntl.F_RDLCK))   # F_SETLEASE
def inotify():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.inotify_init1(0) < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
probe("inotify", inotify)
def clear_death_signal():
    if ctypes.CDLL(None, use_errno=True).prctl(1, 0, 0, 0, 0) != 0:   # PR_SET_PDEATHSIG
        raise OSError(ctypes.get_errno(), "prctl")
probe("clear death signal", clear_death_signal)
print(json.dumps(results))
"""


@needs_confinement
def test_a_confined_process_keeps_threads_and_its_folder_and_nothing_else(tmp_path):
    import errno
    import json
    private = tmp_path / "private"
    private.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("s")
    rules = policy.worker_rules(private, frozenset({"numpy"}), [REPO, tmp_path])
    code = CONFINED.format(here=str(REPO / "trainer" / "sandbox"), rules=json.dumps(rules), secret=str(secret),
                           private=str(private))
    out = subprocess.run([sys.executable, "-I", "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         env={"OPENBLAS_NUM_THREADS": "1", "PATH": os.environ["PATH"]}, timeout=60)
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert results == {"level": f"landlock v{_ABI} + seccomp", "thread": "allowed", "read secret": errno.EACCES,
                       "fork": errno.EPERM, "kill parent": errno.EPERM, "signal self": "allowed",
                       "write private": "allowed", "chmod own file": errno.EPERM,
                       "non-blocking pipe": "allowed", "O_ASYNC": errno.EPERM, "F_SETOWN": errno.EPERM,
                       "FIOASYNC": errno.EPERM, "lease": errno.EPERM, "inotify": errno.EPERM,
                       "clear death signal": errno.EPERM}


BLAS_CONFINED = """
import json, os, sys
sys.path.insert(0, {here!r})
import confine
level = confine.confine({{"landlock": True, "seccomp": True, "rules": json.loads({rules!r})}})
import numpy as np
a = np.random.default_rng(0).normal(size=(600, 600))
product = a @ a
ok = bool(np.allclose(product[:5], np.einsum("ij,jk->ik", a[:5], a)))
print(json.dumps({{"level": level, "ok": ok}}), flush=True)
sys.stdin.read()   # held here while the test counts the threads from outside
"""


@needs_confinement
def test_numpy_runs_its_blas_threads_inside_the_confinement(tmp_path):
    """Workers run BLAS on one thread, but nothing in the confinement is what keeps it there."""
    import json
    private = tmp_path / "private"
    private.mkdir()
    rules = policy.worker_rules(private, frozenset({"numpy"}), [REPO])
    code = BLAS_CONFINED.format(here=str(REPO / "trainer" / "sandbox"), rules=json.dumps(rules))
    env = {"PATH": os.environ["PATH"], **{name: "2" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                                   "MKL_NUM_THREADS")}}
    with subprocess.Popen([sys.executable, "-I", "-c", textwrap.dedent(code)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            line = proc.stdout.readline()
            with open(f"/proc/{proc.pid}/status") as status:
                threads = next(int(f.split()[1]) for f in status if f.startswith("Threads:"))
        finally:
            proc.stdin.close()
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    assert json.loads(line) == {"level": f"landlock v{_ABI} + seccomp", "ok": True}
    assert threads >= 2, threads
