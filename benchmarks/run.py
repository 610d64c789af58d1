"""Engine benchmarks, measured side by side in one run (not part of the tests).

    python benchmarks/run.py [--quick]

1. Call overhead: a trivial call through a sandboxed worker vs a direct call,
   and the transfer rate of a large array there and back.
2. Budget stability: the reference timed against itself with the real budget
   code (interleaved medians). A correct solution is as fast as the reference,
   so the spread of these ratios is the noise the 3x budgets must absorb.
3. Start-up of `mltrainer --help` and `mltrainer list` beside `python -c pass`
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
from trainer.sandbox.client import Limits, Worker  # noqa: E402

SOLUTION = """
import numpy as np

def noop(x):
    return x

def echo(a):
    return a

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


def budget_stability(trials: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sol.py"
        path.write_text(SOLUTION)
        rng = np.random.default_rng(1)
        with Worker(path, Limits(), label="solution") as a, Worker(path, Limits(), label="reference") as b:
            for n in (20_000, 200_000):
                X = rng.normal(size=(n, 16))
                C = X[:8].copy()
                records: list = []
                budget = Budget(a, b, {"time": 3.0}, records.append)
                ratios = [budget.time("kmeans_step", X, C).ratio for _ in range(trials)]
                ref = statistics.median(m.reference for m in records)
                print(f"same code as candidate and reference, n={n} ({ref * 1e3:.1f} ms a call), {trials} trials: "
                      f"ratio median {statistics.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f} "
                      f"(budget 3x)")


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
    startup(7 if not args.quick else 3)


if __name__ == "__main__":
    main()
