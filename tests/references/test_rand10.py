"""The rand10 reference against exact enumeration, and the grader's oracle against direct counting.

Oracle: exact enumeration with fractions. Every sequence of K draws is fed
to a function in this process through a trusted source function that counts
the draws it gives, so each sequence gives (result, draws used) or "ran
out"; weighting
each sequence by m^-K gives the exact joint law of (result, T) up to K
draws. Against it:
- the reference: P(result = j, T = k) is the same for every j, T takes the
  values t, 2t, ... with the geometric law of the standard scheme, and the
  expected draws are B(n, m);
- the grader's `explore`, which never sees the number of draws and infers
  it from running out (a call that returns on k draws after running out on
  their first k - 1 used exactly k): the same counts per depth, for the
  reference, every alternative and every variant whose result depends on
  its draws alone;
- the numbers the task states (B values, 2.401, 329/150, 4.27, log 10 /
  log 7, the float logarithm at 7^40), each computed independently (the
  reuse scheme's expectation from its Markov chain).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import REPO, load_module

ref = load_module(REPO / "reference" / "rand10.py", "rand10_reference")
grader = load_module(REPO / "graders" / "rand10.py", "rand10_grader_oracle")

VARIANTS = sorted((REPO / "tests" / "variants" / "rand10").glob("*.py"))
ALTERNATIVES = sorted((REPO / "tests" / "alternatives" / "rand10").glob("*.py"))


class Counted:
    """A trusted scripted source function: each call returns the next draw, counted; StopIteration at the end."""

    def __init__(self, draws):
        self.draws = list(draws)
        self.used = 0

    def __call__(self):
        if self.used == len(self.draws):
            raise StopIteration("no draws left in this script")
        self.used += 1
        return self.draws[self.used - 1]


def run_counted(func, script):
    """(result, draws used), or None if the call ran out."""
    source = Counted(script)
    try:
        return func(source), source.used
    except StopIteration:
        return None
    except RuntimeError as exc:
        if "StopIteration" in str(exc):
            return None
        raise


def enumerate_law(func, m, K):
    """{(result, k): probability} over every sequence of K draws, and P(T > K), as fractions."""
    law, running = {}, Fraction(0)
    weight = Fraction(1, m ** K)
    for script in itertools.product(range(1, m + 1), repeat=K):
        out = run_counted(func, script)
        if out is None:
            running += weight
        else:
            law[out] = law.get(out, Fraction(0)) + weight
    return law, running


# -- the reference -------------------------------------------------------------------------------

CASES = [(10, 7, 4), (7, 10, 3), (5, 2, 9), (6, 3, 6), (2, 3, 6), (3, 4, 6), (13, 4, 6), (12, 12, 2), (49, 7, 2),
         (3, 7, 5), (1, 7, 3)]


@pytest.mark.parametrize("n, m, K", CASES, ids=[f"n{n}-m{m}" for n, m, _ in CASES])
def test_reference_is_uniform_at_every_number_of_draws(n, m, K):
    law, running = enumerate_law(lambda s: ref.rand_n(n, m, s), m, K)
    t, size = grader.attempt_size(n, m)
    assert m ** t >= n and (t == 0 or m ** (t - 1) < n)
    accept = Fraction(size - size % n, size)
    for (result, k), p in law.items():
        assert 1 <= result <= n and isinstance(result, int)
        assert k % t == 0 if t else k == 0
    for k in range(K + 1):
        per_result = [law.get((j, k), Fraction(0)) for j in range(1, n + 1)]
        assert len(set(per_result)) == 1
        # geometric: P(T = a t) = (1 - accept)^(a - 1) accept, shared by the n results
        if t and k and k % t == 0:
            assert sum(per_result) == (1 - accept) ** (k // t - 1) * accept
    if t:
        assert running == (1 - accept) ** (K // t)
    else:
        assert law == {(1, 0): Fraction(1)} and running == 0


def test_reference_expected_draws_are_the_bound():
    """E[T] = sum of k P(T = k) over the geometric law equals B(n, m) = t m^t / L."""
    for n, m in [(10, 7), (3, 7), (5, 2), (7, 10), (125, 5), (13, 4)]:
        t, size = grader.attempt_size(n, m)
        p = Fraction(size - size % n, size)
        # sum over a >= 1 of a t (1 - p)^(a - 1) p = t / p
        partial = sum(a * t * (1 - p) ** (a - 1) * p for a in range(1, 400))
        assert abs(float(partial) - float(grader.standard_bound(n, m))) < 1e-12
    assert grader.standard_bound(10, 7) == Fraction(49, 20)   # 2.45
    assert grader.standard_bound(3, 7) == Fraction(7, 6)
    assert grader.standard_bound(5, 2) == Fraction(24, 5)
    assert grader.standard_bound(7, 10) == Fraction(10, 7)
    assert grader.standard_bound(1, 7) == 0
    assert grader.standard_bound(7 ** 40, 7) == 40


def test_reference_exact_for_huge_n():
    for m, k in grader.POWER_CASES:
        n = m ** k
        results = set()
        for script in ([1] * k, [m] * k, [2] + [1] * (k - 1), [1] * (k - 1) + [2]):
            out = run_counted(lambda s: ref.rand_n(n, m, s), script)
            assert out is not None and out[1] == k and type(out[0]) is int and 1 <= out[0] <= n
            results.add(out[0])
        assert len(results) == 4
    assert ref.rand_n(7 ** 40, 7, Counted([7] * 40)) == 7 ** 40


def test_reference_arguments():
    for n, m in [(0, 7), (-3, 7), (10, 1), (1, 1), (10, 0), (5, -2)]:
        with pytest.raises(ValueError):
            ref.rand_n(n, m, Counted([]))
    assert ref.rand_n(1, 2, Counted([])) == 1


# -- the grader's oracle against direct counting -------------------------------------------------

def runs(func):
    """The `run` explore takes (a result or RAN_OUT per script) for `func` called here, script by script."""
    def outcome(script):
        out = run_counted(func, script)
        return grader.RAN_OUT if out is None else out[0]
    return lambda scripts: [outcome(script) for script in scripts]


def explored_counts(func, m, depth):
    """{(result, k): count of k-draw sequences} and {k: running} from the grader's explore."""
    counts, running = {}, {}
    for d in grader.explore(runs(func), m, max_depth=depth, max_calls=10 ** 6):
        for result, c in d.counts.items():
            counts[(result, d.k)] = c
        running[d.k] = d.running
    # explore stops once nothing is left running: the deeper depths have nothing running either
    return counts, {k: running.get(k, 0) for k in range(depth + 1)}


