"""The sandboxed worker: runs candidate (or reference) code for the grader.

Started by `trainer.sandbox.client.Worker` as

    python -I worker.py REQUEST_FD RESPONSE_FD CONFIG_JSON

in a fresh temporary directory, with a scrubbed environment, stdin closed and
stdout/stderr going to a capped file. It lowers its own resource limits before
it imports numpy or any candidate code, then answers requests (see
`protocol.py`) one at a time. It never imports `trainer`: it must work with
only the standard library, numpy and the file beside it.
"""

from __future__ import annotations

import gc
import importlib.abc
import itertools
import json
import os
import resource
import signal
import sys
import time
import traceback
import types

# The worker's own directory is on sys.path only long enough to import the
# protocol module, so candidate code cannot import the worker's internals.
_HERE = os.path.dirname(os.path.abspath(__file__))


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the grader process dies first."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the CPU limit still ends an orphan
        pass


def _apply_limits(config: dict) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if config.get("memory_bytes"):
        resource.setrlimit(resource.RLIMIT_AS, (config["memory_bytes"], config["memory_bytes"]))
    if config.get("output_bytes"):
        resource.setrlimit(resource.RLIMIT_FSIZE, (config["output_bytes"], config["output_bytes"]))
    if config.get("cpu_seconds"):
        soft = int(config["cpu_seconds"])
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))
    # Python ignores SIGXFSZ (a write then fails with EFBIG); the default
    # action kills the process, which gives a clear "output limit" verdict.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


class _BlockImports(importlib.abc.MetaPathFinder):
    """Refuses the trusted packages, whatever the static check let through."""

    def __init__(self, blocked):
        self.blocked = frozenset(blocked)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.blocked:
            raise ImportError(f"importing {fullname!r} is not allowed in a solution")
        return None


def main(argv: list[str]) -> int:
    request_fd, response_fd = int(argv[1]), int(argv[2])
    config = json.loads(argv[3])
    _die_with_parent()
    _apply_limits(config)

    sys.path.insert(0, _HERE)
    import numpy as np
    import protocol
    sys.path.remove(_HERE)
    sys.modules.pop("protocol", None)  # keep our reference, but hide it from candidate imports

    sys.meta_path.insert(0, _BlockImports(config.get("blocked_imports", ())))
    server = _Server(np, protocol, request_fd, response_fd)
    server.send({"ready": os.getpid()})
    server.serve()
    return 0


class _OnePass:
    """An iterator over a stream that can be read once.

    It behaves like any Python iterator (`iter()` returns itself), except
    that reading past the end a second time fails loudly instead of quietly
    yielding nothing, so a solution that makes a second pass is caught.
    """

    __slots__ = ("_next", "_ended")

    def __init__(self, items):
        self._next = iter(items).__next__
        self._ended = False

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self._next()
        except StopIteration:
            if self._ended:
                raise RuntimeError("this stream can be read only once, and it was already read to the end") from None
            self._ended = True
            raise

    def __len__(self):
        raise TypeError("the length of this stream is unknown: read it once, item by item")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # resets VmHWM to the current resident size
        return True
    except OSError:
        return False


class _CountingMetric:
    """Euclidean distance from a point to each row of B, counting rows evaluated."""

    def __init__(self, np):
        self._np = np
        self.count = 0

    def __call__(self, a, B):
        np = self._np
        a = np.asarray(a, dtype=np.float64)
        B = np.asarray(B, dtype=np.float64)
        if B.ndim == 1:
            B = B[None, :]
        self.count += B.shape[0]
        diff = B - a
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))


