"""Hidden grader for the mc_dropout challenge.

Oracles. Expected values are computed here in float64 from their
definitions (`oracle_*` below: the mean as a sum divided by T, entropies
-sum p log p with the log taken only where p > 0), and on hand-made inputs
whose exact answers are known (log 2 for two one-hot passes that disagree, 0
for passes that agree). The timed results are compared with the reference's.
tests/references checks the reference against scipy.stats.entropy and
against 50-digit mpmath arithmetic.

Tolerances (eps = 2.2e-16, float64, for T passes of C classes). Every
entropy is at most log C, so absolute tolerances are used:
- each log is within a few ulps (k <= 4), so each term p log p is within
  4 eps |p log p|, and summing C terms in any order adds at most
  C eps sum |p log p|: a pass's entropy H is within (C + 4) eps H;
- the mean over T passes (of the probabilities, or of the entropies) is
  within T eps relative, in any order. A relative error T eps in a
  probability m moves -m log m by T eps m |log m + 1|, which sums over the
  classes to at most T eps (H + 1).
So both entropies are within eps (T + C + 4)(H + 1) <= eps (T + C + 4)
(log C + 1) of exact: `entropy_tol` allows twice that. The mutual
information is their difference, within the sum of the two: `mi_tol`. The
predictive mean is within T eps of exact: `mean_tol` allows 2 T eps.
The usual slips are far outside these bounds: log(p + 1e-12) moves an
entropy by up to C * 1e-12 (1e-11 for C = 10, against a tolerance of about
1e-13); clipping p to 1e-12 adds 2.8e-11 per zero probability; p log p with
p = 0 is NaN; log base 2 divides every entropy by log 2; float32 arithmetic
is 1e-7 off.

Dropout. The mask is the stated one exactly: the grader draws
`np.random.default_rng(seed).random(x.shape)` itself (the solution gets a
generator in the same state) and compares which entries are zero. Kept
entries are x / (1 - p) to within 2 eps relative of the output dtype:
computing 1 / (1 - p) first and multiplying rounds twice (1 ulp), dividing
by (1 - p) rounds once, and float64 arithmetic rounded to float32 once.

Each rule is tested where the others are not at stake: the float32 and
integer dtypes against the solution's own float64 run on the same values;
the clipping of the mutual information on passes that agree (exactly 0);
p = 0 and p = 1 on their own; the shapes with T = 1, C = 1 and n = 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from trainer.grading import Call, checks
from trainer.grading.harness import check_randomness_from_rng

EPS = np.finfo(np.float64).eps
EPS32 = float(np.finfo(np.float32).eps)
ENTROPIES = ("predictive_entropy", "expected_entropy", "mutual_information")
ALL = ("predictive_mean",) + ENTROPIES


# -- float64 oracles ------------------------------------------------------------------------------

def _entropy(Q):
    """-sum over the last axis of q log q, 0 log 0 = 0."""
    Q = np.asarray(Q, dtype=np.float64)
    safe = np.where(Q > 0, Q, 1.0)
    return -np.where(Q > 0, Q * np.log(safe), 0.0).sum(axis=-1)


def oracle(name, P):
    P = np.asarray(P, dtype=np.float64)
    mean = P.sum(axis=0) / P.shape[0]
    if name == "predictive_mean":
        return mean
    if name == "predictive_entropy":
        return _entropy(mean)
    if name == "expected_entropy":
        return _entropy(P).mean(axis=0)
    return np.maximum(_entropy(mean) - _entropy(P).mean(axis=0), 0.0)


def entropy_tol(T, C):
    """Twice eps (T + C + 4)(log C + 1): the module docstring's bound on either entropy."""
    return 2 * EPS * (T + C + 4) * (math.log(C) + 1)


def tolerance(name, T, C):
    if name == "predictive_mean":
        return 2 * T * EPS
    if name == "mutual_information":
        return 2 * entropy_tol(T, C)
    return entropy_tol(T, C)


def out_shape(name, T, n, C):
    return (n, C) if name == "predictive_mean" else (n,)


def check_value(name, got, P, *, given, expected=None, scale=1.0):
    """got == the oracle (or `expected`) within tolerance(name) * scale, with the right shape."""
    P = np.asarray(P)
    T, n, C = P.shape
    what = f"{name}(probs)"
    arr = checks.shape(got, out_shape(name, T, n, C), what=what, given=given)
    exp = oracle(name, P) if expected is None else np.asarray(expected, dtype=np.float64)
    checks.close(arr, exp, atol=tolerance(name, T, C) * scale, what=what, given=given, equal_nan=False)


