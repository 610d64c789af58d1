"""Hidden grader for the sampling challenge.

reservoir_sample, weighted_choice and stratified_split are random, so most
checks are statistical: many repetitions with fixed seeds, then each observed
count compared with its binomial distribution. Every tolerance comes from
Bernstein's inequality (below) with a union bound over all the counts a test
looks at, so that a correct solution fails a test with probability below
1e-6 over the choice of seeds. The bound holds for any number of trials (no
normal or chi-square approximation, which is unreliable that far in the
tail), at the cost of being somewhat wider than the exact quantile.

Every repetition is a call in the worker with its own generator, so the
repetitions are most of what grading these three functions costs. Beside
each test's number of repetitions: how far a frequency may stray for a
correct solution, and the probability that the bugs named there are missed
(from the exact binomial distribution of each count under the buggy rule:
that one count stays within its bounds, an upper bound on all of them
doing so).

The timed weighted_choice calls each get their own weights and generator,
and every result is checked: valid indices, zero weights never drawn, the
draws counted in ten groups of categories (by rank of weight, so the
groups' probabilities run from 0 to 0.21) within the same binomial bounds,
the spread of the counts of the single categories around their
expectations within bounds from Bernstein's inequality (which a block of
draws repeated, or any other scheme whose counts stray too much or too
little, fails), and the order of the draws: consecutive pairs of draws
counted by where the two fall (which a sequence sorted, in runs or cycling
through the categories fails), with the failure probability split over
the timed runs and the three statistical checks.
"""

import itertools
import math

import numpy as np
import pytest

from trainer.grading import Call, checks
from trainer.grading.harness import check_randomness_from_rng, one_pass, seeded_rng
from trainer.grading.stats import bernstein_halfwidth, binomial_halfwidth

# Probability that a correct solution fails one statistical test.
FAIL_PROB = 1e-6


def _check_counts(counts, probs, trials, fail_prob, *, what, given):
    """Every count within its binomial tolerance (a union bound over the cells)."""
    per_cell = fail_prob / len(probs)
    bad = []
    for (label, count), p in zip(counts.items(), probs):
        half = binomial_halfwidth(trials, p, per_cell)
        if abs(count - trials * p) > half:
            bad.append(f"{label}: {count / trials:.4f} (expected {p:.4f} +- {half / trials:.4f})")
    checks.that(not bad,
                f"{what} for {given}, over {trials} repetitions with fixed seeds, are off for "
                f"{len(bad)} of {checks.count(len(probs), 'outcome')}: " + "; ".join(bad[:8]) + ". A correct solution gets "
                f"outside these bounds with probability below {fail_prob:g}.")


# What a short sample most often means: the stream is a plain one-pass
# iterator, so a second pass over it (after counting it, say) sees nothing.
SECOND_PASS = ("The stream is a one-pass iterator of unknown length: a second pass over it (after a first one "
               "to count the items, say) sees no items at all. Count and sample in the same single pass.")


def _reservoir_runs(solution, items, k, reps):
    """reservoir_sample over a one-pass stream of `items`, once per seed 0..reps-1."""
    return solution.repeat("reservoir_sample", seeds=range(reps), args=(one_pass(items), k, seeded_rng()))


def _check_sample(sample, items, k, given):
    """A list of min(k, n) distinct items of the stream (messages built only on failure)."""
    if not isinstance(sample, list):
        checks.fail(f"reservoir_sample for {given} should return a list, got {checks.show(sample)}")
    want = min(k, len(items))
    if len(sample) != want:
        checks.fail(f"reservoir_sample for {given} returned {checks.count(len(sample), 'item')}, expected {want}: "
                    f"{checks.show(sample)}." + (f" {SECOND_PASS}" if len(sample) < want else ""))
    if len(set(sample)) != len(sample) or not set(sample) <= set(items):
        checks.fail(f"reservoir_sample for {given} should return distinct items of the stream (not their "
                    f"positions), got {checks.show(sample)}")


# -- reservoir_sample -------------------------------------------------------------
# Repetitions of the inclusion test. For a correct solution each item's count
# is Binomial(4000, 0.3): its frequency strays more than 0.043 from 0.3 with
# probability below 1e-7. A replacement rule of k/i instead of k/(i+1)
# leaves each of the first three items at 2/9 = 0.222, 0.078 below 0.3: one
# such count stays within its bounds with probability 1.3e-7, so that bug is
# missed with probability below 1.3e-7.
INCLUSION_REPS = 4000


@pytest.mark.correctness
def test_reservoir_inclusion_probabilities(solution):
    """Every item ends in the reservoir with probability k/n"""
    items = [100 + 7 * i for i in range(10)]
    k, reps = 3, INCLUSION_REPS
    given = f"a stream of the 10 items {items[0]}, {items[1]}, ..., {items[-1]}, k={k}"
    samples = _reservoir_runs(solution, items, k, reps)
    counts = {f"item {item}": 0 for item in items}
    for sample in samples:
        _check_sample(sample, items, k, given)
        for s in sample:
            counts[f"item {s}"] += 1
    _check_counts(counts, [k / len(items)] * len(items), reps, FAIL_PROB,
                  what="inclusion frequencies of the items", given=given)


# Repetitions of the subset test. For a correct solution each of the 15
# subsets' counts is Binomial(3000, 1/15): its frequency strays more than
# 0.029 from 0.067 with probability below 6.7e-8. With a replacement rule of
# k/i the item at position k always enters, so {0, 1} never comes up: a
# count of 0, below the lower bound of 114, whatever the seeds. A rule of
# k/(i+2) (an item enters too rarely), which the inclusion test misses with
# probability 4e-3, is missed here with probability below 3e-15.
SUBSET_REPS = 3000


@pytest.mark.correctness
def test_reservoir_subsets_are_uniform(solution):
    """Every k-subset of the stream is equally likely"""
    items = list(range(6))
    k, reps = 2, SUBSET_REPS
    given = "a stream of the 6 items 0..5, k=2 (15 possible subsets)"
    samples = _reservoir_runs(solution, items, k, reps)
    subsets = list(itertools.combinations(items, k))
    counts = {s: 0 for s in subsets}
    for sample in samples:
        _check_sample(sample, items, k, given)
        counts[tuple(sorted(sample))] += 1
    _check_counts(counts, [1 / len(subsets)] * len(subsets), reps, FAIL_PROB,
                  what="frequencies of the 15 subsets", given=given)


@pytest.mark.edge_case
def test_reads_the_stream_once(solution, rng):
    """Reads the stream in one pass"""
    items = [3 * i + 1 for i in range(20)]
    given = "a one-pass stream of 20 items, k=5"
    sample = solution.reservoir_sample(one_pass(items), 5, rng)
    _check_sample(sample, items, 5, given)


# Neither ascending nor descending: a sample sorted (or reversed) before it is
# returned is not in stream order.
SHORT_STREAM = [53, 13, 93, 33, 73]