_RNG_CLASSES = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class _Server:
    def __init__(self, np, protocol, request_fd, response_fd):
        self.np = np
        self.protocol = protocol
        self.request_fd = request_fd
        self.response_fd = response_fd
        self.module = None
        self.module_path = None
        self.objects: dict[int, object] = {}
        self.handles = itertools.count(1)
        self.helpers: dict[int, object] = {}
        self.stored: dict[str, object] = {}
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
                    # Stored inputs are rebuilt for every use: fresh array
                    # copies and fresh one-pass streams each time.
                    node, buffers = server.stored[body]
                    inner = type(self)(buffers)
                    inner.seed = self.seed
                    inner.copy_arrays = True
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
        """`value` with everything that cannot cross the boundary replaced by None."""
        np = self.np
        if isinstance(value, np.ndarray):
            return value if value.dtype.kind not in "OV" else None
        if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
            return value
        if isinstance(value, (list, tuple)):
            return type(value)(self.data_only(v) for v in value)
        if isinstance(value, dict):
            return {k: self.data_only(v) for k, v in value.items()}
        return None

    def build_helper(self, spec: dict, seed):
        np = self.np
        name = spec["name"]
        if name == "seeded_rng":
            if seed is None:
                raise self.protocol.DecodeError("seeded_rng() is only meaningful inside solution.repeat()")
            return np.random.default_rng(seed)
        if name == "one_pass":
            data = spec["data"]
            items = data.tolist() if isinstance(data, np.ndarray) and data.ndim == 1 else list(data)
            return _OnePass(iter(items))
        if name == "one_pass_range":
            return _OnePass(iter(range(int(spec["n"]))))
        if name == "counting_metric":
            key = int(spec["id"])
            if key not in self.helpers:
                self.helpers[key] = _CountingMetric(np)
            return self.helpers[key]
        raise self.protocol.DecodeError(f"unknown harness helper {name!r}")

    # -- transport ---------------------------------------------------------
    def send(self, message: dict, make_handles: bool = False) -> None:
        encoder = self._encoder_cls()
        encoder.make_handles = make_handles
        try:
            chunks = self.protocol.pack(message, encoder)
        except self.protocol.EncodeError as exc:
            chunks = self.protocol.pack({"bad_result": str(exc)})
        except ValueError as exc:  # e.g. a NaN/inf float in the JSON header
            chunks = self.protocol.pack({"bad_result": f"the result could not be encoded: {exc}"})
        self.protocol.write_frame(self.response_fd, chunks)

    def serve(self) -> None:
        protocol = self.protocol
        while True:
            payload = protocol.read_frame(self.request_fd)
            if payload is None:
                return
            try:
                header, buffers = protocol.split(payload)
                raw = protocol.fields(header)
                plain = protocol.Decoder(buffers)
                request = {k: plain.decode(v) for k, v in raw.items() if k not in ("args", "kwargs", "value")}
            except Exception as exc:  # a grader-side bug, not the candidate's
                self.send({"protocol_error": f"{type(exc).__name__}: {exc}"})
                continue
            self.handle(request, raw, buffers)

    # -- requests ----------------------------------------------------------
    def handle(self, request: dict, raw: dict, buffers) -> None:
        op = request.get("op")
        if op == "load":
            self.send(self.load(request["path"]))
        elif op == "reset":
            self.objects.clear()
            self.helpers.clear()
            self.stored.clear()
            self.send(self.load(self.module_path))
        elif op == "store":
            self.stored[request["key"]] = (raw["value"], buffers)
            self.send({"ok": None})
        elif op == "count":
            helper = self.helpers.get(int(request["id"]))
            self.send({"ok": 0 if helper is None else int(helper.count)})
        elif op == "call":
            self.call(request, raw, buffers)
        elif op == "repeat":
            self.repeat(request, raw, buffers)
        else:
            self.send({"protocol_error": f"unknown op {op!r}"})

    def _decode(self, node, buffers, seed=None, copy_arrays=False):
        decoder = self._decoder_cls(buffers)
        decoder.seed = seed
        decoder.copy_arrays = copy_arrays
        return decoder.decode(node)

    def load(self, path: str) -> dict:
        self.module_path = path
        try:
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
            code = compile(source, path, "exec")
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

    def _measured(self, func, args, kwargs, measure, response: dict):
        """Call func, recording its time or peak memory in `response` when asked."""
        if measure == "rss" and _reset_peak_rss():
            # Peak resident memory: no tracing overhead, for calls that run
            # much Python code; the grader starts a fresh worker first so the
            # heap holds no memory freed by earlier calls.
            base = _status_kib("VmRSS")
            result = func(*args, **kwargs)
            response["peak_bytes"] = max(0, _status_kib("VmHWM") - base) * 1024
            return result
        if measure in ("memory", "rss"):
            import tracemalloc
            tracemalloc.start()
            try:
                base, _ = tracemalloc.get_traced_memory()
                tracemalloc.reset_peak()
                result = func(*args, **kwargs)
                if not tracemalloc.is_tracing():
                    raise RuntimeError("memory tracing was switched off during the call")
                response["peak_bytes"] = max(0, tracemalloc.get_traced_memory()[1] - base)
            finally:
                tracemalloc.stop()
            return result
        if measure == "time":
            # CPU time of this (single-threaded) worker is the budget's clock:
            # unlike wall time, it does not grow when other processes compete
            # for the cores. Wall time is reported beside it.
            # The calling thread's clock is precise; the process clock counts
            # any other threads too but, with RLIMIT_CPU set, only ticks by
            # the scheduler's tick on some kernels. The larger is right.
            wall, thread, process = time.perf_counter(), time.thread_time(), time.process_time()
            result = func(*args, **kwargs)
            response["seconds"] = max(time.thread_time() - thread, time.process_time() - process)
            response["wall_seconds"] = time.perf_counter() - wall
            return result
        return func(*args, **kwargs)

    def call(self, request: dict, raw: dict, buffers) -> None:
        measure = request.get("measure")
        what = request.get("what", "the call")
        func = self._target_or_reply(request)
        if func is None:
            return
        try:
            # Measured calls get fresh copies so a candidate that mutates its
            # input cannot change what the next repetition sees.
            args = self._decode(raw["args"], buffers, copy_arrays=measure is not None)
            kwargs = self._decode(raw["kwargs"], buffers, copy_arrays=measure is not None)
        except self.protocol.DecodeError as exc:
            self.send({"protocol_error": str(exc)})
            return
        if measure is not None:
            gc.collect()  # garbage of earlier calls must not land in this measurement
        response: dict = {}
        try:
            result = self._measured(func, args, kwargs, measure, response)
            if request.get("return_inputs"):
                # The grader checks mutation of inputs by looking at them after
                # the call; arguments that are not data (a generator, a stream)
                # come back as None.
                response["args_after"] = self.data_only(tuple(args))
                response["kwargs_after"] = self.data_only(kwargs)
        except BaseException as exc:
            self._flush_output()
            self.send(self._exception_response(exc, what))
            return
        self._flush_output()
        response["ok"] = None if request.get("discard") else result
        self.send(response, make_handles=isinstance(func, type))

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