# -- data -----------------------------------------------------------------------------------------

def dirichlet_probs(seed, T, n, C, alpha=1.0):
    """T passes of n rows of C probabilities, Dirichlet(alpha) per row (no exact zeros)."""
    return np.random.default_rng(seed).dirichlet(np.full(C, alpha), size=(T, n))


AGREE_CASES = [
    ("T=8, n=30, C=5, Dirichlet(1) rows", 11, (8, 30, 5)),
    ("T=50, n=40, C=10, Dirichlet(1) rows", 12, (50, 40, 10)),
    ("T=3, n=7, C=2, Dirichlet(1) rows", 13, (3, 7, 2)),
]


def correlated_probs(seed, T, n, C):
    """Passes that scatter around a row's own mean (as MC dropout's do): softmax of shared + small noise."""
    g = np.random.default_rng(seed)
    logits = 2.0 * g.normal(size=(1, n, C)) + 0.5 * g.normal(size=(T, n, C))
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def check_all_agree(solution, reference, name):
    for desc, seed, shape in AGREE_CASES:
        P = dirichlet_probs(seed, *shape)
        check_value(name, getattr(reference, name)(P), P, given="the REFERENCE on " + desc)
        check_value(name, getattr(solution, name)(P), P, given=desc)
    P = correlated_probs(14, 20, 25, 4)
    check_value(name, getattr(solution, name)(P), P,
                given="T=20, n=25, C=4, softmax of N(0, 2^2) logits per row plus N(0, 0.5^2) noise per pass")


# -- correctness: the four quantities ---------------------------------------------------------------

@pytest.mark.correctness
def test_predictive_mean_agrees(solution, reference):
    """predictive_mean: the mean of the T passes, shape (n, C)"""
    check_all_agree(solution, reference, "predictive_mean")


@pytest.mark.correctness
def test_predictive_entropy_agrees(solution, reference):
    """predictive_entropy: the entropy of the predictive mean in nats, shape (n,)"""
    check_all_agree(solution, reference, "predictive_entropy")


@pytest.mark.correctness
def test_expected_entropy_agrees(solution, reference):
    """expected_entropy: the mean over passes of each pass's entropy in nats, shape (n,)"""
    check_all_agree(solution, reference, "expected_entropy")


def nearly_agreeing_probs(seed, T, n, C, spreads):
    """T passes around one Dirichlet(5) row per sample, row i moved by spreads[i] times zero-sum noise:
    a mutual information of about spreads[i]^2, small but positive."""
    g = np.random.default_rng(seed)
    base = g.dirichlet(np.full(C, 5.0), size=(1, n))
    noise = g.normal(size=(T, n, C))
    noise -= noise.mean(axis=-1, keepdims=True)
    return base + np.asarray(spreads)[None, :, None] * noise


# Passes that differ by 3e-7 to 1e-4: a mutual information from about 1e-13 to 3e-8, 6 to a million times its
# tolerance (2e-14 here). Clipping at 0 is the only change allowed to the difference: a "noise floor" that
# zeroes small positive values (np.where(mi < 1e-12, 0, mi)) loses them.
NEAR_SPREADS = (3e-7, 1e-6, 3e-6, 1e-5, 1e-4)


@pytest.mark.correctness
def test_mutual_information_agrees(solution, reference):
    """mutual_information: predictive minus expected entropy (BALD), shape (n,)"""
    check_all_agree(solution, reference, "mutual_information")
    T, C = 4, 3
    P = nearly_agreeing_probs(15, T, len(NEAR_SPREADS), C, NEAR_SPREADS)
    given = (f"T={T}, n={len(NEAR_SPREADS)}, C={C}: passes that nearly agree, row i spread by "
             f"{', '.join(f'{s:g}' for s in NEAR_SPREADS)} about a shared Dirichlet(5) row, whose mutual "
             f"information is small (about 1e-13 to 3e-8) but positive: return max(difference, 0), clipping "
             f"only what is below 0 and keeping every positive value, however small")
    check_value("mutual_information", reference.mutual_information(P), P, given="the REFERENCE on " + given)
    check_value("mutual_information", solution.mutual_information(P), P, given=given)