@pytest.mark.edge_case
@pytest.mark.parametrize("n, k", [(3, 5), (5, 5), (0, 4), (1, 1)])
def test_short_stream_returned_whole_in_order(solution, rng, n, k):
    """A stream of at most k items comes back whole, in stream order"""
    items = SHORT_STREAM[:n]
    given = f"a stream of {checks.count(n, 'item')} {items}, k={k}"
    got = solution.reservoir_sample(one_pass(items), k, rng)
    if not isinstance(got, list):
        checks.fail(f"reservoir_sample for {given} should return a list, got {checks.show(got)}")
    checks.equal(got, items, what="reservoir_sample", given=given)


@pytest.mark.edge_case
def test_k_zero_and_negative(solution, rng):
    """k = 0 returns []; k < 0 raises ValueError"""
    got = solution.reservoir_sample(one_pass(list(range(5))), 0, rng)
    if got != []:
        checks.fail(f"reservoir_sample(stream of 5 items, k=0) should return [], got {checks.show(got)}")
    # k < 0 is refused before the stream is read, also when the stream turns out to be empty.
    for n in (5, 0):
        checks.raises(ValueError, solution.reservoir_sample, one_pass(list(range(n))), -1, rng,
                      given=f"a stream of {checks.count(n, 'item')} and k=-1")


# Streams whose items numpy would convert: np.array of them and back gives
# ['1', 'a'] for (1, 'a') (the tuples become rows of strings) and 3.0 for 3
# (the ints join the floats' dtype). The items must come back as they were read.
# Any items may come in a stream, None too: one read as the end of the stream
# (next(it, None) as the end marker) cuts the sample short, so the sample's
# length is checked as well. 0 and '' come along: items that are false, not absent.
UNCONVERTED_ITEMS = {
    "tuples": [(1, "a"), (2, "b"), (3, "c"), (4, "d")],
    "ints and floats": [1, 2.5, 3, 4.5],
    "None, 0 and ''": [7, None, 0, "", 5],
}


# Each stream with k = 2 (a sample of it) and k = 6 (all of it), but the one
# with None: a stream of at most k items is test_short_stream_returned_whole_
# in_order's, and a file that sorts such a sample (which that test fails) would
# raise TypeError on None here as well.
ITEM_CASES = [("tuples", 2), ("tuples", 6), ("ints and floats", 2), ("ints and floats", 6), ("None, 0 and ''", 2)]


@pytest.mark.edge_case
@pytest.mark.parametrize("items, k", ITEM_CASES)
def test_items_come_back_as_they_were_read(solution, rng, items, k):
    """The sample holds min(k, n) of the stream's items themselves (any items, None too): same values, same types"""
    items = UNCONVERTED_ITEMS[items]
    given = f"a stream of {checks.count(len(items), 'item')} {items}, k={k}"
    got = solution.reservoir_sample(one_pass(items), k, rng)
    if not isinstance(got, list):
        checks.fail(f"reservoir_sample for {given} should return a list, got {checks.show(got)}")
    if len(got) != min(k, len(items)):
        checks.fail(f"reservoir_sample for {given} returned {checks.count(len(got), 'item')}, expected "
                    f"{min(k, len(items))}: {checks.show(got)}. Every item counts, None, 0 and '' too: read the "
                    f"stream with a for loop, not next(it, None) with None as the end marker.")
    # The type is compared first: a returned list or array is never compared with a tuple.
    changed = [s for s in got if not any(type(s) is type(item) and s == item for item in items)]
    checks.that(not changed,
                f"reservoir_sample for {given} returned {checks.show(got)}: {checks.show(changed)} "
                f"{'is not an item' if len(changed) == 1 else 'are not items'} of the stream as read (same "
                f"value and type). Return the items themselves, not converted: passing them through a numpy "
                f"array turns (1, 'a') into ['1', 'a'] and [1, 2.5] into [1.0, 2.5].")


@pytest.mark.edge_case
def test_reservoir_randomness_comes_from_rng(solution):
    """All randomness comes from rng: same seed, same sample; the global generators untouched"""
    items = list(range(1000))
    given = "a stream of the 1000 items 0..999, k=10"

    def run(seed):
        sample = solution.reservoir_sample(one_pass(items), 10, np.random.default_rng(seed))
        _check_sample(sample, items, 10, given)
        return sample

    # Two seeds agree on a 10-of-1000 sample with probability 1 / C(1000, 10).
    check_randomness_from_rng(solution, run, what="reservoir_sample", given=given)


# The memory test measures the peak of a call on a long stream and compares
# it with the reference's on the same stream and generator. The stream and
# the generator are drawn from the budget's secret, so no file can recognise
# the measured call (to keep the whole stream on every other) or name the
# stream's items without reading them.
#
# The stream is a one-pass iterator over a list of Python ints that the
# worker builds from the call's input, a uint32 array: both sides build that
# list, which cancels in the difference, and both free the array as the call
# starts, so keeping the stream is measured net of the array's 4 bytes per
# item. A list of the items (list(stream)) costs a pointer per item, 4 MiB
# net for the 2^20 items, and np.fromiter's int64 array 4 MiB net too, twice
# the 2 MiB allowed; an O(k) reservoir plus a block of pre-drawn numbers of
# any fixed size up to several tens of thousands stays well within it. What
# is measured is the kernel's peak resident memory of a fresh worker during
# the import and the call, above what it held before: it adds no overhead to
# the call, its page granularity is far below the allowance, and the
# reference's peak on the same input is the same from one worker to the next
# (the noise is a few pages). The stream is as long as a margin of 2 needs
# and no longer: both calls read every item through the iterator's
# Python-level __next__. A correct Algorithm R that calls rng once per item
# takes a few microseconds per item, hence the long timeout.
#
# Each item is its position times 2^12 plus a secret 12-bit tag (below
# 2^32), so the grader reads an item's position from it, and an item that
# was not read is named with probability 2^-12. The sample must come from
# the whole stream: at most one of a correct sample's k items falls beyond
# the first seventh of the stream (positions n // 7 and up) with probability
# [C(m, k) + (n - m) C(m, k - 1)] / C(n, k) = 2.2e-7 for n = 2^20,
# m = n // 7 and k = 10 (tests/references/test_sampling.py), and as often
# before its last seventh: 4.3e-7 for the two, below FAIL_PROB. A file that
# stops reading early (after a prefix shorter than a seventh of the stream,
# or after the first k items) fails the first whatever its draws, unless it
# guesses the tags of two items it did not read (probability 2^-24); one
# that returns the last items it read (a window of the stream's end, kept
# in O(k) memory) fails the second.
MEMORY_STREAM = 2 ** 20
MEMORY_K = 10
MEMORY_TAG = 2 ** 12
MEMORY_SEED = 11
MEMORY_GROWTH_LIMIT = 2 * 2 ** 20
MEMORY_TEST_TIMEOUT_S = 180
# A correct sample has at least LATE_ITEMS items at positions >= n // EARLY_PART, and as many
# before n - n // EARLY_PART, but with probability below FAIL_PROB.
EARLY_PART, LATE_ITEMS = 7, 2


