"""Hidden grader for the rand10 challenge.

Exact, not statistical. The source the solution calls is a scripted,
finite function (`scripted_source`): each call returns the next draw of the
script, and every call after the last draw raises StopIteration. So a call
of the solution either returns a result or runs out of draws
(StopIteration, or the RuntimeError Python makes of it in a generator
expression). The grader runs the solution on every sequence of
draws, shortest first (`explore`): on the empty script; then, for each
script on which it ran out, on that script extended by each of 1..m. A call
that returns on a script of k draws after running out on its first k - 1
made exactly k draws. So, for every k up to the depth explored, the grader
knows exactly:

- leaves: how many of the m^k sequences of k draws end a call after exactly
  k draws, and with which result. The result is uniform at every number of
  draws (the rule) when each depth's leaves give every result 1..n equally
  often. Every rejection scheme has this property, whatever it does with
  the rejected values: an attempt keeps a multiple of n equally likely
  values and splits them evenly.
- running: how many sequences of k draws have not ended a call, so
  P(T > k) = running / m^k exactly (T the number of draws of a call), and
  E[T] = sum over k >= 0 of P(T > k) >= the same sum up to the depth D
  explored. That partial sum, an exact fraction, is compared with the bound
  B(n, m) of the task: a solution within the bound is never failed, and a
  scheme over it is caught once its excess shows within D draws.

Exactness is checked to a small depth only. Beyond it, a call that stops
rejecting after some attempts (and returns a result anyway) is found by
`running_path`: as n divides no power of m, an exactly uniform call must be
able to run on, so a depth-first search for one sequence of 40 draws that
leaves the call running must succeed.

This is sound only if the result is a function of the draws made in the
call (no randomness of its own, nothing kept between calls): a rule of the
task, tested on its own by repeating one call many times in the worker, and
by calls on different draws in turn.

Every explored call is one round trip (about 0.5 ms), so the depths are
chosen per case to keep a test at a few hundred calls; a call budget stops
a solution that keeps running out (explore stops before a depth that would
exceed it, and only whole depths are judged).
"""

from __future__ import annotations

import math
import secrets
from fractions import Fraction

import numpy as np
import pytest

from trainer.grading import checks
from trainer.grading.harness import scripted_source

RAN_OUT = "ran out"


# -- the exact oracle ----------------------------------------------------------------------------

def attempt_size(n: int, m: int) -> tuple[int, int]:
    """(t, m^t): the fewest draws whose m^t values reach n (t = ceil(log_m n), in integers)."""
    t, size = 0, 1
    while size < n:
        t, size = t + 1, size * m
    return t, size


def standard_bound(n: int, m: int) -> Fraction:
    """B(n, m) = t m^t / L, L = the largest multiple of n <= m^t: the standard scheme's expected draws.

    An attempt reads t draws and succeeds with probability L / m^t, so the
    number of attempts is geometric with mean m^t / L.
    """
    t, size = attempt_size(n, m)
    return Fraction(t * size, size - size % n)


