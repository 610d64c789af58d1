"""What graders hold: proxies that call solution code in a sandboxed worker."""

from __future__ import annotations

import numpy as np

from trainer.sandbox.client import CandidateFailure, RemoteMethod, Worker

# After this many timeouts of one function in a run, further calls to it fail
# at once instead of each waiting for its own timeout.
MAX_TIMEOUTS_PER_NAME = 2


def describe_value(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, np.random.Generator):
        return "rng"
    if isinstance(value, (list, tuple)) and len(value) > 4:
        return f"<{type(value).__name__} of {len(value)}>"
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def describe_call(name: str, args=(), kwargs=None) -> str:
    parts = [describe_value(a) for a in args] + [f"{k}={describe_value(v)}" for k, v in (kwargs or {}).items()]
    text = ", ".join(parts)
    return f"{name}({text if len(text) <= 120 else text[:117] + '...'})"


def resolve(name, target=None) -> tuple:
    """(what to send as the call's target, its name for messages).

    `name` is a function's name, or a method of a remote object
    (`tree.query`); `target=obj` names a method of `obj` by its name.
    """
    if target is not None:
        name = RemoteMethod(target, name)
    if isinstance(name, RemoteMethod):
        return name.target(), name.name
    return name, name


class SolutionProxy:
    """`solution.kmeans(X, 3)` calls the function in the worker and returns its result."""

    def __init__(self, worker: Worker, *, timeout: float | None = None, timeouts: dict | None = None) -> None:
        self._worker = worker
        self._timeout = timeout
        self._timeouts = timeouts if timeouts is not None else {}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteFunction(self, name)

    def with_timeout(self, seconds: float) -> "SolutionProxy":
        """The same solution, with a different per-call timeout."""
        return SolutionProxy(self._worker, timeout=seconds, timeouts=self._timeouts)

    def _invoke(self, name: str, args, kwargs):
        if self._timeouts.get(name, 0) >= MAX_TIMEOUTS_PER_NAME:
            raise CandidateFailure("timeout", f"not run: {name}() already timed out "
                                              f"{MAX_TIMEOUTS_PER_NAME} times in this grading run")
        try:
            return self._worker.call(name, args, kwargs, what=describe_call(name, args, kwargs),
                                     timeout=self._timeout)
        except CandidateFailure as exc:
            if exc.kind == "timeout":
                self._timeouts[name] = self._timeouts.get(name, 0) + 1
            raise

    def repeat(self, name, seeds, args=(), kwargs=None, *, timeout: float | None = None) -> list:
        """Call `name` once per seed inside the worker; `seeded_rng()` markers get each seed."""
        target, label = resolve(name)
        seeds = list(seeds)
        return self._worker.repeat(target, seeds, args, kwargs,
                                   what=f"{describe_call(label, args, kwargs)} x{len(seeds)} seeds",
                                   timeout=timeout or self._timeout)

    def peak_memory(self, name, *args, method: str = "traced", **kwargs) -> tuple:
        """(result, peak bytes allocated during the call above the level before it).

        method="traced" (default) counts allocations with tracemalloc: exact,
        but it slows down code that allocates many Python objects.
        method="rss" measures the peak resident memory of a freshly started
        worker instead: no overhead, page-granular (use it for calls that
        stream millions of items through Python code).
        """
        if method not in ("traced", "rss"):
            raise ValueError(f"unknown method {method!r}")
        if isinstance(name, RemoteMethod) and method == "rss":
            raise ValueError("method='rss' restarts the worker, so it cannot measure a method of a remote object")
        target, label = resolve(name)
        if method == "rss":
            self._worker.start()
        reply = self._worker.call_raw(target, args, kwargs, what=describe_call(label, args, kwargs),
                                      timeout=self._timeout, measure="memory" if method == "traced" else "rss")
        return reply["ok"], int(reply["peak_bytes"])

    def inputs_after(self, name, *args, **kwargs) -> tuple:
        """(result, args, kwargs) with the arguments as they were after the call.

        Arguments cross the boundary as copies, so a grader cannot see a
        candidate modify them; this returns the worker's view of them.
        """
        target, label = resolve(name)
        reply = self._worker.call_raw(target, args, kwargs, what=describe_call(label, args, kwargs),
                                      timeout=self._timeout, return_inputs=True)
        return reply["ok"], tuple(reply["args_after"]), dict(reply["kwargs_after"])

    def count(self, marker) -> int:
        """The running total of a `counting_metric()` marker."""
        return self._worker.count(marker.spec["id"])

    def output(self) -> str:
        """What the solution printed since the last look."""
        return self._worker.output_excerpt()


class RemoteFunction:
    def __init__(self, proxy: SolutionProxy, name: str) -> None:
        self.proxy = proxy
        self.name = name
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return self.proxy._invoke(self.name, args, kwargs)

    def __repr__(self) -> str:
        return f"<solution function {self.name}>"
