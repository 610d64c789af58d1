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

    def peak_memory(self, name: str, *args, **kwargs) -> tuple:
        """(result, peak bytes the call needed), measured from outside in a freshly started worker.

        The peak resident memory of the worker during the import and the
        call, above what it held with its inputs in place: no overhead in
        the call, page-granular, and nothing the solution does can hide it.
        """
        from trainer.grading.budget import Call, peak_memory
        target, label = resolve(name)
        if not isinstance(target, str):
            raise ValueError("peak memory starts a fresh worker, so it measures functions, not methods of objects")
        return peak_memory(self._worker, target, Call(*args, **kwargs), describe_call(label, args, kwargs),
                           timeout=self._timeout)

    def inputs_after(self, name, *args, **kwargs) -> tuple:
        """(result, args, kwargs) with the arguments as they were after the call.

        Arguments cross the boundary as copies, so a grader cannot see a
        candidate modify them; this returns the worker's view of them.
        """
        target, label = resolve(name)
        reply = self._worker.call_raw(target, args, kwargs, what=describe_call(label, args, kwargs),
                                      timeout=self._timeout, return_inputs=True)
        return reply["ok"], tuple(reply["args_after"]), dict(reply["kwargs_after"])

    def global_rng_state(self) -> str:
        """A digest of numpy's global generator and Python's `random` in the worker."""
        return self._worker.global_rng_state()

    def count(self, metric) -> int:
        """The distances a `counting_metric()` has computed so far (counted in the grader)."""
        return metric.count

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