class Depth:
    """What the calls on every sequence of k draws did."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.counts: dict = {}    # result -> sequences ending a call after exactly k draws
        self.example: dict = {}   # result -> one such sequence
        self.running = 0          # sequences of k draws on which the call ran out
        self.calls = 0            # calls made so far, this depth included


def explore(run, m: int, *, max_depth: int, max_calls: int):
    """Yield a Depth for k = 0, 1, ..., max_depth: `run(scripts)` is a result or RAN_OUT for each script.

    Stops early when no sequence is left running, or before a depth whose
    calls would take the total past `max_calls`.
    """
    frontier = [()]
    calls = 0
    for k in range(max_depth + 1):
        if k:
            if not frontier or calls + m * len(frontier) > max_calls:
                return
            frontier = [p + (x,) for p in frontier for x in range(1, m + 1)]
        depth = Depth(k)
        still = []
        for script, result in zip(frontier, run(frontier)):
            calls += 1
            if result == RAN_OUT:
                still.append(script)
            else:
                depth.counts[result] = depth.counts.get(result, 0) + 1
                depth.example.setdefault(result, script)
        frontier = still
        depth.running, depth.calls = len(still), calls
        yield depth


def expected_draws_at_least(depths, m: int) -> Fraction:
    """sum over the explored k of P(T > k): a lower bound of the expected number of draws, exact."""
    return sum((Fraction(d.running, m ** d.k) for d in depths), Fraction(0))


# -- calling the solution ------------------------------------------------------------------------

def show_draws(script) -> str:
    if len(script) <= 12:
        return "(" + ", ".join(map(str, script)) + ("," if len(script) == 1 else "") + ")"
    return f"({', '.join(map(str, script[:6]))}, ..., {', '.join(map(str, script[-3:]))}) ({len(script)} draws)"


def is_int_in(result, n: int) -> bool:
    return (isinstance(result, (int, np.integer)) and not isinstance(result, (bool, np.bool_))
            and 1 <= result <= n)


def source_name(name: str) -> str:
    """What the task calls the source of `name`: rand7 for rand10, rand_m for rand_n."""
    return "rand7" if name == "rand10" else "rand_m"


def source_of(name: str, script):
    """The scripted source function passed to `name`: the draws of `script`, one per call, then StopIteration."""
    return scripted_source(list(script), name=source_name(name))


def arguments(name: str, n: int, m: int, script) -> tuple:
    """The arguments of a call of `name` on the draws `script`: (rand7,) for rand10, (n, m, rand_m) for rand_n."""
    source = source_of(name, script)
    return (source,) if name == "rand10" else (n, m, source)


def ran_out(exc: BaseException) -> bool:
    """The call asked for a draw the script does not have: StopIteration, or what PEP 479 makes of it."""
    return isinstance(exc, StopIteration) or (isinstance(exc, RuntimeError) and "StopIteration" in str(exc))


SWALLOWED_END = ("A try/except around a draw (except Exception, except StopIteration), map(lambda _: {source}(), "
                 "...) or iter({source}, sentinel) hide the StopIteration that the grader's finite source raises "
                 "when its script ends, and a result is then computed from draws that never came: call {source}() "
                 "directly and let StopIteration propagate.")


def call(solution, name: str, n: int, m: int, script, given: str, *, none_ran_out: bool = False):
    """The solution's result on the draws `script` (an int in 1..n, checked), or RAN_OUT.

    With `none_ran_out`, a None (what a solution that swallows the end of
    the source returns where it ran out) is taken as RAN_OUT, not failed.
    """
    try:
        result = getattr(solution, name)(*arguments(name, n, m, script))
    except (StopIteration, RuntimeError) as exc:
        result = exc
    return outcome(name, n, script, result, given, none_ran_out=none_ran_out)


def outcome(name: str, n: int, script, result, given: str, *, none_ran_out: bool = False):
    """What `call` makes of the solution's result on `script` (or the exception it raised): an int or RAN_OUT."""
    if isinstance(result, BaseException):
        if not ran_out(result):    # PEP 479: StopIteration inside a generator expression is a RuntimeError
            raise result
        return RAN_OUT
    if result is None:
        if none_ran_out:
            return RAN_OUT
        checks.fail(f"{name} for {given} returned None on the draws {show_draws(script)}. "
                    + SWALLOWED_END.format(source=source_name(name)))
    if not is_int_in(result, n):
        checks.fail(f"{name} for {given} returned {checks.show(result)} on the draws {show_draws(script)}: "
                    f"expected an int in 1..{n}.")
    return int(result)


def runner(solution, name, n, m, given):
    """run(scripts): `call` on each script, the calls made in one round trip (a depth has up to 343 of them)."""
    def run(scripts):
        results = solution.starmap(name, [arguments(name, n, m, script) for script in scripts], go_on=True)
        return [outcome(name, n, script, result, given) for script, result in zip(scripts, results)]
    return run


