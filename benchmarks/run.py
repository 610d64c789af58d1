"""Engine benchmarks, measured side by side in one run (not part of the tests).

    python benchmarks/run.py [--quick] [--only SECTION ...]

1. overhead: a trivial call through a sandboxed worker vs a direct call, and
   the transfer rate of a large array there and back.
2. stability: the same code as candidate and reference, timed call by call
   with the kernel's CPU clock of each worker (as budgets read it) and with
   the wall clock, on an idle machine and beside busy processes. A correct
   solution is as fast as the reference, so the spread of these ratios is the
   noise the 2x-3x budgets must absorb.
3. history: identical code in a worker that freed large arrays before and in
   a fresh one (why budget.time starts fresh workers).
4. startup: `mltrainer --help` and `mltrainer list` beside `python -c pass`
   (they must not pay for numpy, pytest or textual).
5. confinement: worker start-up with and without Landlock + seccomp,
   interleaved, and what confining costs; and a confined worker forked by a
   zygote beside one executed fresh (wall and CPU time).
6. references: every bundled reference graded against itself (performance
   tests only), confined and not: each budgeted time ratio should be ~1.
7. estimators: the same code as candidate and reference, per-call kernel CPU
   clocks collected over many runs, and the spread of the ratio under the
   statistics budget.time could use (fastest run, median, mean of the faster
   half; transfer costs taken off per run or once), with the workers on one
   CPU or left to the scheduler.
8. roster: a study group's roster, 10 members x the bundled challenges with
   the reference solutions as the members' files (2 members with --quick),
   graded by `mltrainer grade --roster --jobs 2` and, in the same run, one
   grading after another (`--jobs 1`), both on the same 2 CPUs: the two
   times and their ratio (the target is at most 0.6), and the speed ratios
   of the references against themselves in both runs (grading side by side
   must not make them drift).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from trainer.sandbox.client import Worker  # noqa: E402
from trainer.sandbox.limits import Limits  # noqa: E402

SOLUTION = """
import numpy as np

def noop(x):
    return x

def echo(a):
    return a

def churn(n):
    # allocate and free large arrays: glibc then raises its mmap threshold
    for _ in range(3):
        a = np.ones(n)
        del a

def exp_sum(z):
    return float(np.exp(z - z.max()).sum() + np.log1p(np.abs(z)).sum())

def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)

def kmeans_step(X, C):
    d = (X * X).sum(1)[:, None] - 2 * X @ C.T + (C * C).sum(1)[None, :]
    labels = d.argmin(1)
    return np.stack([X[labels == j].mean(0) for j in range(len(C))])
