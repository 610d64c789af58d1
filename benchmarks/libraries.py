"""Each reference beside the library a user would pick, measured side by side in one run.

    python benchmarks/libraries.py [--only linreg logreg] [--repeats 7]

Every module in benchmarks/library/ (one per challenge, named after it)
defines `CASES`: a list of `Case(label, setup, reference, library)` where
`setup()` builds the inputs once (fixed seed) and returns them as a tuple,
`reference(ref, *inputs)` calls the reference module `ref` and
`library(*inputs)` calls the library (scikit-learn, scipy...) on the same
problem, doing the same work (same tolerance, same number of iterations where
the library lets one say so). Each side is timed in this process, alternating,
and the median of `--repeats` runs of each is printed with the ratio
reference / library. The issue's target is a ratio of at most 3.

The library and scikit-learn are test extras: `pip install '.[test]'`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
CASES_DIR = Path(__file__).resolve().parent / "library"
TARGET = 3.0


@dataclass(frozen=True)
class Case:
    label: str
    setup: Callable[[], tuple]
    reference: Callable
    library: Callable


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(call, *args) -> float:
    started = time.process_time()
    call(*args)
    return time.process_time() - started


def measure(case: Case, ref, repeats: int) -> tuple[float, float]:
    """Medians of the CPU time of the reference and of the library, run alternately."""
    inputs = case.setup()
    case.reference(ref, *inputs)                    # warm up both: imports, caches, first-touch pages
    case.library(*inputs)
    mine, theirs = [], []
    for _ in range(repeats):
        mine.append(_timed(case.reference, ref, *inputs))
        theirs.append(_timed(case.library, *inputs))
    return statistics.median(mine), statistics.median(theirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", default=None, help="challenge ids")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    # One thread for BLAS on both sides, as in a grading lane: the ratio compares algorithms, not thread counts.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    sys.path.insert(0, str(REPO))
    worst = 0.0
    print(f"{'challenge':14s} {'case':44s} {'reference':>10s} {'library':>10s} {'ratio':>6s}")
    for path in sorted(CASES_DIR.glob("*.py")):
        if args.only and path.stem not in args.only:
            continue
        cases = _load(path, f"library_cases_{path.stem}").CASES
        ref = _load(REPO / "reference" / f"{path.stem}.py", f"{path.stem}_reference")
        for case in cases:
            mine, theirs = measure(case, ref, args.repeats)
            ratio = mine / theirs if theirs > 0 else float("inf")
            worst = max(worst, ratio)
            flag = "" if ratio <= TARGET else f"  over {TARGET:g}x"
            print(f"{path.stem:14s} {case.label:44.44s} {mine * 1e3:8.1f}ms {theirs * 1e3:8.1f}ms {ratio:6.2f}{flag}")
    print(f"\nworst ratio {worst:.2f} (target: at most {TARGET:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