def _memory_stream(seed, n=MEMORY_STREAM):
    """The measured stream's items: position * 2^12 + a secret 12-bit tag, distinct, as a uint32 array."""
    tags = np.random.default_rng(seed).integers(0, MEMORY_TAG, n, dtype=np.uint32)
    return np.arange(n, dtype=np.uint32) * np.uint32(MEMORY_TAG) + tags


def _check_memory_sample(sample, items, k, given, *, whole_stream=True):
    """k distinct items of the stream (Python ints, as read); with whole_stream, at least LATE_ITEMS of them
    past its first seventh and as many before its last seventh."""
    n = len(items)
    if not (isinstance(sample, list) and len(sample) == k and all(isinstance(s, int) for s in sample)):
        checks.fail(f"reservoir_sample for {given} should return a list of {k} items of the stream (Python "
                    f"ints, as read), got {checks.show(sample)}")
    positions = [s // MEMORY_TAG for s in sample]
    foreign = [s for s, p in zip(sample, positions) if not (0 <= p < n and int(items[p]) == s)]
    if foreign:
        checks.fail(f"reservoir_sample for {given} returned {checks.show(foreign)}, which "
                    f"{'is not an item' if len(foreign) == 1 else 'are not items'} of the stream")
    if len(set(positions)) != k:
        checks.fail(f"reservoir_sample for {given} should return {k} distinct items of the stream, got "
                    f"{checks.show(sample)}")
    if not whole_stream:
        return
    part = n // EARLY_PART
    late = sum(p >= part for p in positions)
    if late < LATE_ITEMS:
        checks.fail(f"reservoir_sample for {given} returned {checks.count(late, 'item')} from beyond the first "
                    f"seventh of the stream (positions {sorted(positions)}; the first seventh is 0..{part - 1}): "
                    f"a uniform sample of the whole stream has fewer than {LATE_ITEMS} there with probability "
                    f"below {FAIL_PROB / 2:g}. Read the stream to its end: every item, the last one too, may be "
                    f"in the sample.")
    before = sum(p < n - part for p in positions)
    if before < LATE_ITEMS:
        checks.fail(f"reservoir_sample for {given} returned {checks.count(before, 'item')} from before the last "
                    f"seventh of the stream (positions {sorted(positions)}; the last seventh is {n - part}.."
                    f"{n - 1}): a uniform sample of the whole stream has fewer than {LATE_ITEMS} there with "
                    f"probability below {FAIL_PROB / 2:g}. Every item, the first one too, must stay as likely to "
                    f"be in the sample as any other: replace a reservoir item only with probability k / (i + 1).")


@pytest.mark.performance
def test_reservoir_memory_does_not_grow_with_the_stream(solution, reference, budget):
    """Peak memory does not grow with the stream length (O(k) memory)"""
    k, n = MEMORY_K, MEMORY_STREAM
    items = _memory_stream(budget.seed(MEMORY_SEED), n)
    stream, rng = one_pass(items), budget.rng(MEMORY_SEED + 1)
    given = f"a one-pass stream of {n} random Python ints, k={k}"
    ref_sample, ref_peak = reference.peak_memory("reservoir_sample", stream, k, rng)
    # The reference is only checked for validity: the whole-stream check's failure budget is the candidate's.
    _check_memory_sample(ref_sample, items, k, f"{given} (the reference)", whole_stream=False)
    sample, peak = solution.with_timeout(MEMORY_TEST_TIMEOUT_S).peak_memory("reservoir_sample", stream, k, rng)
    _check_memory_sample(sample, items, k, given)
    growth = peak - ref_peak
    if growth > MEMORY_GROWTH_LIMIT:
        checks.fail(f"reservoir_sample's peak memory on {given} was {peak / 2 ** 20:.1f} MiB, "
                    f"{growth / 2 ** 20:.1f} MiB above the reference's {ref_peak / 2 ** 20:.1f} MiB on the same "
                    f"stream and generator (both count the list of the stream's items that the stream reads "
                    f"from). It may be at most {MEMORY_GROWTH_LIMIT / 2 ** 20:.0f} MiB above: keep only the k "
                    f"items of the reservoir (and at most a fixed-size block of pre-drawn random numbers). A "
                    f"list of the items (list(stream)) or an int64 array of them (np.fromiter) takes "
                    f"{n * 8 / 2 ** 20:.0f} MiB, about {n * 4 / 2 ** 20:.0f} MiB above the reference once the "
                    f"stream's input array, which both sides free as the call starts, is taken off.")


# -- weighted_choice -------------------------------------------------------------
def _rng_with_first_output(high_equals_low):
    """A PCG64 generator whose first 64-bit output is 0 or 2^64 - 1.

    numpy's PCG64 advances its 128-bit state s' = a s + c and outputs
    rotr64(hi(s') ^ lo(s'), hi(s') >> 58). Choosing s' with lo = hi gives 0
    (so the first rng.random() is exactly 0.0); lo = ~hi gives all ones (the
    first rng.random() is 1 - 2^-53). The state before is (s' - c) / a mod 2^128.
    """
    a = (2549297995355413924 << 64) + 4865540595714422341
    mask = (1 << 128) - 1
    inc = np.random.PCG64(20240611).state["state"]["inc"]
    hi = 0x0123456789ABCDEF
    lo = hi if high_equals_low else hi ^ ((1 << 64) - 1)
    state = ((((hi << 64) | lo) - inc) * pow(a, -1, 1 << 128)) & mask
    bit_generator = np.random.PCG64()
    bit_generator.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                           "has_uint32": 0, "uinteger": 0}
    return np.random.Generator(bit_generator)


def _check_indices(got, size, weights, given):
    if not isinstance(got, np.ndarray):
        checks.fail(f"weighted_choice for {given} should return a numpy array, got {checks.show(got)}")
    checks.that(got.shape == (size,), f"weighted_choice for {given} should have shape ({size},), got {got.shape}")
    checks.that(got.dtype.kind in "iu", f"weighted_choice for {given} should return integer indices, "
                                        f"got dtype {got.dtype}")
    if not bool(np.all((got >= 0) & (got < len(weights)))):
        checks.fail(f"weighted_choice for {given} returned indices outside 0..{len(weights) - 1}: "
                    f"{checks.show(np.unique(got[(got < 0) | (got >= len(weights))]))}")
    # The weight of every draw (a gather, linear in size): the indices with weight 0 are
    # listed (a sort of the draws) only when there are some.
    weights = np.asarray(weights)
    if bool(np.any(weights[got] == 0)):
        drawn = np.intersect1d(np.flatnonzero(weights == 0), got)
        checks.fail(f"weighted_choice for {given} drew indices with weight 0: {drawn.tolist()}. "
                    f"Zero weights must never be drawn.")


