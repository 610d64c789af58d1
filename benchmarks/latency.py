"""How long a learner waits for a verdict, beside the floor: a pytest run of one numpy test.

    python benchmarks/latency.py [--repeats 5] [--only kmeans softmax] [--skip hang slow]

On an idle machine, for every bundled challenge, medians of `--repeats` runs:

- floor: `python -m pytest -q` on a file with one numpy test, in this virtualenv
  (with whatever pytest plugins it has installed);
- full: a full grade of the reference, split into the performance phase (from
  the first performance test's start to the last one's end: what the budgets
  spend running candidate and reference) and the rest; target: rest <= 3x floor;
- quick: `--quick` (everything but performance); target: <= 2x floor. Three
  ways: `quick` in this process, lanes forked by its lane server (as in
  watch mode, the TUI, a roster: every grading after a process's first),
  each after a pause (`--pause`, 0.5 s: a learner between two saves, in
  which the server gets its worker zygotes ready);
  `cold`, the same with MLTRAINER_WARM_LANES=0 (each lane a fresh
  interpreter); `cli`, the command `mltrainer grade ID FILE --quick` as a
  learner types it (a new process, its lane server included);
- hang: a solution whose every public function spins forever; target: <= 15 s;
- slow: a solution 20x over its time budget (each public function does its
  work 20 x ratio times over), graded on the time-budget tests only,
  beside the reference on the same tests; target: <= 3x the reference's time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.catalog import load_catalog  # noqa: E402
from trainer.engine import grade  # noqa: E402
from trainer import warm  # noqa: E402
from trainer.slowed import hanging, slowed  # noqa: E402

FLOOR_TEST = "import numpy as np\n\n\ndef test_one():\n    assert np.allclose(np.ones(3).sum(), 3.0)\n"
SECTIONS = ("full", "quick", "hang", "slow")


def floor(repeats: int, folder: Path) -> float:
    test = folder / "test_one.py"
    test.write_text(FLOOR_TEST)
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)], cwd=folder,
                       check=True, stdout=subprocess.DEVNULL)
        times.append(time.monotonic() - started)
    return statistics.median(times)


def timed_grade(challenge, path, **options):
    events = []
    started = time.monotonic()
    report = grade(challenge, path, on_event=lambda e: events.append((time.monotonic() - started, e)), **options)
    return time.monotonic() - started, report, events


def warm_quick(challenge, pause: float) -> float:
    """Wall time of a `--quick` grading in this process, after `pause` seconds of nothing (between two saves)."""
    time.sleep(pause)
    return timed_grade(challenge, challenge.reference_path, quick=True)[0]


def cli_quick(challenge, folder: Path) -> float:
    """Wall time of `mltrainer grade ID REFERENCE --quick` in a new process (a passing quick run records nothing)."""
    env = dict(os.environ, MLTRAINER_DATA_DIR=str(folder / "data"), MLTRAINER_WORKSPACE=str(folder / "ws"))
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "from trainer.cli import main; main()", "grade", challenge.id, "--solution", str(challenge.reference_path),
                    "--quick"], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.monotonic() - started


def performance_phase(report, events) -> float:
    perf = {t.nodeid for t in report.tests if t.category == "performance"}
    starts = [t for t, e in events if e.get("event") == "start" and e.get("nodeid") in perf]
    ends = [t for t, e in events if e.get("event") == "done" and e.get("nodeid") in perf]
    return max(ends) - min(starts) if starts and ends else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="+", default=None, help="challenge ids")
    parser.add_argument("--skip", nargs="+", choices=SECTIONS, default=[])
    parser.add_argument("--pause", type=float, default=0.5,
                        help="seconds before each warm quick grading (a learner between two saves)")
    args = parser.parse_args()
    catalog = [c for c in load_catalog() if not args.only or c.id in args.only]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = floor(args.repeats, folder)
        print(f"floor (pytest, one numpy test, this venv): {base:.2f} s   median of {args.repeats}\n")
        print(f"{'challenge':12s} {'full':>6s} {'perf':>6s} {'rest':>6s} {'rest/fl':>7s} {'quick':>6s} "
              f"{'q/fl':>5s} {'cold':>6s} {'c/fl':>5s} {'cli':>6s} {'cli/fl':>6s} {'hang':>6s} {'slow':>6s} "
              f"{'budget':>6s} {'s/b':>5s}")
        for challenge in catalog:
            row = {}
            if "full" not in args.skip:
                runs = [timed_grade(challenge, challenge.reference_path) for _ in range(args.repeats)]
                row["full"] = statistics.median(r[0] for r in runs)
                row["perf"] = statistics.median(performance_phase(r[1], r[2]) for r in runs)
                row["rest"] = statistics.median(r[0] - performance_phase(r[1], r[2]) for r in runs)
                assert all(r[1].passed for r in runs), f"{challenge.id}: the reference did not pass"
            if "quick" not in args.skip:
                row["quick"] = statistics.median(warm_quick(challenge, args.pause) for _ in range(args.repeats))
                os.environ[warm.WARM_ENV] = "0"
                try:
                    row["cold"] = statistics.median(
                        timed_grade(challenge, challenge.reference_path, quick=True)[0] for _ in range(args.repeats))
                finally:
                    del os.environ[warm.WARM_ENV]
                row["cli"] = statistics.median(cli_quick(challenge, folder) for _ in range(args.repeats))
            source = challenge.reference_path.read_text(encoding="utf-8")
            if "hang" not in args.skip:
                hang = folder / f"{challenge.id}.py"
                hang.write_text(hanging(source))
                row["hang"] = statistics.median(timed_grade(challenge, hang)[0] for _ in range(args.repeats))
            if "slow" not in args.skip:
                _, full, _ = timed_grade(challenge, challenge.reference_path)
                budgeted = sorted({t.nodeid.split("::")[-1].split("[")[0] for t in full.tests
                                   if any(m.kind == "time" and not m.informational for m in t.measurements)})
                if budgeted:
                    ratio = float(challenge.budgets.get("time", 3.0))
                    slow = folder / "slow" / f"{challenge.id}.py"
                    slow.parent.mkdir(exist_ok=True)
                    slow.write_text(slowed(source, round(20 * ratio)))
                    keyword = " or ".join(budgeted)
                    ref_runs = [timed_grade(challenge, challenge.reference_path, keyword=keyword)
                                for _ in range(args.repeats)]
                    slow_runs = [timed_grade(challenge, slow, keyword=keyword) for _ in range(args.repeats)]
                    assert all(r[1].status == "failed" for r in slow_runs), f"{challenge.id}: the slow one passed"
                    row["budget"] = statistics.median(performance_phase(r[1], r[2]) for r in ref_runs)
                    row["slow"] = statistics.median(performance_phase(r[1], r[2]) for r in slow_runs)

            def cell(key, width=6, fmt="{:.2f}"):
                return (fmt.format(row[key]) if key in row else "-").rjust(width)
            row_ratio = {}
            if "rest" in row:
                row_ratio["rest/fl"] = row["rest"] / base
            if "quick" in row:
                row_ratio["q/fl"] = row["quick"] / base
                row_ratio["c/fl"] = row["cold"] / base
                row_ratio["cli/fl"] = row["cli"] / base
            if "slow" in row and row.get("budget"):
                row_ratio["s/b"] = row["slow"] / row["budget"]
            row.update(row_ratio)
            print(f"{challenge.id:12s} {cell('full')} {cell('perf')} {cell('rest')} {cell('rest/fl', 7, '{:.1f}x')} "
                  f"{cell('quick')} {cell('q/fl', 5, '{:.1f}x')} {cell('cold')} {cell('c/fl', 5, '{:.1f}x')} "
                  f"{cell('cli')} {cell('cli/fl', 6, '{:.1f}x')} {cell('hang')} {cell('slow')} {cell('budget')} "
                  f"{cell('s/b', 5, '{:.1f}x')}", flush=True)
        print("\ntargets: rest <= 3x floor, quick <= 2x floor, hang <= 15 s, slow <= 3x budget")


if __name__ == "__main__":
    main()