@pytest.mark.correctness
def test_probability_dtypes(solution):
    """float32 and integer probabilities are computed in float64 and give float64 results"""
    P32 = dirichlet_probs(21, 6, 15, 4).astype(np.float32)
    onehot = np.eye(3, dtype=np.int64)[np.random.default_rng(22).integers(3, size=(5, 8))]
    for desc, P in (("float32 probs, T=6, n=15, C=4, Dirichlet(1) rows", P32),
                    ("int64 one-hot probs, T=5, n=8, C=3", onehot)):
        given = f"{desc} (convert to float64 first; results are float64)"
        # Integer probabilities are one-hot, so they hold zeros, and 0 log 0 is
        # test_zero_probabilities' rule. A solution that leaves those entries
        # to uninitialised memory reads there whatever an earlier computation
        # left: each call here comes just after one on uniform probabilities of
        # the same shape (no zeros, every temporary finite), so that such
        # memory holds finite values and only the conversion is at stake.
        uniform = np.full(P.shape, 1.0 / P.shape[2])

        def after_finite(name, probs):
            getattr(solution, name)(uniform)
            return getattr(solution, name)(probs)

        for name in ALL:
            got = after_finite(name, P)
            arr = checks.as_array(got, f"{name}(probs)", given)
            if arr.dtype != np.float64:
                checks.fail(f"{name}(probs) for {given} should have dtype float64, got {arr.dtype}: {checks.show(got)}")
            # Against your own run on the same values as float64: only the conversion is at stake here
            # (the values themselves are the business of the other tests).
            own = after_finite(name, P.astype(np.float64))
            T, n, C = P.shape
            checks.close(arr, checks.as_array(own, f"{name}(probs)", given), atol=tolerance(name, T, C),
                         what=f"{name}(probs)", given=f"{given}, against your own run on the same values as float64")


# -- stability --------------------------------------------------------------------------------------

# Row 0: two one-hot passes that disagree: mean [.5, .5, 0], predictive entropy log 2, expected 0, MI log 2.
# Row 1: both passes [.5, .5, 0]: every entropy log 2 and MI 0. Row 2: both [0, 0, 1]: everything 0.
# Row 3: [1, 0, 0] and [.5, 0, .5]: mean [.75, 0, .25].
ZERO_PROBS = np.array([[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]],
                       [[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.5]]])
_H34 = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
ZERO_EXPECTED = {
    "predictive_mean": np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.75, 0.0, 0.25]]),
    "predictive_entropy": np.array([math.log(2), math.log(2), 0.0, _H34]),
    "expected_entropy": np.array([0.0, math.log(2), 0.0, math.log(2) / 2]),
    "mutual_information": np.array([math.log(2), 0.0, 0.0, _H34 - math.log(2) / 2]),
}
ZERO_GIVEN = ("probs (T=2, n=4, C=3) with exact zeros: row 0 passes [1, 0, 0] and [0, 1, 0]; row 1 [.5, .5, 0] "
              "twice; row 2 [0, 0, 1] twice; row 3 [1, 0, 0] and [.5, 0, .5] (0 log 0 = 0)")


@pytest.mark.stability
def test_zero_probabilities(solution):
    """Probabilities of exactly 0 (one-hot passes): 0 log 0 = 0, no NaN, exact values"""
    for name in ALL:
        check_value(name, getattr(solution, name)(ZERO_PROBS), ZERO_PROBS, given=ZERO_GIVEN,
                    expected=ZERO_EXPECTED[name])
    # Again, each call just after the same function on probs of the same shape that are all NaN (out of
    # scope: whatever it returns or raises is not looked at). The memory that call leaves behind holds NaN,
    # and numpy hands it out again for arrays of the same size, so a 0 log 0 taken from memory that was
    # never written (np.empty for the logs, np.log(..., where=P > 0) leaving the zeros' entries as they
    # were) shows as NaN instead of 0.
    given = ZERO_GIVEN + ", called just after the same function on probs of that shape all NaN"
    for name in ALL:
        try:
            getattr(solution, name)(np.full(ZERO_PROBS.shape, np.nan))
        except Exception:
            pass
        check_value(name, getattr(solution, name)(ZERO_PROBS), ZERO_PROBS, given=given,
                    expected=ZERO_EXPECTED[name])


TINY_PROBS = np.array([[[5e-324, 1e-300, 0.25, 0.75], [1e-20, 0.5, 1e-15, 0.5]],
                       [[1e-300, 5e-324, 0.75, 0.25], [0.5, 1e-20, 0.5, 1e-15]],
                       [[0.0, 1e-200, 0.5, 0.5], [1e-15, 0.5, 1e-20, 0.5]]])