# The weights need not sum to 1, and tiny ones are as valid as any: the same
# weights scaled by 1e-10 (a total of 7.25e-10, which np.isclose(total, 0)
# takes for zero), by 2^-1000 (about 9e-302, a normal float64 total) and by
# 2^-1030 (subnormal weights, each a multiple of 2^-1074, exactly; a total of
# about 6.3e-310, below 2^-1024, so 1 / total overflows to inf) must be drawn
# with the same frequencies, not refused as all zero. The subnormal total
# still holds 7.25 * 2^44 units of 2^-1074: u * total rounds up to total
# (test_zero_weights_never_drawn_at_the_extremes) only for u within 4e-15
# of 1: one of the 200000 draws comes that near with probability below 1e-9.
WEIGHT_SCALES = {"1": 1.0, "1e-10": 1e-10, "2^-1000": 2.0 ** -1000, "2^-1030 (subnormal)": 2.0 ** -1030}


@pytest.mark.correctness
@pytest.mark.parametrize("scale", list(WEIGHT_SCALES))
def test_weighted_frequencies(solution, rng, scale):
    """Draw frequencies are proportional to the weights (which need not sum to 1, and may be tiny)"""
    weights = np.array([1.0, 0.0, 3.0, 0.5, 0.0, 2.5, 0.25]) * WEIGHT_SCALES[scale]  # sum 7.25 * scale
    size = 200_000
    given = f"weights {weights.tolist()}, size={size}"
    got = solution.weighted_choice(weights, size, rng)
    _check_indices(got, size, weights, given)
    counts = np.bincount(got, minlength=len(weights))
    probs = weights / weights.sum()
    _check_counts({f"index {i} (weight {w:g})": int(c) for i, (w, c) in enumerate(zip(weights, counts))},
                  probs.tolist(), size, FAIL_PROB, what="draw frequencies", given=given)


# The order of the draws. For independent draws x_0, x_1, ... with P(x = j) =
# p_j, the disjoint pairs (x_0, x_1), (x_2, x_3), ... are independent, and so
# are (x_1, x_2), (x_3, x_4), ...: classed by where the two draws fall, the
# count of each class over one of these two sequences of pairs is exactly
# Binomial(pairs, its probability), whatever the solution's algorithm. The
# categories are split into bins of consecutive indices; a pair's class is
# its two bins when they differ (probability P_a P_b, P_a the bin's total
# probability), and when both fall in bin a: second index larger, smaller
# (each (P_a^2 - T_a) / 2) or equal (T_a = sum of p_j^2 over the bin). Every
# class count must lie within binomial_halfwidth, with the failure
# probability split evenly over the two sequences and their classes of
# positive probability (a class of probability 0, such as a zero weight's,
# must stay empty). The draws' counts alone cannot pass this for any order:
# sorted draws make nearly every pair "equal" or "second larger", runs of a
# repeated draw make pairs "equal", and draws cycling through the
# categories (or through a block) pile up in a few classes.
def _pair_classes(bins, probs):
    """Probabilities of the pair classes for categories of probabilities `probs`: n_bins^2 for bins a, b (0 if a
    = b), then 3 per bin a for both in a (second index larger, equal, smaller)."""
    n_bins = int(bins.max()) + 1
    bin_probs = np.bincount(bins, weights=probs, minlength=n_bins)
    equal = np.bincount(bins, weights=probs * probs, minlength=n_bins)
    apart = np.outer(bin_probs, bin_probs)
    np.fill_diagonal(apart, 0.0)  # both in one bin: the three classes below
    ordered = np.maximum(bin_probs * bin_probs - equal, 0.0) / 2.0
    return np.concatenate([apart.ravel(), np.column_stack([ordered, equal, ordered]).ravel()])


def _pair_codes(got, bins, n_bins):
    """(a n_bins + b) 3 + c for each pair (got[t], got[t + 1]): a, b their bins, c = 0, 1 or 2 if the second index
    is larger than, equal to or smaller than the first."""
    drawn = bins.astype(np.int32)[got]
    first, second = got[:-1], got[1:]
    order = (second <= first).view(np.int8) + (second < first).view(np.int8)
    return (drawn[:-1] * n_bins + drawn[1:]) * 3 + order


def _pair_class_counts(codes, n_bins):
    """Counts of the classes of _pair_classes from codes of _pair_codes (for bins a != b, c is summed over)."""
    counts = np.bincount(codes, minlength=3 * n_bins * n_bins).reshape(n_bins, n_bins, 3)
    apart = counts.sum(axis=2)
    np.fill_diagonal(apart, 0)
    diagonal = np.arange(n_bins)
    return np.concatenate([apart.ravel(), counts[diagonal, diagonal].ravel()])


def _describe_pair_class(code, n_bins, bin_name):
    if code < n_bins * n_bins:
        return f"first {bin_name(code // n_bins)}, second {bin_name(code % n_bins)}"
    a, kind = divmod(code - n_bins * n_bins, 3)
    return f"both {bin_name(a)}, " + ("second larger", "the same index twice", "second smaller")[kind]


def _check_consecutive_pairs(got, weights, bins, fail_prob, given, bin_name):
    """Consecutive draws independent: the classes of the pairs (x_2t, x_2t+1) and (x_2t+1, x_2t+2) in bounds."""
    weights = np.asarray(weights, dtype=np.float64)
    n_bins = int(bins.max()) + 1
    probs = _pair_classes(bins, weights / weights.sum())
    positive = probs > 0
    per_class = fail_prob / 2 / int(positive.sum())
    codes = _pair_codes(got, bins, n_bins)
    for offset in (0, 1):
        pairs = len(codes[offset::2])
        if pairs == 0:
            continue
        counts = _pair_class_counts(codes[offset::2], n_bins)
        bad = []
        for code, (p, count) in enumerate(zip(probs.tolist(), counts.tolist())):
            half = binomial_halfwidth(pairs, p, per_class) if p > 0 else 0.0
            if not abs(count - pairs * p) <= half:
                bad.append((abs(count - pairs * p) / max(half, 1.0), code, count, p, half))
        if bad:
            bad.sort(reverse=True)
            shown = "; ".join(f"{_describe_pair_class(code, n_bins, bin_name)}: {count} pairs (expected "
                              f"{pairs * p:.1f} +- {half:.1f})" for _, code, count, p, half in bad[:6])
            checks.fail(f"consecutive draws of weighted_choice for {given} are not independent: over the {pairs} "
                        f"pairs (draw {offset}, draw {offset + 1}), (draw {offset + 2}, draw {offset + 3}), ..., "
                        f"{len(bad)} of the {int(positive.sum())} classes of pairs are off, the farthest: {shown}. "
                        f"The result is a sequence of independent draws, not only counts: draws sorted, grouped in "
                        f"runs of one index, or cycling through the categories fail this. A correct solution gets "
                        f"outside these bounds with probability below {fail_prob:g}.")


