"""The trusted side of a sandboxed worker: start it, call it, survive it.

`Worker` owns one worker process. Every call has one absolute deadline; a
worker that times out, crashes, exits, hits a resource limit, leaves a
thread running, fills its folder or sends anything but a well-formed reply
to the request it was sent is killed (with its whole process group) and the
call raises `CandidateFailure` with a plain reason. The next call starts a
fresh worker.

Once candidate code has run in a worker, nothing it sends is trusted: a
reply's declared size is checked against a cap before anything is
allocated, its decoded size cannot exceed what was received, and what the
budgets measure (CPU time of the whole process, peak memory, threads) is
read here, from the kernel, never from a candidate's reply (only the
trusted reference's replies are believed about their own CPU time).
"""

from __future__ import annotations

import codecs
import fcntl
import json
import os
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.report import PrintedText
from trainer.sandbox import fstree, protocol
from trainer.sandbox.limits import FORBIDDEN_IMPORTS, Limits

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
# Passed through to workers: some processors need these for OpenBLAS to run at all.
_PASSTHROUGH_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_STARTUP_TIMEOUT = 60.0
# A reply that started before its deadline must be complete this long after it.
_REPLY_GRACE_S = 2.0
# JSON parts of a reply (a JSON header decodes into many times its size).
_MAX_REPLY_HEADER = 16 << 20
# Threads a call started may take this long to finish after it returned.
_THREAD_GRACE_S = 0.1
# CPU time a worker running the solution may use between its calls (it waits
# for the next request then: only what follows sending a reply, well under a
# millisecond, is expected). More means code ran after a call returned.
_IDLE_CPU_S = 0.1
# The disk is checked this often while a call runs.
_WATCH_INTERVAL_S = 0.1
_OPEN_FILES = 256
# Entries (files and folders) a worker may create in its private folder.
_MAX_FILES = 10_000
# Inodes the file system may lose before the folder is measured: under half of
# what either limit on entries (files, nesting depth) takes to break.
_INODES_SEEN = min(_MAX_FILES, fstree.MAX_DEPTH) // 2
# How long the zygote may take to answer a request (a fork, a reap).
_ZYGOTE_TIMEOUT_S = 10.0
# Inputs a worker must not be able to change (timed and measured calls) reach
# it as a sealed memfd it can only map read-only (Linux; see `_sealed_frame`).
_SEALS = (getattr(fcntl, "F_SEAL_SEAL", 0x1) | getattr(fcntl, "F_SEAL_SHRINK", 0x2) | getattr(fcntl, "F_SEAL_GROW", 0x4)
          | getattr(fcntl, "F_SEAL_WRITE", 0x8))
_F_SEAL_FUTURE_WRITE = 0x10   # Linux 5.1; not in fcntl. Without it, mprotect may make the mapping writable again.
SEALED_INPUTS = hasattr(os, "memfd_create") and hasattr(socket, "send_fds") and hasattr(fcntl, "F_ADD_SEALS")
# Set in the grading process: it is the subreaper of everything its workers start.
REAP_STRAYS = False


