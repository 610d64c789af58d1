"""The sandboxed worker: runs candidate (or reference) code for the grader.

Started by `trainer.sandbox.client.Worker` as

    python -I worker.py REQUEST_FD RESPONSE_FD

in its own folder, with a scrubbed environment, stdin closed and
stdout/stderr going to a capped file outside its private folder. Its
configuration arrives first on REQUEST_FD (never in argv or the environment).
Then, still single-threaded and before numpy or any candidate code is
imported, it lowers its resource limits and confines itself with the kernel
(`confine.py`: Landlock and seccomp), so everything it runs or starts later
is confined too. It then answers requests (`protocol.py`) one at a time; the
solution module is loaded by a request, so the grader can place inputs in
the worker before any candidate code exists.

It never imports `trainer`: it runs with only the standard library, numpy and
the two files beside it, which it reads before confining itself.

Nothing here is trusted once candidate code has run in this process: the
grader measures time, memory and threads from outside, and checks every
reply it gets (see client.py).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.abc
import itertools
import json
import os
import resource
import signal
import struct
import sys
import time
import traceback
import types

_HERE = os.path.dirname(os.path.abspath(__file__))
_MAX_CONFIG_BYTES = 4 << 20


ZYGOTE_NAME = b"mltrainer-forks"   # what `ps` and /proc/<pid>/comm show of a zygote (its forks: python)
MOTHER_NAME = b"mltrainer-spawn"   # ... and of a lane server's mother zygote, which forks zygotes only


def _die_with_parent(parent: int, *, dumpable: bool | None = None, name: bytes | None = None) -> None:
    """Ask Linux to kill this worker when the grader process dies; exit if it already has.

    `dumpable` sets whether processes of the same user may inspect this one
    (ptrace, /proc/<pid>/mem): the zygote may not be, its forks are again,
    as a fresh worker is. `name` sets the process's name.
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NAME = 1, 4, 15
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if dumpable is not None:
            libc.prctl(PR_SET_DUMPABLE, int(dumpable))
        if name is not None:
            libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the CPU limit still ends an orphan
        pass
    if parent and os.getppid() != parent:  # the grader died before the request above
        os._exit(1)


def _apply_limits(config: dict) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if config.get("memory_bytes"):
        resource.setrlimit(resource.RLIMIT_AS, (config["memory_bytes"], config["memory_bytes"]))
    if config.get("output_bytes"):
        resource.setrlimit(resource.RLIMIT_FSIZE, (config["output_bytes"], config["output_bytes"]))
    if config.get("cpu_seconds"):
        soft = int(config["cpu_seconds"])
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))
    if config.get("open_files"):
        resource.setrlimit(resource.RLIMIT_NOFILE, (config["open_files"], config["open_files"]))
    # Python ignores SIGXFSZ (a write then fails with EFBIG); the default
    # action kills the process, which gives a clear "output limit" verdict.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def _read_config(fd: int) -> dict:
    head = _read_exact(fd, 4)
    (size,) = struct.unpack("<I", head)
    if size > _MAX_CONFIG_BYTES:
        raise ValueError("configuration too large")
    return json.loads(_read_exact(fd, size))