# Draws of the order test. For the weights below (probabilities 0.4, 0.1, 0,
# 0.2, 0.3; each category its own bin) each of the 16 classes of positive
# probability, p_i p_j, over 50000 pairs has a half-width below 500 (p =
# 0.16: 497). Sorted draws (or draws in runs of 2 aligned with the pairs)
# put about 20000 pairs in (index 0, index 0) against 8000 +- 497, whatever
# the seeds; draws sorted within blocks of 100, or cycling through the
# categories, are off by thousands too. (The exact binomial tails of the 16
# classes, both sequences, sum to 3.7e-8, below FAIL_PROB: see
# tests/references/test_sampling.py.)
ORDER_DRAWS = 100_000


@pytest.mark.correctness
def test_weighted_draws_are_independent_in_sequence(solution, rng):
    """The draws come in random order: consecutive pairs of draws are as frequent as independent draws make them"""
    weights = np.array([4.0, 1.0, 0.0, 2.0, 3.0])
    size = ORDER_DRAWS
    given = f"weights {weights.tolist()}, size={size}"
    got = solution.weighted_choice(weights, size, rng)
    _check_indices(got, size, weights, given)
    _check_consecutive_pairs(got, weights, np.arange(len(weights)), FAIL_PROB, given, lambda i: f"index {i}")


# Zero weights first, between and last. In the second vector the weights
# normalised one by one do not add up to 1: np.cumsum(w / w.sum()) ends at
# 1 - 2^-52, below the largest uniform 1 - 2^-53, so a cumulative sum of
# normalised weights places that uniform past the end (and an index clipped
# to m - 1 is a weight-0 one). A cumulative sum of the raw weights scaled by
# its own last entry ends at exactly 1, and (1 - 2^-53) * total < total.
# In the third vector the total depends on the order of the additions:
# np.cumsum(w) adds left to right and ends at 4 - 2^-51, while w.sum()
# (pairwise, in eight partial sums) and math.fsum(w) give 4.0, and
# (1 - 2^-53) * 4.0 = 4 - 2^-51: a uniform scaled by that total reaches the
# cumulative sum's last entry and lands past the last positive weight.
# The last three have a total of at most 2^-1022 (the smallest normal
# float64), where (1 - 2^-53) * total rounds to total itself: to nearest
# among subnormals spaced 2^-1074 apart, or, for 2^-1022 exactly, half way
# and to even. u * total is then not below the cumulative sum's last entry,
# and side="right" gives index m, past the end, for each of them
# ([5e-324, 1e-323], a total of 3 * 2^-1074: for every u > 5/6; clipped to
# m - 1, it would be [5e-324, 0, 5e-324]'s or [0, 2^-1022, 0]'s last, zero,
# weight). Scaling such weights (multiples of 2^-1074) by a power of two
# first keeps them exact.
EXTREME_WEIGHTS = {
    "[0, 1, 0, 2, 0]": [0.0, 1.0, 0.0, 2.0, 0.0],
    "[0, 0.1, 0.3, 0.2, 0, 0]": [0.0, 0.1, 0.3, 0.2, 0.0, 0.0],
    "[0.5, 0.4, 0.9, 0.5, 0.8, 0.2, 0.4, 0.3, 0, 0]": [0.5, 0.4, 0.9, 0.5, 0.8, 0.2, 0.4, 0.3, 0.0, 0.0],
    "subnormal [5e-324, 1e-323]": [5e-324, 1e-323],
    "subnormal [5e-324, 0, 5e-324]": [5e-324, 0.0, 5e-324],
    "[0, 2^-1022, 0]": [0.0, 2.0 ** -1022, 0.0],
}


@pytest.mark.edge_case
@pytest.mark.parametrize("weights", list(EXTREME_WEIGHTS))
@pytest.mark.parametrize("first", ["0.0", "1 - 2^-53"])
def test_zero_weights_never_drawn_at_the_extremes(solution, first, weights):
    """No zero weight or index past the end is drawn: uniforms of exactly 0 or almost 1, subnormal weights"""
    weights = np.array(EXTREME_WEIGHTS[weights])
    gen = _rng_with_first_output(first == "0.0")
    given = f"weights {weights.tolist()} and a generator whose first rng.random() is exactly {first}"
    for size in (1, 8):
        got = solution.weighted_choice(weights, size, gen)
        _check_indices(got, size, weights, given + f", size={size}")


@pytest.mark.edge_case
def test_size_zero_gives_an_empty_integer_array(solution, rng):
    """size = 0 gives an integer array of shape (0,)"""
    # An early return of np.array([]) (float64) for size 0 breaks the result's stated dtype.
    weights = np.array([1.0, 2.0, 3.0])
    got = solution.weighted_choice(weights, 0, rng)
    _check_indices(got, 0, weights, "weights [1.0, 2.0, 3.0], size=0 (np.array([]) is float64)")


@pytest.mark.edge_case
def test_single_positive_weight(solution, rng):
    """With one positive weight, every draw is that index"""
    weights = np.array([0.0, 0.0, 5.0, 0.0])
    got = solution.weighted_choice(weights, 100, rng)
    _check_indices(got, 100, weights, "weights [0, 0, 5, 0], size=100")
    checks.equal(got, np.full(100, 2), what="weighted_choice", given="weights [0, 0, 5, 0], size=100")


@pytest.mark.edge_case
@pytest.mark.parametrize("weights, why", [
    ([1.0, -0.5, 2.0], "a negative weight"),
    # However small: a check with a tolerance (w < -1e-12, np.isclose(w, 0)) lets it through.
    ([1.0, -1e-20, 2.0], "a tiny negative weight, -1e-20 < 0"),
    ([1.0, float("nan"), 2.0], "a NaN weight"),
    ([0.0, 0.0, 0.0], "all weights zero"),
])
def test_invalid_weights_raise(solution, rng, weights, why):
    """Negative, NaN or all-zero weights raise ValueError"""
    checks.raises(ValueError, solution.weighted_choice, np.array(weights), 10, rng,
                  given=f"weights {weights} ({why})")


@pytest.mark.edge_case
def test_weighted_choice_randomness_comes_from_rng(solution):
    """All randomness comes from rng: same seed, same draws; the global generators untouched"""
    weights = np.arange(1.0, 101.0)
    # Two seeds give the same 50 draws over 100 categories with probability < 0.05^50.
    check_randomness_from_rng(
        solution, lambda seed: solution.weighted_choice(weights, 50, np.random.default_rng(seed)),
        what="weighted_choice", given="weights 1, 2, ..., 100 and size=50")


