"""The trusted side of a sandboxed worker: start it, call it, survive it.

`Worker` owns one worker process. Every call has a deadline; a worker that
times out, crashes, exits, or hits a resource limit is killed (with its whole
process group) and the call raises `CandidateFailure` with a plain reason.
The next call starts a fresh worker.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from trainer.catalog import DEFAULT_LIMITS
from trainer.sandbox import protocol

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
BLOCKED_IMPORTS = ("trainer", "graders", "reference")
# Passed through to workers: some processors need these for OpenBLAS to run at all.
_PASSTHROUGH_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_STARTUP_TIMEOUT = 60.0


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


def _raised_class(type_name: str, bases: list[str]) -> type:
    import builtins
    base = Exception
    for name in bases:
        candidate = getattr(builtins, name, None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            base = candidate
            break
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
class Limits:
    """A worker's limits; the defaults are the catalog's (challenge.yaml `limits`)."""

    call_timeout: float = DEFAULT_LIMITS["call_timeout"]
    memory_mb: int = DEFAULT_LIMITS["memory_mb"]
    output_mb: int = DEFAULT_LIMITS["output_mb"]
    cpu_seconds: int = DEFAULT_LIMITS["cpu_seconds"]

    @classmethod
    def from_dict(cls, data: dict | None) -> "Limits":
        data = data or {}
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


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
            return RemoteObject(self.worker, int(body), self.worker.generation)
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
    """Stands for a value stored in the worker with `Worker.store` (rebuilt at each use)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __mltrainer_wire__(self, worker):
        return "$r", self.key


def _as_args(args):
    return args if isinstance(args, StoredRef) else tuple(args)


def _as_kwargs(kwargs):
    return kwargs if isinstance(kwargs, StoredRef) else dict(kwargs or {})


# -- the worker process ------------------------------------------------------

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