def direct_counts(func, m, depth):
    """The same, from the exact draws counted in every sequence of exactly `depth` draws."""
    law, _ = enumerate_law(func, m, depth)
    counts = {key: p * m ** key[1] for key, p in law.items()}
    assert all(c.denominator == 1 for c in counts.values())
    running = {}
    for k in range(depth + 1):
        _, r = enumerate_law(func, m, k)
        running[k] = r * m ** k
    return {key: int(c) for key, c in counts.items()}, {k: int(r) for k, r in running.items()}


def functions_of(path):
    module = load_module(path, f"rand10_{path.parent.name}_{path.stem}")
    return [("rand10", 7, module.rand10), ("rand_n(10, 7)", 7, lambda s: module.rand_n(10, 7, s)),
            ("rand_n(5, 2)", 2, lambda s: module.rand_n(5, 2, s)), ("rand_n(3, 7)", 7, lambda s: module.rand_n(3, 7, s))]


# Keeps state from one call to the next (rule 3): what a sequence of draws gives depends on the
# calls made before, so no two ways of enumerating the sequences can be compared.
STATEFUL = {"keeps_leftover_between_calls"}
SOLUTIONS = [REPO / "reference" / "rand10.py"] + ALTERNATIVES + [p for p in VARIANTS if p.stem not in STATEFUL]
# Draw through map(), which takes the source's StopIteration as its own end, or catch it: they
# return on a script that ran out, so the grader sees a result on fewer draws than the call would
# make from a longer script.
SWALLOWS_THE_END = {"map_attempts", "swallows_the_end_of_the_source"}