def check_uniform_at(depth: Depth, n: int, m: int, name: str, given: str) -> None:
    """The sequences ending a call after exactly depth.k draws give every result 1..n equally often."""
    total = sum(depth.counts.values())
    if total == 0 or (len(depth.counts) == n and len(set(depth.counts.values())) == 1):
        return
    k = depth.k
    shown = sorted(depth.counts.items())
    table = ", ".join(f"{r}: {c}" for r, c in shown[:12]) + (", ..." if len(shown) > 12 else "")
    missing = [r for r in range(1, n + 1) if r not in depth.counts]
    most = max(depth.counts, key=lambda r: (depth.counts[r], -r))
    lines = [f"{name} for {given} is not exactly uniform. Of the {m}^{k} = {checks.count(m ** k, 'sequence')} of {k} draws, "
             f"{total} {'ends' if total == 1 else 'end'} a call after exactly {checks.count(k, 'draw')}, with these "
             f"results (result: how many sequences): {table}."]
    if missing:
        lines.append(f"Never returned after exactly {checks.count(k, 'draw')}: "
                     f"{', '.join(map(str, missing[:10]))}{', ...' if len(missing) > 10 else ''}.")
    lines.append(f"E.g. the draws {show_draws(depth.example[most])} gave {most}.")
    if k == 0:
        lines.append("It returned from a source with no draws, which no uniform result can come from. "
                     + SWALLOWED_END.format(source=source_name(name)))
    if total % n:
        lines.append(f"{checks.count(total, 'sequence')} cannot be split evenly among {n} results: reject the rest "
                     f"and draw again (keep the largest multiple of {n} of the equally likely values).")
    else:
        lines.append(f"Each of the {n} results must come from {total // n} of them.")
    lines.append(f"Whatever the number of draws k a call makes, every result must be equally likely given k: "
                 f"P(result = j and k draws) must be the same for every j.")
    checks.fail("\n".join(lines))


def check_uniform(solution, name, n, m, *, max_depth, max_calls, given) -> None:
    returned = False
    depth = None
    for depth in explore(runner(solution, name, n, m, given), m, max_depth=max_depth, max_calls=max_calls):
        check_uniform_at(depth, n, m, name, given)
        returned = returned or bool(depth.counts)
    checks.that(returned,
                f"{name} for {given} never returned within {checks.count(depth.k, 'draw')}, on any of the "
                f"{m ** depth.k} sequences of {depth.k} draws (it ran out of draws on every one). With the "
                f"expected number of draws at most {float(standard_bound(n, m)):.4g}, some results must come "
                f"within {checks.count(math.floor(standard_bound(n, m)), 'draw')}.")


# -- no last attempt ---------------------------------------------------------------------------

def running_path(run, m: int, *, depth: int, max_calls: int, rng):
    """A sequence of `depth` draws on which the call is still running, by depth-first search.

    `run(scripts)` gives, for each script, RAN_OUT or anything else (the call
    returned). From each running sequence found, its m one-draw extensions
    are tried (one batch of calls), and the running ones are searched next,
    in an order drawn from `rng`. Returns (the sequence or None, the longest
    running sequence found, the calls made, whether every running sequence
    was tried): None once the search has tried everything, or before a batch
    would take the calls past `max_calls`.
    """
    calls = 0
    longest = ()
    pending = [[()]]          # per level: running sequences not searched yet
    while pending:
        level = pending[-1]
        if not level:
            pending.pop()
            continue
        prefix = level.pop()
        if len(prefix) == depth:
            return prefix, prefix, calls, False
        if calls + m > max_calls:
            return None, longest, calls, False
        children = [prefix + (x,) for x in range(1, m + 1)]
        running = [c for c, result in zip(children, run(children)) if result == RAN_OUT]
        calls += m
        if running and len(running[0]) > len(longest):
            longest = running[0]
        pending.append([running[i] for i in rng.permutation(len(running))])
    return None, longest, calls, True


def ran_out_or_returned(solution, name, n, m):
    """run(scripts) for running_path: RAN_OUT where the call ran out of draws (or returned None), else True.

    Only whether the call returned counts here: what it returned is the other tests' business.
    """
    def run(scripts):
        results = solution.starmap(name, [arguments(name, n, m, script) for script in scripts], go_on=True)
        return [_returned(result) for result in results]
    return run


def _returned(result):
    """RAN_OUT for a call that ran out of draws (or returned None), True for one that returned; its own error raised."""
    if result is None or isinstance(result, BaseException) and ran_out(result):
        return RAN_OUT
    if isinstance(result, BaseException):
        raise result
    return True