TINY_GIVEN = ("probs (T=3, n=2, C=4) with tiny probabilities (5e-324, 1e-300, 1e-200, 1e-20, 1e-15) and a 0: "
              "their p log p is tiny, not 0 by clipping and not distorted by an epsilon in the log")


@pytest.mark.stability
def test_tiny_probabilities(solution):
    """Tiny probabilities (down to the smallest subnormal): exact entropies, no clipping or epsilon"""
    for name in ALL:
        check_value(name, getattr(solution, name)(TINY_PROBS), TINY_PROBS, given=TINY_GIVEN)


def agreeing_passes(seed, T, n, C):
    """T identical passes: the mutual information is exactly 0."""
    p = dirichlet_probs(seed, 1, n, C)
    return np.repeat(p, T, axis=0)


@pytest.mark.stability
def test_mutual_information_is_never_negative(solution):
    """Passes that agree: the mutual information is 0 up to rounding and never negative (clipped at 0)"""
    for seed, (T, n, C) in ((31, (7, 2000, 5)), (32, (3, 500, 10))):
        P = agreeing_passes(seed, T, n, C)
        given = (f"{T} identical passes, n={n}, C={C}, Dirichlet(1) rows: the exact mutual information is 0, and "
                 f"rounding may make predictive - expected entropy slightly negative: clip it at 0")
        got = checks.shape(solution.mutual_information(P), (n,), what="mutual_information(probs)", given=given)
        neg = np.flatnonzero(~(got >= 0))
        if neg.size != 0:
            checks.fail(f"mutual_information(probs) for {given} is negative (or NaN) for {neg.size} of {n} rows, "
                        f"e.g. row {neg[0] if neg.size else 0}: {checks.show(got[neg[:5]]) if neg.size else ''}. "
                        f"Return max(predictive_entropy - expected_entropy, 0).")
        checks.close(got, np.zeros(n), atol=tolerance("mutual_information", T, C), what="mutual_information(probs)",
                     given=given)


# -- edge cases -----------------------------------------------------------------------------------

@pytest.mark.edge_case
def test_one_pass(solution):
    """T = 1: the mean is the pass, both entropies are equal and the mutual information is 0"""
    P = dirichlet_probs(41, 1, 12, 6)
    given = "a single pass (T=1), n=12, C=6, Dirichlet(1) rows"
    for name in ALL:
        check_value(name, getattr(solution, name)(P), P, given=given)


@pytest.mark.edge_case
def test_one_class(solution):
    """C = 1: every probability is 1, every entropy and the mutual information 0"""
    P = np.ones((4, 3, 1))
    given = "one class (C=1): probs = ones((4, 3, 1))"
    for name in ALL:
        check_value(name, getattr(solution, name)(P), P, given=given)


@pytest.mark.edge_case
def test_no_samples(solution):
    """n = 0: empty results of shapes (0, C) and (0,)"""
    P = np.zeros((5, 0, 3))
    for name in ALL:
        got = getattr(solution, name)(P)
        checks.shape(got, out_shape(name, 5, 0, 3), what=f"{name}(probs)", given="probs of shape (5, 0, 3) (n=0)")


@pytest.mark.edge_case
def test_invalid_probs_raise(solution):
    """probs that are not 3-D, or with T = 0 or C = 0, raise ValueError"""
    cases = [("probs 2-D of shape (4, 3)", np.full((4, 3), 1 / 3)),
             ("probs 4-D of shape (2, 2, 3, 3)", np.full((2, 2, 3, 3), 1 / 3)),
             ("probs of shape (0, 4, 3) (no pass)", np.zeros((0, 4, 3))),
             ("probs of shape (2, 4, 0) (no class)", np.zeros((2, 4, 0)))]
    for name in ALL:
        for given, P in cases:
            checks.raises(ValueError, getattr(solution, name), P, given=given)


@pytest.mark.edge_case
def test_inputs_not_modified(solution):
    """probs and x are never modified"""
    P = ZERO_PROBS.copy()
    for name in ALL:
        _, args_after, _ = solution.inputs_after(name, P)
        checks.equal(args_after[0], P, what=f"probs after {name}(probs) (the input must not be modified)",
                     given=ZERO_GIVEN)
    x = np.random.default_rng(51).normal(size=(6, 5))
    _, args_after, _ = solution.inputs_after("dropout", x, 0.5, np.random.default_rng(52))
    checks.equal(args_after[0], x, what="x after dropout(x, 0.5, rng) (the input must not be modified)",
                 given="float64 x (6, 5)")