def test_the_variants_set_apart_here_are_what_they_say():
    assert STATEFUL | SWALLOWS_THE_END <= {p.stem for p in VARIANTS}
    for stem in STATEFUL:     # the same draws, different results
        module = load_module(REPO / "tests" / "variants" / "rand10" / f"{stem}.py", f"rand10_stateful_{stem}")
        assert len({module.rand10(Counted(grader.REPEAT_DRAWS)) for _ in range(40)}) > 1, stem
    for stem in SWALLOWS_THE_END:     # returns from no draws at all
        module = load_module(REPO / "tests" / "variants" / "rand10" / f"{stem}.py", f"rand10_swallows_{stem}")
        assert run_counted(module.rand10, []) is not None, stem


def test_the_grader_reads_both_forms_of_running_out():
    """StopIteration, and the RuntimeError PEP 479 makes of it inside a generator expression."""
    source = Counted([])
    with pytest.raises(RuntimeError) as caught:
        sum(source() for _ in range(2))
    assert grader.ran_out(caught.value) and grader.ran_out(StopIteration())
    assert not grader.ran_out(RuntimeError("something else")) and not grader.ran_out(ValueError())


@pytest.mark.parametrize("path", SOLUTIONS, ids=[f"{p.parent.name}/{p.stem}" for p in SOLUTIONS])
def test_explore_matches_direct_counting(path):
    """Inferring the number of draws from running out gives exactly the counted numbers."""
    for label, m, func in functions_of(path):
        depth = 4 if m == 7 else 7
        same = explored_counts(func, m, depth) == direct_counts(func, m, depth)
        assert same != (path.stem in SWALLOWS_THE_END), label


@pytest.mark.parametrize("path", [REPO / "reference" / "rand10.py"] + ALTERNATIVES,
                         ids=["reference"] + [p.stem for p in ALTERNATIVES])
def test_correct_solutions_are_uniform_and_within_the_bound(path):
    for label, m, func in functions_of(path):
        n = {"rand10": 10}.get(label) or int(label.split("(")[1].split(",")[0])
        depth = 4 if m == 7 else 8
        law, running = enumerate_law(func, m, depth)
        for k in range(depth + 1):
            assert len({law.get((j, k), Fraction(0)) for j in range(1, n + 1)}) == 1, (label, k)
        explored = list(grader.explore(runs(func), m, max_depth=depth, max_calls=10 ** 6))
        assert grader.expected_draws_at_least(explored, m) <= grader.standard_bound(n, m), label


# -- the numbers the task states -----------------------------------------------------------------

def test_stated_numbers():
    # the standard scheme over sequences of up to 4 draws: 1 + 1 + 9/49 + 9/49 + 81/2401
    law, _ = enumerate_law(ref.rand10, 7, 4)
    e4 = sum(Fraction(1) - sum(p for (j, k), p in law.items() if k <= d) for d in range(5))
    assert e4 == 2 + Fraction(18, 49) + Fraction(81, 2401) and round(float(e4), 3) == 2.401
    # the remainder-reusing scheme: sizes 1 -> 49 (keep 40) -> 9*7 = 63 (keep 60) -> 3*7 = 21 (keep 20) -> 1
    # E = 2 + 9/49 (1 + 3/63 (1 + 1/21 E))
    E = (2 + Fraction(9, 49) + Fraction(9, 49) * Fraction(3, 63)) / (1 - Fraction(9, 49) * Fraction(3, 63) * Fraction(1, 21))
    assert E == Fraction(329, 150)
    reuse = load_module(REPO / "tests" / "alternatives" / "rand10" / "reuse_remainder.py", "rand10_reuse_numbers")
    explored = list(grader.explore(runs(reuse.rand10), 7, max_depth=7, max_calls=10 ** 6))
    lower = grader.expected_draws_at_least(explored, 7)
    assert lower <= E < lower + Fraction(1, 10 ** 4)
    assert round(math.log(10) / math.log(7), 4) == 1.1833
    assert Fraction(4 * 16, 15) < grader.standard_bound(5, 2) and round(4 * 16 / 15, 2) == 4.27
    assert Fraction(7, 6) + Fraction(7, 5) > grader.standard_bound(10, 7)
    assert math.log(7 ** 40, 7) > 40 and math.ceil(math.log(125, 5)) == 4