# 10^6 draws over 10^4 categories, a warm-up and 5 timed runs, each with its
# own weights and generator, from budget.seed(TIMED_SEED + run) under a secret
# drawn for the test (so no file can know them before the grading); each
# result is checked in 10 groups of weights, by the dispersion of its
# per-category counts (below) and by the order of its draws (consecutive
# pairs, as in test_weighted_draws_are_independent_in_sequence, over 10 bins
# of 1000 consecutive indices), within bounds that hold for any weights and
# generator. Each run's failure probability, FAIL_PROB / TIMED_RUNS, is split
# evenly between the three statistical checks (TIMED_CHECK_FAIL_PROB each):
# a correct solution fails the test with probability below 6 * 3 *
# TIMED_CHECK_FAIL_PROB = FAIL_PROB = 1e-6.
#
# The order check's classes over the 5 * 10^5 pairs of each of its two
# sequences: 90 of two different bins (p about 0.01, half-width about 480,
# 10% of the expected 5000), 20 of one bin in increasing or decreasing order
# (p about 0.005, half-width about 340) and 10 of one index twice (p about
# 1.5e-5: 7.5 expected, half-width 28). Sorted draws put about 4.9 * 10^5
# pairs of each sequence in the "same index twice" classes (each category's
# hundred or so draws side by side), runs of two equal draws put 5 * 10^5
# there in one sequence, and draws cycling through the categories (the
# sorted draws dealt out with a stride, a uniform stepping by a fixed amount)
# fall in a few classes of neighbouring bins: all fail whatever the seeds.
# A block of draws tiled is left to the dispersion check. (For independent
# draws the exact binomial tails of the 240 bounds sum to about 2e-9 per
# run, well below TIMED_CHECK_FAIL_PROB = 5.6e-8; tests/references/
# test_sampling.py checks this and the cases above.)
TIMED_DRAWS, TIMED_CATEGORIES, TIMED_RUNS, WEIGHT_GROUPS = 1_000_000, 10_000, 6, 10
TIMED_SEED = 7
TIMED_CHECK_FAIL_PROB = FAIL_PROB / TIMED_RUNS / 3
ORDER_BINS = 10

# The dispersion statistic of N draws over the K categories of positive
# probability p_j, with counts c_j and expected counts mu_j = N p_j:
#     D = sum_j min(X_j, CAP),   X_j = (c_j - mu_j)^2 / mu_j
# (Pearson's chi-square statistic, each term capped). For independent draws
# the counts are multinomial: E X_j = q_j = 1 - p_j, so E D <= K - 1, and
# E X_j^2 = mu4 / mu_j^2 <= 3 + 1 / mu_j (mu4 = mu_j q_j (1 + 3 (N - 2) p_j
# q_j), the binomial fourth central moment), so E min(X_j, CAP)^2 <=
# min(3 + 1 / mu_j, CAP) (as min(x, CAP)^2 <= CAP x), and E D >= K - 1 -
# sum_j min((3 + 1 / mu_j) / (4 CAP), 1) (as (x - CAP)_+ <= x^2 / (4 CAP)
# and <= x). The counts are not independent, but they
# are negatively associated (Joag-Dev and Proschan 1983), and the capped
# terms split into sum_j min((c_j - mu_j)_+^2 / mu_j, CAP), non-decreasing
# in c_j, and the same with (c_j - mu_j)_-, non-increasing: for each part
# the moment generating function is at most that of independent terms, so
# Bernstein's inequality holds for it (terms in [0, CAP], second moments
# as above). With half the failure probability for each part,
#     P(|D - E D| >= 2 t) <= fail_prob,  t = bernstein_halfwidth(K, mean of
#     the second-moment bounds, CAP, fail_prob / 2),
# and D must lie in [K - 1 - loss - 2 t, K - 1 + 2 t]. For the timed calls
# (K ~ 9000, mu_j ~ 111 on average) that is about [0.71 K, 1.24 K].
#
# Draws reused r times (M = N / r independent draws tiled, or shuffled by one
# permutation) have counts c_j = r b_j with b multinomial(M, p): X_j = r times
# the b_j term, so D ~ r K (capped: E D >= 1.8 K for r = 2, 4.9 K for r = 10).
# Bernstein's inequality for those capped terms (second moments at most
# r^2 (3 + 1 / (M p_j)), and CAP^2) puts D below the upper bound with
# probability below 1e-11 for r = 2 and 1e-24 for r = 10, per run.
# Resampling N draws from the M (rng.integers) inflates D by about r + 1.
# Counts fixed in advance (N p_j rounded, shuffled) make D nearly 0, below
# the lower bound. CAP = 16: a term reaches it only for a count more than
# 4 sqrt(mu_j) (about 4 standard deviations) from mu_j, and it keeps the few
# categories with mu_j << 1 (a single draw there makes X_j ~ 1 / mu_j) from
# dominating the bound.
DISPERSION_CAP = 16.0


def _dispersion(counts, mean_counts, cap=DISPERSION_CAP):
    """D = sum_j min((c_j - mu_j)^2 / mu_j, cap) over the categories with mu_j > 0."""
    return float(np.minimum((counts - mean_counts) ** 2 / mean_counts, cap).sum())


def _dispersion_bounds(mean_counts, fail_prob, cap=DISPERSION_CAP):
    """(low, high): independent draws give a D outside them with probability below fail_prob (see above)."""
    k = len(mean_counts)
    second = 3.0 + 1.0 / mean_counts  # bounds on E X_j^2
    half = bernstein_halfwidth(k, float(np.minimum(second, cap).mean()), cap, fail_prob / 2)
    loss = float(np.minimum(second / (4.0 * cap), 1.0).sum())
    return k - 1 - loss - 2.0 * half, k - 1 + 2.0 * half


def _check_dispersion(got, weights, fail_prob, given):
    """The per-category counts of the draws `got` spread as much as independent draws' do."""
    weights = np.asarray(weights, dtype=np.float64)
    positive = weights > 0
    mean_counts = len(got) * (weights[positive] / weights.sum())
    counts = np.bincount(got, minlength=len(weights))[positive]
    stat = _dispersion(counts, mean_counts)
    low, high = _dispersion_bounds(mean_counts, fail_prob)
    k = len(mean_counts)
    if stat > high:
        checks.fail(f"the draw counts of the single categories for {given} stray too far from their expected "
                    f"counts: sum_j min((count_j - expected_j)^2 / expected_j, {DISPERSION_CAP:g}) over the {k} "
                    f"categories of positive weight is {stat:.0f}, {stat / (k - 1):.2f} times the {k - 1} that "
                    f"independent draws give on average (at most {high:.0f}). Draws reused r times (a block of "
                    f"draws tiled or shuffled) give about r times as much: every draw must be independent. A "
                    f"correct solution exceeds this bound with probability below {fail_prob:g}.")
    if stat < low:
        checks.fail(f"the draw counts of the single categories for {given} are too close to their expected "
                    f"counts: sum_j min((count_j - expected_j)^2 / expected_j, {DISPERSION_CAP:g}) over the {k} "
                    f"categories of positive weight is {stat:.0f}, {stat / (k - 1):.2f} times the {k - 1} that "
                    f"independent draws give on average (at least {low:.0f}). Counts fixed in advance (the "
                    f"expected counts rounded, then shuffled) are not independent draws. A correct solution "
                    f"falls below this bound with probability below {fail_prob:g}.")