def check_never_stops_rejecting(solution, name, n, m, *, depth, max_calls, given) -> None:
    """Some sequence of `depth` draws still leaves the call running (n divides no power of m)."""
    rng = np.random.default_rng(secrets.randbits(63))    # the search order: no file can know its path
    path, longest, calls, everything = running_path(ran_out_or_returned(solution, name, n, m), m, depth=depth,
                                                    max_calls=max_calls, rng=rng)
    if path is not None:
        return
    searched = ("Every sequence on which it ran out was extended by each draw" if everything else
                f"Of the sequences on which it ran out, {calls} extensions by one draw were tried (a rejection "
                f"scheme needs a few dozen per attempt to reach the next one)")
    checks.fail(f"{name} for {given}: no sequence of {depth} draws leaves a call still running. {searched}, "
                f"and the longest on which a call was still running is "
                f"{show_draws(longest) if longest else 'the empty one'}. "
                f"So it stops rejecting at some "
                f"point and returns a result from values it should have rejected (a loop with a limit, then a "
                f"fallback). Since {n} divides no power of {m}, a result that is exactly uniform needs an "
                f"unbounded number of draws: if every call returned within K draws, every probability would "
                f"be a multiple of 1/{m}^K, never 1/{n}. Reject and draw again, for as long as it takes.")


# -- correctness ---------------------------------------------------------------------------------

@pytest.mark.correctness
def test_rand10_is_exactly_uniform(solution):
    """rand10: every result 1..10 is exactly equally likely, at every number of draws (all sequences of up to 4 draws)"""
    # Depths 0..4: the standard scheme's first attempt (2 draws) and its
    # second; 561 calls for it.
    check_uniform(solution, "rand10", 10, 7, max_depth=4, max_calls=600,
                  given="the draws of every sequence of up to 4 draws from rand7 (1..7)")


# (n, m, depth explored): n = 10 from m = 7 through the first attempt (rand10
# goes deeper); n below m (7, 10), (2, 3), (3, 4); (13, 4); n = m and n = m^2
# (no rejection at all); bits (5, 2). The small m reach the second attempt
# and beyond at a few dozen calls. In (3, 4) an attempt is one draw and
# rejects one value of 4, so each depth adds 4 calls: 40 draws are 40
# attempts, 161 calls. Each depth's leaves there are the 3 kept values after
# k - 1 rejections in a row, so a scheme that stops rejecting after some
# number of attempts (and returns a result from a rejected value) gives one
# result twice at that depth. (3, 7): one draw an attempt, 6 of 7 kept; a
# scheme taking (x - 1) % 3 + 1 of every draw is off at depth 1.
UNIFORM_CASES = [(10, 7, 2), (7, 10, 2), (5, 2, 6), (6, 3, 4), (2, 3, 4), (3, 4, 40), (13, 4, 4), (12, 12, 2),
                 (49, 7, 2), (3, 7, 8)]


@pytest.mark.correctness
@pytest.mark.parametrize("n, m, depth", UNIFORM_CASES, ids=[f"n{n}-m{m}" for n, m, _ in UNIFORM_CASES])
def test_rand_n_is_exactly_uniform(solution, n, m, depth):
    """rand_n: every result 1..n is exactly equally likely, at every number of draws"""
    check_uniform(solution, "rand_n", n, m, max_depth=depth, max_calls=200,
                  given=f"n={n}, m={m}, on every sequence of up to {depth} draws")


# Exact uniformity is checked on the sequences of up to a few draws only, and
# nothing there sees a loop that stops rejecting after a few attempts and
# returns a result from a rejected value (or from one more draw). Such a call
# always returns within some K draws, and then, as n divides no power of m,
# it cannot be exactly uniform. The search looks for one sequence of 40 draws
# on which the call is still running (20 attempts of the standard scheme's 2
# draws: what a limit of 20 attempts or more leaves unseen has probability
# (9/49)^20 < 2e-15). It takes the standard scheme about 26 calls per attempt,
# and any rejection scheme with attempts of t draws at most about m^t (a dead
# end lies within one attempt); one that always returns within K draws makes
# it try every running sequence up to K, or reach the call limit.
NEVER_STOPS_CASES = [(10, 7, 40), (5, 2, 40)]