def test_grader_inputs_are_what_its_comments_say():
    # n just above m^t / 2: L = n, m^t / n is 2.0 in floats, and the reference runs out on one of the six
    # sequences only (each order read as the other is a value below n)
    for m, n, t in grader.NOT_A_POWER_CASES:
        assert m ** (t - 1) < n <= m ** t and m ** t // n == 1 and m ** t / n == 2.0
        scripts = {tuple(d) for v in (2, 3, 2 + n)
                   for d in (grader.digits_of(v, m, t), grader.digits_of(v, m, t)[::-1])}
        assert len(scripts) == 6
        outs = [run_counted(lambda s: ref.rand_n(n, m, s), script) for script in scripts]
        assert sum(out is None for out in outs) == 1
        assert all(out[1] == t for out in outs if out is not None)
    # rand_n(9, 3) after other arguments: the earlier calls return, the later ones are one to one
    for n, m, script in grader.OTHER_ARGUMENTS_FIRST:
        assert run_counted(lambda s: ref.rand_n(n, m, s), script) is not None
    results = [run_counted(lambda s: ref.rand_n(9, 3, s), script) for script in grader.AFTER_OTHER_ARGUMENTS]
    assert len({out[0] for out in results}) == len(results) and all(out[1] == 2 for out in results)


# -- the search for a call still running ---------------------------------------------------------

CORRECT = [REPO / "reference" / "rand10.py"] + ALTERNATIVES


@pytest.mark.parametrize("path", CORRECT, ids=["reference"] + [p.stem for p in ALTERNATIVES])
def test_running_path_reaches_40_draws_on_correct_solutions(path):
    """Whatever the search order, a correct solution has a sequence of 40 draws it is still running on, found in
    well under the grader's 4 000 calls."""
    for label, m, func in functions_of(path):
        for seed in range(8):
            found, _, calls, _ = grader.running_path(runs(func), m, depth=40, max_calls=4000,
                                                     rng=np.random.default_rng(seed))
            assert found is not None and len(found) == 40, (label, seed)
            assert run_counted(func, list(found)) is None, (label, seed)      # still running: it ran out there
            assert calls <= 2000, (label, seed, calls)


# (variant, function): K, the most draws any call makes, from the counted draws of every sequence of K draws.
BOUNDED = {("two_attempts_then_one_draw", "rand10"): 5, ("sum_of_two_draws", "rand10"): 2,
           ("no_rejection", "rand10"): 2, ("caps_bit_attempts_at_three", "rand_n(5, 2)"): 9}


@pytest.mark.parametrize("stem, label", sorted(BOUNDED), ids=[f"{s}-{f}" for s, f in sorted(BOUNDED)])
def test_running_path_tries_everything_when_every_call_returns_early(stem, label):
    K = BOUNDED[(stem, label)]
    functions = dict((lbl, (m, f)) for lbl, m, f in functions_of(REPO / "tests" / "variants" / "rand10" / f"{stem}.py"))
    m, func = functions[label]
    assert enumerate_law(func, m, K)[1] == 0 and enumerate_law(func, m, K - 1)[1] > 0
    found, longest, calls, everything = grader.running_path(runs(func), m, depth=40, max_calls=4000,
                                                            rng=np.random.default_rng(0))
    assert found is None and everything and len(longest) == K - 1 and calls < 4000
    assert run_counted(func, list(longest)) is None


def test_running_path_stops_at_its_call_limit():
    """A call that runs on for 60 draws and then returns: the search to 40 is cut off by its limit, not finished."""
    def sixty_draws(source):
        for _ in range(60):
            source()
        return 1
    found, longest, calls, everything = grader.running_path(runs(sixty_draws), 7, depth=40, max_calls=100,
                                                            rng=np.random.default_rng(0))
    assert found is None and not everything and calls <= 100 and len(longest) == calls // 7
    found, _, calls, _ = grader.running_path(runs(sixty_draws), 7, depth=40, max_calls=4000,
                                             rng=np.random.default_rng(0))
    assert len(found) == 40 and calls == 40 * 7


def test_running_path_numbers():
    assert Fraction(9, 49) ** 20 < Fraction(2, 10 ** 15)
    # the standard scheme: about 26 calls per attempt of 2 draws on average over search orders
    per_attempt = [grader.running_path(runs(ref.rand10), 7, depth=40, max_calls=4000,
                                       rng=np.random.default_rng(seed))[2] / 20 for seed in range(50)]
    assert 20 <= sum(per_attempt) / len(per_attempt) <= 32
