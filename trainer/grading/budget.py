"""Performance budgets as ratios to the reference, measured side by side.

Absolute times mean little on a shared machine; what is compared is the
candidate against the reference on the same inputs, in identical workers,
interleaved (A B A B ...), medians of several repeats. The clock is the CPU
time of the call in its single-threaded worker, which other processes
competing for the cores disturb less than wall time (benchmarks/run.py
measures both); cut-offs use wall time. Every measurement is recorded in the
report, passing or not.
"""

from __future__ import annotations

import itertools
import statistics

import numpy as np

from trainer.grading.checks import GradeFailure
from trainer.grading.proxy import describe_call, resolve
from trainer.report import Measurement
from trainer.sandbox.client import CandidateFailure, StoredRef, Worker

# A candidate call is stopped once it has taken CUTOFF_FACTOR times its
# budget (ratio x the reference's time), but never before MIN_CUTOFF_S.
CUTOFF_FACTOR = 4.0
MIN_CUTOFF_S = 1.0
REFERENCE_TIMEOUT_S = 120.0
# Timing stops early once every candidate run is this many times over budget.
CLEARLY_OVER = 2.0

_keys = itertools.count(1)


class Budget:
    def __init__(self, solution: Worker, reference: Worker, budgets: dict, record) -> None:
        self._solution = solution
        self._reference = reference
        self._budgets = budgets
        self._record = record  # callable(Measurement)

    # -- helpers -------------------------------------------------------------
    def _store(self, worker: Worker, args, kwargs) -> tuple[StoredRef, StoredRef]:
        key = f"b{next(_keys)}"
        worker.store(key + "a", tuple(args))
        worker.store(key + "k", dict(kwargs))
        return StoredRef(key + "a"), StoredRef(key + "k")

    def _fresh_workers(self) -> None:
        """Time in freshly started workers, so that earlier tests leave no trace.

        A worker's history changes how fast the same code runs: after large
        frees glibc raises its mmap threshold and serves big arrays from pages
        it already holds (benchmarks/run.py measured identical code 3x faster
        in a worker with that history). Fresh workers make the comparison
        like with like. Methods of remote objects are timed in the workers
        that hold the objects.
        """
        self._solution.start()
        self._reference.start()

    def _fail(self, measurement: Measurement, advice: str) -> None:
        raise GradeFailure(f"{measurement.label}: {measurement.summary()}. {advice}".strip())

    # -- time ------------------------------------------------------------------
    def time(self, name, *args, ratio: float | None = None, repeats: int = 5, label: str | None = None,
             target=None, reference_target=None, informational: bool = False, **kwargs) -> Measurement:
        """Median time of candidate vs reference on the same inputs; fail if over `ratio`."""
        ratio = float(ratio if ratio is not None else self._budgets.get("time", 3.0))
        cand_target, shown = resolve(name, target)
        ref_target, _ = resolve(name, reference_target)
        label = label or describe_call(shown, args, kwargs)
        what = describe_call(shown, args, kwargs)
        if target is None and reference_target is None:
            self._fresh_workers()
        cand_args = self._store(self._solution, args, kwargs)
        ref_args = self._store(self._reference, args, kwargs)

        def run_reference() -> float:
            reply = self._reference.call_raw(ref_target, *ref_args, what=what, timeout=REFERENCE_TIMEOUT_S,
                                             measure="time", discard=True)
            return float(reply["seconds"])

        ref_times = [run_reference()]  # warm-up, also sets the cut-off
        cutoff = max(MIN_CUTOFF_S, CUTOFF_FACTOR * ratio * ref_times[0])
        cand_times: list[float] = []
        try:
            for i in range(repeats + 1):  # the first candidate run is its warm-up
                reply = self._solution.call_raw(cand_target, *cand_args, what=what, timeout=cutoff,
                                                measure="time", discard=True)
                cand_times.append(float(reply["seconds"]))
                if i < repeats:
                    ref_times.append(run_reference())
                if i >= 1 and min(cand_times) > CLEARLY_OVER * ratio * max(ref_times):
                    # Every run so far, warm-up included, is far over budget
                    # even against the slowest reference run: more repeats
                    # cannot change the verdict, only make the user wait.
                    break
        except CandidateFailure as exc:
            if exc.kind != "timeout":
                raise
            ref_median = statistics.median(ref_times)
            m = Measurement("time", label, cutoff, ref_median, "s", cutoff / ref_median,
                            None if informational else ratio, False if not informational else None, informational=informational, cut_off=True,
                            note=f"stopped after {cutoff:.2g} s")
            self._record(m)
            if informational:
                return m
            self._fail(m, "The solution is far slower than the reference: look for Python loops over the data "
                          "that could be vectorised.")
        cand = statistics.median(cand_times[1:])
        ref = statistics.median(ref_times[1:])
        observed = cand / ref if ref > 0 else float("inf")
        within = observed <= ratio
        m = Measurement("time", label, cand, ref, "s", observed, None if informational else ratio,
                        None if informational else within, informational=informational)
        self._record(m)
        if not within and not informational:
            self._fail(m, "Too slow compared with the reference: look for Python loops over the data, repeated "
                          "work, or large temporaries.")
        return m

    # -- memory ----------------------------------------------------------------
    def memory(self, name, *args, ratio: float | None = None, slack_bytes: int = 1 << 20, label: str | None = None,
               target=None, reference_target=None, method: str = "traced", **kwargs) -> Measurement:
        """Peak memory of one call, candidate vs reference: fail above ratio x reference + slack.

        method="traced" counts allocations (tracemalloc); method="rss" measures
        peak resident memory in freshly started workers (no tracing overhead;
        functions only, not methods of remote objects).
        """
        if method not in ("traced", "rss"):
            raise ValueError(f"unknown method {method!r}")
        measure = "memory" if method == "traced" else "rss"
        ratio = float(ratio if ratio is not None else self._budgets.get("memory", 3.0))
        cand_target, shown = resolve(name, target)
        ref_target, _ = resolve(name, reference_target)
        label = label or describe_call(shown, args, kwargs)
        what = describe_call(shown, args, kwargs)
        if method == "rss":
            self._reference.start()
            self._solution.start()
        cand_args = self._store(self._solution, args, kwargs)
        ref_args = self._store(self._reference, args, kwargs)
        ref = self._reference.call_raw(ref_target, *ref_args, what=what, timeout=REFERENCE_TIMEOUT_S,
                                       measure=measure, discard=True)["peak_bytes"]
        limit = ratio * ref + slack_bytes
        try:
            cand = self._solution.call_raw(cand_target, *cand_args, what=what, measure=measure, discard=True,
                                           timeout=max(self._solution.limits.call_timeout, 30.0))["peak_bytes"]
        except CandidateFailure as exc:
            if exc.kind != "memory":
                raise
            m = Measurement("memory", label, float(self._solution.limits.memory_mb << 20), float(ref), "B",
                            None, ratio, False, cut_off=True, note="ran out of memory")
            self._record(m)
            self._fail(m, "The call exhausted the worker's memory limit: avoid materialising large temporaries "
                          "(e.g. an (n, k, d) broadcast).")
        observed = cand / ref if ref > 0 else float("inf")
        within = cand <= limit
        m = Measurement("memory", label, float(cand), float(ref), "B", observed, ratio, within,
                        note=f"allowed {ratio:g}x reference + {slack_bytes >> 10} KiB" if slack_bytes else "")
        self._record(m)
        if not within:
            self._fail(m, "Uses much more memory than the reference: look for large temporaries "
                          "(broadcasting an extra axis, copies of the input).")
        return m

    # -- growth, counts, notes -------------------------------------------------
    def timed(self, name, *args, repeats: int = 3, target=None, **kwargs) -> float:
        """Median time of the candidate alone (e.g. for `growth`)."""
        cand_target, shown = resolve(name, target)
        refs = self._store(self._solution, args, kwargs)
        times = []
        for _ in range(repeats):
            reply = self._solution.call_raw(cand_target, *refs, what=describe_call(shown, args, kwargs),
                                            measure="time", discard=True)
            times.append(float(reply["seconds"]))
        return statistics.median(times)

    def growth(self, sizes, measure, *, max_exponent: float, label: str, unit: str = "") -> Measurement:
        """Fit value ~ n^e on log-log over `sizes` (measure(n) -> value) and require e <= max_exponent."""
        sizes = [int(n) for n in sizes]
        values = [float(measure(n)) for n in sizes]
        if min(values) <= 0:
            raise GradeFailure(f"{label}: a measurement was zero or negative ({values}); cannot fit an exponent")
        exponent = float(np.polyfit(np.log(sizes), np.log(values), 1)[0])
        shown = ", ".join(f"n={n}: {v:.4g}{(' ' + unit) if unit else ''}" for n, v in zip(sizes, values))
        m = Measurement("growth", label, exponent, None, "", None, max_exponent, exponent <= max_exponent,
                        note=shown)
        self._record(m)
        if exponent > max_exponent:
            self._fail(m, "The cost grows faster with n than it should.")
        return m

    def at_most(self, label: str, value: float, limit: float, *, unit: str = "", reference: float | None = None,
                advice: str = "") -> Measurement:
        """Record a counted quantity (e.g. metric evaluations) and require value <= limit."""
        ratio = value / reference if reference else None
        m = Measurement("count", label, float(value), None if reference is None else float(reference), unit,
                        ratio, float(limit), value <= limit)
        self._record(m)
        if value > limit:
            self._fail(m, advice)
        return m

    def note(self, label: str, candidate: float, reference: float, *, unit: str = "s", note: str = "",
             kind: str = "time", versus: str = "reference") -> Measurement:
        """Record a measurement for information only; it never fails the test.

        `versus` names what the candidate is compared with (e.g. "brute force").
        """
        ratio = candidate / reference if reference else None
        m = Measurement(kind, label, float(candidate), float(reference), unit, ratio, None, None, note=note,
                        informational=True, versus=versus)
        self._record(m)
        return m