def _timed_weights(seed):
    """The weights and generator of a timed run, from its seed: uniform weights, about 10% of them zero."""
    r = np.random.default_rng((seed, 7))
    weights = r.random(TIMED_CATEGORIES)
    weights[r.random(TIMED_CATEGORIES) < 0.1] = 0.0
    return Call(weights, TIMED_DRAWS, np.random.default_rng((seed, 8)))


def _check_timed_draws(got, expected, call):
    """check for timed weighted_choice calls: valid draws; group frequencies, per-category spread and pairs of
    consecutive draws in bounds."""
    weights, size, _ = call.args
    given = f"10^4 random weights (10% zero), size={size} (a timed call, with its own weights and generator)"
    _check_indices(got, size, weights, given)
    # Ten groups of 1000 categories, by rank of weight (the zero weights first).
    group = np.empty(len(weights), dtype=np.int64)
    group[np.argsort(weights, kind="stable")] = np.arange(len(weights)) * WEIGHT_GROUPS // len(weights)
    counts = np.bincount(group[got], minlength=WEIGHT_GROUPS)
    probs = np.bincount(group, weights=weights, minlength=WEIGHT_GROUPS) / weights.sum()
    _check_counts({f"group {g + 1} of 10 (categories by rank of weight)": int(c) for g, c in enumerate(counts)},
                  probs.tolist(), size, TIMED_CHECK_FAIL_PROB, what="draw frequencies", given=given)
    _check_dispersion(got, weights, TIMED_CHECK_FAIL_PROB, given)
    bins = np.arange(len(weights)) * ORDER_BINS // len(weights)
    starts = np.searchsorted(bins, np.arange(ORDER_BINS + 1))
    _check_consecutive_pairs(got, weights, bins, TIMED_CHECK_FAIL_PROB, given,
                             lambda a: f"in indices {starts[a]}..{starts[a + 1] - 1}")


@pytest.mark.performance
def test_weighted_choice_speed(solution, budget):
    """10^6 draws over 10^4 categories within the time budget"""
    budget.time("weighted_choice", lambda run: _timed_weights(budget.seed(TIMED_SEED + run)),
                check=_check_timed_draws, repeats=TIMED_RUNS - 1,
                label="weighted_choice: 10^6 draws over 10^4 categories, new weights per call")


# -- stratified_split --------------------------------------------------------------
def _split(solution, labels, test_fraction, rng, given):
    got = solution.stratified_split(labels, test_fraction, rng)
    return _check_split(got, labels, given)


def _check_split(got, labels, given):
    """(train_idx, test_idx) as two 1-D integer arrays of valid indices (messages built only on failure)."""
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        checks.fail(f"stratified_split for {given} should return (train_idx, test_idx), got {checks.show(got)}")
    train, test = got
    for name, arr in (("train_idx", train), ("test_idx", test)):
        if not (isinstance(arr, np.ndarray) and arr.ndim == 1 and arr.dtype.kind in "iu"):
            checks.fail(f"{name} for {given} should be a 1-D integer array, got {checks.show(arr)}")
        if arr.size and (arr.min() < 0 or arr.max() >= len(labels)):
            checks.fail(f"{name} for {given} holds indices outside 0..{len(labels) - 1}: {checks.show(arr)}")
    return train, test


def _expected_test_counts(labels, test_fraction):
    classes, counts = np.unique(labels, return_counts=True)
    return {c: int(math.floor(test_fraction * n + 0.5)) for c, n in zip(classes.tolist(), counts.tolist())}


# Class sizes where test_fraction * n_c ends in .5 exactly (5 * 0.5, 1 * 0.5,
# 10 * 0.25, 2 * 0.25, 5 * 0.3 ~ 1.5): round() rounds half to even there.
# 0.59 * 50 is 29.5 in float64 (the exact product of 50 and the double
# nearest 0.59 lies 1.6e-15 below 29.5, within half an ulp, 1.8e-15), so 30
# items go to test (and round(29.5) is 30 too); in float32 (0.59 *
# np.float32(50), or np.float32(0.59) * 50) it is 29.4999987 and gives 29.
SPLIT_SIZES = {0: 5, 1: 1, 2: 10, 3: 2, 4: 7, 5: 3}


@pytest.mark.correctness
@pytest.mark.parametrize("sizes, test_fraction", [
    (SPLIT_SIZES, 0.5), (SPLIT_SIZES, 0.25), (SPLIT_SIZES, 0.3), ({0: 50}, 0.59),
], ids=["0.5", "0.25", "0.3", "50 items, 0.59"])
def test_split_sizes_per_class(solution, rng, sizes, test_fraction):
    """Each class sends exactly floor(test_fraction * n_c + 0.5) items to test"""
    labels = np.repeat(np.array(list(sizes)), list(sizes.values()))
    labels = labels[np.random.default_rng(3).permutation(len(labels))]
    given = f"class sizes {sizes}, test_fraction={test_fraction}"
    train, test = _split(solution, labels, test_fraction, rng, given)
    expected = _expected_test_counts(labels, test_fraction)
    got_counts = {c: int(np.sum(labels[test] == c)) for c in expected}
    checks.that(got_counts == expected,
                f"test items per class for {given}: expected {expected} "
                f"(floor(test_fraction * n_c + 0.5)), got {got_counts}. Note that Python's round() and "
                f"np.round() round halves to even (round(2.5) == 2), and that the product is computed in "
                f"float64: in float32 (counts cast to np.float32, say) it can fall on the other side of .5.")


# Repetitions of the within-class test. For a correct solution an item's
# frequency strays more than 0.055, 0.056 or 0.053 from 0.4, 0.5 or 1/3
# (classes 0, 1, 2) with probability below 4.2e-8, and a pair's more than
# 0.042 from 1/6 with probability below 8.3e-8. Taking the first n_test items
# of each class puts item 0 in test every time (frequency 1 against
# 0.4 +- 0.055); taking a random run of consecutive items of a class never
# puts items 1 and 7 (class 1's first and third) in test together (a count
# of 0 against the lower bound of 375): both are caught whatever the seeds.
# A bias of a few hundredths per item needs about 10^4 repetitions.
SPLIT_REPS = 3000