@pytest.mark.edge_case
def test_results_are_new_arrays(solution):
    """every result is a new array, never probs or a view of it (T = 1 included)"""
    for T in (1, 3):
        P = dirichlet_probs(45 + T, T, 8, 5)
        given = f"float64 probs (T={T}, n=8, C=5), Dirichlet(1) rows"
        for name in ALL:
            _, shared = solution.result_shares_inputs(name, P)
            checks.that(not shared, f"{name}(probs) for {given} returned an array that shares memory with the "
                                    f"caller's probs (at {', '.join(shared[:5])}): a caller writing into the "
                                    f"result would change its probs. Return a new array (for T = 1 probs[0] is a "
                                    f"view: the mean must still be a new array).")


# -- dropout --------------------------------------------------------------------------------------

def dropout_oracle(x, p, seed):
    """(kept mask, x / (1 - p) in float64) with the stated draw: default_rng(seed).random(x.shape) < 1 - p."""
    keep = np.random.default_rng(seed).random(np.shape(x)) < 1.0 - p
    return keep, np.asarray(x, dtype=np.float64) / (1.0 - p)


def check_dropout(got, x, p, seed, *, given, eps=EPS):
    """The stated mask exactly (x has no zeros) and kept entries x / (1 - p) within 2 eps relative."""
    keep, scaled = dropout_oracle(x, p, seed)
    arr = checks.shape(got, np.shape(x), what="dropout(x, p, rng)", given=given).astype(np.float64)
    kept = arr != 0
    if not np.array_equal(kept, keep):
        bad = np.argwhere(kept != keep)
        first = tuple(int(i) for i in bad[0])
        checks.fail(f"dropout(x, p={p}, rng) for {given}: {len(bad)} of {keep.size} entries are kept or dropped "
                    f"against the stated mask, first at index {first} (expected "
                    f"{'kept' if keep[first] else 'dropped'}). The mask is keep = rng.random(x.shape) < 1 - p: one "
                    f"call, float64 uniforms in x's shape (C order), an entry kept where its uniform is below "
                    f"1 - p (not >= p, and not at it), nothing else drawn from rng.")
    checks.close(arr, np.where(keep, scaled, 0.0), rtol=2 * eps, what=f"dropout(x, p={p}, rng)",
                 given=given + " (kept entries are x / (1 - p), dropped ones 0)")


# p with 1 - p exactly default_rng(0)'s first uniform (1 - (1 - u) == u in float64 for this u): that
# entry is dropped (kept only below 1 - p, not at it).
U0 = np.random.default_rng(0).random()
P_AT_U0 = 1.0 - U0
assert 1.0 - P_AT_U0 == U0
# p with 1 - p just 1e-12 above that uniform: kept, but the two round to the same float32, so compared
# in float32 the entry is dropped.
P_NEAR_U0 = 1.0 - (U0 + 1e-12)
assert U0 < 1.0 - P_NEAR_U0 and np.float32(U0) == np.float32(1.0 - P_NEAR_U0)

P_BELOW_1_MINUS_U0 = float(np.nextafter(1.0 - U0, 0.0))
assert 1.0 - P_BELOW_1_MINUS_U0 == U0 and 1.0 - U0 > P_BELOW_1_MINUS_U0
U7 = np.random.default_rng(7).random()
P_U7_SUM_ONE = float(np.nextafter(1.0 - U7, 0.0))
assert U7 < 1.0 - P_U7_SUM_ONE and U7 + P_U7_SUM_ONE == 1.0