"""


def call_overhead(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sol.py"
        path.write_text(SOLUTION)
        namespace: dict = {}
        exec(SOLUTION, namespace)
        with Worker(path, Limits()) as worker:
            worker.start()
            direct, remote = [], []
            for _ in range(repeats):
                t = time.perf_counter()
                namespace["noop"](1)
                direct.append(time.perf_counter() - t)
                t = time.perf_counter()
                worker.call("noop", (1,))
                remote.append(time.perf_counter() - t)
            print(f"trivial call: direct {statistics.median(direct) * 1e6:.2f} µs, "
                  f"through the worker {statistics.median(remote) * 1e6:.0f} µs "
                  f"({statistics.median(remote) / statistics.median(direct):.0f}x; per call, not per element)")
            big = np.random.default_rng(0).normal(size=(10_000_000,))  # 80 MB
            times = []
            for _ in range(3):
                t = time.perf_counter()
                worker.call("echo", (big,))
                times.append(time.perf_counter() - t)
            rate = 2 * big.nbytes / statistics.median(times) / 1e9
            print(f"80 MB array there and back: {statistics.median(times) * 1e3:.0f} ms ({rate:.2f} GB/s)")


def _timed(worker: Worker, name: str, args) -> tuple[float, float]:
    """(CPU seconds from the kernel's clock of the worker, wall seconds) of one call."""
    cpu, wall = worker.cpu_seconds(), time.perf_counter()
    worker.call(name, args)
    return worker.cpu_seconds() - cpu, time.perf_counter() - wall


def _ratios(a: Worker, b: Worker, args, trials: int, repeats: int = 5) -> tuple[list, list]:
    """Interleaved medians per trial: (wall-time ratios, CPU-time ratios)."""
    wall, cpu = [], []
    for _ in range(trials):
        times = {"a": ([], []), "b": ([], [])}
        for _ in range(repeats):
            for key, worker in (("a", a), ("b", b)):
                c, w = _timed(worker, "kmeans_step", args)
                times[key][0].append(w)
                times[key][1].append(c)
        wall.append(statistics.median(times["a"][0]) / statistics.median(times["b"][0]))
        cpu.append(statistics.median(times["a"][1]) / statistics.median(times["b"][1]))
    return wall, cpu


def _spread(values: list) -> str:
    return f"median {statistics.median(values):.2f}, range {min(values):.2f}-{max(values):.2f}"


def budget_stability(trials: int) -> None:
    """The same code as candidate and reference: ratios should be 1; their spread is noise.

    Measured on an idle machine and with busy processes, wall clock beside
    the kernel's CPU clock of each worker (the budgets' clock).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sol.py"
        path.write_text(SOLUTION)
        rng = np.random.default_rng(1)
        X = rng.normal(size=(200_000, 16))
        C = X[:8].copy()
        with Worker(path, Limits(), label="solution") as a, Worker(path, Limits(), label="reference") as b:
            for worker in (a, b):
                worker.start()
            for load in (0, 4):
                hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(load)]
                try:
                    wall, cpu = _ratios(a, b, (X, C), trials)
                finally:
                    for hog in hogs:
                        hog.kill()
                print(f"same code both sides, {load} busy processes: wall-time ratio {_spread(wall)}; "
                      f"CPU-time ratio {_spread(cpu)} (budgets are 2x-3x)")


def worker_history(trials: int) -> None:
    """Same code, but one worker has freed large arrays before (as after earlier tests).

    glibc then serves big allocations from heap pages it already holds, so
    identical code runs faster in that worker. budget.time starts fresh
    workers for every timing; this shows the ratio in kept workers and in
    fresh ones.
    """
    z = np.random.default_rng(2).normal(size=1_000_000)  # 8 MB arrays
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sol.py"
        path.write_text(SOLUTION)
        with Worker(path, Limits(), label="solution") as a, Worker(path, Limits(), label="reference") as b:
            kept, fresh = [], []
            for _ in range(trials):
                for target in (kept, fresh):
                    a.start()
                    b.start()
                    if target is kept:
                        a.call("churn", (2_000_000,))  # only the candidate's worker has this history
                    ta = [_timed(a, "exp_sum", (z,))[0] for _ in range(5)]
                    tb = [_timed(b, "exp_sum", (z,))[0] for _ in range(5)]
                    target.append(statistics.median(ta) / statistics.median(tb))
            print(f"same code, one worker with a history of large frees: ratio {_spread(kept)}; "
                  f"{_spread(fresh)} in fresh workers (as budget.time measures)")


def confinement_cost(repeats: int) -> None:
    """Worker start-up (until it is ready and has imported a solution) with and without confinement."""
    from trainer.sandbox.client import Confinement
    from trainer.sandbox.confine import probe
    abi, seccomp, why = probe()
    if not (abi and seccomp):
        print(f"confinement: not available here ({why})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sol.py"
        path.write_text(SOLUTION)
        confined = Confinement(mode="require", allowed_imports=frozenset({"numpy"}), secrets=(str(REPO), tmp))
        workers = {"confined": Worker(path, Limits(), confinement=confined, folder=tmp),
                   "limits only": Worker(path, Limits(), folder=tmp)}
        workers["confined"].start()   # the rules are computed once per grading process
        times: dict[str, list] = {name: [] for name in workers}
        try:
            for _ in range(repeats):
                for name, worker in workers.items():
                    start = time.perf_counter()
                    worker.start()
                    times[name].append(time.perf_counter() - start)
        finally:
            for worker in workers.values():
                worker.stop()
        a, b = (statistics.median(times[name]) for name in ("confined", "limits only"))
        print(f"worker start-up ({workers['confined'].isolation}): confined {a * 1e3:.1f} ms, limits only "
              f"{b * 1e3:.1f} ms: confinement adds {(a - b) * 1e3:+.1f} ms (medians of {repeats}, interleaved)")
        zygote_startup(path, confined, tmp, repeats)


def zygote_startup(path: Path, confined, tmp: str, repeats: int) -> None:
    """A confined worker forked by a zygote vs executed fresh: wall time and the CPU both take."""
    from trainer.sandbox.client import Zygote
    if not hasattr(os, "pidfd_open"):
        print("zygote: not available here (no pidfds)")
        return
    worker = Worker(path, Limits(), confinement=confined, folder=tmp)
    wall: dict[str, list] = {"fresh": [], "forked": []}
    cpu: dict[str, list] = {"fresh": [], "forked": []}
    try:
        for _ in range(repeats):
            for name in wall:
                Zygote._enabled = name == "forked"
                before = _cpu_of_machine()
                start = time.perf_counter()
                worker.start()
                worker.stop()        # the worker's CPU is counted once it is gone
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(_cpu_of_machine() - before)
    finally:
        worker.stop()
        Zygote._enabled = False
        if Zygote._instance is not None:
            Zygote._instance.close()
    w_fresh, w_forked = (statistics.median(wall[n]) for n in ("fresh", "forked"))
    c_fresh, c_forked = (statistics.median(cpu[n]) for n in ("fresh", "forked"))
    print(f"confined worker start and stop: fresh interpreter {w_fresh * 1e3:.1f} ms wall / {c_fresh * 1e3:.0f} ms "
          f"CPU, forked by the zygote {w_forked * 1e3:.1f} ms wall / {c_forked * 1e3:.0f} ms CPU "
          f"({w_forked / w_fresh:.2f}x wall; medians of {repeats}, interleaved)")


def _cpu_of_machine() -> float:
    """CPU seconds the whole machine has spent (every process), from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def reference_ratios() -> None:
    """Each bundled reference graded against itself, performance tests only, confined and not."""
    from trainer.catalog import load_catalog
    from trainer.engine import grade
    from trainer.sandbox.confine import probe
    modes = ["require", "none"] if all(probe()[:2]) else ["none"]
    for challenge in load_catalog():
        for mode in modes:
            report = grade(challenge, challenge.reference_path, marker="performance", isolation=mode)
            ratios = [m.ratio for t in report.tests for m in t.measurements
                      if m.kind == "time" and m.versus == "reference" and m.ratio is not None]
            shown = ", ".join(f"{r:.2f}" for r in ratios) or "no timing"
            print(f"reference vs itself, {challenge.id:12s} {report.isolation:26.26s}: {report.status}, "
                  f"time ratios {shown} ({report.duration_s:.1f} s)")


def startup(repeats: int) -> None:
    def timed(args):
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run(args, capture_output=True, check=True, cwd=REPO)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    base = timed([sys.executable, "-c", "pass"])
    numpy_import = timed([sys.executable, "-c", "import numpy"])
    helptime = timed([sys.executable, "-m", "trainer", "--help"])
    listtime = timed([sys.executable, "-m", "trainer", "list"])
    print(f"start-up: python -c pass {base * 1e3:.0f} ms, import numpy {numpy_import * 1e3:.0f} ms, "
          f"mltrainer --help {helptime * 1e3:.0f} ms, mltrainer list {listtime * 1e3:.0f} ms")


def estimators(trials: int) -> None:
    """How much the ratio of identical code strays from 1 under each statistic."""
    from trainer.grading import budget as budget_module
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sol.py"
        path.write_text(SOLUTION)
        g = np.random.default_rng(7)
        cases = {"softmax of 64 MB": ("softmax", lambda: (g.normal(size=(2048, 4096)),)),
                 "sum of 6.4 MB": ("exp_sum", lambda: (g.normal(size=800_000),))}
        everywhere = os.sched_getaffinity(0)
        for case, (name, make) in cases.items():
            for pinned in (False, True):
                # Pinned as a grading run is (engine._CpuClaim): this process and,
                # by inheritance, its workers on one CPU.
                os.sched_setaffinity(0, {max(everywhere)} if pinned else everywhere)
                samples = []
                for _ in range(trials):
                    a, b = Worker(path, Limits()), Worker(path, Limits(), hostile=False)
                    a.start(), b.start()
                    clocks: dict = {"a": [], "b": []}
                    for run in range(7):
                        args = make()
                        order = (("b", b), ("a", a)) if run % 2 == 0 else (("a", a), ("b", b))
                        for key, worker in order:
                            clock: dict = {}
                            worker.call_raw(name, args, {}, clock=clock)
                            clocks[key].append(clock)
                    a.stop(), b.stop()
                    samples.append(clocks)
                _estimator_spread(case, pinned, samples, budget_module)
        os.sched_setaffinity(0, everywhere)


def _estimator_spread(case: str, pinned: bool, samples: list, budget_module) -> None:
    statistics_ = {"fastest": min, "median": statistics.median, "faster half": budget_module._typical}
    for transfer_name in ("once", "per run"):
        for stat_name, stat in statistics_.items():
            ratios = []
            for clocks in samples:
                a, b = clocks["a"][1:], clocks["b"][1:]
                if transfer_name == "once":
                    t = budget_module._transfer_cost(clocks["b"])
                    ta, tb = [t] * len(a), [t] * len(b)
                else:
                    ta = tb = [min(_own_transfer(x), _own_transfer(y)) for x, y in zip(a, b)]
                ea = [budget_module._total(c) - t for c, t in zip(a, ta)]
                eb = [budget_module._total(c) - t for c, t in zip(b, tb)]
                ratios.append(stat(ea) / stat(eb))
            worst = max(abs(np.log(r)) for r in ratios)
            print(f"{case}, {'one CPU' if pinned else 'any CPU'}, transfer {transfer_name:7s} {stat_name:11s}: "
                  f"ratios {min(ratios):.2f}-{max(ratios):.2f} (worst {np.exp(worst):.2f}x off)")


def _own_transfer(clock: dict) -> float:
    received, replying = clock["reported"]   # both workers run trusted code here
    return max(0.0, clock["end"] - clock["start"] - max(0.0, replying - received))


def roster_speed(members: int) -> None:
    """A roster graded with --jobs 2 beside the same gradings one after another (--jobs 1), on 2 CPUs."""
    from trainer import paths
    from trainer.catalog import load_catalog
    challenges = list(load_catalog([paths.content_root()]))
    cpus = sorted(os.sched_getaffinity(0))[:2] if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2:
        print("roster: needs 2 CPUs to compare --jobs 2 with --jobs 1 (this process may use fewer)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster"
        for m in range(members):
            folder = roster / f"member{m + 1:02d}"
            folder.mkdir(parents=True)
            for challenge in challenges:
                shutil.copyfile(challenge.reference_path, folder / f"{challenge.id}.py")
        env = dict(os.environ, MLTRAINER_DATA_DIR=str(Path(tmp) / "data"),
                   MLTRAINER_WORKSPACE=str(Path(tmp) / "workspace"), PYTHONPATH=str(REPO))
        env.pop("MLTRAINER_CHALLENGE_PATH", None)
        env.pop("GITHUB_ACTIONS", None)
        gradings = members * len(challenges)
        times = {}
        for jobs in (2, 1):   # any warm-up (files cached, code compiled) favours the second: the serial run
            board_path = Path(tmp) / f"board-jobs{jobs}.json"
            command = [sys.executable, "-m", "trainer", "grade", "--roster", str(roster), "--jobs", str(jobs),
                       "--format", "json", "--output", str(board_path)]
            start = time.perf_counter()
            # The same 2 CPUs both times, as on a 2-core machine (grading runs claim their CPU among these).
            done = subprocess.run(command, env=env, cwd=tmp, capture_output=True, text=True,
                                  preexec_fn=lambda: os.sched_setaffinity(0, cpus))
            times[jobs] = time.perf_counter() - start
            if done.returncode != 0 or not board_path.is_file():
                last = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
                print(f"roster --jobs {jobs}: exit {done.returncode}: {last}")
                return
            cells = json.loads(board_path.read_text(encoding="utf-8"))["cells"]
            counts: dict[str, int] = {}
            for cell in cells:
                counts[cell["verdict"]] = counts.get(cell["verdict"], 0) + 1
            ratios = [c["speed_ratio"] for c in cells if c["speed_ratio"] is not None]
            # How long each grading run itself took: longer side by side means the runs slow each other down.
            durations = [c["report"]["duration_s"] for c in cells if c.get("report")]
            print(f"roster of {members} members x {len(challenges)} challenges ({gradings} gradings, the references "
                  f"as the members' files), --jobs {jobs} on CPUs {cpus[0]} and {cpus[1]}: {times[jobs]:.0f} s "
                  f"({times[jobs] / gradings:.1f} s per grading; each grading run took "
                  f"{statistics.mean(durations):.1f} s on average); verdicts "
                  f"{', '.join(f'{n} {v}' for v, n in sorted(counts.items()))}; speed ratios (reference vs "
                  f"itself) {_spread(ratios) if ratios else 'none'}")
        ratio = times[2] / times[1]
        print(f"roster: --jobs 2 took {ratio:.2f}x the time of one grading after another "
              f"({times[2]:.0f} s vs {times[1]:.0f} s; target: at most 0.6): "
              f"{'within' if ratio <= 0.6 else 'OVER'} the target")


SECTIONS = ("overhead", "stability", "history", "startup", "confinement", "references", "estimators", "roster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a smaller roster")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS, help="run only these sections")
    args = parser.parse_args()
    quick = args.quick
    runs = {
        "overhead": lambda: call_overhead(200 if not quick else 30),
        "stability": lambda: budget_stability(10 if not quick else 3),
        "history": lambda: worker_history(5 if not quick else 3),
        "startup": lambda: startup(7 if not quick else 3),
        "confinement": lambda: confinement_cost(21 if not quick else 7),
        "references": reference_ratios,
        "estimators": lambda: estimators(8 if not quick else 3),
        "roster": lambda: roster_speed(10 if not quick else 2),
    }
    for section in SECTIONS:
        if section in args.only:
            runs[section]()


if __name__ == "__main__":
    main()
