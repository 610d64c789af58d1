"""What graders hold: proxies that call solution code in a sandboxed worker."""

from __future__ import annotations

import numpy as np

from trainer.grading import harness
from trainer.sandbox.client import CandidateFailure, Patience, ProtocolError, RemoteMethod, Worker

# How long a solution's call may take, unless the grader sets a timeout: any
# call PATIENCE_FIRST_S; one that takes longer, PATIENCE_FACTOR times the
# reference's CPU time on the same input + PATIENCE_FIRST_S of CPU time
# (docs/authoring.md; sandbox/client.py Patience).
# A hang on a small input is known within seconds, a correct solution many
# times slower than the reference still finishes, and its speed is the
# performance tests' business.
PATIENCE_FIRST_S = 1.0
PATIENCE_FACTOR = 10.0
# The reference's own calls are trusted to finish; this only bounds a bug.
REFERENCE_TIMEOUT_S = 120.0


def describe_value(value, depth: int = 0) -> str:
    """An argument as messages name it (`array(300, 2)`, `rng`, `[(array(4, 8), array(8,))]`).

    Every call is described before it is made, so the cost does not grow with
    the data: arrays by their shape, small containers item by item (a
    network's parameters, a list of (W, b) pairs, would otherwise be printed
    in full by repr only to be cut to a few characters), larger or deeper
    ones by their length.
    """
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, np.random.Generator):
        return "rng"
    if isinstance(value, (list, tuple, dict)):
        if len(value) > 4 or depth >= 2:
            return f"<{type(value).__name__} of {len(value)}>"
        if isinstance(value, dict):
            items = ", ".join(f"{describe_value(k, depth + 1)}: {describe_value(v, depth + 1)}"
                              for k, v in value.items())
            return "{" + items + "}"
        items = ", ".join(describe_value(v, depth + 1) for v in value)
        if isinstance(value, list):
            return f"[{items}]"
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, (str, bytes)) and len(value) > 24:
        value = value[:24]                   # a corpus as one string: no copy of all of it
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

    def __init__(self, worker: Worker, *, timeout: float | None = None, timeouts: dict | None = None,
                 reference: Worker | None = None) -> None:
        self._worker = worker
        self._timeout = timeout
        # The functions that timed out in this run, and how (shared by the run's proxies).
        self._timeouts = timeouts if timeouts is not None else {}
        self._reference = reference

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteFunction(self, name)

    def with_timeout(self, seconds: float) -> "SolutionProxy":
        """The same solution, with a fixed per-call timeout instead of one derived from the reference."""
        return SolutionProxy(self._worker, timeout=seconds, timeouts=self._timeouts, reference=self._reference)

    def _patience(self, name: str, replay) -> Patience | None:
        """The timeout of a call of `name` without a fixed one: derived from the reference's time on its input.

        A call still running when `name` times out in another lane stops then,
        as not run: it would only wait as long.
        """
        if self._timeout is not None:
            return None

        def measure() -> float | None:
            if self._reference is None:
                return None
            clock: dict = {}
            try:
                replay(self._reference, clock)
            except (CandidateFailure, ProtocolError):
                return None
            except Exception:   # the reference raised, as the task says it should for this input
                pass
            return clock["end"] - clock["start"] if "end" in clock else None

        def given_up() -> str | None:
            if name not in self._timeouts:
                return None
            return (f"not run: {name}() {self._timeouts[name]} in another test meanwhile, so this call was "
                    "stopped rather than waited for")

        return Patience(measure, worker=self._worker, first=PATIENCE_FIRST_S, factor=PATIENCE_FACTOR,
                        fallback=self._worker.limits.call_timeout, given_up=given_up)

    def _guarded(self, name: str, call):
        """Run `call()`; after a timeout of `name`, its later calls in the run are not run."""
        if name in self._timeouts:
            raise CandidateFailure("not_run", f"not run: {name}() {self._timeouts[name]} in an earlier test, "
                                              "so its other tests would only wait as long")
        try:
            return call()
        except CandidateFailure as exc:
            if exc.kind == "timeout":
                self._timeouts[name] = exc.message.split(" while ")[0].split(" (")[0]
            raise

    def _invoke(self, name: str, args, kwargs):
        what = describe_call(name, args, kwargs)
        replayable = _replayable((args, kwargs))

        def replay(reference: Worker, clock: dict):
            if replayable:
                reference.call_raw(name, args, kwargs, what=what, timeout=REFERENCE_TIMEOUT_S, clock=clock)

        return self._guarded(name, lambda: self._worker.call(
            name, args, kwargs, what=what, timeout=self._timeout, patience=self._patience(name, replay)))

    def repeat(self, name, seeds, args=(), kwargs=None, *, timeout: float | None = None) -> list:
        """Call `name` once per seed inside the worker; `seeded_rng()` markers get each seed."""
        target, label = resolve(name)
        seeds = list(seeds)
        what = f"{describe_call(label, args, kwargs)} x{len(seeds)} seeds"
        replayable = isinstance(target, str) and _replayable((args, kwargs))

        def replay(reference: Worker, clock: dict):
            if replayable:
                reference.repeat(target, seeds, args, kwargs, what=what, timeout=REFERENCE_TIMEOUT_S, clock=clock)

        proxy = self if timeout is None else self.with_timeout(timeout)
        return self._guarded(label, lambda: self._worker.repeat(
            target, seeds, args, kwargs, what=what, timeout=proxy._timeout, patience=proxy._patience(label, replay)))

    def starmap(self, name, arguments, *, timeout: float | None = None, go_on: bool = False):
        """`name(*args)` for each tuple `args` of `arguments`, in order, in one request: an iterator of the results.

        As the calls made one by one would be, in one round trip instead of
        one each (all made now): the results come in order, and where a call
        raised, its exception is raised in its turn, after the results of
        the calls before it (the calls after it are not made). With `go_on`,
        every call is made and an exception comes in its call's place, as
        the exception object. For its timeout the batch is one call, on all
        its inputs. `name` may be a method of an object the solution built
        (`tree.query`).
        """
        target, label = resolve(name)
        calls = [(tuple(args), {}) for args in arguments]
        if not calls:
            return iter(())
        what = f"{len(calls)} calls of {label}(), the first {describe_call(label, *calls[0])}"
        replayable = isinstance(target, str) and _replayable(calls)

        def replay(reference: Worker, clock: dict):
            if replayable:
                reference.starmap(target, calls, what=what, timeout=REFERENCE_TIMEOUT_S, clock=clock, go_on=go_on)

        def what_of(index: int) -> str:
            return describe_call(label, *calls[index])

        proxy = self if timeout is None else self.with_timeout(timeout)
        done, error = self._guarded(label, lambda: self._worker.starmap(
            target, calls, what=what, what_of=what_of, timeout=proxy._timeout, patience=proxy._patience(label, replay),
            go_on=go_on))

        def results():
            yield from done
            if error is not None:
                raise error

        return results()

    def restart(self) -> None:
        """Run the calls after this one in a freshly started worker, which imports the solution again.

        For rules about what a process keeps from its start, such as "no
        generator seeded once at import": compare what two fresh processes do.
        """
        self._worker.start()

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

    def _reported_call(self, name, args, kwargs, **report) -> dict:
        """The whole reply of a call that asks the worker to report on it (`Worker.call_raw`'s flags)."""
        target, label = resolve(name)
        what = describe_call(label, args, kwargs)
        replayable = isinstance(target, str) and _replayable((args, kwargs))

        def replay(reference: Worker, clock: dict):
            if replayable:
                reference.call_raw(target, args, kwargs, what=what, timeout=REFERENCE_TIMEOUT_S, clock=clock)

        return self._guarded(label, lambda: self._worker.call_raw(
            target, args, kwargs, what=what, timeout=self._timeout, patience=self._patience(label, replay), **report))

    def inputs_after(self, name, *args, **kwargs) -> tuple:
        """(result, args, kwargs) with the arguments as they were after the call.

        Arguments cross the boundary as copies, so a grader cannot see a
        candidate modify them; this returns the worker's view of them (a
        numpy Generator as its `bit_generator.state`: how far it was drawn).
        A call that raises raises here too, and the exception carries
        `args_after` and `kwargs_after`, the arguments as the raise left
        them: a check made after drawing from an rng, or after writing to an
        input, raises all the same, and only they tell.
        """
        reply = self._reported_call(name, args, kwargs, return_inputs=True)
        return reply["ok"], tuple(reply["args_after"]), dict(reply["kwargs_after"])

    def result_shares_inputs(self, name, *args, **kwargs) -> tuple:
        """(result, the paths in the result of arrays that share memory with an argument's array).

        Arguments and results cross the boundary as copies, so a grader
        cannot see a solution hand back its caller's own arrays (a caller
        writing to the result would change its input); the worker can, and
        says where: `["[0]['dWxh']"]` for a (dict, norm) returned with the
        input's array under 'dWxh'. Like `inputs_after`, the worker's own report.
        """
        reply = self._reported_call(name, args, kwargs, report_shared=True)
        return reply["ok"], list(reply["shared"])

    def read_only_results(self, name, *args, **kwargs) -> tuple:
        """(result, the paths in the result of arrays that are not writable in the worker).

        Results cross the boundary as copies, writable whatever the solution
        returned; a rule such as "a new array the caller may write into, as
        np.matmul's" (not an `np.broadcast_to` view) needs the worker's own
        report, as `result_shares_inputs` does.
        """
        reply = self._reported_call(name, args, kwargs, report_shared=True)
        return reply["ok"], list(reply["read_only"])

    def global_rng_state(self) -> str:
        """A digest of numpy's global generator and Python's `random` in the worker."""
        return self._worker.global_rng_state()

    def count(self, metric) -> int:
        """The distances a `counting_metric()` has computed so far (counted in the grader)."""
        return metric.count

    def output(self) -> str:
        """What the solution printed since the last look."""
        return self._worker.output_excerpt()


_DATA = (np.ndarray, np.generic, np.random.Generator, harness.Marker, int, float, complex, str, bytes, bool,
         type(None))


_PLAIN = frozenset({int, float, complex, str, bytes, bool, type(None)})


def _replayable(value, depth: int = 0) -> bool:
    """Whether a call's arguments are data the reference can be given too (no objects of a worker)."""
    if depth > 20:
        return False
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= _PLAIN:   # (a corpus of 400 000 tokens: one pass, no call per item)
            return True
        return all(_replayable(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_replayable(v, depth + 1) for v in value.values())
    return isinstance(value, _DATA)


class RemoteFunction:
    def __init__(self, proxy: SolutionProxy, name: str) -> None:
        self.proxy = proxy
        self.name = name
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return self.proxy._invoke(self.name, args, kwargs)

    def __repr__(self) -> str:
        return f"<solution function {self.name}>"