DROPOUT_CASES = [
    ("x (30, 40) N(0, 1)", (30, 40), 0.2, 61),
    ("x (3, 4, 5) N(0, 1)", (3, 4, 5), 0.5, 62),
    ("1-D x (200,) N(0, 1)", (200,), 0.9, 63),
    ("x (8, 50) N(0, 1)", (8, 50), 0.35, 64),
    # Seed 4985 draws a uniform this close to 0.7: compared in float32 (the uniforms, the
    # threshold 1 - p, or both rounded to it), the mask keeps or drops one entry it should not.
    ("x (50, 200) N(0, 1)", (50, 200), 0.3, 4985),
    ("1-D x (10,) N(0, 1), the first uniform exactly 1 - p", (10,), P_AT_U0, 0),
    # The comparison as written, u < 1 - p, not a rearrangement of it: the two cases below have p one
    # ulp away from 1 - u for the first uniform u, where rounding parts them. Here u == 1 - p in float64
    # (dropped) while 1 - u > p (kept by that form); next u < 1 - p (kept) while u + p rounds to 1
    # (dropped by u + p < 1).
    ("1-D x (10,) N(0, 1), the first uniform exactly 1 - p although 1 - u > p", (10,), P_BELOW_1_MINUS_U0, 0),
    ("1-D x (10,) N(0, 1), the first uniform below 1 - p although u + p rounds to 1", (10,), P_U7_SUM_ONE, 7),
]


@pytest.mark.correctness
def test_dropout_agrees(solution):
    """dropout: the mask rng.random(x.shape) < 1 - p, kept entries scaled by 1 / (1 - p)"""
    for desc, shape, p, seed in DROPOUT_CASES:
        x = np.random.default_rng(seed + 100).normal(size=shape)
        given = f"{desc}, p={p}, rng = default_rng({seed})"
        got, args_after, _ = solution.inputs_after("dropout", x, p, np.random.default_rng(seed))
        check_dropout(got, x, p, seed, given=given)
        # What is left of rng: exactly one draw of rng.random(x.shape), nothing else.
        drawn = np.random.default_rng(seed)
        drawn.random(shape)
        checks.that(checks.same_rng_state(args_after[2], drawn.bit_generator.state),
                    f"dropout(x, p, rng) for {given}: the mask is right, but the state of rng after the call is "
                    f"not that of default_rng({seed}) after one rng.random({shape}). The mask takes exactly one "
                    f"call rng.random(x.shape), and nothing else is drawn from rng.")


@pytest.mark.correctness
def test_dropout_dtypes(solution):
    """dropout: float32 x gives float32 (the same mask), any other dtype float64"""
    g = np.random.default_rng(71)
    x32 = g.normal(size=(20, 30)).astype(np.float32)
    xi = g.integers(-5, 6, size=(20, 30))
    xi[xi == 0] = 7
    for desc, x, p, seed, dtype, eps in (
            ("float32 x (20, 30)", x32, 0.4, 72, np.float32, EPS32),
            # A np.float64 p must not promote the result to float64.
            ("float32 x (20, 30), p a np.float64 scalar", x32, np.float64(0.4), 72, np.float32, EPS32),
            # The first uniform is 1e-12 below 1 - p: kept when compared in float64, as the uniforms are.
            ("float32 x (20, 30), the first uniform 1e-12 below 1 - p (the same float32)", x32, P_NEAR_U0, 0,
             np.float32, EPS32),
            ("int64 x (20, 30) in [-5, 5] without zeros", xi, 0.4, 72, np.float64, EPS),
            ("float16 x (20, 30)", x32.astype(np.float16), 0.4, 72, np.float64, EPS)):
        given = f"{desc}, p={p!r}, rng = default_rng({seed})"
        got = solution.dropout(x, p, np.random.default_rng(seed))
        arr = checks.as_array(got, "dropout(x, p, rng)", given)
        checks.that(arr.dtype == dtype,
                    f"dropout(x, p, rng) for {given} should have dtype {np.dtype(dtype)} (float32 in, float32 out, "
                    f"also for a np.float64 p; any other dtype gives float64), got {arr.dtype}")
        # Your own run on the same values in float64: the same float64 uniforms, so the same mask.
        own = checks.as_array(solution.dropout(x.astype(np.float64), p, np.random.default_rng(seed)),
                              "dropout(x, p, rng)", given)
        checks.close(arr, own.astype(dtype), rtol=2 * eps, what="dropout(x, p, rng)",
                     given=f"{given}, against your own run on the same values as float64 (the uniforms are float64 "
                           f"draws whatever x's dtype)")


