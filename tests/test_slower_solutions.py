"""A correct solution several times slower than the reference passes every test but the timed ones.

Speed is the performance tests' business: a correctness test's call may take
10x the reference's time on its input + 1 s (grading/proxy.py), never a
fixed figure. Each reference, made FACTOR times slower in every call
(trainer.slowed), is graded with --quick and must pass all of it.
"""

from __future__ import annotations

import pytest

from trainer.catalog import load_catalog
from trainer.engine import grade
from trainer.slowed import slowed

FACTOR = 5
CHALLENGES = {c.id: c for c in load_catalog()}
# Each call of these draws from a scripted source function given as an
# argument: the slowed copy repeats the work with the same function, whose
# draws are by then used up. Their calls take microseconds, so no timeout
# could be reached anyway.
CONSUMES_ITS_ARGUMENTS = {"rand10"}


@pytest.mark.slow
@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
def test_a_correct_but_slower_solution_passes_every_untimed_test(challenge_id, tmp_path):
    if challenge_id in CONSUMES_ITS_ARGUMENTS:
        pytest.skip("every call draws from a scripted source function whose draws a repeated call finds used up")
    challenge = CHALLENGES[challenge_id]
    path = tmp_path / f"{challenge_id}.py"
    path.write_text(slowed(challenge.reference_path.read_text(encoding="utf-8"), FACTOR), encoding="utf-8")
    report = grade(challenge, path, quick=True)
    failing = [f"{t.nodeid}: {t.message[:300]}" for t in report.tests if not t.passed]
    assert report.status == "passed" and not failing, "\n".join(failing) or report.error


def test_a_slowed_call_leaves_its_rng_argument_as_one_call_does():
    """Every repetition makes the same draws, and the caller's generator ends where one call leaves it."""
    import numpy as np

    namespace: dict = {}
    exec(slowed("def draw(rng, n=2):\n    return rng.random(n).tolist()\n", FACTOR), namespace)
    rng, once = np.random.default_rng(7), np.random.default_rng(7)
    assert namespace["draw"](rng, n=3) == once.random(3).tolist()
    assert rng.bit_generator.state == once.bit_generator.state