@pytest.mark.correctness
def test_split_is_uniform_within_each_class(solution):
    """Each item of a class is equally likely to land in test"""
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1, 0, 1, 0, 2])  # sizes 5, 4, 3
    test_fraction = 0.4  # -> 2, 2 and 1 test items
    reps = SPLIT_REPS
    given = f"labels {labels.tolist()}, test_fraction={test_fraction}"
    runs = solution.repeat("stratified_split", seeds=range(reps), args=(labels, test_fraction, seeded_rng()))
    expected = _expected_test_counts(labels, test_fraction)
    sizes = {c: int(np.sum(labels == c)) for c in expected}
    in_test = np.zeros((reps, len(labels)), dtype=bool)
    for r, run in enumerate(runs):
        _, test = _check_split(run, labels, given)
        in_test[r, test] = True
    counts = {f"item {i} (class {c})": int(n) for i, (c, n) in enumerate(zip(labels.tolist(), in_test.sum(axis=0)))}
    class1 = np.flatnonzero(labels == 1).tolist()
    pairs = {pair: 0 for pair in itertools.combinations(class1, 2)}
    for row in in_test[:, class1]:
        chosen = tuple(i for i, hit in zip(class1, row) if hit)
        if chosen in pairs:
            pairs[chosen] += 1
    probs = [expected[c] / sizes[c] for c in labels.tolist()]
    # Half the failure budget for the 12 marginals, half for the 6 pairs of class 1.
    _check_counts(counts, probs, reps, FAIL_PROB / 2, what="frequencies of landing in test", given=given)
    _check_counts({f"test items of class 1 = {p}": c for p, c in pairs.items()}, [1 / len(pairs)] * len(pairs),
                  reps, FAIL_PROB / 2, what="frequencies of the 6 possible test pairs of class 1", given=given)


@pytest.mark.edge_case
def test_indices_sorted_disjoint_and_complete(solution, rng):
    """train_idx and test_idx are sorted, disjoint, and cover every item"""
    labels = np.array(["cat", "dog", "dog", "bird", "cat", "dog", "cat", "bird", "dog", "cat", "cat", "dog"])
    given = f"labels {labels.tolist()}, test_fraction=0.5"
    train, test = _split(solution, labels, 0.5, rng, given)
    checks.that(bool(np.all(np.diff(train) > 0)) and bool(np.all(np.diff(test) > 0)),
                f"train_idx and test_idx for {given} should each be sorted ascending (without repeats), got "
                f"train_idx {train.tolist()} and test_idx {test.tolist()}")
    checks.that(np.intersect1d(train, test).size == 0,
                f"train_idx and test_idx for {given} overlap in {np.intersect1d(train, test).tolist()}")
    checks.equal(np.sort(np.concatenate([train, test])), np.arange(len(labels)),
                 what="train_idx and test_idx together", given=given)


@pytest.mark.edge_case
@pytest.mark.parametrize("test_fraction", [0.5, 0.25])
def test_empty_side_is_an_integer_array(solution, rng, test_fraction):
    """An empty train_idx or test_idx is still a 1-D integer array"""
    # Two classes of one item each: floor(0.5 * 1 + 0.5) = 1 sends both to test (train_idx empty),
    # floor(0.25 * 1 + 0.5) = 0 keeps both in train (test_idx empty).
    labels = np.array([7, 3])
    given = f"labels {labels.tolist()}, test_fraction={test_fraction}"
    got = solution.stratified_split(labels, test_fraction, rng)
    if isinstance(got, (tuple, list)) and len(got) == 2:
        for name, arr in zip(("train_idx", "test_idx"), got):
            if isinstance(arr, np.ndarray) and arr.size == 0 and arr.dtype.kind not in "iu":
                checks.fail(f"{name} for {given} is empty and should be a 1-D integer array, got "
                            f"{checks.show(arr)}. np.array([]) is a float64 array: give the dtype "
                            f"(np.array([], dtype=np.int64)) or build the indices with np.flatnonzero.")
    _check_split(got, labels, given)


# test_fraction is refused whatever the labels, also when there are none: a
# check that lets NaN through (test_fraction <= 0 or test_fraction >= 1 is
# False for NaN) may still raise by accident on labels (math.floor(nan)),
# but not on an empty array, where there is no class to count.
SPLIT_LABELS = {"labels [0, 0, 1, 1, 1, 2]": [0, 0, 1, 1, 1, 2], "no labels": []}


@pytest.mark.edge_case
@pytest.mark.parametrize("labels", list(SPLIT_LABELS))
@pytest.mark.parametrize("test_fraction", [0.0, 1.0, -0.2, 1.5, float("nan")])
def test_invalid_test_fraction_raises(solution, rng, test_fraction, labels):
    """test_fraction outside (0, 1), or NaN, raises ValueError, whatever the labels (none too)"""
    given = f"{labels}, test_fraction={test_fraction}"
    labels = np.array(SPLIT_LABELS[labels], dtype=np.int64)
    checks.raises(ValueError, solution.stratified_split, labels, test_fraction, rng, given=given)


@pytest.mark.edge_case
def test_split_randomness_comes_from_rng(solution):
    """All randomness comes from rng: same seed, same split; the global generators untouched"""
    labels = np.arange(200) % 2
    # 50 of each class's 100 items go to test: two seeds agree with probability 1 / C(100, 50)^2.
    check_randomness_from_rng(
        solution, lambda seed: solution.stratified_split(labels, 0.5, np.random.default_rng(seed)),
        what="stratified_split", given="200 labels alternating 0, 1 and test_fraction=0.5")


# -- arguments ----------------------------------------------------------------------
@pytest.mark.edge_case
def test_arguments_are_not_modified(solution):
    """weighted_choice leaves weights, and stratified_split labels, unchanged"""
    # Arguments reach the worker as copies: inputs_after hands back the
    # worker's view of them after the call.
    weights = np.array([0.0, 3.0, 1.0])
    given = "weights [0, 3, 1], size=10"
    _, args_after, _ = solution.inputs_after("weighted_choice", weights, 10, np.random.default_rng(0))
    checks.equal(checks.as_array(args_after[0], "weights after the call"), weights,
                 what="weights after weighted_choice (it must not be modified: normalise a copy)", given=given)
    # Subnormal weights take their own branch (scaled by 2^1074 to be exact): scaled in a
    # copy too, not in the caller's array. Refusing them (as all zero) is
    # test_weighted_frequencies' business: here only the weights the call leaves, whether it
    # returns or raises, are looked at.
    weights = np.array([5e-324, 0.0, 1e-323])
    given = "subnormal weights [5e-324, 0, 1e-323], size=10"
    try:
        _, args_after, _ = solution.inputs_after("weighted_choice", weights, 10, np.random.default_rng(0))
    except ValueError as exc:
        args_after = exc.args_after
    checks.equal(checks.as_array(args_after[0], "weights after the call"), weights,
                 what="weights after weighted_choice (it must not be modified: scale a copy)", given=given)
    labels = np.array([2, 0, 1, 0, 2, 1])
    given = f"labels {labels.tolist()}, test_fraction=0.5"
    _, args_after, _ = solution.inputs_after("stratified_split", labels, 0.5, np.random.default_rng(0))
    checks.equal(checks.as_array(args_after[0], "labels after the call"), labels,
                 what="labels after stratified_split (it must not be modified: sort a copy)", given=given)