@pytest.mark.edge_case
def test_dropout_p_zero_keeps_x(solution):
    """dropout with p = 0 returns x's values, in the output dtype (float32 stays, anything else float64)"""
    g = np.random.default_rng(81)
    x = g.normal(size=(10, 7))
    got = checks.shape(solution.dropout(x, 0.0, np.random.default_rng(82)), x.shape, what="dropout(x, 0, rng)",
                       given="x (10, 7) N(0, 1), p=0")
    checks.close(got, x, rtol=2 * EPS, what="dropout(x, 0, rng)", given="x (10, 7) N(0, 1), p=0 (nothing dropped)")
    # A shortcut for p = 0 (returning a copy of x) must still give the output dtype.
    for desc, xd, dtype in (("int64 x (10, 7) in [-5, 5]", g.integers(-5, 6, size=(10, 7)), np.float64),
                            ("float16 x (10, 7)", x.astype(np.float16), np.float64),
                            ("float32 x (10, 7)", x.astype(np.float32), np.float32)):
        given = f"{desc}, p=0"
        got = checks.shape(solution.dropout(xd, 0.0, np.random.default_rng(82)), xd.shape,
                           what="dropout(x, 0, rng)", given=given)
        checks.dtype(got, dtype, what="dropout(x, 0, rng) (float32 in, float32 out; any other dtype gives float64)",
                     given=given)
        checks.equal(got, xd.astype(dtype), what="dropout(x, 0, rng)", given=f"{given} (nothing dropped)")


@pytest.mark.edge_case
def test_dropout_returns_a_new_array(solution):
    """dropout returns a new array, never x or a view of it (also with p = 0 and x already in the output dtype)"""
    g = np.random.default_rng(85)
    x = g.normal(size=(10, 7))
    for desc, xd, p in (("float64 x (10, 7) N(0, 1)", x, 0.0),
                        ("float32 x (10, 7) N(0, 1)", x.astype(np.float32), 0.0),
                        ("float64 x (10, 7) N(0, 1)", x, 0.5)):
        given = f"{desc}, p={p}, rng = default_rng(86)"
        _, shared = solution.result_shares_inputs("dropout", xd, p, np.random.default_rng(86))
        checks.that(not shared, f"dropout(x, p, rng) for {given} returned an array that shares memory with the "
                                f"caller's x (at {', '.join(shared[:5])}): a caller writing into the result would "
                                f"change its x. Return a new array, also for p = 0 when x is already of the output "
                                f"dtype.")


@pytest.mark.edge_case
def test_dropout_p_one_drops_everything(solution):
    """dropout with p = 1 returns zeros (no NaN or inf from 1 / (1 - p)), in the output dtype"""
    g = np.random.default_rng(91)
    x = g.normal(size=(10, 7))
    for desc, xd, dtype in (("x (10, 7) N(0, 1)", x, np.float64),
                            ("float32 x (4, 5) of 1e30", np.full((4, 5), 1e30, dtype=np.float32), np.float32),
                            # A shortcut for p = 1 (zeros like x) must still give the output dtype.
                            ("int64 x (10, 7) in [-5, 5]", g.integers(-5, 6, size=(10, 7)), np.float64),
                            ("float16 x (10, 7)", x.astype(np.float16), np.float64)):
        got = checks.shape(solution.dropout(xd, 1.0, np.random.default_rng(92)), xd.shape,
                           what="dropout(x, 1, rng)", given=f"{desc}, p=1")
        checks.dtype(got, dtype, what="dropout(x, 1, rng) (float32 in, float32 out; any other dtype gives float64)",
                     given=f"{desc}, p=1")
        checks.equal(got.astype(np.float64), np.zeros(xd.shape),
                     what="dropout(x, 1, rng) (everything dropped: zeros, never 0 * inf)", given=f"{desc}, p=1")


@pytest.mark.edge_case
def test_dropout_invalid_p_raises(solution):
    """dropout with p < 0, p > 1 or p NaN raises ValueError"""
    x = np.ones((3, 4))
    for p in (-0.1, 1.5, float("nan")):
        checks.raises(ValueError, solution.dropout, x, p, np.random.default_rng(0), given=f"x (3, 4), p={p}")


@pytest.mark.edge_case
def test_dropout_randomness_from_rng(solution):
    """dropout: all randomness from rng (same seed, same mask; another seed, another; global generators untouched)"""
    x = np.random.default_rng(101).normal(size=(20, 20))
    given = "x (20, 20) N(0, 1), p=0.5"
    check_randomness_from_rng(
        solution, lambda seed: checks.as_array(solution.dropout(x, 0.5, np.random.default_rng(seed)), "dropout", given),
        what="dropout", given=given)


# -- performance ----------------------------------------------------------------------------------