@pytest.mark.correctness
def test_rand10_never_stops_rejecting(solution):
    """rand10 draws again for as long as it rejects: some sequence of 40 draws still leaves it running"""
    check_never_stops_rejecting(solution, "rand10", 10, 7, depth=40, max_calls=4000,
                                given="sequences of draws from rand7 (1..7)")


@pytest.mark.correctness
@pytest.mark.parametrize("n, m, depth", NEVER_STOPS_CASES, ids=[f"n{n}-m{m}" for n, m, _ in NEVER_STOPS_CASES])
def test_rand_n_never_stops_rejecting(solution, n, m, depth):
    """rand_n draws again for as long as it rejects: some sequence of 40 draws still leaves it running"""
    check_never_stops_rejecting(solution, "rand_n", n, m, depth=depth, max_calls=4000,
                                given=f"n={n}, m={m}")


# 60 ordinary draws: the standard scheme rejects its first attempt ((6, 6) is
# value 40 of 0..48) and returns on the second.
REPEAT_DRAWS = [6, 6, 3, 5, 1, 2, 4, 4, 2, 7, 5, 1, 3, 6, 7, 2, 1, 5, 7, 7] * 3


@pytest.mark.correctness
@pytest.mark.parametrize("name", ["rand10", "rand_n"])
def test_result_depends_only_on_the_draws(solution, name):
    """The result depends only on the draws of the call: the same draws give the same result"""
    given = "60 fixed draws from a source over 1..7, repeated 40 times in one process (a fresh source each time)"
    source = source_of(name, REPEAT_DRAWS)
    args = (source,) if name == "rand10" else (10, 7, source)
    try:
        results = solution.repeat(name, seeds=range(40), args=args)
    except (StopIteration, RuntimeError) as exc:
        if not ran_out(exc):
            raise
        checks.fail(f"{name} for {given} ran out of the 60 draws {show_draws(REPEAT_DRAWS)}: with at most "
                    f"2.45 draws expected, a call needs more than 60 draws only if nearly all of them are "
                    f"rejected, and these are ordinary draws.")
    distinct = sorted({repr(r) for r in results})
    checks.that(len(distinct) == 1,
                f"{name} for {given} returned different results for the same draws: {', '.join(distinct[:10])}. "
                f"The result must be a function of the draws made in the call: no randomness of your own "
                f"(random, np.random), nothing kept from one call to the next.")
    if not is_int_in(results[0], 10):
        checks.fail(f"{name} for {given} returned {checks.show(results[0])}, expected an "
                                              f"int in 1..10.")
    check_same_draws_same_result_in_turn(solution, name)
    if name == "rand_n":
        check_other_arguments_before(solution)


# Three sequences of 60 draws, called in turn in one process: the standard
# scheme keeps the first attempt of KEPT_AT_ONCE ((3, 5) is value 18 of 0..48)
# and rejects the first attempt of REPEAT_DRAWS ((6, 6) is 40, 0 above L = 40)
# and of REJECTED_BY_ONE ((6, 7) is 41, 1 above) before keeping (3, 5). A
# solution that adds the last rejected remainder to later results gives
# KEPT_AT_ONCE a different result after each of the two, whatever the worker
# held before the test; the 40 repeats of one call above cannot see it (a call
# that rejects sets the remainder it then uses).
KEPT_AT_ONCE = REPEAT_DRAWS[2:] + REPEAT_DRAWS[:2]
REJECTED_BY_ONE = [6, 7] + REPEAT_DRAWS[2:]
IN_TURN = [KEPT_AT_ONCE, REJECTED_BY_ONE, KEPT_AT_ONCE, REPEAT_DRAWS, KEPT_AT_ONCE, REJECTED_BY_ONE, REPEAT_DRAWS]


