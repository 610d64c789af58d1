"""Performance budgets as ratios to the reference, measured side by side.

Absolute times mean little on a shared machine; what is compared is the
candidate against the reference on the same inputs, in identical freshly
started workers, interleaved (the warm-ups, reference first; then the
timed runs, reference first in run 1 and alternating after it).

What is measured cannot be gamed from inside a worker:

- **The clock is the kernel's CPU clock of the whole worker process**, read
  from here: every thread counts, and a thread still running after a call
  fails that call (client.py). No child process can exist under the sandbox.
- **No timed input can be known before its call.** The graders ship with
  mltrainer, so a file could rebuild inputs made from fixed seeds at import
  and answer the timed calls from a cache built there, where the budget
  does not look. Timed inputs are drawn from `Budget.seed`: a keyed hash of
  the grader's own seed under a secret drawn afresh for every timed test,
  which stays in this process.
- **A timed call is an ordinary call**: its input travels with the request,
  exactly as in an untimed call, so nothing in the worker says it is timed
  and no run's input is there before its run (no work can be done early).
- **Every run gets its own input and every result is checked**, by the
  grader's `check`, against the reference's result for that input: a cached
  answer, or rubbish returned when the solution guesses it is being timed,
  fails the test.
- **Everything the worker does between the request and the end of the
  reply is counted**, on both sides, less one estimate of what moving the
  input in and the result out costs, taken from the reference's calls (it
  is trusted; see `_transfer_cost`) and taken off both sides alike. So
  large inputs and results do not dilute the ratio, and no work a solution
  does can fall outside what is counted.
- **The faster half of the runs after a warm-up**: page faults on fresh
  memory and other machine noise only add time, to single calls; the mean
  of the faster half leaves them out (`_typical`). Timing stops before
  `repeats` runs when the verdict cannot change: every run far over budget,
  or, after three, a ratio under half the budget. One-time work that does
  not depend on the input (in a slower first call) is not counted: the
  budget is the steady cost of a call, and since no input is known before
  its call, no answer can be worked out in that uncounted time. Where the
  costly part of a call depends on its parameters alone (shapes, sizes,
  thresholds), not on its data, graders draw those per run as well, so
  that no run's work can be kept for another (docs/authoring.md).
- **Work at import fails the test.** A solution's import is read from the
  same clock: more than IMPORT_CPU_ALLOWANCE_S of CPU time beyond the
  reference's import fails the timed test (`_check_import`), since a table
  built there would leave only its lookups on the clock.
- **Peak memory is the kernel's peak resident size** of a fresh worker during
  the import and the call, above what it held with its input in place.
- **At most two measurements at once on the machine** (fewer on one CPU):
  however many gradings run side by side (`mltrainer grade --roster --jobs
  N`, several terminals), each `time` and `memory` measurement first takes
  one of TIMING_SLOTS slots shared by every mltrainer process of the user
  (`TimingSlot`), so measured pairs do not crowd each other's CPU and
  memory bandwidth. Untimed tests never wait.

Every measurement is recorded in the report, passing or not.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import secrets
import statistics
import threading
import time as _clock
from pathlib import Path
from typing import Callable

import numpy as np

from trainer import paths
from trainer.grading.checks import GradeFailure
from trainer.grading.proxy import PATIENCE_FACTOR, PATIENCE_FIRST_S, REFERENCE_TIMEOUT_S, describe_call, resolve
from trainer.report import Measurement
from trainer.sandbox.client import CandidateFailure, Patience, StoredRef, Worker

# A candidate call is stopped once it has used CUTOFF_FACTOR times its
# budget (ratio x the reference's time) of CPU time, plus what moving its
# data costs (counted once, not multiplied: `_cutoff`), but never before
# MIN_CUTOFF_S; a call that sleeps, after CUTOFF_WALL_FACTOR times that in
# wall time. On the CPU clock a busy machine cannot cut a call short, so the
# floor can be low: a call 20x over budget is stopped early in its first run.
CUTOFF_FACTOR = 4.0
MIN_CUTOFF_S = 0.05
CUTOFF_WALL_FACTOR = 5.0
# Timing stops early once every candidate run is this many times over budget,
# or, after ACCEPT_AFTER timed runs, once the ratio is this many times under it.
CLEARLY_OVER = 2.0
CLEARLY_UNDER = 2.0
ACCEPT_AFTER = 3
# The least CPU time a call is taken to need (its transfer costs taken off).
_FLOOR_S = 1e-6
# CPU seconds a solution's import may take beyond the reference's before a
# timed test fails (`_check_import`). Importing a solution, defining its
# functions and a few constants, takes well under 0.01 s (every reference and
# correct alternative: 0.009 s at most); building a table the timed calls
# look up (glr's decisions for one delta, the index sets of one pair of group
# sizes in permutation_test, im2col offsets for one image size, each made by
# Python loops) takes 0.4 s or more.
IMPORT_CPU_ALLOWANCE_S = 0.25

_keys = itertools.count(1)

#: How many budget measurements may run at once on the machine (across processes).
TIMING_SLOTS = 2
_SLOT_POLL_S = 0.05


class TimingSlot:
    """One of the machine's TIMING_SLOTS measurement slots, held while measuring (re-entrant).

    A slot is an flock on a lock file beside the engine's CPU lock files
    (trainer/engine.py `_CpuClaim`); the kernel releases it when its holder
    dies, however it dies, so a killed run never keeps a slot. With one CPU
    there is one slot. If the lock files cannot be made (no writable /tmp),
    measuring goes on without a slot.
    """

    #: Where the lock files are (None: /tmp, beside the CPU lock files); tests use a folder of their own.
    folder: Path | None = None
    _held = 0                      # this process's nesting depth
    _fd = -1
    _guard = threading.Lock()

    @classmethod
    def slots(cls) -> int:
        # A grading run's pytest is pinned to one CPU: the engine says how many the grading had.
        cpus = os.environ.get("MLTRAINER_CPUS", "")
        if not cpus.isdigit():
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(TIMING_SLOTS, int(cpus)))

    @classmethod
    def path(cls, slot: int) -> Path:
        folder = cls.folder or paths.lock_folder()
        return folder / f"mltrainer-{os.getuid()}-timing{slot}.lock"

    def __enter__(self) -> "TimingSlot":
        with self._guard:   # one acquisition at a time in this process; nested ones share its slot
            if TimingSlot._held == 0:
                TimingSlot._fd = self._acquire()
            TimingSlot._held += 1
        return self

    def _acquire(self) -> int:
        """The file descriptor holding a free slot (-1: no lock files), waiting for one if needed."""
        fds: list[int] = []
        try:
            for slot in range(self.slots()):
                fds.append(os.open(self.path(slot), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600))
        except OSError:
            for fd in fds:
                os.close(fd)
            return -1
        while True:
            for index, fd in enumerate(fds):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:   # another measurement holds this slot
                    continue
                for other in fds[:index] + fds[index + 1:]:
                    os.close(other)
                return fd
            _clock.sleep(_SLOT_POLL_S)

    def __exit__(self, *exc) -> None:
        with self._guard:
            TimingSlot._held -= 1
            if TimingSlot._held == 0 and TimingSlot._fd >= 0:
                os.close(TimingSlot._fd)   # closing the file releases the lock
                TimingSlot._fd = -1


class Call:
    """The arguments of one call: `Call(X, 8, init=C)`."""

    def __init__(self, *args, **kwargs) -> None:
        self.args = args
        self.kwargs = kwargs


def secret_seed(secret: bytes, seed: int) -> int:
    """The seed that `seed` stands for under `secret`: 63 bits of a keyed BLAKE2b hash.

    Without the secret, one seed says nothing about another (not even about
    `seed + 1`'s), so the input of one run says nothing about the next run's.
    """
    digest = hashlib.blake2b(str(int(seed)).encode(), key=secret, digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def distinct_per_run(values, seed: int, run: int):
    """The value of timed run `run` (0: the warm-up): entry `run` of a permutation of `values` drawn from `seed`.

    For a parameter that decides costly work whatever the run's data (an
    image size, group sizes, a threshold): with `seed` a `Budget.seed`, no
    two runs of a test get the same value and none is known before the
    grading, so nothing one call builds serves another (docs/authoring.md).
    """
    if not 0 <= run < len(values):
        raise ValueError(f"run {run} of a test with {len(values)} distinct values: every run needs one of its own")
    return values[int(np.random.default_rng(seed).permutation(len(values))[run])]


Inputs = Callable[[int], Call]
# check(candidate_result, reference_result, call) raises GradeFailure when the
# candidate's result for that call's input is wrong.
Check = Callable[[object, object, Call], None]


class Budget:
    def __init__(self, solution: Worker, reference: Worker, budgets: dict, record) -> None:
        self._solution = solution
        self._reference = reference
        self._budgets = budgets
        self._record = record  # callable(Measurement)
        self._secret = secrets.token_bytes(16)

    def seed(self, seed: int) -> int:
        """This test's own seed for the grader's `seed`: build every timed input from one.

        The same `seed` gives the same number within one test of one grading
        (so a run's input can be built twice), a different one in every other
        test and grading, and none can be worked out before the grading draws
        its secret: no file can prepare the answers of its timed calls.
        """
        return secret_seed(self._secret, seed)

    def rng(self, seed: int = 0) -> np.random.Generator:
        """A generator seeded with `self.seed(seed)`."""
        return np.random.default_rng(self.seed(seed))

    # -- helpers -------------------------------------------------------------
    def _fail(self, measurement: Measurement, advice: str) -> None:
        raise GradeFailure(f"{measurement.label}: {measurement.summary()}. {advice}".strip())

    @staticmethod
    def _checked(check: Check, candidate, reference, call: Call, run: int, what: str) -> None:
        try:
            check(candidate, reference, call)
        except GradeFailure as exc:
            raise GradeFailure(f"the result of a timed call {what} (run {run + 1}, on its own input) is wrong: "
                               f"{exc}") from None

    # -- time ------------------------------------------------------------------
    def time(self, name, inputs: Inputs, *, check: Check, label: str, ratio: float | None = None,
             repeats: int = 5, target=None, reference_target=None, informational: bool = False) -> Measurement:
        """CPU time of candidate vs reference over `repeats` runs after a warm-up; fail if over `ratio`.

        `inputs(i)` gives the `Call` of run i (run 0 warms up); make each input
        different (e.g. a fresh random draw) so that no run can reuse another's
        answer. `check` sees every candidate result, the warm-up's too.
        """
        with TimingSlot():
            return self._time(name, inputs, check=check, label=label, ratio=ratio, repeats=repeats, target=target,
                              reference_target=reference_target, informational=informational)

    def _time(self, name, inputs: Inputs, *, check: Check, label: str, ratio: float | None, repeats: int,
              target, reference_target, informational: bool) -> Measurement:
        ratio = float(ratio if ratio is not None else self._budgets.get("time", 3.0))
        cand_target, shown = resolve(name, target)
        ref_target, _ = resolve(name, reference_target)
        if target is None and reference_target is None:
            self._fresh_workers()
        if not informational:   # an informational measurement never fails
            self._check_import(label)
        ref_calls: list[dict] = []
        cand_calls: list[dict] = []
        cutoff = limit = MIN_CUTOFF_S
        what = shown
        try:
            for run in range(repeats + 1):
                call = self._call_of(inputs, run)
                what = describe_call(shown, call.args, call.kwargs)
                # Who goes first alternates over the timed runs: the first to
                # touch fresh memory after the grader's own work pays more for
                # it on some machines. The reference goes first in the warm-up
                # and in run 1, so that each candidate call has a cutoff.
                for side in ("reference", "candidate") if run % 2 == 1 or run == 0 else ("candidate", "reference"):
                    if side == "reference":
                        ref_result, clock = _timed_call(self._reference, ref_target, call, what, REFERENCE_TIMEOUT_S)
                        ref_calls.append(clock)
                        # The warm-up's cutoff from the reference's warm-up (both may
                        # be cold in a fresh worker); a timed run's from the slowest
                        # timed reference run, as steady as the candidate's.
                        cutoff = self._cutoff(clock, ratio) if run == 0 else \
                            max(self._cutoff(c, ratio) for c in ref_calls[1:])
                    else:
                        limit = self._limit(cutoff, cand_calls, ref_calls, ratio)
                        cand_result, clock = _timed_call(self._solution, cand_target, call, what, limit,
                                                         cpu_cutoff=True)
                        cand_calls.append(clock)
                self._checked(check, cand_result, ref_result, call, run, what)
                del ref_result, cand_result
                if run >= 1 and self._clearly_over(cand_calls, ref_calls, ratio):
                    break
                if run >= ACCEPT_AFTER and self._clearly_under(cand_calls, ref_calls, ratio):
                    # Far within budget: a pass whatever more runs would show.
                    break
        except CandidateFailure as exc:
            if exc.kind != "timeout" or not ref_calls:
                raise
            # As in the verdict, what moving the data costs is off both sides;
            # against the reference's calls of the kind the cutoff came from
            # (its timed runs, once there are any).
            transfer = self._transfer(ref_calls)
            ref_median = statistics.median(max(_FLOOR_S, _total(c) - transfer) for c in ref_calls[1:] or ref_calls)
            used = max(_FLOOR_S, limit - transfer)
            m = Measurement("time", label, used, ref_median, "s", used / ref_median,
                            None if informational else ratio, None if informational else False,
                            informational=informational, cut_off=True,
                            note=f"stopped after {limit:.2g} s of CPU time")
            self._record(m)
            if informational:
                return m
            self._fail(m, "The solution is far slower than the reference: look for Python loops over the data "
                          "that could be vectorised.")
        timed = slice(1, None) if len(cand_calls) > 1 else slice(None)
        cand, ref = self._work(cand_calls[timed], ref_calls[timed], ref_calls)
        observed = cand / ref
        within = observed <= ratio
        runs = len(cand_calls[timed])
        m = Measurement("time", label, cand, ref, "s", observed, None if informational else ratio,
                        None if informational else within, informational=informational,
                        note=f"CPU time per call: the faster half of {runs} runs on different inputs")
        self._record(m)
        if not within and not informational:
            self._fail(m, "Too slow compared with the reference: look for Python loops over the data, repeated "
                          "work, or large temporaries.")
        return m

    def _cutoff(self, reference_call: dict, ratio: float) -> float:
        """CPU seconds after which a candidate call is stopped, from a reference call of the same kind.

        The candidate's warm-up is cut off from the reference's warm-up, a
        timed run from the slowest timed reference run.

        CUTOFF_FACTOR times the call's budget of work, plus moving its data
        once: multiplying the transfer too would let a slow solution with
        large inputs run for several times longer than its work allows.
        """
        transfer = self._transfer([reference_call])
        work = max(_FLOOR_S, _total(reference_call) - transfer)
        return max(MIN_CUTOFF_S, transfer + CUTOFF_FACTOR * ratio * work)

    def _limit(self, cutoff: float, cand_calls: list[dict], ref_calls: list[dict], ratio: float) -> float:
        """CPU seconds after which the next candidate call is stopped.

        The cutoff, or lower once every candidate run so far (the warm-up
        included) is clearly over budget against the reference's timed runs:
        then the next call needs only to reach the clearly-over bar, and
        reaching it ends timing either way (a call stopped there is over
        CLEARLY_OVER x the budget, like every run before it). A solution far
        over budget is then stopped at twice its budget in its first timed
        run instead of at CUTOFF_FACTOR times it; one whose warm-up was slow
        only once runs on as before.
        """
        if not cand_calls or len(ref_calls) < 2 or not self._clearly_over(cand_calls, ref_calls, ratio):
            return cutoff
        transfer, bar = self._over_bar(ref_calls, ratio)
        return min(cutoff, max(MIN_CUTOFF_S, transfer + bar))

    def _transfer(self, ref_calls: list[dict]) -> float:
        """What moving one run's data costs, taken off both sides (Linux; elsewhere the clocks differ)."""
        linux = self._reference.probe is not None and self._reference.probe.linux
        return _transfer_cost(ref_calls) if linux else 0.0

    def _clearly_over(self, cand_calls: list[dict], ref_calls: list[dict], ratio: float) -> bool:
        """Whether every candidate run so far, warm-up included, is far over budget even against the slowest
        timed reference run.

        More runs cannot change the verdict then, only make the user wait.
        What moving the data costs comes off both sides, as in the verdict:
        with large inputs it would otherwise hide how far over a slow
        solution is (a loop 25x over an 8x budget looked 10x over). The
        reference's warm-up, often slower in a fresh worker, counts no more
        here than in the verdict.
        """
        transfer, bar = self._over_bar(ref_calls, ratio)
        return min(max(_FLOOR_S, _total(c) - transfer) for c in cand_calls) > bar

    def _over_bar(self, ref_calls: list[dict], ratio: float) -> tuple[float, float]:
        """(what moving the data costs, the work over which a candidate run is clearly over budget).

        The bar is CLEARLY_OVER x the budget of the slowest timed reference run's work.
        """
        transfer = self._transfer(ref_calls)
        slowest = max(max(_FLOOR_S, _total(r) - transfer) for r in ref_calls[1:])
        return transfer, CLEARLY_OVER * ratio * slowest

    def _clearly_under(self, cand_calls: list[dict], ref_calls: list[dict], ratio: float) -> bool:
        """Whether the verdict on the timed runs so far is a pass by a wide margin.

        Then more runs would only make the user wait: noise only adds time,
        so a solution over budget cannot look twice as fast as it is on most
        of its runs, and each run's input is new, so no run can be fast at
        the expense of a later one. The same estimate as the verdict's (the
        faster half, less what moving data costs): the ratio then reported
        is under half the budget.
        """
        cand, ref = self._work(cand_calls[1:], ref_calls[1:], ref_calls)
        return CLEARLY_UNDER * cand < ratio * ref

    def _work(self, cand_runs: list[dict], ref_runs: list[dict], ref_calls: list[dict]) -> tuple[float, float]:
        """(candidate, reference): the typical CPU time of their runs, less what moving the data costs.

        The transfer, measured on all of `ref_calls`, comes off both sides
        alike, so that a large input or result does not pull the ratio
        towards 1.
        """
        transfer = self._transfer(ref_calls)
        return (_typical(_total(c) - transfer for c in cand_runs),
                _typical(_total(r) - transfer for r in ref_runs))

    def _fresh_workers(self) -> None:
        """Time in freshly started workers, so that earlier tests leave no trace.

        A worker's history changes how fast the same code runs: after large
        frees glibc raises its mmap threshold and serves big arrays from pages
        it already holds (benchmarks/run.py measures identical code faster in
        a worker with that history). Methods of remote objects are timed in
        the workers that hold the objects.
        """
        self._solution.start()
        self._reference.start()

    def _check_import(self, label: str) -> None:
        """Fail a timed test whose solution did real work when it was imported.

        The budget counts what each call does. Work done at import is done
        before any call, where no clock runs: a table built there (or kept
        from one call for the next, which graders prevent by drawing what
        decides such work per run) would leave only its lookups on the clock.
        Read from the kernel's clock of each worker, as the calls are.
        """
        candidate, reference = self._solution.import_cpu, self._reference.import_cpu
        if candidate is None or reference is None or candidate - reference <= IMPORT_CPU_ALLOWANCE_S:
            return
        raise GradeFailure(
            f"{label}: importing the solution took {candidate:.2f} s of CPU time before any call (the reference's "
            f"import: {reference:.2f} s). The time budget counts what each call does, so work done at import, "
            f"where no call is timed, would escape it: at most {IMPORT_CPU_ALLOWANCE_S:g} s more than the "
            "reference's import is allowed. Do the work inside the function, on each call's input.")

    @staticmethod
    def _call_of(inputs: Inputs | Call, run: int) -> Call:
        call = inputs(run) if callable(inputs) else inputs
        if not isinstance(call, Call):
            raise TypeError(f"inputs(run) must return a Call, not {type(call).__name__}")
        return call

    # -- memory ----------------------------------------------------------------
    def memory(self, name: str, call: Call, *, check: Check, label: str, ratio: float | None = None,
               slack_bytes: int = 2 << 20) -> Measurement:
        """Peak resident memory of one call, candidate vs reference: fail above ratio x reference + slack.

        Each side runs in a freshly started worker that holds its input
        before the solution is imported; what counts is the peak above that.
        """
        with TimingSlot():
            return self._memory(name, call, check=check, label=label, ratio=ratio, slack_bytes=slack_bytes)

    def _memory(self, name: str, call: Call, *, check: Check, label: str, ratio: float | None,
                slack_bytes: int) -> Measurement:
        ratio = float(ratio if ratio is not None else self._budgets.get("memory", 3.0))
        what = describe_call(name, call.args, call.kwargs)
        clock: dict = {}
        ref_result, ref = peak_memory(self._reference, name, call, what, clock=clock)
        limit = ratio * ref + slack_bytes
        # As long as an untimed call may take (grading/proxy.py), on the
        # reference's CPU time for the same import and call.
        seconds = PATIENCE_FIRST_S + PATIENCE_FACTOR * clock.get("cpu", self._solution.limits.call_timeout)
        try:
            cand_result, cand = peak_memory(self._solution, name, call, what, timeout=seconds,
                                            patience=Patience.cpu_seconds(self._solution, seconds, 3 * seconds))
        except CandidateFailure as exc:
            if exc.kind == "timeout":
                # No peak to compare: say why, rather than a memory verdict.
                raise GradeFailure(f"{label}: the peak memory could not be measured because the call "
                                   f"{exc.message}. Its speed is what to fix first.") from None
            if exc.kind != "memory":
                raise
            m = Measurement("memory", label, float(self._solution.limits.memory_mb << 20), float(ref), "B",
                            None, ratio, False, cut_off=True, note="ran out of memory")
            self._record(m)
            self._fail(m, "The call exhausted the worker's memory limit: avoid materialising large temporaries "
                          "(e.g. an (n, k, d) broadcast).")
        self._checked(check, cand_result, ref_result, call, 0, what)
        observed = cand / ref if ref > 0 else float("inf")
        within = cand <= limit
        m = Measurement("memory", label, float(cand), float(ref), "B", observed, ratio, within,
                        note=f"allowed {ratio:g}x reference + {slack_bytes >> 10} KiB")
        self._record(m)
        if not within:
            self._fail(m, "Uses much more memory than the reference: look for large temporaries "
                          "(broadcasting an extra axis, copies of the input).")
        return m

    # -- growth, counts, notes -------------------------------------------------
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


def peak_memory(worker: Worker, name: str, call: Call, what: str, *, timeout: float | None = None,
                patience: Patience | None = None, clock: dict | None = None) -> tuple:
    """(result, peak bytes) of one call in a freshly started worker, read from the kernel.

    The input is placed in the worker before the solution is imported, so
    the peak counts the import and the call, not the input. `clock["cpu"]`,
    when given, receives the CPU seconds of the import and the call.
    """
    worker.start(load=False)
    key = f"b{next(_keys)}"
    worker.store(key + "a", tuple(call.args))
    worker.store(key + "k", dict(call.kwargs))
    args, kwargs = StoredRef(key + "a"), StoredRef(key + "k")
    probe = worker.probe
    if probe is None or not probe.linux:
        raise RuntimeError("peak memory is measured from /proc, which this system does not have")
    base = probe.resident_bytes()
    probe.reset_peak()
    cpu = worker.cpu_seconds()
    worker.load()
    result = worker.call_raw(name, args, kwargs, what=what, timeout=timeout, patience=patience)["ok"]
    if clock is not None:
        clock["cpu"] = worker.cpu_seconds() - cpu
    return result, max(0, probe.peak_resident_bytes() - base)


def _timed_call(worker: Worker, target, call: Call, what: str, timeout: float, *,
                cpu_cutoff: bool = False) -> tuple[object, dict]:
    """(result, the worker's CPU clock around the call) of one timed call.

    With `cpu_cutoff`, `timeout` is CPU seconds of the worker (Patience.cpu_seconds).
    """
    clock: dict = {}
    cutoff = Patience.cpu_seconds(worker, timeout, CUTOFF_WALL_FACTOR * timeout + 1.0) if cpu_cutoff else None
    result = worker.call_raw(target, call.args, call.kwargs, what=what, timeout=timeout, clock=clock,
                             patience=cutoff, sealed=True)["ok"]
    return result, clock


def _typical(seconds) -> float:
    """The mean of the faster half of the runs.

    Machine noise only ever adds time to a call (page faults on fresh memory
    cost far more on some virtual machines, at random), so the faster runs
    are the truer ones; a half rather than the single fastest keeps one lucky
    run from deciding (benchmarks/run.py compares the estimators). No run can
    be made fast at the expense of another: each input arrives with its run.
    """
    fastest = sorted(max(_FLOOR_S, s) for s in seconds)
    return statistics.fmean(fastest[:(len(fastest) + 1) // 2])


def _total(clock: dict) -> float:
    """CPU time of one call's worker, from the request to the end of its reply."""
    return clock["end"] - clock["start"]


def _transfer_cost(reference_calls: list[dict]) -> float:
    """What moving one run's input in and result out costs a worker, measured on the reference.

    The reference is trusted and works in one thread: its replies say how
    much CPU its thread spent from having the request to beginning the reply
    (the work); the rest of the call, on the kernel's clock of the whole
    process, is moving data. The least over the runs is taken (machine noise
    only adds), and the same amount comes off both sides.
    """
    costs = []
    for clock in reference_calls:
        reported = clock.get("reported")
        if reported is None:
            return 0.0
        work = max(0.0, reported[1] - reported[0])
        costs.append(max(0.0, clock["end"] - clock["start"] - work))
    return min(costs) if costs else 0.0
