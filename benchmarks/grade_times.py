"""Wall time of a full grade of every bundled reference, for one checkout of mltrainer.

    PYTHONPATH=ROOT python benchmarks/grade_times.py ROOT

grades each challenge's reference with ROOT's engine and graders and prints
the seconds per challenge and the total. To compare two versions, run it for
a worktree of each, one after the other, on an idle machine:

    git worktree add /tmp/before <commit>
    PYTHONPATH=/tmp/before python benchmarks/grade_times.py /tmp/before
    PYTHONPATH=. python benchmarks/grade_times.py .
"""

import sys
import time
from pathlib import Path


def main(root: Path) -> None:
    sys.path.insert(0, str(root))
    import trainer
    if not Path(trainer.__file__).resolve().is_relative_to(root):
        sys.exit(f"trainer is imported from {trainer.__file__}, not from {root}: set PYTHONPATH={root}")
    from trainer.catalog import load_catalog
    from trainer.engine import grade

    total = 0.0
    for challenge in load_catalog():
        started = time.monotonic()
        report = grade(challenge, challenge.reference_path)
        seconds = time.monotonic() - started
        total += seconds
        print(f"{challenge.id:12s} {seconds:6.1f} s  {report.status}, {len(report.tests)} tests")
    print(f"{'total':12s} {total:6.1f} s  ({root.name})")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve())
