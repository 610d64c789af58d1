"""Engine benchmarks, measured side by side in one run (not part of the tests).

    python benchmarks/run.py [--quick]

1. Call overhead: a trivial call through a sandboxed worker vs a direct call,
   and the transfer rate of a large array there and back.
2. Budget stability: the same code as candidate and reference, timed as the
   budgets time it (interleaved medians of 5), on an idle machine and beside
   busy processes, in wall time and in CPU time. A correct solution is as fast
   as the reference, so the spread of these ratios is the noise the 2x-3x
   budgets must absorb.
3. Worker history: identical code in a worker that freed large arrays before
   and in a fresh one, timed in the same workers and as budget.time times it
   (in freshly started workers).
4. Start-up of `mltrainer --help` and `mltrainer list` beside `python -c pass`
   (they must not pay for numpy, pytest or textual).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from trainer.grading.budget import Budget  # noqa: E402
from trainer.sandbox.client import Limits, StoredRef, Worker  # noqa: E402

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


def _ratios(a: Worker, b: Worker, trials: int, repeats: int = 5) -> tuple[list, list]:
    """Interleaved medians, as the budgets take them: (wall-time ratios, CPU-time ratios)."""
    wall, cpu = [], []
    for _ in range(trials):
        times = {"a": ([], []), "b": ([], [])}
        for _ in range(repeats):
            for key, worker in (("a", a), ("b", b)):
                reply = worker.call_raw("kmeans_step", StoredRef("x"), StoredRef("k"), measure="time", discard=True)
                times[key][0].append(reply["wall_seconds"])
                times[key][1].append(reply["seconds"])
        wall.append(statistics.median(times["a"][0]) / statistics.median(times["b"][0]))
        cpu.append(statistics.median(times["a"][1]) / statistics.median(times["b"][1]))
    return wall, cpu


def _spread(values: list) -> str:
    return f"median {statistics.median(values):.2f}, range {min(values):.2f}-{max(values):.2f}"


def budget_stability(trials: int) -> None:
    """The same code as candidate and reference: ratios should be 1; their spread is noise.

    Measured on an idle machine and with two busy processes per core, wall
    clock beside CPU time (the budgets' clock).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sol.py"
        path.write_text(SOLUTION)
        rng = np.random.default_rng(1)
        X = rng.normal(size=(200_000, 16))
        C = X[:8].copy()
        with Worker(path, Limits(), label="solution") as a, Worker(path, Limits(), label="reference") as b:
            for worker in (a, b):
                worker.store("x", (X, C))
                worker.store("k", {})
            for load in (0, 4):
                hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(load)]
                try:
                    wall, cpu = _ratios(a, b, trials)
                finally:
                    for hog in hogs:
                        hog.kill()
                print(f"same code both sides, {load} busy processes: wall-time ratio {_spread(wall)}; "
                      f"CPU-time ratio {_spread(cpu)} (budgets are 2x-3x)")


def worker_history(trials: int) -> None:
    """Same code, but one worker has freed large arrays before (as after earlier tests).

    glibc then serves big allocations from heap pages it already holds, so
    identical code runs faster in that worker. budget.time starts fresh
    workers for every timing; this shows the ratio without and with that.
    """
    z = np.random.default_rng(2).normal(size=1_000_000)  # 8 MB arrays
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sol.py"
        path.write_text(SOLUTION)
        with Worker(path, Limits(), label="solution") as a, Worker(path, Limits(), label="reference") as b:
            kept, fresh = [], []
            for _ in range(trials):
                a.start()
                b.start()
                a.call("churn", (2_000_000,))  # only the candidate's worker has this history
                ta, tb = [], []
                for _ in range(5):
                    ta.append(a.call_raw("exp_sum", (z,), measure="time")["seconds"])
                    tb.append(b.call_raw("exp_sum", (z,), measure="time")["seconds"])
                kept.append(statistics.median(ta) / statistics.median(tb))
                a.call("churn", (2_000_000,))
                fresh.append(Budget(a, b, {"time": 3.0}, lambda m: None).time("exp_sum", z).ratio)
            print(f"same code, one worker with a history of large frees: ratio {_spread(kept)} in the same "
                  f"workers; {_spread(fresh)} as budget.time measures it (fresh workers)")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    call_overhead(200 if not args.quick else 30)
    budget_stability(10 if not args.quick else 3)
    worker_history(5 if not args.quick else 3)
    startup(7 if not args.quick else 3)


if __name__ == "__main__":
    main()