class Worker:
    """One sandboxed worker process for one solution file."""

    def __init__(self, solution_path: str | os.PathLike, limits: Limits, *, label: str = "solution") -> None:
        self.solution_path = str(Path(solution_path).resolve())
        self.limits = limits
        self.label = label
        self.generation = 0
        self.proc: subprocess.Popen | None = None
        self._tmp: str | None = None
        self._send_fd = self._recv_fd = -1
        self._output_path: Path | None = None
        self._output_seen = 0
        # A solution whose import hung or crashed does so every time: later
        # tests fail at once with the same reason instead of waiting again.
        self._import_failure: CandidateFailure | None = None

    # lifecycle ------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        self.stop()
        self._refuse_if_import_failed()
        self.generation += 1
        self._tmp = tempfile.mkdtemp(prefix=f"mltrainer-{self.label}-")
        self._output_path = Path(self._tmp) / "output.txt"
        self._output_seen = 0
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        config = {
            "memory_bytes": int(self.limits.memory_mb) << 20,
            "output_bytes": int(self.limits.output_mb) << 20,
            "cpu_seconds": int(self.limits.cpu_seconds),
            "blocked_imports": list(BLOCKED_IMPORTS),
        }
        with open(self._output_path, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", str(WORKER_SCRIPT), str(req_r), str(resp_w), json.dumps(config)],
                cwd=self._tmp, env=scrubbed_environment(self._tmp),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                pass_fds=(req_r, resp_w), start_new_session=True, close_fds=True,
            )
        os.close(req_r)
        os.close(resp_w)
        self._send_fd, self._recv_fd = req_w, resp_r
        _widen_pipe(req_w)
        _widen_pipe(resp_r)
        os.set_blocking(self._send_fd, False)
        reply = self._receive(_STARTUP_TIMEOUT, "starting the sandbox")
        if "ready" not in reply:
            raise ProtocolError(f"the worker did not start: {reply!r}")
        self._import({"op": "load", "path": self.solution_path})

    def _import(self, request: dict) -> None:
        what = "importing the solution"
        try:
            self._expect_ok(self._request(request, self.limits.call_timeout, what), what)
        except CandidateFailure as exc:
            if exc.kind in ("timeout", "crash", "memory"):
                self._import_failure = exc
            raise

    def _refuse_if_import_failed(self) -> None:
        failed = self._import_failure
        if failed is not None:
            raise CandidateFailure(failed.kind, f"not run: {failed.message} (earlier in this grading run)")

    def ensure_started(self) -> None:
        if not self.alive:
            self.start()

    def stop(self) -> None:
        if self.proc is not None:
            self._kill()
        for fd in (self._send_fd, self._recv_fd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._send_fd = self._recv_fd = -1
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self.proc = None

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

    # calls ------------------------------------------------------------------
    def reset(self) -> None:
        """Re-import the solution in a clean namespace (start a worker if needed)."""
        if not self.alive:
            self.start()
            return
        self._import({"op": "reset"})

    def call(self, target, args=(), kwargs=None, *, what: str = "the call", timeout: float | None = None,
             measure: str | None = None, discard: bool = False) -> object:
        reply = self.call_raw(target, args, kwargs, what=what, timeout=timeout, measure=measure, discard=discard)
        return reply["ok"]

    def call_raw(self, target, args=(), kwargs=None, *, what: str = "the call", timeout: float | None = None,
                 measure: str | None = None, discard: bool = False, return_inputs: bool = False) -> dict:
        self.ensure_started()
        message = {"op": "call", "target": target, "args": _as_args(args), "kwargs": _as_kwargs(kwargs),
                   "what": what, "measure": measure, "discard": discard, "return_inputs": return_inputs}
        reply = self._request(message, timeout or self.limits.call_timeout, what)
        self._expect_ok(reply, what)
        return reply

    def repeat(self, target, seeds, args=(), kwargs=None, *, what: str = "the call",
               timeout: float | None = None) -> list:
        self.ensure_started()
        message = {"op": "repeat", "target": target, "seeds": [int(s) for s in seeds],
                   "args": _as_args(args), "kwargs": _as_kwargs(kwargs), "what": what}
        reply = self._request(message, timeout or self.limits.call_timeout, what)
        self._expect_ok(reply, what)
        return reply["ok"]

    def store(self, key: str, value) -> None:
        self.ensure_started()
        reply = self._request({"op": "store", "key": key, "value": value}, _STARTUP_TIMEOUT, "sending inputs")
        self._expect_ok(reply, "sending inputs")

    def count(self, helper_id: int) -> int:
        if not self.alive:
            return 0
        return int(self._request({"op": "count", "id": int(helper_id)}, 30, "reading a counter")["ok"])

    def output_excerpt(self, limit: int = 2000) -> str:
        """What the solution printed since the last excerpt (at most `limit` chars)."""
        if self._output_path is None or not self._output_path.exists():
            return ""
        with open(self._output_path, "rb") as handle:
            handle.seek(self._output_seen)
            data = handle.read(limit + 1)
            self._output_seen = handle.seek(0, os.SEEK_END)
        text = data[:limit].decode("utf-8", "replace")
        return text + ("\n... (output truncated)" if len(data) > limit else "")

    # transport -------------------------------------------------------------
    def _expect_ok(self, reply: dict, what: str) -> None:
        if "ok" in reply:
            return
        if "raised" in reply:
            info = reply["raised"]
            cls = _raised_class(info["type"], info.get("builtin_bases", []))
            exc = cls(info["message"])
            exc.remote_type = info["type"]
            exc.remote_traceback = info.get("traceback", "")
            exc.remote_line = info.get("line")
            exc.remote_what = what
            raise exc
        if "failure" in reply:
            failure = reply["failure"]
            if failure["kind"] == "memory":
                # The worker's heap may be in any state after a MemoryError.
                self.stop()
                failure = dict(failure, message=f"{failure['message']}: exceeded the "
                                                f"{self.limits.memory_mb} MiB memory limit")
            raise CandidateFailure(failure["kind"], failure["message"], self.output_excerpt())
        if "bad_result" in reply:
            raise CandidateFailure("bad_result", f"returned a value that cannot be checked from {what}: "
                                                 f"{reply['bad_result']}")
        if "protocol_error" in reply:
            raise ProtocolError(reply["protocol_error"])
        raise ProtocolError(f"unexpected reply {reply!r:.200}")

    def _request(self, message: dict, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        encoder = ClientEncoder(self)
        chunks = protocol.pack(message, encoder)
        self._send(chunks, deadline, timeout, what)
        return self._receive(max(0.0, deadline - time.monotonic()), what, timeout)

    def _send(self, chunks, deadline: float, timeout: float, what: str) -> None:
        for chunk in chunks:
            view = memoryview(chunk).cast("B")
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._timed_out(timeout, what)
                _, writable, _ = select.select([], [self._send_fd], [], remaining)
                if not writable:
                    continue
                try:
                    view = view[os.write(self._send_fd, view):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    self._died(what)

    def _receive(self, timeout: float, what: str, full_timeout: float | None = None) -> dict:
        deadline = time.monotonic() + timeout
        head = self._read(8, deadline, full_timeout or timeout, what)
        (total,) = struct.unpack("<Q", head)
        payload = self._read(total, deadline, full_timeout or timeout, what, started=True)
        header, buffers = protocol.split(payload)
        decoder = ClientDecoder(buffers)
        decoder.worker = self
        return decoder.decode(header)

    def _read(self, size: int, deadline: float, timeout: float, what: str, started: bool = False) -> bytearray:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            remaining = deadline - time.monotonic()
            if started:
                # The answer is on its way: allow time to transfer a large result.
                remaining = max(remaining, 30.0)
            if remaining <= 0:
                self._timed_out(timeout, what)
            readable, _, _ = select.select([self._recv_fd], [], [], remaining)
            if not readable:
                if started:
                    raise ProtocolError("the worker stopped in the middle of a reply")
                self._timed_out(timeout, what)
                continue
            n = os.readv(self._recv_fd, [view[got:]])
            if n == 0:
                self._died(what)
            got += n
            started = True
        return buf

    def _timed_out(self, timeout: float, what: str):
        self._kill()
        output = self.output_excerpt()
        self.stop()
        raise CandidateFailure("timeout", f"timed out after {timeout:.3g} s {_while(what)}", output)

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
        self.stop()
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