# Many samples and few passes (10^7 probabilities): a loop over the n samples is n small numpy calls,
# 8-20x the reference here (with T = 50 and n = 20000, the same size, only 2.5x: within the budget).
TIME_T, TIME_N, TIME_C = 5, 200000, 10
TIME_RUNS = 4           # a warm-up and 3 timed calls
TIME_GIVEN = f"T={TIME_T}, n={TIME_N}, C={TIME_C}"


def timed_probs(seed):
    """T x n x C probabilities drawn from `seed` (a `budget.seed`): uniforms, those below 0.1 set to 0
    (about 10%), 0.5 added to the first class (no row is all zeros, whatever the draw), rows normalised.

    Every run's probabilities are drawn afresh, not the rows of fixed probabilities in a new order: each
    row's entropies would then be known before the grading, and a file could find the order from one
    column and answer from a table of them.
    """
    P = np.random.default_rng(seed).random((TIME_T, TIME_N, TIME_C))
    P *= P >= 0.1
    P[..., 0] += 0.5
    P /= P.sum(axis=-1, keepdims=True)
    return P


def check_timed(name):
    """Every timed result against the reference's: both within tolerance(name) of exact, so twice it."""
    def check(got, expected, call):
        check_value(name, got, call.args[0], given=f"{TIME_GIVEN} probabilities with zeros", expected=expected,
                    scale=2.0)
    return check


@pytest.mark.performance
def test_expected_entropy_time_budget(budget):
    """expected_entropy on T=5, n=200000, C=10 within the time budget (vectorised over T, n and C)"""
    budget.time("expected_entropy", lambda run: Call(timed_probs(budget.seed(1000 + run))),
                check=check_timed("expected_entropy"), repeats=TIME_RUNS - 1,
                label=f"expected_entropy, {TIME_GIVEN}, new probs per call")


@pytest.mark.performance
def test_mutual_information_time_budget(budget):
    """mutual_information on T=5, n=200000, C=10 within the time budget"""
    budget.time("mutual_information", lambda run: Call(timed_probs(budget.seed(2000 + run))),
                check=check_timed("mutual_information"), repeats=TIME_RUNS - 1,
                label=f"mutual_information, {TIME_GIVEN}, new probs per call")


DROPOUT_TIME_SHAPE = (4000, 2500)


def check_timed_dropout(got, expected, call):
    x, p, rng = call.args
    arr = checks.shape(got, x.shape, what="dropout(x, p, rng)", given=f"x {x.shape}, p={p}")
    exp = np.asarray(expected)
    # Both checks below at once, in a pass over the arrays that costs less than the call it checks: the
    # reference's result is exactly 0 where it drops, and nonzero elsewhere (x has no zeros), so
    # |got - expected| <= 4 eps |expected| everywhere holds only with the same mask and the kept entries
    # within 4 eps relative (NaN fails the comparison). The messages come from the checks below.
    if arr.dtype == np.float64 and exp.dtype == np.float64 and checks.all_within(arr, exp, rtol=4 * EPS):
        return
    checks.that(np.array_equal(arr != 0, exp != 0),
                f"dropout(x, p={p}, rng) for x {x.shape}: the mask differs from the reference's on the same rng")
    checks.close(arr, exp, rtol=4 * EPS, what="dropout(x, p, rng)", given=f"x {x.shape} N(0, 1), p={p}")


def timed_dropout_call(x_seed, rng_seed):
    """x N(0, 1) drawn from `x_seed`, p = 0.3 and a generator seeded with `rng_seed` (both `budget.seed`s).

    The rng is the input that decides the mask: from a fixed seed, a file could draw the masks before the
    grading and answer from them. The mask is a function of the generator's state, the same on both
    sides, so it is compared exactly with the reference's whatever the secret. x has no zeros (which the
    check reads as dropped entries) but with probability 2^-52 per entry (numpy's ziggurat returns 0 for
    52 zero bits), 2e-9 for a call's 10^7 entries; and a zero there would only hide that one entry's mask.
    """
    x = np.random.default_rng(x_seed).standard_normal(DROPOUT_TIME_SHAPE)
    return Call(x, 0.3, np.random.default_rng(rng_seed))


@pytest.mark.performance
def test_dropout_time_budget(budget):
    """dropout on a (4000, 2500) float64 x within the time budget"""
    budget.time("dropout", lambda run: timed_dropout_call(budget.seed(300 + run), budget.seed(310 + run)),
                check=check_timed_dropout, repeats=TIME_RUNS - 1,
                label="dropout, float64 x (4000, 2500), p=0.3, a new x and rng per call")