class CandidateFailure(BaseException):
    """The candidate's code crashed, hung, or hit a limit during a call.

    A BaseException, so that `pytest.raises(Exception)` in a grader never
    mistakes a crash for an expected error.
    """

    def __init__(self, kind: str, message: str, output: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.output = output

    def __str__(self) -> str:
        return self.message


class CandidateRaised:
    """Mixin of every exception re-raised from candidate code.

    The concrete class also derives from the built-in exception the candidate
    raised (or its nearest built-in base), so `pytest.raises(ValueError)` works.
    """

    remote_type: str = ""
    remote_traceback: str = ""
    remote_line: int | None = None
    remote_what: str = ""


_RAISED_CLASSES: dict[tuple[str, str], type] = {}


def _raised_class(type_name: str, bases: list) -> type:
    import builtins
    base = Exception
    for name in bases:
        candidate = getattr(builtins, name, None) if isinstance(name, str) else None
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            base = candidate
            break
    # A name that is not a plain ASCII identifier (escape sequences, a fake
    # "PASSED", Cyrillic look-alikes of "AssertionError", Hangul fillers that
    # draw as nothing), or that names another built-in (a ValueError called
    # "AssertionError"), is shown as the built-in base it claims.
    if not (isinstance(type_name, str) and type_name.isascii() and type_name.isidentifier()
            and len(type_name) <= 80 and getattr(builtins, type_name, base) is base):
        type_name = base.__name__
    key = (type_name, base.__name__)
    if key not in _RAISED_CLASSES:
        try:
            cls = type(type_name, (base, CandidateRaised), {"__module__": "solution"})
        except TypeError:  # a base whose layout does not mix
            cls = type(type_name, (Exception, CandidateRaised), {"__module__": "solution"})
        _RAISED_CLASSES[key] = cls
    return _RAISED_CLASSES[key]


class ProtocolError(RuntimeError):
    """The worker and the grader disagree about a message: a grader bug."""


@dataclass(frozen=True)
class Confinement:
    """How workers confine themselves (see confine.py and policy.py).

    mode: "auto" (whatever the kernel offers), "require" (a worker that
    cannot confine itself fully refuses to start) or "none" (limits only).
    `secrets` are paths a worker must never read; `allowed_imports` the
    challenge's third-party packages a worker must be able to read.
    """

    mode: str = "auto"
    allowed_imports: frozenset = frozenset()
    secrets: tuple = ()
    why_not: str = ""   # why confinement is off or partial, for the report

    def policy(self, private_dir: Path) -> dict:
        if self.mode == "none":
            return {}
        from trainer.sandbox import confine, policy
        abi, seccomp, _ = confine.probe()
        rules = policy.worker_rules(private_dir, self.allowed_imports, list(self.secrets)) if abi else []
        return {"landlock": bool(abi), "seccomp": seccomp, "rules": rules, "required": self.mode == "require"}

    def describe(self, level: str, error: str = "") -> str:
        """The isolation line of a report, from what a worker reached."""
        from trainer.sandbox.confine import isolation_line
        full = level.startswith("landlock") and level.endswith("seccomp")
        return isolation_line(level, "" if full else error or self.why_not or "the kernel refused it")


# -- grader-side encoding ----------------------------------------------------

class ClientEncoder(protocol.Encoder):
    """Encodes arguments: data, plus generators, helper markers, handles, stored refs."""

    def __init__(self, worker: "Worker") -> None:
        super().__init__()
        self.worker = worker

    def encode_other(self, value, depth):
        if isinstance(value, np.random.Generator):
            return {"$rng": self.encode(value.bit_generator.state, depth + 1)}
        to_wire = getattr(value, "__mltrainer_wire__", None)
        if to_wire is not None:
            tag, body = to_wire(self.worker)
            return {tag: self.encode(body, depth + 1)}
        return super().encode_other(value, depth)


class ClientDecoder(protocol.Decoder):
    worker: "Worker"

    def decode_other(self, tag, body, depth):
        if tag == "$o":
            if not isinstance(body, int) or isinstance(body, bool):
                raise protocol.DecodeError("an object handle must be an integer")
            return RemoteObject(self.worker, body, self.worker.generation)
        return super().decode_other(tag, body, depth)


class RemoteObject:
    """An object living in a worker (e.g. the candidate's VPTree)."""

    def __init__(self, worker: "Worker", handle: int, generation: int) -> None:
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_generation", generation)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return RemoteMethod(self, name)

    def __mltrainer_wire__(self, worker):
        self._check(worker)
        return "$o", self._handle

    def _check(self, worker) -> None:
        if worker is not self._worker or worker.generation != self._generation:
            raise CandidateFailure("lost", "this object was lost when its worker was restarted after an earlier failure")

    def __repr__(self) -> str:
        return f"<remote object #{self._handle}>"


class RemoteMethod:
    def __init__(self, obj: RemoteObject, name: str) -> None:
        self.obj = obj
        self.name = name

    def target(self) -> dict:
        self.obj._check(self.obj._worker)
        return {"obj": self.obj._handle, "attr": self.name}

    def __call__(self, *args, **kwargs):
        return self.obj._worker.call(self.target(), args, kwargs, what=f"{self.name}()")


class StoredRef:
    """Stands for a value stored in the worker with `Worker.store` (handed over once)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __mltrainer_wire__(self, worker):
        return "$r", self.key


def _as_args(args):
    return args if isinstance(args, StoredRef) else tuple(args)


def _as_kwargs(kwargs):
    return kwargs if isinstance(kwargs, StoredRef) else dict(kwargs or {})


# -- what the kernel says about a worker -------------------------------------

class ProcessProbe:
    """Reads a running process's CPU time, threads and memory from the kernel.

    The CPU clock of another process (clock_gettime on its process clock)
    counts every thread it ever ran, those that ended included, in
    nanoseconds; nothing inside the process can change what it reads.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._clock = ((~pid) << 3) | 2   # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
        self.linux = sys.platform.startswith("linux")
        self._stat_fd = -1

    def cpu_seconds(self) -> float:
        if not self.linux:
            return time.perf_counter()   # elsewhere: wall time (the report says so)
        try:
            return time.clock_gettime(self._clock)
        except OSError:  # the process is gone
            return float("nan")

    def _stat(self) -> list[bytes]:
        """The fields of /proc/<pid>/stat after the command name; read once per call, kept open."""
        if self._stat_fd < 0:
            self._stat_fd = os.open(f"/proc/{self.pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
        return os.pread(self._stat_fd, 4096, 0).rsplit(b")", 1)[1].split()

    def running(self) -> bool:
        """Whether the process is on a CPU or waiting for one (state R)."""
        if not self.linux:
            return False
        try:
            return self._stat()[0] == b"R"
        except (OSError, IndexError):
            return False

    def threads(self) -> int:
        if not self.linux:
            return 1
        try:
            return int(self._stat()[17])
        except (OSError, ValueError, IndexError):
            return 1

    def close(self) -> None:
        if self._stat_fd >= 0:
            os.close(self._stat_fd)
            self._stat_fd = -1

    def _status_kib(self, field_name: str) -> int:
        with open(f"/proc/{self.pid}/status") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
        raise OSError(f"{field_name} not in /proc/{self.pid}/status")

    def resident_bytes(self) -> int:
        return self._status_kib("VmRSS") * 1024

    def peak_resident_bytes(self) -> int:
        return self._status_kib("VmHWM") * 1024

    def reset_peak(self) -> None:
        """Reset the peak resident size to the current one (Linux 4.0+)."""
        with open(f"/proc/{self.pid}/clear_refs", "w") as handle:
            handle.write("5")

    def seccomp_mode(self) -> int:
        try:
            return self._status_kib("Seccomp")
        except (OSError, ValueError):
            return 0


# -- the worker process ------------------------------------------------------

def _exited(pidfd: int, timeout: float | None) -> bool:
    """Whether the process of `pidfd` has exited, waiting up to `timeout` seconds for it (None: as long as it takes)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))


class ZygoteChild:
    """A worker forked by the zygote: what `Worker` needs of a `subprocess.Popen`.

    The zygote reaps it only when asked, after its pidfd said it exited, so
    its pid stays its own (a zombie at worst) as long as this object may
    signal its process group.
    """

    def __init__(self, zygote: "Zygote", pid: int, pidfd: int) -> None:
        self._zygote = zygote
        self.pid = pid
        self.pidfd = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and _exited(self.pidfd, 0):
            self._reap()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not _exited(self.pidfd, timeout):
                raise subprocess.TimeoutExpired("worker", timeout)
            self._reap()
        return self.returncode

    def _reap(self) -> None:
        self.returncode = self._zygote.reap(self.pid)
        os.close(self.pidfd)
        self.pidfd = -1

    def __del__(self) -> None:  # pragma: no cover - best effort
        if self.pidfd >= 0:
            os.close(self.pidfd)


class Zygote:
    """Forks workers from one interpreter that has imported what every worker imports.

    A fresh interpreter spends most of a worker's start-up (75-80 ms of CPU)
    importing numpy; a grading run starts a worker for every timed test, so
    each grading process keeps one zygote (worker.py `zygote`) and asks it
    for a fork per worker. The zygote is started the way a worker is (a
    fresh `python -I` with a worker's scrubbed environment, never forked
    from the grading process, so nothing of the grader's memory reaches a
    worker) and never runs candidate code; each fork limits and confines
    itself before anything else runs in it, exactly as a fresh worker does.
    Used only where the grading process asked for it (`enable`) and the
    kernel has pidfds; `MLTRAINER_WARM_WORKERS=0` turns it off. If it cannot
    start or dies, workers start cold.
    """

    _instance: "Zygote | None" = None
    _owner = 0
    _enabled = False
    _adopt = False
    _offered: "tuple[int, int, int, int] | None" = None    # (socket, pid, pidfd, owner) of a spare
    _instance_lock = threading.Lock()

    def __init__(self, adopted: "tuple[socket.socket, _Adopted] | None" = None) -> None:
        if adopted is not None:
            self._sock, self.proc = adopted
        else:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            ours.set_inheritable(False)
            argv, env = zygote_command(theirs.fileno(), os.getpid())
            self.proc = subprocess.Popen(argv, cwd="/", env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         pass_fds=(theirs.fileno(),), start_new_session=True)
            theirs.close()
            self._sock = ours
        self._sock.settimeout(_ZYGOTE_TIMEOUT_S)
        self._lock = threading.Lock()       # one request at a time
        self._broken = False

    @classmethod
    def enable(cls, *, adopt: bool = False) -> None:
        """Let workers of this process be forked by a zygote (a grading run's pytest process).

        With `adopt`, a zygote the lane server started ahead for this process
        (`offer`) is used: only where workers are confined, since its forks
        are not this process's descendants (an orphan of an unconfined worker
        would not come back to it, trainer/grading/plugin.py). Otherwise the
        offer is declined and the zygote, alone at its end, exits.
        """
        cls._enabled = os.environ.get("MLTRAINER_WARM_WORKERS", "").strip() not in ("0", "no", "false", "off")
        cls._adopt = cls._enabled and adopt
        if not cls._adopt:
            cls._decline()

    @classmethod
    def offer(cls, sock_fd: int, pid: int, pidfd: int) -> None:
        """A zygote started ahead for this process by its parent, which reaps it (trainer/warm.py `_Spare`)."""
        cls._offered = (sock_fd, pid, pidfd, os.getpid())

    @classmethod
    def offered_descriptors(cls) -> tuple[int, ...]:
        return cls._offered[0:3:2] if cls._offered else ()

    @classmethod
    def _decline(cls) -> None:
        offered, cls._offered = cls._offered, None
        if offered is not None and offered[3] == os.getpid():
            os.close(offered[0])
            os.close(offered[2])

    @classmethod
    def _adopted(cls) -> "Zygote | None":
        """The zygote offered to this process, set to run its forks on this process's CPUs; None if none or gone."""
        offered, cls._offered = cls._offered, None
        if offered is None or offered[3] != os.getpid():
            return None
        sock_fd, pid, pidfd, _ = offered
        proc = _Adopted(pid, pidfd)
        try:
            if proc.poll() is not None:
                raise OSError("the zygote offered has exited")
            os.sched_setaffinity(pid, os.sched_getaffinity(0))   # its forks inherit it
        except OSError:
            os.close(sock_fd)
            proc.close()
            return None
        return Zygote((socket.socket(fileno=sock_fd), proc))

    @classmethod
    def for_this_process(cls) -> "Zygote | None":
        """This process's zygote (started on first use, replaced if it died), or None: start cold."""
        if not (cls._enabled and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")):
            return None
        with cls._instance_lock:
            zygote = cls._mine()
            if zygote is not None and (zygote._broken or zygote.proc.poll() is not None):
                zygote.close()
                zygote = None
            if zygote is None:
                try:
                    zygote = (cls._adopted() if cls._adopt else None) or Zygote()
                except OSError:
                    return None
                cls._instance, cls._owner = zygote, os.getpid()
            return zygote

    @classmethod
    def pid(cls) -> int | None:
        """The pid of this process's zygote, if it has one (it is not a stray)."""
        zygote = cls._mine()
        return zygote.proc.pid if zygote is not None else None

    @classmethod
    def _mine(cls) -> "Zygote | None":
        """This process's zygote, if it started or adopted one (not one a parent process had)."""
        return cls._instance if cls._owner == os.getpid() else None

    def spawn(self, folder: Path, fds: tuple[int, ...]) -> ZygoteChild:
        reply, received = self._ask({"spawn": str(folder)}, fds)
        pid = reply.get("pid")
        if not isinstance(pid, int) or len(received) != 1:
            for fd in received:
                os.close(fd)
            raise OSError(f"the zygote could not start a worker: {reply!r:.200}")
        return ZygoteChild(self, pid, received[0])

    def reap(self, pid: int) -> int:
        """The exit status of a worker that has exited; SIGKILL if the zygote is gone (so is the worker)."""
        try:
            reply, _ = self._ask({"reap": pid}, ())
        except OSError:
            return -signal.SIGKILL
        status = reply.get("status")
        return status if isinstance(status, int) else -signal.SIGKILL

    def _ask(self, request: dict, fds) -> tuple[dict, list[int]]:
        with self._lock:
            if self._broken:
                raise OSError("the zygote is gone")
            try:
                socket.send_fds(self._sock, [json.dumps(request).encode()], list(fds))
                message, received, _flags, _addr = socket.recv_fds(self._sock, 1 << 16, 1)
            except OSError:
                self._broken = True     # a late answer would be taken for the next request's
                raise
            if not message:
                self._broken = True
                raise OSError("the zygote is gone")
        try:
            reply = json.loads(message)
        except ValueError:
            reply = {}
        return (reply if isinstance(reply, dict) else {}), list(received)

    def close(self) -> None:
        """Stop the zygote; its forks die with it."""
        self._broken = True
        try:
            self._sock.close()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()


class _Adopted:
    """What `Zygote` needs of a `Popen` for a zygote it did not start (its parent reaps it), through a pidfd."""

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self._pidfd = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._pidfd >= 0 and _exited(self._pidfd, 0):
            self.returncode = -signal.SIGKILL       # its status is its parent's to read
        return self.returncode

    def kill(self) -> None:
        if self._pidfd >= 0 and self.poll() is None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float | None = None) -> int:
        if self._pidfd >= 0 and self.returncode is None and not _exited(self._pidfd, timeout):
            raise subprocess.TimeoutExpired("zygote", timeout)
        self.close()
        return self.returncode if self.returncode is not None else -signal.SIGKILL

    def close(self) -> None:
        if self._pidfd >= 0:
            self.poll()
            os.close(self._pidfd)
            self._pidfd = -1
            if self.returncode is None:
                self.returncode = -signal.SIGKILL


def zygote_command(sock_fd: int, parent: int, *, mother: bool = False) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a zygote serving `sock_fd`, dying with `parent`.

    A `mother` zygote forks zygotes instead of workers (a lane server's, trainer/warm.py).
    """
    return ([sys.executable, "-I", str(WORKER_SCRIPT), "--zygote", str(sock_fd), str(parent),
             *(["--mother"] if mother else [])], scrubbed_environment("/nonexistent"))


def scrubbed_environment(home: str) -> dict:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        # One BLAS thread: timings of candidate and reference compare like with
        # like, and the address-space limit is not spent on thread arenas.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for key in _PASSTHROUGH_ENV:
        if key in os.environ:
            env[key] = os.environ[key]
    return env


_SIGNAL_REASONS = {
    signal.SIGSEGV: "crashed with SIGSEGV (segmentation fault)",
    signal.SIGBUS: "crashed with SIGBUS (bus error)",
    signal.SIGABRT: "aborted (SIGABRT)",
    signal.SIGFPE: "crashed with SIGFPE (arithmetic error)",
    signal.SIGILL: "crashed with SIGILL (illegal instruction)",
    signal.SIGSYS: "was stopped by the sandbox (SIGSYS: a forbidden system call)",
}


def _while(what: str) -> str:
    """'while running kmeans(...)', or 'while importing the solution' for the worker's own steps."""
    return f"while {what}" if what.startswith(("importing ", "starting ", "sending ", "reading ")) \
        else f"while running {what}"


def _widen_pipe(fd: int) -> None:
    """Large arrays cross faster through a 1 MiB pipe than the default 64 KiB one."""
    try:
        import fcntl
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:  # not Linux, or above the system's pipe-max-size: keep the default
        pass


def folder_usage(folder: Path, max_entries: int = 100_000, max_bytes: int | None = None,
                 max_depth: int = fstree.MAX_DEPTH) -> fstree.TreeUsage:
    """(bytes of disk, entries, depth, over) under `folder`, without following links.

    Walked by folder descriptors, one name at a time (`fstree.measure_tree`):
    neither a path longer than PATH_MAX nor a deep tree hides anything, and
    the walk stops at the first limit exceeded (`over` says which; a folder
    it cannot read counts as over the limit).
    """
    return fstree.measure_tree(folder, max_bytes=max_bytes, max_entries=max_entries, max_depth=max_depth)


def reap_strays(keep: set[int]) -> None:
    """Kill and reap every child of this process not in `keep`.

    The grading process is the subreaper of its workers' descendants, so a
    process a worker started (where the sandbox could not forbid it) becomes
    its child when its parent exits, however it detached itself.
    """
    if not sys.platform.startswith("linux"):
        return
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in keep:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            try:
                os.kill(int(name), signal.SIGKILL)
                os.waitpid(int(name), 0)
            except (ProcessLookupError, ChildProcessError, PermissionError):
                pass


class Patience:
    """How long a call may take when that depends on how long the reference takes on the same input.

    A call first gets `first` seconds. Most calls finish well within them
    and cost nothing more. One that has not replied by then is measured
    against the reference: `measure()` runs the reference on the same input
    (while the call goes on) and returns its CPU seconds, or None when it
    cannot (the input holds objects of the solution's worker). The call may
    then use `first` + `factor` x that of the worker's CPU time (without a
    reference time: `fallback` seconds), counted on the kernel's clock so
    that a busy machine does not cut it short; a call that sleeps instead is
    stopped after WALL_FACTOR times that in wall time.

    `given_up()`, when given, is asked while an extended call goes on: a
    reason (not None) stops the call at once as not run (another lane found
    the function hanging, so this call would only wait as long).
    """

    WALL_FACTOR = 3.0

    def __init__(self, measure, *, worker: "Worker", first: float, factor: float, fallback: float,
                 limit: float | None = None, wall_cap: float | None = None, given_up=None) -> None:
        self._measure = measure
        self.given_up = given_up or (lambda: None)
        self._worker = worker
        self.first = first
        self.factor = factor
        self.fallback = fallback
        self._fixed = limit
        self._wall_cap = wall_cap
        self.start = self.deadline = self._cpu0 = 0.0
        self.limit: float | None = None   # CPU seconds, once known
        self.timeout = first
        self.extended = False
        self.why = ""

    @classmethod
    def cpu_seconds(cls, worker: "Worker", limit: float, wall_cap: float) -> "Patience":
        """A fixed limit on the worker's CPU clock (a timed call's cutoff), or `wall_cap` of wall time."""
        patience = cls(None, worker=worker, first=limit, factor=0.0, fallback=limit, limit=limit,
                       wall_cap=max(wall_cap, limit))
        return patience

    def begin(self, start: float) -> None:
        self.start = start
        self._cpu0 = self._worker.cpu_seconds()
        self.deadline = start + self.first
        self.limit = self._fixed
        self.timeout = self.first
        self.extended = False
        self.why = f"{self._fixed:.2g} s of CPU time at most" if self._fixed is not None else ""

    def extend(self) -> bool:
        """Move the deadline on while the call is within what it may take; False: it is not."""
        if self.limit is None:
            reference = self._measure()
            if reference is None:
                self.limit = max(self.first, self.fallback)
                self.why = f"{self.limit:.2g} s of CPU time at most: the longest a call may take"
            else:
                self.limit = self.first + self.factor * reference
                self.why = (f"{self.limit:.2g} s of CPU time at most: {self.factor:g}x the reference's "
                            f"{reference:.2g} s on the same input + {self.first:g} s")
        self.extended = True
        now = time.monotonic()
        used = self._worker.cpu_seconds() - self._cpu0
        cap = self._wall_cap if self._wall_cap is not None else self.WALL_FACTOR * self.limit
        if used >= self.limit or now - self.start >= cap:
            self.timeout = now - self.start
            return False
        self.deadline = min(self.start + cap, now + max(0.005, self.limit - used))
        return True


class Worker:
    """One sandboxed worker process for one solution file.

    `hostile` says whether the file may be written to cheat (the candidate's)
    or is trusted (the reference): what a hostile worker sends wrongly is
    the candidate's failure, what a trusted one does is a harness error.
    """

    def __init__(self, solution_path: str | os.PathLike, limits: Limits, *, label: str = "solution",
                 confinement: Confinement | None = None, folder: str | os.PathLike | None = None,
                 hostile: bool = True) -> None:
        self.solution_path = str(Path(solution_path).resolve())
        self.limits = limits
        self.label = label
        self.confinement = confinement or Confinement(mode="none", why_not="confinement was not asked for")
        self.folder = str(folder) if folder is not None else None
        self.hostile = hostile
        self.generation = 0
        self.proc: subprocess.Popen | None = None
        self.probe: ProcessProbe | None = None
        self.isolation = ""
        self.isolations: set[str] = set()   # what every start of this worker reached
        self._dir: str | None = None
        self._private: Path | None = None
        self._module_path = ""
        self._send_fd = self._recv_fd = -1
        self._service_fd = self._answer_fd = -1
        self._inputs: socket.socket | None = None   # where sealed inputs go (SEALED_INPUTS)
        # Requests a worker may make of the grader while a call runs (e.g. a
        # distance the grader computes and counts), by service id.
        self.services: dict[int, object] = {}
        self._output_path: Path | None = None
        self._output_seen = 0
        # What stopped workers printed that no excerpt took yet (a restart
        # for a timing, a kill): kept, bounded, for the next excerpt.
        self._output_kept = PrintedText()
        self._request_id = 0
        # The worker's CPU clock when its last call had been answered (None: no call since it started).
        self._idle_cpu: float | None = None
        self._loaded = False
        self._threads = 1
        self._disk_baseline: tuple[int, int] | None = None
        # A solution whose import hung or crashed does so every time: later
        # tests fail at once with the same reason instead of waiting again.
        self._import_failure: CandidateFailure | None = None
        # CPU seconds the last import of the solution took in this worker (None: not imported).
        self.import_cpu: float | None = None
        _LIVE.add(self)

    # lifecycle ------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def loaded(self) -> bool:
        return self._loaded and self.alive

    def start(self, load: bool = True) -> None:
        """Start a fresh worker; with `load`, import the solution in it."""
        self.stop()
        self._refuse_if_import_failed()
        self.generation += 1
        self._loaded = False
        self._dir = tempfile.mkdtemp(prefix=f"{self.label}-", dir=self.folder)
        self._private = Path(self._dir) / "private"
        self._private.mkdir()
        # The worker sees a copy of the file in its private folder, and its
        # output goes to a file outside that folder.
        self._module_path = str(self._private / Path(self.solution_path).name)
        shutil.copyfile(self.solution_path, self._module_path)
        self._output_path = Path(self._dir) / "output.txt"
        self._output_seen = 0
        config = {
            "memory_bytes": int(self.limits.memory_mb) << 20,
            "output_bytes": int(self.limits.output_mb) << 20,
            "cpu_seconds": int(self.limits.cpu_seconds),
            "open_files": _OPEN_FILES,
            "blocked_imports": sorted(FORBIDDEN_IMPORTS),
            "policy": self.confinement.policy(self._private),
        }
        inputs_ours, inputs_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) if SEALED_INPUTS \
            else (None, None)
        try:
            with open(self._output_path, "wb") as out:
                (req_r, req_w), (resp_r, resp_w), (service_r, service_w), (answer_r, answer_w) = \
                    self._spawn(config, out.fileno(), inputs_theirs.fileno() if inputs_theirs else -1)
        except BaseException:
            if inputs_ours is not None:
                inputs_ours.close()
            raise
        finally:
            if inputs_theirs is not None:
                inputs_theirs.close()
        self._inputs = inputs_ours
        self.probe = ProcessProbe(self.proc.pid)
        for fd in (req_r, resp_w, service_w, answer_r):
            os.close(fd)
        self._send_fd, self._recv_fd = req_w, resp_r
        self._service_fd, self._answer_fd = service_r, answer_w
        os.set_blocking(self._answer_fd, False)
        os.set_blocking(self._service_fd, False)
        _widen_pipe(req_w)
        _widen_pipe(resp_r)
        payload = json.dumps(config).encode()
        os.write(self._send_fd, struct.pack("<I", len(payload)) + payload)
        os.set_blocking(self._send_fd, False)
        reply = self._receive(time.monotonic() + _STARTUP_TIMEOUT, time.monotonic() + _STARTUP_TIMEOUT + 5,
                              "starting the sandbox", _STARTUP_TIMEOUT, expect_id=None)
        if "confinement_error" in reply and "ready" not in reply:
            self.stop()
            raise ProtocolError(f"the sandbox could not confine the worker: {reply['confinement_error']}")
        if "ready" not in reply:
            raise ProtocolError(f"the worker did not start: {reply!r:.200}")
        level = reply.get("isolation") or ""
        if "seccomp" in level and self.probe.seccomp_mode() != 2:
            raise ProtocolError("the worker says it installed a seccomp filter, but the kernel shows none")
        self.isolation = self.confinement.describe(level, str(reply.get("confinement_error") or ""))
        self.isolations.add(self.isolation)
        self._threads = self.probe.threads()
        self._disk_baseline = self._disk_free()
        if load:
            self.load()

    def _spawn(self, config: dict, output_fd: int, inputs_fd: int) -> list[tuple[int, int]]:
        """Start the worker's process, forked by this process's zygote or else a fresh interpreter; its pipes.

        Completes `config` with what depends on how it started. `inputs_fd`
        (-1: none) is the worker's end of the socket sealed inputs arrive on.
        """
        zygote = Zygote.for_this_process()
        if zygote is not None:
            pipes = [os.pipe() for _ in range(4)]
            (req_r, _), (_, resp_w), (_, service_w), (answer_r, _) = pipes
            try:
                # The fork dies with the zygote; its services are the descriptors it got (worker.py).
                fds = (req_r, resp_w, service_w, answer_r, output_fd) + ((inputs_fd,) if inputs_fd >= 0 else ())
                self.proc = zygote.spawn(self._private, fds)
                return pipes
            except OSError:
                # A fork may hold these pipes: the zygote goes, and its forks with it, and the worker
                # starts fresh on new pipes.
                zygote.close()
                for fd in (fd for pair in pipes for fd in pair):
                    os.close(fd)
        pipes = [os.pipe() for _ in range(4)]
        (req_r, _), (_, resp_w), (_, service_w), (answer_r, _) = pipes
        config["parent"] = os.getpid()
        config["services"] = [service_w, answer_r]
        if inputs_fd >= 0:
            config["inputs"] = inputs_fd
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_SCRIPT), str(req_r), str(resp_w)],
            cwd=self._private, env=scrubbed_environment(str(self._private)),
            stdin=subprocess.DEVNULL, stdout=output_fd, stderr=subprocess.STDOUT,
            pass_fds=(req_r, resp_w, service_w, answer_r) + ((inputs_fd,) if inputs_fd >= 0 else ()),
            start_new_session=True, close_fds=True,
        )
        return pipes

    def load(self) -> None:
        """Import the solution in the running worker (started with load=False)."""
        self._import({"op": "load", "path": self._module_path})

    def _import(self, request: dict) -> None:
        what = "importing the solution"
        self._loaded = True   # from here on, the worker runs the solution's code
        self.import_cpu = None
        clock: dict = {}
        try:
            self._expect_ok(self._request(request, self.limits.call_timeout, what, clock=clock), what)
        except CandidateFailure as exc:
            if exc.kind in ("timeout", "crash", "memory", "disk"):
                self._import_failure = exc
            raise
        # Read from the kernel's clock of the worker, like a call's (budget.py compares the two sides).
        self.import_cpu = clock["end"] - clock["start"]

    def _refuse_if_import_failed(self) -> None:
        failed = self._import_failure
        if failed is not None:
            raise CandidateFailure("not_run", f"not run: {failed.message} (earlier in this grading run)")

    def ensure_started(self) -> None:
        if not self.alive:
            self.start()

    def stop(self) -> None:
        if self.proc is not None:
            self._kill()
        for fd in (self._send_fd, self._recv_fd, self._service_fd, self._answer_fd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._send_fd = self._recv_fd = self._service_fd = self._answer_fd = -1
        if self._inputs is not None:
            self._inputs.close()
            self._inputs = None
        if self._dir:
            self._read_output(self._output_kept)   # the file goes with the folder
            fstree.remove_tree(self._dir)   # any depth, any name length, links not followed
            self._dir = None
        if self.probe is not None:
            self.probe.close()
        self.proc = None
        self._loaded = False
        self._idle_cpu = None

    def _kill(self) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
            pass
        if REAP_STRAYS:
            reap_strays(_live_workers())

    # calls ------------------------------------------------------------------
    def reset(self) -> None:
        """Run the solution again in a clean namespace, as compiled at its first load (start a worker if needed)."""
        if not self.alive:
            self.start()
            return
        if not self._loaded:
            self.load()
            return
        self._import({"op": "reset"})

    def call(self, target, args=(), kwargs=None, *, what: str = "the call", timeout: float | None = None,
             patience: "Patience | None" = None) -> object:
        return self.call_raw(target, args, kwargs, what=what, timeout=timeout, patience=patience)["ok"]

    def call_raw(self, target, args=(), kwargs=None, *, what: str = "the call", timeout: float | None = None,
                 return_inputs: bool = False, clock: dict | None = None,
                 patience: "Patience | None" = None, sealed: bool = False, report_shared: bool = False) -> dict:
        """The reply of one call; `clock`, when given, receives the worker's CPU clock around it.

        clock["start"] before the request is sent and ["end"] once the reply
        is in and the worker is idle again (seconds of the worker's CPU, read
        from the kernel), and ["reported"], what the worker says its thread's
        clock read when it had the request and when it began the reply: true
        of a trusted worker only. `patience`, when given, decides the
        timeout instead of `timeout` (see `Patience`). With `sealed`, the
        arguments' arrays are read-only memory the worker cannot make
        writable (`_sealed_frame`): a call that writes to its input raises.
        With `report_shared`, reply["shared"] lists the paths in the result
        of arrays that share memory with an argument's, and reply["read_only"]
        those of arrays that are not writable, as the worker saw them.
        """
        self.ensure_started()
        message = {"op": "call", "target": target, "args": _as_args(args), "kwargs": _as_kwargs(kwargs),
                   "what": what, "return_inputs": return_inputs, "report_shared": report_shared}
        reply = self._request(message, timeout or self.limits.call_timeout, what, clock=clock, patience=patience,
                              sealed=sealed)
        self._expect_ok(reply, what)
        if report_shared:
            for key in ("shared", "read_only"):
                paths = reply.get(key)
                if not (isinstance(paths, list) and len(paths) <= 100
                        and all(isinstance(p, str) and len(p) <= 200 for p in paths)):
                    self._bad_reply(what, f"the list of {key.replace('_', '-')} arrays must be at most 100 short "
                                          "strings")
        return reply

    def repeat(self, target, seeds, args=(), kwargs=None, *, what: str = "the call",
               timeout: float | None = None, patience: "Patience | None" = None, clock: dict | None = None) -> list:
        self.ensure_started()
        message = {"op": "repeat", "target": target, "seeds": [int(s) for s in seeds],
                   "args": _as_args(args), "kwargs": _as_kwargs(kwargs), "what": what}
        reply = self._request(message, timeout or self.limits.call_timeout, what, clock=clock, patience=patience)
        self._expect_ok(reply, what)
        if not isinstance(reply["ok"], list) or len(reply["ok"]) != len(seeds):
            self._bad_reply(what, "a repeated call must return one result per seed")
        return reply["ok"]

    def starmap(self, target, calls, *, what: str = "the calls", what_of=None, timeout: float | None = None,
                patience: "Patience | None" = None, clock: dict | None = None,
                go_on: bool = False) -> tuple[list, Exception | None]:
        """Call `target` once per (args, kwargs) of `calls`, in order, in one request.

        Returns (results, None) when every call returned; when one raised,
        (the results of the calls before it, its exception), the exception
        built as `call` would raise it, described by `what_of(index)`. With
        `go_on`, an exception takes its call's place in the results and the
        batch goes on. A crash, a timeout or a limit ends the batch as one
        call's would.
        """
        self.ensure_started()
        calls = [(_as_args(args), _as_kwargs(kwargs)) for args, kwargs in calls]
        message = {"op": "starmap", "target": target, "calls": calls, "what": what, "go_on": go_on}
        reply = self._request(message, timeout or self.limits.call_timeout, what, clock=clock, patience=patience)
        describe = what_of or (lambda index: what)
        if "ok" in reply:
            results = reply["ok"]
            if not isinstance(results, list) or len(results) != len(calls):
                self._bad_reply(what, "a batch of calls must return one result per call")
            if go_on:
                raised = reply.get("raised")
                if not (isinstance(raised, list) and all(
                        isinstance(p, list) and len(p) == 2 and type(p[0]) is int and 0 <= p[0] < len(calls)
                        and results[p[0]] is None for p in raised)
                        and len({p[0] for p in raised}) == len(raised)):
                    self._bad_reply(what, "the exceptions of a batch must name distinct calls that returned "
                                          "nothing")
                for index, info in raised:
                    results[index] = self._raised(info, describe(index))
            return results, None
        if "raised" in reply:
            index, done = reply.get("index"), reply.get("done")
            if not (type(index) is int and 0 <= index < len(calls) and isinstance(done, list)
                    and len(done) == index):
                self._bad_reply(what, "a call of a batch that raised must come with its index and the results "
                                      "of the calls before it")
            return done, self._raised(reply["raised"], describe(index))
        self._expect_ok(reply, what)   # a failure, a bad result, a protocol error: raised here
        self._bad_reply(what, "a reply that is neither results nor an error")

    def global_rng_state(self) -> str:
        """A digest of the worker's process-wide random generators (numpy's global one, `random`)."""
        self.ensure_started()
        what = "reading the global random state"
        reply = self._request({"op": "global_rng"}, _STARTUP_TIMEOUT, what)
        self._expect_ok(reply, what)
        if not isinstance(reply["ok"], str):
            self._bad_reply(what, "the global random state must be a digest string")
        return reply["ok"]

    def store(self, key: str, value) -> None:
        """Place a value in the worker, to be handed to one later call as `StoredRef(key)`; its arrays sealed."""
        if not self.alive:
            self.start()
        reply = self._request({"op": "store", "key": key, "value": value}, _STARTUP_TIMEOUT, "sending inputs",
                              sealed=True)
        self._expect_ok(reply, "sending inputs")

    def cpu_seconds(self) -> float:
        """CPU time the worker process has used so far, all threads, read from the kernel."""
        return self.probe.cpu_seconds() if self.probe is not None else 0.0

    def output_excerpt(self) -> str:
        """What the solution printed since the last excerpt, in this worker and in any stopped since.

        All of it, or its head and tail with what was left out counted
        (`trainer.report.PrintedText`); raw (the report makes it inert).
        """
        printed, self._output_kept = self._output_kept, PrintedText()
        return self._read_output(printed).text()

    def _read_output(self, into: PrintedText) -> PrintedText:
        """Add what this worker printed since the last look to `into`, a piece at a time."""
        if self._output_path is None:
            return into
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            # Non-blocking: a lease the worker took on the file (where seccomp
            # does not refuse it) would hold a plain open for the lease-break time.
            fd = os.open(self._output_path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
            with open(fd, "rb") as handle:
                handle.seek(self._output_seen)
                while chunk := handle.read(1 << 20):
                    into.add(decoder.decode(chunk))
                self._output_seen = handle.tell()
        except OSError:
            return into
        return into.add(decoder.decode(b"", final=True))

    # transport -------------------------------------------------------------
    def _raised(self, info, what: str) -> Exception:
        """The exception a worker reported raised (`info`, a reply's "raised"), as the call raises it here."""
        if not isinstance(info, dict):
            self._bad_reply(what, "an exception report must be a mapping")
        message = info.get("message")
        traceback_text = info.get("traceback", "")
        line = info.get("line")
        bases = info.get("builtin_bases", [])
        if not isinstance(message, str) or not isinstance(traceback_text, str) or not isinstance(bases, list) \
                or not (line is None or (isinstance(line, int) and not isinstance(line, bool))):
            self._bad_reply(what, "malformed exception report")
        cls = _raised_class(info.get("type"), bases)
        exc = cls(message[:4000])
        exc.remote_type = cls.__name__
        exc.remote_traceback = traceback_text[:8000]
        exc.remote_line = line
        exc.remote_what = what
        exc.args_after = exc.kwargs_after = None
        return exc

    def _expect_ok(self, reply: dict, what: str) -> None:
        if "ok" in reply:
            return
        if "raised" in reply:
            exc = self._raised(reply["raised"], what)
            # With return_inputs, the arguments as the raise left them (the worker's report).
            after, kwargs_after = reply.get("args_after"), reply.get("kwargs_after")
            exc.args_after = tuple(after) if isinstance(after, (list, tuple)) else None
            exc.kwargs_after = dict(kwargs_after) if isinstance(kwargs_after, dict) else None
            raise exc
        if "failure" in reply:
            failure = reply["failure"]
            if not isinstance(failure, dict) or not isinstance(failure.get("message"), str):
                self._bad_reply(what, "malformed failure report")
            kind = failure.get("kind") if failure.get("kind") in ("memory", "exit") else "crash"
            message = failure["message"][:2000]
            if kind == "memory":
                # The worker's heap may be in any state after a MemoryError.
                self.stop()
                message = f"{message}: exceeded the {self.limits.memory_mb} MiB memory limit"
            raise CandidateFailure(kind, message, self.output_excerpt())
        if "bad_result" in reply:
            detail = reply["bad_result"] if isinstance(reply["bad_result"], str) else "?"
            raise CandidateFailure("bad_result", f"returned a value that cannot be checked from {what}: "
                                                 f"{detail[:500]}")
        if "protocol_error" in reply and not (self.hostile and self._loaded):
            raise ProtocolError(str(reply["protocol_error"])[:2000])
        self._bad_reply(what, "a reply that is neither a result nor an error")

    def _request(self, message: dict, timeout: float, what: str, clock: dict | None = None,
                 patience: "Patience | None" = None, sealed: bool = False) -> dict:
        start = time.monotonic()
        if patience is not None:
            patience.begin(start)
            timeout = patience.first
        deadline = start + timeout
        # An id no one can guess: a frame the solution wrote ahead of this
        # request (counting ids up) cannot answer it.
        self._request_id = secrets.randbits(62)
        message["id"] = self._request_id
        chunks = protocol.pack(message, ClientEncoder(self))
        if sealed and self._inputs is not None:
            chunks = self._sealed_frame(chunks, what)
        self._check_idle(what)
        if clock is not None:
            clock["start"] = self.cpu_seconds()
        self._send(chunks, deadline, timeout, what)
        reply = self._receive(deadline, deadline + _REPLY_GRACE_S, what, timeout, expect_id=self._request_id,
                              patience=patience)
        if self._loaded:
            self._after_call(what)
        if clock is not None:   # after the thread check: a thread finishing late still counts
            self._settle()
            clock["end"] = self.cpu_seconds()
            reported = reply.get("cpu")
            clock["reported"] = tuple(reported) if isinstance(reported, list) and len(reported) == 2 and all(
                isinstance(v, float) for v in reported) else None
        if self._loaded and self.probe is not None and self.probe.linux:
            self._idle_cpu = clock["end"] if clock is not None else self.cpu_seconds()
        return reply

    def _check_idle(self, what: str) -> None:
        """Fail the call about to be made if the worker used CPU time since its last call was answered.

        Between calls the worker only waits for its next request; a thread
        left running is caught after its call (`_after_call`), and seccomp
        refuses the timers that would run a signal handler later. This
        reads the kernel's clock of the whole process, whatever ran.
        """
        if self._idle_cpu is None or not self._loaded:
            return
        used = self.cpu_seconds() - self._idle_cpu
        self._idle_cpu = None
        if used > _IDLE_CPU_S:
            output = self._stop_for_output()
            raise CandidateFailure("idle_cpu", f"used {used:.2f} s of CPU time between calls, before {what} "
                                               "(a function must do all its work before it returns)", output)

    def _sealed_frame(self, chunks: list, what: str) -> list:
        """Hand a frame's payload to the worker as a sealed memfd; the small frame that says so, to send instead.

        The payload is written to a memfd that is then sealed against any
        write, growth or shrinking, for good (F_SEAL_SEAL): the kernel refuses
        a writable shared mapping of it, write() on it, and (F_SEAL_FUTURE_WRITE)
        mprotect() adding write access to the read-only mapping the worker
        makes. The worker decodes the message from that mapping, so its arrays
        are read-only to numpy (the WRITEABLE flag cannot be set on them) and
        to the CPU (a write through a raw pointer is a segmentation fault).
        A solution can therefore not work in place on the inputs of a timed or
        measured call to save time or memory, whether or not the call is one
        whose inputs the grader looks at afterwards.
        """
        views = protocol.frame_views(chunks[1:])        # the payload, without its 8-byte length
        size = sum(view.nbytes for view in views)
        try:
            fd = os.memfd_create("mltrainer-inputs", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        except OSError:   # memfds refused here (a sandbox around mltrainer): the frame goes as it is, writable
            return chunks
        try:
            while views:
                views = protocol.write_some(fd, views)
            try:
                fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS | _F_SEAL_FUTURE_WRITE)
            except OSError:   # a kernel before 5.1: numpy still refuses to write, the kernel may not
                fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)
            try:
                socket.send_fds(self._inputs, [b"s"], [fd], socket.MSG_DONTWAIT)
            except BlockingIOError:   # earlier inputs left unread: the worker is not serving requests
                self._bad_reply(what, "the worker did not take its inputs")
            except OSError:           # its end is closed: it exited
                self._died(what)
        finally:
            os.close(fd)
        return protocol.pack({"op": "sealed", "size": size})

    def _settle(self, limit_s: float = 0.05) -> None:
        """Wait (briefly) until the worker is idle again: its work after the reply is then on the clock."""
        end = time.monotonic() + limit_s
        while self.probe is not None and self.probe.running() and time.monotonic() < end:
            time.sleep(0.0005)

    def _after_call(self, what: str) -> None:
        """Nothing the call started may outlive it; its folder stays within its limits."""
        probe = self.probe
        if probe is not None and probe.threads() > self._threads:
            end = time.monotonic() + _THREAD_GRACE_S
            while probe.threads() > self._threads and time.monotonic() < end:
                time.sleep(0.005)
            extra = probe.threads() - self._threads
            if extra > 0:
                output = self._stop_for_output()
                raise CandidateFailure(
                    "thread", f"left {extra} thread{'s' if extra != 1 else ''} running after {what} returned "
                              "(a function must finish all its work before it returns: join your threads and "
                              "shut down executors)", output)
        self._check_disk(what)

    def _disk_free(self) -> tuple[int, int] | None:
        try:
            info = os.statvfs(self._private)
        except (OSError, TypeError, AttributeError):
            return None
        return info.f_bavail * info.f_frsize, info.f_favail

    def _check_disk(self, what: str) -> None:
        """Fail the call if the worker's private folder is over its disk limit.

        A drop of free space (or free inodes) on the file system is cheap to
        see; only then is the folder itself measured, so another process
        writing to the same disk never fails a candidate. A tree deeper than
        `fstree.MAX_DEPTH` (which takes that many inodes: the drop seen
        before is half that) is over the limit too.
        """
        if self._private is None or self._disk_baseline is None:
            return
        limit = int(self.limits.disk_mb) << 20
        now = self._disk_free()
        if now is not None and self._disk_baseline[0] - now[0] <= limit // 2 \
                and self._disk_baseline[1] - now[1] <= _INODES_SEEN:
            return
        usage = folder_usage(self._private, _MAX_FILES, max_bytes=limit)
        if usage.over:
            output = self._stop_for_output()
            if usage.over == "depth":
                done = f"nested folders more than {fstree.MAX_DEPTH} deep in its folder"
            elif usage.over.startswith("unreadable"):
                done = "made part of its folder unreadable, so what it holds cannot be measured"
            else:
                done = f"wrote more than {self.limits.disk_mb} MiB or {_MAX_FILES} files into its folder"
            raise CandidateFailure("disk", f"{done} (disk limit) {_while(what)}", output)

    def _stop_for_output(self) -> str:
        self._kill()
        output = self.output_excerpt()
        self.stop()
        return output

    def _send(self, chunks, deadline: float, timeout: float, what: str) -> None:
        self._write(self._send_fd, protocol.frame_views(chunks), deadline, timeout, what, watch=True)

    def _write(self, fd: int, views: list, deadline: float, timeout: float, what: str, *, watch: bool,
               patience: "Patience | None" = None) -> None:
        """Write `views` to the worker's pipe `fd` by `deadline`, watching its folder meanwhile if `watch`."""
        while views:
            try:   # the pipe usually has room: write first, wait only when it is full
                views = protocol.write_some(fd, views)
                continue
            except BlockingIOError:
                pass
            except BrokenPipeError:
                self._died(what)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                deadline = self._later(patience, timeout, what)
                continue
            _, writable, _ = select.select([], [fd], [], min(remaining, _WATCH_INTERVAL_S))
            if not writable and watch:
                self._watch(what)

    def _watch(self, what: str) -> None:
        if self._loaded:
            self._check_disk(what)

    def _receive(self, deadline: float, final: float, what: str, timeout: float, *, expect_id,
                 patience: "Patience | None" = None) -> dict:
        """One reply: its 8-byte length by `deadline`, all of it by `final` (both absolute).

        With `patience`, a reply not begun by `deadline` is waited for until
        the deadline the patience then sets (once).
        """
        head = self._read(8, deadline, timeout, what, patience=patience)
        if patience is not None and patience.extended:
            final = patience.deadline + _REPLY_GRACE_S
        (total,) = struct.unpack("<Q", head)
        cap = (int(self.limits.reply_mb) << 20) + _MAX_REPLY_HEADER
        if total > cap:
            self._too_large(what, total)
        payload = self._read(total, final, timeout, what)
        try:
            header, buffers = protocol.split(payload, max_header=_MAX_REPLY_HEADER)
            decoder = ClientDecoder(buffers)
            decoder.worker = self
            reply = decoder.decode(header)
        except protocol.DecodeError as exc:
            self._bad_reply(what, str(exc))
        except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
            self._bad_reply(what, f"{type(exc).__name__}: {exc}")
        if not isinstance(reply, dict):
            self._bad_reply(what, "a reply must be a mapping")
        if expect_id is not None and reply.get("id") != expect_id:
            self._bad_reply(what, "a reply that does not answer the request sent")
        return reply

    def _too_large(self, what: str, total: int) -> None:
        output = self._stop_for_output()
        raise CandidateFailure("reply_size", f"sent a reply of {total / (1 << 20):.0f} MiB {_while(what)}; "
                                             f"results may be at most {self.limits.reply_mb} MiB", output)

    def _bad_reply(self, what: str, detail: str):
        if not (self.hostile and self._loaded):
            self.stop()
            raise ProtocolError(f"malformed reply {_while(what)}: {detail}")
        output = self._stop_for_output()
        raise CandidateFailure("bad_reply", f"sent a malformed reply {_while(what)} ({detail[:200]}); "
                                            "a solution must not write to the grader's channel", output)

    def _read(self, size: int, until: float, timeout: float, what: str,
              patience: "Patience | None" = None) -> bytearray:
        """`size` bytes of a reply by `until`, serving the worker's requests to the grader meanwhile."""
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        watched = [self._recv_fd, self._service_fd] if self._service_fd >= 0 else [self._recv_fd]
        while got < size:
            remaining = until - time.monotonic()
            if remaining <= 0:
                if patience is not None and got == 0 and patience.extend():
                    until = patience.deadline
                    continue
                self._timed_out(patience.timeout if patience is not None else timeout, what,
                                patience.why if patience is not None else "")
            readable, _, _ = select.select(watched, [], [], min(remaining, _WATCH_INTERVAL_S))
            if not readable:
                self._watch(what)
                if patience is not None and got == 0 and patience.extended:
                    reason = patience.given_up()
                    if reason:
                        raise CandidateFailure("not_run", reason, self._stop_for_output())
                continue
            if self._service_fd in readable:
                # A request of the worker's is part of its call: until the reply
                # begins, its exchange may go on as long as the call may.
                self._serve(until, timeout, what, patience if got == 0 else None)
                if self._recv_fd not in readable:
                    continue
            n = os.readv(self._recv_fd, [view[got:]])
            if n == 0:
                self._died(what)
            got += n
        return buf

    def _serve(self, until: float, timeout: float, what: str, patience: "Patience | None" = None) -> None:
        """Answer one request the worker makes of the grader (see worker._GraderMetric).

        This runs once per distance call of a metric tree, tens of thousands
        of times per test: reads and writes are tried first and waited for
        only when the pipe is not ready.
        """
        key, rows, first = struct.unpack("<QQq", self._service_read(24, until, timeout, what, patience))
        service = self.services.get(key)
        if service is None or rows > service.max_rows:
            self._bad_reply(what, "a request to the grader it does not know or cannot answer")
        ids = np.frombuffer(self._service_read(8 * rows, until, timeout, what, patience), dtype=np.int64)
        try:
            answer = service.serve(first, ids)
        except ValueError as exc:
            self._bad_reply(what, str(exc))
        answer = memoryview(np.ascontiguousarray(answer, dtype=np.float64)).cast("B")
        self._write(self._answer_fd, protocol.frame_views([answer]), until, timeout, what, watch=False,
                    patience=patience)

    def _service_read(self, size: int, until: float, timeout: float, what: str,
                      patience: "Patience | None" = None) -> bytes:
        chunks, got = [], 0
        while got < size:
            try:
                chunk = os.read(self._service_fd, size - got)
            except BlockingIOError:
                remaining = until - time.monotonic()
                if remaining <= 0:
                    until = self._later(patience, timeout, what)
                    continue
                select.select([self._service_fd], [], [], remaining)
                continue
            if not chunk:
                self._channel_closed(what)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _channel_closed(self, what: str):
        """The worker's end of the service pipe closed: it died (say how), or its code closed it."""
        try:
            self.proc.wait(timeout=1.0)   # a dying process has closed all its files already
        except subprocess.TimeoutExpired:
            self._bad_reply(what, "closed its channel to the grader")
        self._died(what)

    def _later(self, patience: "Patience | None", timeout: float, what: str) -> float:
        """The next deadline of a call whose deadline has passed: the patience's, while the call may go on."""
        if patience is None:
            self._timed_out(timeout, what)
        if not patience.extend():
            self._timed_out(patience.timeout, what, patience.why)
        return patience.deadline

    def _timed_out(self, timeout: float, what: str, why: str = ""):
        output = self._stop_for_output()
        raise CandidateFailure("timeout", f"timed out after {timeout:.3g} s {_while(what)}"
                                          + (f" ({why})" if why else ""), output)

    def _died(self, what: str):
        proc = self.proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill()
                code = proc.returncode
        output = self.output_excerpt()
        reason = self.exit_reason(code)
        loaded = self._loaded
        self.stop()
        if not loaded:  # only mltrainer's own code had run in it
            raise ProtocolError(f"the worker {reason} {_while(what)}: {output.strip()[-500:]}")
        raise CandidateFailure("crash", f"{reason} {_while(what)}", output)

    def exit_reason(self, code: int | None) -> str:
        if code is None:
            return "stopped unexpectedly"
        if code >= 0:
            return f"exited with status {code}"
        sig = -code
        if sig == signal.SIGXFSZ:
            return f"was killed for writing more than {self.limits.output_mb} MiB of output (output limit)"
        if sig == signal.SIGXCPU:
            return f"was killed for using more than {self.limits.cpu_seconds} s of CPU time"
        if sig in _SIGNAL_REASONS:
            return _SIGNAL_REASONS[sig]
        if sig == signal.SIGKILL:
            return "was killed (SIGKILL; the system may have run out of memory)"
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"was killed by {name}"

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.stop()
        except Exception:
            pass


_LIVE: "weakref.WeakSet[Worker]" = weakref.WeakSet()


def _live_workers() -> set[int]:
    """This process's children that are not strays: live workers, and the zygote."""
    zygote = Zygote.pid()
    return {w.proc.pid for w in list(_LIVE) if w.proc is not None} | ({zygote} if zygote else set())