def check_same_draws_same_result_in_turn(solution, name: str) -> None:
    """Each of three sequences of draws, called in turn in one process, gives one result every time."""
    given = ("three sequences of 60 draws from a source over 1..7, called in turn in one process "
             "(a fresh source each time)")
    calls = []
    for script in IN_TURN:
        result = call(solution, name, 10, 7, script, given)
        if result == RAN_OUT:
            checks.fail(f"{name} for {given} ran out of the 60 draws {show_draws(script)}: with at most "
                        f"2.45 draws expected, a call needs more than 60 draws only if nearly all of them are "
                        f"rejected, and these are ordinary draws.")
        calls.append((script, result))
    differing = [script for script in dict.fromkeys(map(tuple, IN_TURN))
                 if len({result for s, result in calls if tuple(s) == script}) > 1]
    if differing:
        shown = "; ".join(f"{show_draws(s)} -> {r}" for s, r in calls)
        checks.fail(f"{name} for {given} returned different results for the same draws "
                    f"{show_draws(differing[0])}, depending on the calls made before it. The calls, in order "
                    f"(draws -> result): {shown}. The result must be a function of the draws made in the call: "
                    f"nothing kept from one call to the next (a rejected remainder, a kept value, a count), "
                    f"no randomness of your own.")


# Calls with other arguments first, in one process: rand_n(9, 10) (the same n:
# one draw, 9 of 10 values kept) and rand_n(5, 3) (the same m: two draws, 5 of
# 9 kept), on draws the examples keep, then rand_n(9, 3). n = 3^2, so, as in a
# call on its own, every sequence of 2 draws ends a call and gives its own
# result. An attempt length and limit kept for n alone (from m = 10: one
# draw, 3 results) or for m alone (from n = 5: 5 of the 9 values) give some of
# these sequences the same result, or run out. No sequence here is all 1s
# (the value 0): a result off by one is left to the uniformity tests.
OTHER_ARGUMENTS_FIRST = [(9, 10, (2,)), (5, 3, (1, 2)), (9, 10, (6,)), (5, 3, (2, 1))]
AFTER_OTHER_ARGUMENTS = [(2, 3), (1, 3), (3, 3), (2, 1), (2, 2)]


def check_other_arguments_before(solution) -> None:
    """rand_n(9, 3), called after rand_n(9, 10) and rand_n(5, 3) in one process, maps 2 draws one to one."""
    earlier = "; ".join(f"rand_n({n}, {m}) on {show_draws(script)}" for n, m, script in OTHER_ARGUMENTS_FIRST)
    given = f"n=9, m=3 (called after these calls in the same process: {earlier})"
    for n, m, script in OTHER_ARGUMENTS_FIRST:
        call(solution, "rand_n", n, m, script, f"n={n}, m={m}")
    seen = {}
    for script in AFTER_OTHER_ARGUMENTS:
        result = call(solution, "rand_n", 9, 3, script, given)
        if result == RAN_OUT:
            checks.fail(f"rand_n for {given} ran out of draws on the 2 draws {show_draws(script)}. n = 3^2: "
                        f"2 draws give exactly n equally likely values, so none is rejected and every call "
                        f"returns after 2 draws, whatever calls came before. The result must be a function of the "
                        f"call's arguments and draws: nothing computed for other arguments (an attempt length or a "
                        f"limit kept for n alone, or for m alone) may be used.")
        if result in seen:
            checks.fail(f"rand_n for {given} returned the same result {result} for the draws "
                        f"{show_draws(seen[result])} and {show_draws(script)}. n = 3^2: the 2 draws map one to one "
                        f"onto 1..9, whatever calls came before. The result must be a function of the call's "
                        f"arguments and draws: nothing computed for other arguments (an attempt length or a limit "
                        f"kept for n alone, or for m alone) may be used.")
        seen[result] = script


# -- edge cases ----------------------------------------------------------------------------------

@pytest.mark.edge_case
@pytest.mark.parametrize("m", [2, 7, 10 ** 6])
def test_n_one_reads_no_draw(solution, m):
    """rand_n(1, m) returns 1 without calling the source"""
    given = f"n=1, m={m} and a source with no draws"
    result = call(solution, "rand_n", 1, m, (), given)
    checks.that(result != RAN_OUT,
                f"rand_n for {given} asked for a draw. One possible result needs no randomness: return 1 "
                f"without calling the source (the expected number of draws must be at most B(1, m) = 0).")