def _read_exact(fd: int, size: int) -> bytes:
    chunks, got = [], 0
    while got < size:
        chunk = os.read(fd, size - got)
        if not chunk:
            raise EOFError("the grader closed the request pipe")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _module_from_source(name: str, source: str, path: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = path
    exec(compile(source, path, "exec"), module.__dict__)
    return module


class _BlockImports(importlib.abc.MetaPathFinder):
    """Refuses the trusted packages, whatever the static check let through."""

    def __init__(self, blocked):
        self.blocked = frozenset(blocked)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.blocked:
            raise ImportError(f"importing {fullname!r} is not allowed in a solution")
        return None


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--zygote"]:
        return zygote(int(argv[2]), int(argv[3]), mother=argv[4:5] == ["--mother"])
    request_fd, response_fd = int(argv[1]), int(argv[2])
    config = _read_config(request_fd)
    _die_with_parent(int(config.get("parent", 0)))
    # Read what this worker needs from its own folder now: once confined it
    # cannot see mltrainer's package.
    protocol_source, confine = _own_modules()
    services = config.get("services")
    return _serve(config, request_fd, response_fd, confine,
                  lambda: _module_from_source("mltrainer_protocol", protocol_source, "protocol.py"),
                  (int(services[0]), int(services[1])) if services else None)


def _own_modules():
    """protocol.py's source and the confine module, read from beside this file."""
    with open(os.path.join(_HERE, "protocol.py"), encoding="utf-8") as handle:
        protocol_source = handle.read()
    sys.path.insert(0, _HERE)
    import confine
    sys.path.remove(_HERE)
    sys.modules.pop("confine", None)
    return protocol_source, confine


# The allocator of every worker, set before the solution is imported:
# arrays below MMAP_THRESHOLD come from the heap, and up to TRIM_THRESHOLD of
# freed heap stays with the process for the next ones. glibc's default maps
# each array over 128 KiB afresh and unmaps it when freed, and raises that
# threshold only once a larger block has been freed; so a call making the
# same temporaries over and over (np.linalg.norm(X - c, axis=1) per step)
# pays a page fault on every page of every one of them, or not, depending on
# what the process freed before. Page faults cost several times more on some
# virtual machines than on others: a correct k-means++ measured 6.0-6.8x
# its reference on one and 1.5x with this allocator, and the same code 1.0x
# against itself either way. Budgets are meant to time the work of a
# solution, not its process's history, so candidate and reference workers
# both get this one. Arrays of 32 MiB and more (an (n, k, d) temporary) are
# still mapped afresh, as they are everywhere.
MMAP_THRESHOLD = 32 << 20    # the most glibc accepts on 64-bit
TRIM_THRESHOLD = 64 << 20    # twice it, as glibc's own adjustment keeps them


# glibc's mallopt parameters.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4


def set_malloc(*options: tuple[int, int]):
    """glibc's mallopt(param, value) for each (param, value) given; the C library, or None where it is not
    glibc (nothing is set: its allocator as it is)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        for param, value in options:
            libc.mallopt(param, value)
        return libc
    except (OSError, AttributeError):
        return None


def _steady_allocator() -> None:
    """Fix glibc malloc's thresholds (above) and give the import's freed memory back."""
    libc = set_malloc((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    if libc is not None:
        # What the imports freed goes back: a peak-memory measurement (budget.py) counts from here, and
        # a solution reusing memory the worker already held would be measured as needing none.
        libc.malloc_trim(0)


def _serve(config: dict, request_fd: int, response_fd: int, confine, make_protocol, services) -> int:
    """Limit and confine this process, then answer requests until the grader is done with it."""
    _apply_limits(config)
    policy = config.get("policy") or {}
    try:
        isolation = confine.confine(policy)
        confinement_error = ""
    except confine.ConfinementError as exc:
        isolation, confinement_error = "", str(exc)
    if confinement_error and policy.get("required"):
        _write_plain(response_fd, {"confinement_error": confinement_error})
        return 3

    protocol = make_protocol()
    import numpy as np
    _steady_allocator()

    sys.meta_path.insert(0, _BlockImports(config.get("blocked_imports", ())))
    # What a solution prints is shown under its test: a line printed just
    # before a crash or os._exit must reach the output file too.
    sys.stdout.reconfigure(line_buffering=True)
    server = _Server(np, protocol, request_fd, response_fd)
    server.services = services
    if isinstance(config.get("inputs"), int):
        import mmap  # noqa: F401 - imported now, not while a timed call's inputs are mapped
        import socket
        server.inputs = socket.socket(fileno=config["inputs"])
    server.send({"ready": os.getpid(), "isolation": isolation, "confinement_error": confinement_error})
    server.serve()
    return 0


# -- the zygote ----------------------------------------------------------------
#
# Started as `python -I worker.py --zygote SOCKET_FD PARENT` by a grading process
# (client.py `Zygote`), with a worker's scrubbed environment. It imports what
# every worker imports (numpy, the protocol) once, then forks one worker per
# request. It never loads candidate code and holds nothing of any run: a
# request brings only a folder and the worker's descriptors, which it closes
# once forked. Each fork then does exactly what a freshly started worker
# does, from reading its configuration on: it is single-threaded, so it
# limits and confines itself before anything else runs in it.
#
# Requests, one at a time (SOCK_SEQPACKET, JSON):
#   {"spawn": FOLDER} with 5 descriptors (request, response, service,
#       answer, output), and a 6th where sealed inputs are used (the socket
#       they arrive on)  ->  {"pid": PID} with a pidfd of the worker
#   {"reap": PID}  ->  {"status": EXIT_STATUS}, once the pidfd said it exited
# The grading process decides when a worker is reaped, so its pid cannot be
# reused while the grading process may still signal it. End of file: the
# grading process is gone, and every worker goes with the zygote.
#
# A lane server (trainer/warm.py) starts one zygote with `--mother` the same
# way: it forks zygotes, never workers, so that the zygote each lane gets
# costs a fork instead of a numpy import:
#   {"zygote": 1} with 1 descriptor (the new zygote's socket)
#       ->  {"pid": PID} with a pidfd of the new zygote
# The new zygote closes the mother's socket and every other descriptor, and
# dies with the mother (which dies with the server) or at the end of file
# on its own socket (the lane it was given to is gone). The mother reaps
# the zygotes that have exited before each request it serves.

def zygote(sock_fd: int, parent: int, *, mother: bool = False) -> int:
    import socket

    # Not dumpable: where no seccomp filter stops ptrace (no confinement), a
    # worker could otherwise rewrite the zygote, and with it every later fork.
    _die_with_parent(parent, dumpable=False, name=MOTHER_NAME if mother else ZYGOTE_NAME)
    protocol_source, confine = _own_modules()
    protocol = _module_from_source("mltrainer_protocol", protocol_source, "protocol.py")
    import numpy  # noqa: F401 - imported once here, not in every worker

    return _zygote_serve(socket.socket(fileno=sock_fd), confine, protocol, mother=mother)


def _zygote_serve(sock, confine, protocol, *, mother: bool) -> int:
    import socket

    forks: set[int] = set()
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 6)
        except InterruptedError:
            continue
        except OSError:
            message, fds = b"", []
        if not message:
            for pid in forks:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            return 0
        try:
            request = json.loads(message)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            request = {}
        if mother:
            _reap_exited(forks)
        if not mother and isinstance(request.get("reap"), int) and request["reap"] in forks:
            pid = request["reap"]
            forks.discard(pid)
            _, status = os.waitpid(pid, 0)
            sock.send(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode())
            continue
        folder = request.get("spawn")
        if mother and request.get("zygote") == 1 and len(fds) == 1:
            run = functools.partial(_forked_zygote, os.getpid(), sock, fds[0], confine, protocol)
        elif not mother and isinstance(folder, str) and len(fds) in (5, 6):
            run = functools.partial(_forked_worker, os.getpid(), sock, fds, folder, confine, protocol)
        else:
            for fd in fds:
                os.close(fd)
            wanted = "a zygote request needs one descriptor" if mother else \
                "a spawn request needs a folder and five or six descriptors"
            sock.send(json.dumps({"error": wanted}).encode())
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            exit_after(run)
        for fd in fds:
            os.close(fd)
        forks.add(pid)
        pidfd = os.pidfd_open(pid)              # before the fork can be reaped
        try:
            socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)


def _reap_exited(forks: set[int]) -> None:
    """Reap the mother's zygotes that have exited (their lanes reap only their workers)."""
    for pid in list(forks):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            forks.discard(pid)


def _forked_zygote(mother: int, mother_sock, sock_fd: int, confine, protocol) -> int:
    """A zygote forked by the mother: what a freshly started zygote is once it has imported numpy."""
    import socket

    _die_with_parent(mother, dumpable=False, name=ZYGOTE_NAME)
    mother_sock.close()
    os.setsid()
    devnull = os.open(os.devnull, os.O_WRONLY)
    as_child(devnull, {sock_fd})
    return _zygote_serve(socket.socket(fileno=sock_fd), confine, protocol, mother=False)


def _forked_worker(zygote: int, sock, fds: list[int], folder: str, confine, protocol) -> int:
    """A worker forked by the zygote: made what a freshly started one is, then served as one."""
    _die_with_parent(zygote, dumpable=True, name=b"python")
    sock.close()
    request_fd, response_fd, service_fd, answer_fd, output_fd, *inputs = fds
    os.setsid()
    as_child(output_fd, {request_fd, response_fd, service_fd, answer_fd, *inputs})
    os.chdir(folder)
    sys.argv[1:] = [str(request_fd), str(response_fd)]   # as a fresh worker's
    os.environ["HOME"] = os.environ["TMPDIR"] = folder
    if "tempfile" in sys.modules:
        sys.modules["tempfile"].tempdir = None
    # Seeded from the system as in a fresh interpreter, not shared by every fork.
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    if "random" in sys.modules:
        sys.modules["random"].seed()
    config = _read_config(request_fd)
    if inputs:
        config["inputs"] = inputs[0]
    return _serve(config, request_fd, response_fd, confine, lambda: protocol, (service_fd, answer_fd))


# -- for forks of a server (the zygote here, the lane server in trainer/warm.py) --

def as_child(output_fd: int, keep: set[int]) -> None:
    """A fork's standard input from /dev/null, its output and errors to `output_fd`; every descriptor but those
    and `keep` closed."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    if output_fd not in keep | {0, 1, 2}:
        os.close(output_fd)
    kept = sorted(keep | {0, 1, 2})
    for low, high in zip(kept, kept[1:] + [_fd_limit()]):
        os.closerange(low + 1, high)


def exit_after(run) -> None:
    """In a fork: exit with what `run()` returns (3, with its traceback on the output, if it raised); never return
    into the server's loop."""
    code = 3
    try:
        code = run()
    except BaseException:                       # noqa: BLE001 - on the fork's output, then exit
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _fd_limit() -> int:
    try:
        return max(os.sysconf("SC_OPEN_MAX"), 256)
    except (ValueError, OSError):
        return 1024


def _write_plain(fd: int, message: dict) -> None:
    """A reply framed like protocol.pack's, for before numpy is imported (header only)."""
    header = json.dumps({"$d": [[k, v] for k, v in message.items()]}).encode()
    table = b"[]"
    body = struct.pack("<II", len(header), len(table)) + header + table
    os.write(fd, struct.pack("<Q", len(body)) + body)


# -- harness helpers ---------------------------------------------------------
#
# What cannot cross as data crosses as a marker: the grader places one among a
# call's arguments (trainer/grading/harness.py: one_pass(...), seeded_rng(),
# ...), it travels as {"$h": {"name": NAME, ...its spec}}, and the worker
# builds the real object here with the builder registered under NAME. A name
# that is not registered is a DecodeError. Builders run in the confined
# worker: standard library and numpy only, never `trainer` (docs/authoring.md,
# "Adding a harness helper").

HARNESS_HELPERS: dict = {}   # marker name -> builder(spec, context) -> what the candidate receives


def harness_helper(name: str):
    """Register the decorated function as the builder of the harness helper `name`."""
    def register(builder):
        if name in HARNESS_HELPERS:
            raise ValueError(f"the harness helper {name!r} is registered twice")
        HARNESS_HELPERS[name] = builder
        return builder
    return register


class HelperContext:
    """What a builder has besides the marker's spec: the worker's side of the call being decoded.

    `np` is numpy; `seed` the repetition's seed inside `solution.repeat()`
    (None in a plain call); `services` the worker's (request fd, response fd)
    for asking the grader, or None. `refuse(why)` is the DecodeError to raise
    for a marker that cannot be built here.
    """

    __slots__ = ("np", "seed", "services", "_decode_error")

    def __init__(self, np, seed, services, decode_error) -> None:
        self.np = np
        self.seed = seed
        self.services = services
        self._decode_error = decode_error

    def refuse(self, why: str) -> Exception:
        return self._decode_error(why)


class _OnePass:
    """An iterator over a stream that can be read once: exactly Python's iterator protocol.

    `iter()` returns the stream itself, and once it is exhausted every
    further `next()` raises StopIteration again (reading in blocks with
    itertools.islice asks once more after a short last block). So a second
    pass sees no items at all, which the grader's correctness checks catch
    and explain; only the length is refused.
    """

    __slots__ = ("_next",)

    def __init__(self, items):
        self._next = iter(items).__next__

    def __iter__(self):
        return self

    def __next__(self):
        return self._next()

    def __len__(self):
        raise TypeError("the length of this stream is unknown: read it once, item by item")


class _ScriptedSource:
    """A function of no arguments returning the grader's scripted draws one per call.

    Once they are used up every further call raises StopIteration, saying so:
    the grader reads that as "this script did not end the call".
    """

    __slots__ = ("_next", "_name")

    def __init__(self, items, name):
        self._next = iter(items).__next__
        self._name = name

    def __call__(self):
        try:
            return self._next()
        except StopIteration:
            raise StopIteration(f"{self._name}() has no draws left in this script") from None

    def __repr__(self):
        return f"<scripted {self._name}()>"


class _GraderMetric:
    """A metric whose distances the grader computes: the points are ids, their coordinates stay with it.

    metric(a, B): `a` is one point (an id, any shape with one element) and
    `B` holds m points (m ids); the answer is the m distances. Each call is
    one request on the service pipes: 24 bytes (service, m, id of a), then m
    int64 ids; the reply is m float64. The grader counts what it is asked,
    so the count cannot be changed from here, and a solution that never asks
    cannot know a distance.
    """

    def __init__(self, np, key, request_fd, response_fd):
        self._np = np
        self._key = key
        self._request_fd = request_fd
        self._response_fd = response_fd

    def _ids(self, value, what):
        np = self._np
        ids = np.asarray(value).reshape(-1)
        if ids.dtype.kind == "f":
            if not np.all(ids == np.round(ids)):
                raise ValueError(f"metric: {what} must be points of this tree (ids), got {value!r:.80}")
        elif ids.dtype.kind not in "iu":
            raise TypeError(f"metric: {what} must be points of this tree, got dtype {ids.dtype}")
        return ids.astype(np.int64)

    def __call__(self, a, B):
        np = self._np
        a_ids = self._ids(a, "a")
        if a_ids.size != 1:
            raise ValueError(f"metric(a, B): a must be one point, got {a_ids.size}")
        B_ids = self._ids(B, "B")
        header = struct.pack("<QQq", self._key, B_ids.size, int(a_ids[0]))
        os.write(self._request_fd, header + B_ids.tobytes())
        wanted = 8 * B_ids.size
        data = _read_exact(self._response_fd, wanted) if wanted else b""
        return np.frombuffer(data, dtype=np.float64).copy()


@harness_helper("seeded_rng")
def _build_seeded_rng(spec: dict, context: HelperContext):
    """Inside `solution.repeat()`: a fresh np.random.default_rng(seed) per repetition."""
    if context.seed is None:
        raise context.refuse("seeded_rng() is only meaningful inside solution.repeat()")
    return context.np.random.default_rng(context.seed)


@harness_helper("one_pass")
def _build_one_pass(spec: dict, context: HelperContext):
    """The items of an array (Python scalars for 1-D) or a list, readable once."""
    data = spec["data"]
    items = data.tolist() if isinstance(data, context.np.ndarray) and data.ndim == 1 else list(data)
    return _OnePass(iter(items))


@harness_helper("scripted_source")
def _build_scripted_source(spec: dict, context: HelperContext):
    """A function returning the scripted items one per call, then raising StopIteration."""
    return _ScriptedSource(list(spec["data"]), str(spec.get("fname", "source")))


@harness_helper("one_pass_range")
def _build_one_pass_range(spec: dict, context: HelperContext):
    """The ints 0..n-1, lazily, readable once."""
    return _OnePass(iter(range(int(spec["n"]))))


class _Deferred:
    """An argument computed when the call runs: what the loaded solution's own `target(*args)` returns.

    Built while the request is decoded, resolved by the call itself (inside
    the code that reports what the solution raises), so a failure of
    `target` is the solution's, reported like any exception of its code.
    """

    __slots__ = ("target", "args", "kwargs", "index")

    def __init__(self, target: str, args: list, kwargs: dict, index) -> None:
        self.target, self.args, self.kwargs, self.index = target, args, kwargs, index

    def resolve(self, server) -> object:
        try:
            func = server._resolve(self.target)
        except LookupError as exc:
            raise AttributeError(str(exc)) from None
        result = func(*self.args, **self.kwargs)
        return result if self.index is None else result[self.index]


def _resolved(server, args, kwargs) -> tuple[tuple, dict]:
    """The call's arguments with every top-level deferred one computed, in order."""
    if not any(isinstance(a, _Deferred) for a in (*args, *kwargs.values())):
        return args, kwargs
    args = tuple(a.resolve(server) if isinstance(a, _Deferred) else a for a in args)
    kwargs = {k: v.resolve(server) if isinstance(v, _Deferred) else v for k, v in kwargs.items()}
    return args, kwargs


@harness_helper("output_of")
def _build_output_of(spec: dict, context: HelperContext):
    """What the solution's own function returns for the spec's arguments (its item `index`), at call time."""
    target, args, kwargs, index = spec.get("target"), spec.get("args"), spec.get("kwargs"), spec.get("index")
    if not (isinstance(target, str) and isinstance(args, list) and isinstance(kwargs, dict)
            and (index is None or isinstance(index, int))):
        raise context.refuse("output_of needs a function name, a list of arguments, a dict and an int index")
    return _Deferred(target, args, kwargs, index)


@harness_helper("grader_metric")
def _build_grader_metric(spec: dict, context: HelperContext):
    """A metric whose distances the grader computes and counts (trainer.grading.harness.GraderMetric)."""
    if context.services is None:
        raise context.refuse("this worker has no service channel")
    return _GraderMetric(context.np, int(spec["id"]), *context.services)


_RNG_CLASSES = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class _Server:
    def __init__(self, np, protocol, request_fd, response_fd):
        self.np = np
        self.protocol = protocol
        self.request_fd = request_fd
        self.response_fd = response_fd
        self.module = None
        self.module_path = None
        self._code = None     # the solution as first compiled: every reset runs these same bytes
        self.objects: dict[int, object] = {}
        self.handles = itertools.count(1)
        self.stored: dict[str, object] = {}
        self.request_id = None
        self.received_cpu = 0.0   # this thread's CPU time when the request in hand was read
        self.services = None   # (request fd, response fd) for asking the grader, e.g. distances
        self.inputs = None     # the socket sealed inputs arrive on (client.py `_sealed_frame`)
        self._decoder_cls = self._make_decoder()
        self._encoder_cls = self._make_encoder()

    # -- codec -------------------------------------------------------------
    def _make_decoder(self):
        server = self
        np = self.np
        DecodeError = self.protocol.DecodeError

        class WorkerDecoder(self.protocol.Decoder):
            seed = None
            copy_arrays = False

            def _array(self, body):
                arr = super()._array(body)
                return arr.copy() if self.copy_arrays else arr

            def decode_other(self, tag, body, depth):
                if tag == "$rng":
                    state = self.decode(body, depth + 1)
                    name = state.get("bit_generator")
                    if name not in _RNG_CLASSES:
                        raise DecodeError(f"unsupported bit generator {name!r}")
                    bitgen = getattr(np.random, name)()
                    bitgen.state = state
                    return np.random.Generator(bitgen)
                if tag == "$r":
                    if body not in server.stored:
                        raise DecodeError(f"no stored value {body!r}")
                    # A stored input is handed over once, as it is: each
                    # timed call gets its own input.
                    node, buffers = server.stored.pop(body)
                    inner = type(self)(buffers)
                    inner.seed = self.seed
                    return inner.decode(node)
                if tag == "$o":
                    if body not in server.objects:
                        raise DecodeError("that object no longer exists in this worker")
                    return server.objects[body]
                if tag == "$h":
                    return server.build_helper(self.decode(body, depth + 1), self.seed)
                return super().decode_other(tag, body, depth)

        return WorkerDecoder

    def _make_encoder(self):
        server = self

        class WorkerEncoder(self.protocol.Encoder):
            make_handles = False

            def encode_other(self, value, depth):
                if self.make_handles:
                    handle = next(server.handles)
                    server.objects[handle] = value
                    return {"$o": handle}
                return super().encode_other(value, depth)

        return WorkerEncoder

    def data_only(self, value):
        """`value` with everything that cannot cross the boundary replaced by None.

        A numpy Generator comes back as its `bit_generator.state` (a dict of
        plain data): where the call left it, so a grader can tell how much
        was drawn from an `rng` argument.
        """
        np = self.np
        if isinstance(value, np.ndarray):
            return value if value.dtype.kind not in "OV" else None
        if isinstance(value, np.random.Generator):
            return self.data_only(value.bit_generator.state)
        if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
            return value
        if isinstance(value, (list, tuple)):
            return type(value)(self.data_only(v) for v in value)
        if isinstance(value, dict):
            return {k: self.data_only(v) for k, v in value.items()}
        return None

    def _arrays(self, value, path: str = "", depth: int = 0):
        """(path, array) for every array in `value`, through dicts, lists and tuples (at most 8 deep)."""
        if isinstance(value, self.np.ndarray):
            yield path, value
        elif depth < 8 and isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                yield from self._arrays(item, f"{path}[{i}]", depth + 1)
        elif depth < 8 and isinstance(value, dict):
            for key, item in value.items():
                yield from self._arrays(item, f"{path}[{key!r}]", depth + 1)

    def shared_paths(self, result, inputs) -> list:
        """The paths in `result` of arrays whose memory overlaps an array of `inputs` (at most 100)."""
        given = [a for _, a in self._arrays(inputs) if a.size]
        shared = [path or "the result" for path, array in self._arrays(result)
                  if array.size and any(self.np.may_share_memory(array, a) for a in given)]
        return shared[:100]

    def build_helper(self, spec: dict, seed):
        """The object a harness-helper marker stands for, built by its registered builder."""
        name = spec["name"]
        builder = HARNESS_HELPERS.get(name) if isinstance(name, str) else None
        if builder is None:
            raise self.protocol.DecodeError(f"unknown harness helper {name!r}")
        return builder(spec, HelperContext(self.np, seed, self.services, self.protocol.DecodeError))

    # -- transport ---------------------------------------------------------
    def send(self, message: dict, make_handles: bool = False) -> None:
        message["id"] = self.request_id
        # This thread's CPU clock when the request had been read and when the
        # reply began (the thread clock is precise; the process clock ticks
        # coarsely under RLIMIT_CPU): for the trusted reference the grader
        # tells the work from moving data with these; other workers' are ignored.
        message["cpu"] = [self.received_cpu, time.thread_time()]
        encoder = self._encoder_cls()
        encoder.make_handles = make_handles
        try:
            chunks = self.protocol.pack(message, encoder)
        except self.protocol.EncodeError as exc:
            chunks = self.protocol.pack({"bad_result": str(exc), "id": self.request_id})
        except ValueError as exc:  # e.g. a NaN/inf float in the JSON header
            chunks = self.protocol.pack({"bad_result": f"the result could not be encoded: {exc}",
                                         "id": self.request_id})
        self.protocol.write_frame(self.response_fd, chunks)

    def serve(self) -> None:
        protocol = self.protocol
        while True:
            # A call's input lives until the next request replaces it: it is
            # freed while that request is read, in every worker alike.
            payload = protocol.read_frame(self.request_fd)
            if payload is None:
                return
            try:
                request, raw, buffers = self._parse(payload)
                if request.get("op") == "sealed":
                    # The request itself is in a sealed memfd: its arrays are
                    # views of a read-only mapping, never writable.
                    payload = self._sealed_payload(request.get("size"))
                    request, raw, buffers = self._parse(payload)
                self.request_id = request.get("id")
                self.received_cpu = time.thread_time()
            except Exception as exc:  # a grader-side bug, not the candidate's
                self.send({"protocol_error": f"{type(exc).__name__}: {exc}"})
                continue
            self.handle(request, raw, buffers)

    def _parse(self, payload) -> tuple[dict, dict, list]:
        """(the request's plain fields decoded, its fields as sent, its buffers); the data fields stay undecoded."""
        protocol = self.protocol
        header, buffers = protocol.split(payload)
        raw = protocol.fields(header)
        plain = protocol.Decoder(buffers)
        request = {k: plain.decode(v) for k, v in raw.items() if k not in ("args", "kwargs", "value", "calls")}
        return request, raw, buffers

    def _sealed_payload(self, size) -> memoryview:
        """The payload the grader sealed in a memfd for this request, mapped read-only (the descriptor closed)."""
        import mmap
        import socket

        if self.inputs is None or not isinstance(size, int) or size < 8:
            raise ValueError("a sealed request needs the inputs socket and a size")
        _, fds, _, _ = socket.recv_fds(self.inputs, 16, 1)
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise ValueError("a sealed request came without its memfd")
        try:
            if os.fstat(fds[0]).st_size != size:
                raise ValueError("the sealed memfd does not have the size the request states")
            mapping = mmap.mmap(fds[0], size, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0),
                                prot=mmap.PROT_READ)
        finally:
            os.close(fds[0])
        return memoryview(mapping)

    # -- requests ----------------------------------------------------------
    def handle(self, request: dict, raw: dict, buffers) -> None:
        op = request.get("op")
        if op == "load":
            self.send(self.load(request["path"]))
        elif op == "reset":
            self.objects.clear()
            self.stored.clear()
            self.send(self.load(self.module_path, again=True))
        elif op == "store":
            self.stored[request["key"]] = (raw["value"], buffers)
            self.send({"ok": None})
        elif op == "call":
            self.call(request, raw, buffers)
        elif op == "repeat":
            self.repeat(request, raw, buffers)
        elif op == "starmap":
            self.starmap(request, raw, buffers)
        elif op == "global_rng":
            self.send({"ok": self.global_rng_state()})
        else:
            self.send({"protocol_error": f"unknown op {op!r}"})

    def global_rng_state(self) -> str:
        """A digest of the process-wide generators: numpy's legacy global one and Python's `random`.

        A function that takes an `rng` argument must leave them alone; the
        grader compares this digest before and after its calls.
        """
        digest = hashlib.sha256()
        _, keys, position, has_gauss, gauss = self.np.random.get_state(legacy=True)
        digest.update(keys.tobytes())
        digest.update(repr((int(position), int(has_gauss), float(gauss))).encode())
        python_random = sys.modules.get("random")   # never imported: never used
        if python_random is not None:
            digest.update(repr(python_random.getstate()).encode())
        return digest.hexdigest()

    def _decode(self, node, buffers, seed=None, copy_arrays=False):
        decoder = self._decoder_cls(buffers)
        decoder.seed = seed
        decoder.copy_arrays = copy_arrays
        return decoder.decode(node)

    def load(self, path: str, *, again: bool = False) -> dict:
        """Import the solution in a new module; `again` (a reset): from the code compiled at its first load.

        A reset neither reads the file again (the bytes graded stay the
        bytes first read, whatever the solution writes to its copy) nor
        compiles it again (a millisecond or two per test for a module of a
        few hundred lines).
        """
        self.module_path = path
        try:
            if not (again and self._code is not None):
                with open(path, encoding="utf-8") as handle:
                    source = handle.read()
                self._code = compile(source, path, "exec")
            code = self._code
            module = types.ModuleType("solution")
            module.__file__ = path
            sys.modules["solution"] = module
            exec(code, module.__dict__)
        except BaseException as exc:  # the candidate's module failed to import
            return self._exception_response(exc, "importing the solution")
        finally:
            self._flush_output()
        self.module = module
        return {"ok": None}

    def _resolve(self, target):
        if isinstance(target, str):
            if self.module is None:
                raise LookupError("no solution module is loaded")
            if not hasattr(self.module, target):
                raise LookupError(f"the solution does not define {target!r}")
            return getattr(self.module, target)
        obj = self.objects.get(target["obj"])
        if obj is None:
            raise LookupError("that object no longer exists in this worker")
        return getattr(obj, target["attr"])

    def _target_or_reply(self, request: dict):
        """The callable named by the request, or None after replying that it does not exist."""
        try:
            return self._resolve(request["target"])
        except LookupError as exc:
            self.send({"raised": self._exception_info(AttributeError(str(exc)))})
            return None

    def call(self, request: dict, raw: dict, buffers) -> None:
        what = request.get("what", "the call")
        func = self._target_or_reply(request)
        if func is None:
            return
        try:
            args = self._decode(raw["args"], buffers)
            kwargs = self._decode(raw["kwargs"], buffers)
        except self.protocol.DecodeError as exc:
            self.send({"protocol_error": str(exc)})
            return
        response: dict = {}
        try:
            args, kwargs = _resolved(self, args, kwargs)
            result = func(*args, **kwargs)
            if request.get("return_inputs"):
                self._add_inputs_after(response, args, kwargs)
            if request.get("report_shared"):
                # Which arrays of the result share memory with an argument's (a caller
                # writing to them would change its own input).
                response["shared"] = self.shared_paths(result, (tuple(args), kwargs))
                # And which are read-only (a view made by np.broadcast_to, say): the
                # grader gets copies, writable whatever the solution returned.
                response["read_only"] = [path or "the result" for path, array in self._arrays(result)
                                         if not array.flags.writeable][:100]
        except BaseException as exc:
            self._flush_output()
            response = self._exception_response(exc, what)
            if request.get("return_inputs") and "raised" in response:
                # The arguments as the raise left them: a check made too late
                # (after drawing from an rng, after writing to an input) shows there.
                try:
                    self._add_inputs_after(response, args, kwargs)
                except Exception:
                    pass
            self.send(response)
            return
        self._flush_output()
        response["ok"] = result
        self.send(response, make_handles=isinstance(func, type))

    def _add_inputs_after(self, response: dict, args, kwargs) -> None:
        """The arguments as the call left them: the grader checks mutation of
        inputs by looking at them; arguments that are not data (a generator, a
        stream) come back as None."""
        response["args_after"] = self.data_only(tuple(args))
        response["kwargs_after"] = self.data_only(kwargs)

    def repeat(self, request: dict, raw: dict, buffers) -> None:
        what = request.get("what", "the call")
        func = self._target_or_reply(request)
        if func is None:
            return
        results = []
        try:
            for seed in request["seeds"]:
                args = self._decode(raw["args"], buffers, seed=seed, copy_arrays=True)
                kwargs = self._decode(raw["kwargs"], buffers, seed=seed, copy_arrays=True)
                args, kwargs = _resolved(self, args, kwargs)
                results.append(func(*args, **kwargs))
        except self.protocol.DecodeError as exc:
            self.send({"protocol_error": str(exc)})
            return
        except BaseException as exc:
            self._flush_output()
            response = self._exception_response(exc, what)
            response["repetition"] = len(results)
            self.send(response)
            return
        self._flush_output()
        self.send({"ok": results})

    def starmap(self, request: dict, raw: dict, buffers) -> None:
        """Call the target once per [args, kwargs] of the request, in order, as separate calls would.

        Each call's arguments are decoded just before it. The first call
        that raises ends the batch: its exception is reported with its
        index and the results of the calls before it. With "go_on", an
        exception is reported in the list "raised" ([index, exception]),
        None takes its result's place, and the batch goes on (a MemoryError,
        a SystemExit or a KeyboardInterrupt still ends it).
        """
        what = request.get("what", "the calls")
        func = self._target_or_reply(request)
        if func is None:
            return
        calls = raw.get("calls")
        if not isinstance(calls, list):
            self.send({"protocol_error": "a starmap request needs a list of calls"})
            return
        decoder = self._decoder_cls(buffers)
        results = []
        raised = []
        go_on = request.get("go_on") is True
        for node in calls:
            try:
                pair = decoder.decode(node)
                if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], tuple)
                        and isinstance(pair[1], dict)):
                    raise self.protocol.DecodeError("each call of a starmap must be (args, kwargs)")
            except self.protocol.DecodeError as exc:
                self.send({"protocol_error": str(exc)})
                return
            try:
                args, kwargs = _resolved(self, *pair)
                results.append(func(*args, **kwargs))
            except BaseException as exc:
                response = self._exception_response(exc, what)
                if go_on and "raised" in response:
                    raised.append([len(results), response["raised"]])
                    results.append(None)
                    continue
                self._flush_output()
                response["index"] = len(results)
                response["done"] = results
                self.send(response)
                return
        self._flush_output()
        self.send({"ok": results, "raised": raised} if go_on else {"ok": results})

    # -- failures ----------------------------------------------------------
    def _exception_response(self, exc: BaseException, what: str) -> dict:
        if isinstance(exc, MemoryError):
            return {"failure": {"kind": "memory", "message": f"ran out of memory while running {what} (MemoryError)"}}
        if isinstance(exc, SystemExit):
            return {"failure": {"kind": "exit", "message": f"called sys.exit({exc.code!r}) while running {what}"}}
        if isinstance(exc, KeyboardInterrupt):
            return {"failure": {"kind": "exit", "message": f"raised KeyboardInterrupt while running {what}"}}
        return {"raised": self._exception_info(exc)}

    def _exception_info(self, exc: BaseException) -> dict:
        import builtins
        bases = [k.__name__ for k in type(exc).__mro__
                 if getattr(builtins, k.__name__, None) is k and issubclass(k, BaseException)]
        frames = traceback.extract_tb(exc.__traceback__)
        mine = [f for f in frames if f.filename == self.module_path]
        lines = traceback.format_list(mine[-6:]) if mine else []
        try:
            message = str(exc)
        except Exception:
            message = "<message could not be shown>"
        return {
            "type": type(exc).__name__,
            "builtin_bases": bases,
            "message": message[:4000],
            "traceback": "".join(lines)[:8000],
            "line": mine[-1].lineno if mine else None,
        }

    def _flush_output(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass


if __name__ == "__main__":
    sys.exit(main(sys.argv))