@pytest.mark.edge_case
@pytest.mark.parametrize("n, m", [(0, 7), (-3, 7), (10, 1), (1, 1), (10, 0), (5, -2)])
def test_invalid_arguments_raise(solution, n, m):
    """n < 1 or m < 2 raises ValueError, before calling the source"""
    checks.raises(ValueError, solution.rand_n, n, m, source_of("rand_n", []),
                  given=f"n={n}, m={m} (a source with no draws: check the arguments before calling it)")


# -- numerical stability -------------------------------------------------------------------------

# n = m^k: the bound B = k, and the only schemes with E[T] <= k read exactly k
# draws and map the m^k sequences one to one onto 1..n (log n / log m = k is
# also the entropy bound). So every k-draw script returns, and different
# scripts give different results. 7^40 and 10^30 exceed int64; 2^100 and
# the others exceed float64's 53-bit mantissa, so a float or int64
# accumulation makes results collide (or overflow); math.log(7**40, 7) is
# 40.00000000000001, so a float logarithm reads 41 draws.
POWER_CASES = [(7, 40), (2, 100), (10, 30)]


@pytest.mark.stability
@pytest.mark.parametrize("m, k", POWER_CASES, ids=[f"{m}^{k}" for m, k in POWER_CASES])
def test_huge_n_exact_integer_arithmetic(solution, m, k):
    """n = m^k beyond int64 and float64: exactly k draws, different draws give different results"""
    n = m ** k
    given = f"n = {m}^{k} (= {n}), m = {m}"
    g = np.random.default_rng(1000 + m)
    base = [int(x) for x in g.integers(1, m + 1, size=k)]
    scripts = [base]
    for position in (0, k // 2, k - 1):     # one draw changed: a different sequence, a different result
        for value in range(1, m + 1):
            if value != base[position]:
                scripts.append(base[:position] + [value] + base[position + 1:])
    scripts += [[int(x) for x in g.integers(1, m + 1, size=k)] for _ in range(8)]
    scripts.append([m] * k)                  # the largest value, m^k - 1 before the + 1
    scripts.append([1] * k)
    seen = {}
    for script in scripts:
        result = call(solution, "rand_n", n, m, script, given)
        if result == RAN_OUT:
            checks.fail(f"rand_n for {given} ran out of draws on the {k} draws {show_draws(script)}. n is a power "
                        f"of m: {k} draws give exactly n equally likely values, so no value is rejected and the "
                        f"bound B(n, m) = {k} draws allows no more. Count the draws with integers "
                        f"(math.log({m}**{k}, {m}) = {math.log(n, m)!r}).")
        if not isinstance(result, int):
            checks.fail(f"rand_n for {given} returned {checks.show(result)} of type {type(result).__name__}: "
                        f"a result this large must be a Python int.")
        if result in seen:
            checks.fail(f"rand_n for {given} returned the same result {result} for the draws "
                        f"{show_draws(seen[result])} and {show_draws(script)}. With n = m^{k}, the {k} draws "
                        f"must map one to one onto 1..n; compute with Python ints (exact at any size), not "
                        f"floats (53 bits) or int64.")
        seen[result] = tuple(script)


# n beyond float64 just above m^t / 2, t the fewest draws with m^t >= n: m^t
# = 2n - r for a small r, so L = n, and of the m^t sequences of t draws at most
# one gives each result (every result equally often, n <= m^t < 2n). In
# floats m^t / n rounds up to 2.0, and an L computed from it, 2n, exceeds m^t:
# nothing is rejected, and the values 2 and 2 + n (a result v % n + 1) or 2
# and 3 (blocks of two values) give one result twice. Each value is given as
# its t draws in both orders (first draw the most or the least significant
# digit), and read in the other order each is below n: a call of the examples
# runs out on one of the six sequences only (2 + n >= L). A None there, from a
# solution that swallows the end of the source, is the uniformity tests'
# business and counts as running out here.
NOT_A_POWER_CASES = [(7, (7 ** 40 + 3) // 2, 40), (10, 10 ** 30 // 2 + 1, 30)]


def digits_of(v: int, m: int, t: int) -> list:
    """The t draws (1..m) whose base-m digits, first draw most significant, are v."""
    draws = []
    for _ in range(t):
        v, d = divmod(v, m)
        draws.append(d + 1)
    return draws[::-1]


@pytest.mark.stability
@pytest.mark.parametrize("m, n, t", NOT_A_POWER_CASES, ids=[f"m{m}" for m, *_ in NOT_A_POWER_CASES])
def test_huge_n_not_a_power_exact_integer_arithmetic(solution, m, n, t):
    """n beyond float64, just above m^t / 2: no two of the m^t sequences of t draws give the same result"""
    given = f"n = {n}, m = {m}"
    scripts = list(dict.fromkeys(tuple(d) for v in (2, 3, 2 + n)
                                 for d in (digits_of(v, m, t), digits_of(v, m, t)[::-1])))
    seen = {}
    for script in scripts:
        result = call(solution, "rand_n", n, m, script, given, none_ran_out=True)
        if result == RAN_OUT:
            continue
        if result in seen:
            checks.fail(f"rand_n for {given} returned the same result {result} for the {t} draws "
                        f"{show_draws(seen[result])} and {show_draws(script)}. With t = {t} draws (the fewest "
                        f"with m^t >= n), the largest multiple of n that is at most m^t = {m}^{t} is L = n: of "
                        f"the m^t sequences of {t} draws at most one can give each result, as every result must "
                        f"come equally often. Compute with Python ints throughout (L = m**t - m**t % n): in "
                        f"floats m**t / n = {m ** t / n!r}, so an L from it ({int(m ** t / n)}n) exceeds m^t, "
                        f"and a number built from {t} draws loses its last digits.")
        seen[result] = script


# -- performance: expected number of draws -------------------------------------------------------

def check_expected_draws(solution, budget, name, n, m, *, max_depth, max_calls, given):
    bound = standard_bound(n, m)
    depths = []
    for depth in explore(runner(solution, name, n, m, given), m, max_depth=max_depth, max_calls=max_calls):
        # The calls counted are checked too: a cheap scheme that is not
        # uniform must not pass where only this test looks.
        check_uniform_at(depth, n, m, name, given)
        depths.append(depth)
        if expected_draws_at_least(depths, m) > bound:
            break
    at_least = expected_draws_at_least(depths, m)
    last = depths[-1]
    budget.at_most(f"{name}: expected draws for {given}, at least (counted over sequences of up to "
                   f"{last.k} draws)", float(at_least), float(bound), unit="draws", reference=float(bound),
                   advice=f"Over the sequences of up to {checks.count(last.k, 'draw')} alone, the expected number "
                          f"of draws is already at least {float(at_least):.4f} ({at_least}), and it may be at "
                          f"most B({n}, {m}) = {float(bound):.4f}, the standard scheme's: attempts of "
                          f"t = {attempt_size(n, m)[0]} draws (the fewest with m^t >= n) that keep the largest "
                          f"multiple of n of the m^t values. Rejecting more values than that, or reading more "
                          f"draws per attempt than needed, costs draws.")


@pytest.mark.performance
def test_rand10_expected_draws(solution, budget):
    """rand10: expected number of draws at most 2.45, the standard scheme's (49 values, 40 kept)"""
    check_expected_draws(solution, budget, "rand10", 10, 7, max_depth=4, max_calls=600, given="n=10 from rand7")


# (n, m, depth, calls). In (2, 3) and (13, 4) an attempt of the fewest draws
# t keeps most of the m^t values (2 of 3, 13 of 16): attempts of t + 1 draws
# (8 of 9 kept, 52 of 64) reject less but cost more, 9/4 > B = 3/2 and
# 3.69 > B = 2.46, and the excess shows within t draws: P(T > k) = 1 for
# k <= t, so the sum is already t + 1 > B.
EXPECTED_DRAWS_CASES = [(10, 7, 3, 200), (3, 7, 8, 200), (5, 2, 9, 200), (2, 3, 6, 200), (13, 4, 4, 200)]


@pytest.mark.performance
def test_rand_n_expected_draws(solution, budget):
    """rand_n: expected number of draws at most B(n, m) for (n, m) = (10, 7), (3, 7), (5, 2), (2, 3), (13, 4)"""
    for n, m, max_depth, max_calls in EXPECTED_DRAWS_CASES:
        check_expected_draws(solution, budget, "rand_n", n, m, max_depth=max_depth, max_calls=max_calls,
                             given=f"n={n}, m={m}")
