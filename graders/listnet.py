"""Hidden grader for the listnet challenge (listnet_loss, ndcg_at_k).

Oracles. `kl_oracle` computes, list by list in float64, the log-softmaxes of
the valid entries shifted by the list's own maximum, and the KL divergence
sum P (log P - log Q) with 0 log 0 = 0; the gradient (Q - P) / B.
`ndcg_oracle` computes NDCG@k list by list from the definition: the distinct
predicted scores in decreasing order, each tie group's mean gain times the
sum of the discounts 1 / log2(r + 2) of the positions it occupies (0 at
r >= k), over the ideal DCG, 0 where that is 0. tests/references/test_listnet.py
checks both oracles and the reference against scipy.special (softmax,
rel_entr), scikit-learn's ndcg_score and autograd.

Tolerances (eps = 2.2e-16). With Z the largest |score| and M the largest
spread (max - min) of a list over its valid entries, L the list length:
- z - m is rounded by at most eps/2 (Z + M); exp adds an ulp; the sum of L
  positive terms adds (L - 1) eps/2 relative; its log turns that into an
  absolute error. So each log-probability is within ~eps (Z + M + L + 4) of
  exact and each probability within that, relative. The KL sums terms
  P_i * (log P_i - log Q_i): the error is at most sum P_i * 2 eps (Z + M + L
  + 4) plus the rounding of the terms and of the sum (eps * L * loss); the
  tests allow 8 eps (Z + M + L + 4) (1 + loss).
- The gradient (Q - P) / B: each of P, Q is at most 1, so 4 eps (Z + M + L + 4)
  / B per entry (twice the bound of each probability).
- NDCG: the DCG sums at most L terms of size at most max(rel) with a few
  roundings each (discounts, means of groups): relative error below
  4 L eps; the ratio adds as much. The values are in [0, 1]: atol 64 L eps.
- Central differences of the candidate's own loss, step h = 1e-5, on a loss
  of size ~1: truncation h^2/6 |f'''| ~ 1e-11, rounding eps / h ~ 2e-11,
  allowed 1e-7.

Each rule is tested where the others are not at stake: the KL itself on one
list per call (B = 1: the reduction over the batch does not matter), the
mean over lists on batches without masks, masks on one list per call with
masked entries of moderate size; large values of masked entries, lists of
very different scales and underflowing targets only in the stability tests.
NDCG's ties, k and masks each have their test. Timed calls get their own
input per run, drawn from `budget.seed` (a seed under a secret of the test:
no file can compute the timed results before the grading), and every result
is checked against the reference's.
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.grading import Call, checks

EPS = np.finfo(np.float64).eps


# -- oracles -----------------------------------------------------------------------------------------

def _row_log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    s = z - z.max()
    return s - np.log(np.exp(s).sum())


def kl_oracle(y_true, y_pred, mask=None):
    """(loss, grad) list by list: module docstring."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    mask = np.ones(y_true.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    b = y_true.shape[0]
    total = 0.0
    grad = np.zeros(y_true.shape)
    for i in range(b):
        valid = mask[i]
        lp = _row_log_softmax(y_true[i, valid])
        lq = _row_log_softmax(y_pred[i, valid])
        p, q = np.exp(lp), np.exp(lq)
        total += float(np.sum(np.where(p > 0, p * (lp - lq), 0.0)))
        grad[i, valid] = (q - p) / b
    return total / b, grad


def kl_bounds(y_true, y_pred, mask, loss):
    """(loss tolerance, gradient tolerance per entry): module docstring."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    mask = np.ones(y_true.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    z = max(float(np.abs(y_true[mask]).max()), float(np.abs(y_pred[mask]).max()))
    spread = 0.0
    for a in (y_true, y_pred):
        hi = np.where(mask, a, -np.inf).max(axis=1)
        lo = np.where(mask, a, np.inf).min(axis=1)
        spread = max(spread, float((hi - lo).max()))
    base = EPS * (z + spread + y_true.shape[1] + 4)
    return 8 * base * (1 + abs(loss)), 4 * base / y_true.shape[0]


def ndcg_oracle(y_true, y_score, k=None, mask=None):
    """Mean NDCG@k with tie averaging, list by list: module docstring."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    mask = np.ones(y_true.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    values = []
    for i in range(y_true.shape[0]):
        rel = y_true[i, mask[i]]
        sc = y_score[i, mask[i]]
        n = len(rel)
        disc = 1.0 / np.log2(np.arange(n) + 2.0)
        if k is not None:
            disc[k:] = 0.0
        dcg, pos = 0.0, 0
        for value in sorted(set(sc.tolist()), reverse=True):
            group = rel[sc == value]
            dcg += group.mean() * disc[pos:pos + len(group)].sum()
            pos += len(group)
        idcg = float((np.sort(rel)[::-1] * disc).sum())
        values.append(dcg / idcg if idcg > 0 else 0.0)
    return float(np.mean(values))


# -- checks ------------------------------------------------------------------------------------------

def unpack_loss(got, shape, given):
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        checks.fail(f"listnet_loss for {given} should return (loss, grad), got {checks.show(got)}")
    loss = checks.as_array(got[0], "loss", given)
    if not (loss.shape == () and loss.dtype.kind == "f"):
        checks.fail(f"the loss for {given} should be a float scalar, got {checks.show(got[0])}")
    grad = checks.as_array(got[1], "grad", given)
    if grad.shape != shape:
        checks.fail(f"grad for {given} should have shape {shape}, got {grad.shape}: "
                    f"{checks.show(got[1])}")
    return float(loss), grad.astype(np.float64)


def check_loss(got, y_true, y_pred, mask=None, *, given, loss=True, grad=True):
    expected_loss, expected_grad = kl_oracle(y_true, y_pred, mask)
    value, g = unpack_loss(got, np.shape(y_true), given)
    ltol, gtol = kl_bounds(y_true, y_pred, mask, expected_loss)
    if loss:
        checks.close(value, expected_loss, atol=ltol, what="the loss (mean over lists of KL(P || Q))", given=given)
    if grad:
        checks.close(g, expected_grad, atol=gtol, what="the gradient (Q - P) / B w.r.t. y_pred", given=given)
        if mask is not None:
            masked = ~np.asarray(mask, dtype=bool)
            if not np.all(g[masked] == 0):
                checks.fail(f"the gradient for {given} should be exactly 0 at masked entries, got "
                            f"{checks.show(g[masked])} there")


def check_ndcg(got, y_true, y_score, k=None, mask=None, *, given):
    expected = ndcg_oracle(y_true, y_score, k, mask)
    value = checks.as_array(got, f"ndcg_at_k(..., k={k})", given)
    if value.shape != ():
        checks.fail(f"ndcg_at_k for {given} should return a float, got {checks.show(got)}")
    checks.close(float(value), expected, atol=64 * np.shape(y_true)[1] * EPS, what=f"NDCG@{k} (mean over lists)",
                 given=given)


def rows(seed, b, length, scale=2.0):
    return np.random.default_rng(seed).normal(size=(b, length)) * scale


def relevances(seed, b, length, top=4):
    return np.random.default_rng(seed).integers(0, top + 1, size=(b, length)).astype(np.float64)


# -- listnet_loss: correctness ----------------------------------------------------------------------------

SINGLE_LISTS = [(f"one list (B = 1) of length {n}, y_true N(0, 2^2) and y_pred N(0, 2^2)", 10 + n, n)
                for n in (2, 5, 12)]


@pytest.mark.correctness
def test_listnet_single_list_kl(solution, reference):
    """The loss of one list is KL(softmax(y_true) || softmax(y_pred))"""
    for given, seed, n in SINGLE_LISTS:
        yt, yp = rows(seed, 1, n), rows(seed + 100, 1, n)
        check_loss(reference.listnet_loss(yt, yp), yt, yp, given="the REFERENCE on " + given, grad=False)
        check_loss(solution.listnet_loss(yt, yp), yt, yp, given=given, grad=False)
    yt = np.array([[3.0, 1.0, 0.0]])
    check_loss(solution.listnet_loss(yt, yt.copy()), yt, yt, given="y_pred equal to y_true = [[3, 1, 0]] (KL = 0)",
               grad=False)
    yt, yp = np.array([[2.0, 0.0, 0.0, 1.0]]), np.array([[-1.0, 0.5, 2.0, 0.0]])
    check_loss(solution.listnet_loss(yt, yp), yt, yp, given="y_true = [[2, 0, 0, 1]], y_pred = [[-1, 0.5, 2, 0]]",
               grad=False)


@pytest.mark.correctness
def test_listnet_gradient_single_list(solution):
    """The gradient of one list's loss w.r.t. y_pred is Q - P"""
    for given, seed, n in SINGLE_LISTS:
        yt, yp = rows(seed, 1, n), rows(seed + 100, 1, n)
        check_loss(solution.listnet_loss(yt, yp), yt, yp, given=given, loss=False)


@pytest.mark.correctness
def test_listnet_batch_mean(solution):
    """The loss of a batch is the mean over its lists"""
    for b, n, seed in ((4, 6, 21), (7, 3, 22)):
        yt, yp = rows(seed, b, n), rows(seed + 100, b, n)
        check_loss(solution.listnet_loss(yt, yp), yt, yp, given=f"B = {b} lists of length {n}, no mask", grad=False)


@pytest.mark.correctness
def test_listnet_gradient_batch(solution):
    """The gradient of a batch's loss is (Q - P) / B"""
    for b, n, seed in ((4, 6, 31), (7, 3, 32)):
        yt, yp = rows(seed, b, n), rows(seed + 100, b, n)
        check_loss(solution.listnet_loss(yt, yp), yt, yp, given=f"B = {b} lists of length {n}, no mask", loss=False)


@pytest.mark.correctness
def test_listnet_gradient_matches_finite_differences(solution):
    """The gradient agrees with central differences of your own loss"""
    yt, yp = rows(41, 3, 4), rows(42, 3, 4)
    _, grad = unpack_loss(solution.listnet_loss(yt, yp), yt.shape, "B = 3 lists of length 4")
    h = 1e-5
    numeric = np.zeros_like(yp)
    for idx in np.ndindex(*yp.shape):
        up, down = yp.copy(), yp.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (float(solution.listnet_loss(yt, up)[0]) - float(solution.listnet_loss(yt, down)[0])) / (2 * h)
    checks.close(grad, numeric, atol=1e-7, what="gradient vs (loss(y_pred + h) - loss(y_pred - h)) / 2h, h = 1e-5",
                 given="B = 3 lists of length 4, N(0, 2^2)")


MASK_CASES = [
    ("one list [[2, 1, 0, 5]] / [[0, 1, -1, -3]] with the last entry masked",
     np.array([[2.0, 1.0, 0.0, 5.0]]), np.array([[0.0, 1.0, -1.0, -3.0]]), np.array([[True, True, True, False]])),
    ("one list of length 7 with entries 0, 3 and 4 masked (masked values N(0, 2^2))",
     rows(51, 1, 7), rows(52, 1, 7), np.array([[False, True, True, False, False, True, True]])),
    ("one list of length 5, only entry 2 valid", rows(53, 1, 5), rows(54, 1, 5),
     np.array([[False, False, True, False, False]])),
]


@pytest.mark.correctness
def test_listnet_masks(solution):
    """Masked entries take no probability and get a zero gradient"""
    for given, yt, yp, mask in MASK_CASES:
        check_loss(solution.listnet_loss(yt, yp, mask=mask), yt, yp, mask, given=given)


@pytest.mark.correctness
def test_listnet_batch_of_different_lengths(solution):
    """A batch of lists of lengths 6, 2, 4 and 1 (masks), averaged over the lists"""
    yt, yp = rows(61, 4, 6), rows(62, 4, 6)
    mask = np.arange(6)[None, :] < np.array([6, 2, 4, 1])[:, None]
    check_loss(solution.listnet_loss(yt, yp, mask=mask), yt, yp, mask,
               given="B = 4 lists padded to 6, valid lengths 6, 2, 4, 1 (a prefix mask)")


# -- ndcg_at_k: correctness ------------------------------------------------------------------------------

@pytest.mark.correctness
def test_ndcg_without_ties(solution, reference):
    """NDCG@k without ties: linear gains, log2 discounts, the mean over lists"""
    yt, ys = relevances(71, 6, 8), rows(72, 6, 8)
    for k in (None, 3, 1):
        given = f"B = 6 lists of length 8, relevances 0..4, continuous scores, k={k}"
        check_ndcg(reference.ndcg_at_k(yt, ys, k=k), yt, ys, k, given="the REFERENCE on " + given)
        check_ndcg(solution.ndcg_at_k(yt, ys, k=k), yt, ys, k, given=given)
    # Called without k, on lists longer than any cut-off a default might hold (5, 10, 20): k=None, every position.
    # The scores are a permutation of 0..39 in each list, far apart: no tie rule is at stake.
    yt = relevances(73, 3, 40)
    ys = np.random.default_rng(74).permuted(np.tile(np.arange(40.0), (3, 1)), axis=1)
    check_ndcg(solution.ndcg_at_k(yt, ys), yt, ys, None,
               given="B = 3 lists of length 40, relevances 0..4, scores a permutation of 0..39, no k given (the "
                     "default k=None: every position counts)")


@pytest.mark.correctness
def test_ndcg_ties_are_averaged(solution):
    """Tied scores share the mean gain of their group (scikit-learn's ignore_ties=False)"""
    yt = relevances(81, 6, 9)
    ys = np.round(rows(82, 6, 9, scale=0.6))            # values in {-2, ..., 2}: many ties
    check_ndcg(solution.ndcg_at_k(yt, ys), yt, ys, None, given="B = 6 lists of length 9, scores in {-2..2} (ties)")
    yt, ys = np.array([[10.0, 0.0, 0.0, 1.0, 5.0]]), np.array([[1.0, 0.0, 0.0, 0.0, 1.0]])
    check_ndcg(solution.ndcg_at_k(yt, ys), yt, ys, None, given="y_true [[10, 0, 0, 1, 5]], y_score [[1, 0, 0, 0, 1]]")
    yt, ys = np.array([[0.0, 3.0, 1.0, 2.0]]), np.zeros((1, 4))
    check_ndcg(solution.ndcg_at_k(yt, ys), yt, ys, None, given="y_true [[0, 3, 1, 2]], every score 0 (one tie group)")
    # A model that scores every document alike, over a batch: each list is its own tie group,
    # however the rows' scores compare (one group per row, never one across rows).
    yt, ys = relevances(83, 3, 4), np.zeros((3, 4))
    check_ndcg(solution.ndcg_at_k(yt, ys), yt, ys, None, given="B = 3 lists of length 4, every score 0 (a tie group per list)")


@pytest.mark.correctness
def test_ndcg_only_equal_scores_tie(solution):
    """Only equal scores tie: scores a hair apart (1e-9, one ulp, 1e-6 on 1e6) are ranked, not averaged"""
    # One relevant document (gain 1: linear and exponential gains agree), scored a hair above an
    # irrelevant one, the two ahead of the rest: ranked, it is first (NDCG 1); taken as a tie with
    # the second, it gets the mean of the first two discounts, (1 + 1 / log2(3)) / 2.
    yt = np.array([[1.0, 0.0, 0.0, 0.0]])
    for near, low, shown in ((1.0 + 1e-9, 1.0, "1 + 1e-9, 1"), (np.nextafter(1.0, 2.0), 1.0, "nextafter(1, 2), 1"),
                             (1e6 + 1e-6, 1e6, "1e6 + 1e-6, 1e6")):
        ys = np.array([[near, low, low - 5, low - 6]])
        check_ndcg(solution.ndcg_at_k(yt, ys), yt, ys, None,
                   given=f"y_true [[1, 0, 0, 0]], y_score [[{shown}, {low - 5:g}, {low - 6:g}]] "
                         "(the relevant document's score a hair above the next one's)")


@pytest.mark.correctness
def test_ndcg_k_cuts_tie_groups(solution):
    """With k, only positions < k count, also inside a tie group straddling position k"""
    yt, ys = np.array([[10.0, 0.0, 0.0, 1.0, 5.0]]), np.array([[1.0, 0.0, 0.0, 0.0, 1.0]])
    for k in (1, 2, 3):
        check_ndcg(solution.ndcg_at_k(yt, ys, k=k), yt, ys, k,
                   given=f"y_true [[10, 0, 0, 1, 5]], y_score [[1, 0, 0, 0, 1]], k={k}")
    yt, ys = relevances(91, 5, 8), np.round(rows(92, 5, 8, scale=0.5))
    for k in (2, 5):
        check_ndcg(solution.ndcg_at_k(yt, ys, k=k), yt, ys, k, given=f"B = 5 lists of length 8 with ties, k={k}")


@pytest.mark.correctness
def test_ndcg_masks(solution):
    """Masked entries are not ranked (lists of different lengths)"""
    yt, ys = relevances(101, 5, 7), rows(102, 5, 7)
    mask = np.arange(7)[None, :] < np.array([7, 3, 5, 2, 6])[:, None]
    yt[~mask] = 4.0                                     # the best relevance and
    ys[~mask] = 10.0                                    # the highest scores, if they were counted
    check_ndcg(solution.ndcg_at_k(yt, ys, mask=mask), yt, ys, None, mask,
               given="B = 5 lists padded to 7, valid lengths 7, 3, 5, 2, 6 (masked entries: relevance 4, score 10)")
    yt[~mask] = -1.0                                    # not a relevance, but masked: never checked
    check_ndcg(solution.ndcg_at_k(yt, ys, mask=mask), yt, ys, None, mask,
               given="B = 5 lists padded to 7, valid lengths 7, 3, 5, 2, 6 (masked entries: relevance -1, score 10)")


# -- edge cases ------------------------------------------------------------------------------------------

@pytest.mark.edge_case
def test_single_entry_lists(solution):
    """Lists of one entry: ListNet loss 0 and gradient 0; NDCG 1 (or 0 for relevance 0)"""
    yt, yp = np.array([[2.0]]), np.array([[-3.0]])
    check_loss(solution.listnet_loss(yt, yp), yt, yp, given="one list of one entry (L = 1)")
    yt, ys = np.array([[2.0, 1.0], [0.0, 1.0]]), np.array([[0.5, 0.1], [0.2, 0.4]])
    mask = np.array([[True, False], [True, False]])
    check_ndcg(solution.ndcg_at_k(yt, ys, mask=mask), yt, ys, None, mask,
               given="two lists with one valid entry each, relevances 2 and 0 (NDCG 1 and 0: mean 0.5)")


@pytest.mark.edge_case
def test_ndcg_all_zero_relevance_is_zero(solution):
    """A list whose relevances are all 0 has NDCG 0, not NaN"""
    yt = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    ys = np.array([[0.3, 0.1, 0.2, 0.4], [0.3, 0.1, 0.5, 0.4]])
    check_ndcg(solution.ndcg_at_k(yt, ys), yt, ys, None,
               given="lists [[0, 0, 0, 0], [0, 0, 1, 0]] (the first has IDCG 0, the second NDCG 1): mean 0.5")
    check_ndcg(solution.ndcg_at_k(yt[:1], ys[:1], k=2), yt[:1], ys[:1], 2, given="one list of zero relevances, k=2")


@pytest.mark.edge_case
def test_ndcg_k_above_length(solution):
    """k equal to or larger than the list's length is the whole list"""
    yt, ys = relevances(111, 3, 5, top=1), rows(112, 3, 5)
    for k in (5, 6, 50):
        check_ndcg(solution.ndcg_at_k(yt, ys, k=k), yt, ys, k,
                   given=f"B = 3 lists of length 5, relevances 0 / 1, continuous scores, k={k}")
    # The only relevant document ranked last: the last position counts for every k >= L (NDCG 1 / log2(5)).
    yt, ys = np.array([[0.0, 0.0, 0.0, 1.0]]), np.array([[4.0, 3.0, 2.0, 1.0]])
    for k in (4, 5, 50):
        check_ndcg(solution.ndcg_at_k(yt, ys, k=k), yt, ys, k,
                   given=f"y_true [[0, 0, 0, 1]], y_score [[4, 3, 2, 1]] (the relevant document last), k={k}")


@pytest.mark.edge_case
def test_listnet_rejects_bad_input(solution):
    """listnet_loss: shapes that differ, 1-D or 3-D input, a wrong mask and an empty list raise ValueError"""
    a, b = rows(121, 2, 3), rows(122, 2, 3)
    checks.raises(ValueError, solution.listnet_loss, a, rows(123, 2, 4), given="y_true (2, 3) and y_pred (2, 4)")
    checks.raises(ValueError, solution.listnet_loss, a, rows(123, 1, 3), given="y_true (2, 3) and y_pred (1, 3)")
    checks.raises(ValueError, solution.listnet_loss, a[0], b[0], given="1-D y_true and y_pred of length 3")
    # 3-D too: reductions along axis 1 run on it and return a number.
    checks.raises(ValueError, solution.listnet_loss, a[None], b[None], given="3-D y_true and y_pred (1, 2, 3)")
    for shape in ((2, 2), (3,), (1, 3)):
        checks.raises(ValueError, solution.listnet_loss, a, b, mask=np.ones(shape, dtype=bool),
                      given=f"a mask {shape} for (2, 3) (not broadcast)")
    checks.raises(ValueError, solution.listnet_loss, a, b, mask=np.array([[True, True, False], [False, False, False]]),
                  given="a mask whose second list has no valid entry")
    checks.raises(ValueError, solution.listnet_loss, np.zeros((0, 3)), np.zeros((0, 3)), given="B = 0 lists")


@pytest.mark.edge_case
def test_ndcg_rejects_bad_input(solution):
    """ndcg_at_k: k < 1, negative relevance, unequal shapes, not 2-D, wrong mask, an empty list or B = 0: ValueError"""
    yt, ys = np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 1.0]]), rows(131, 2, 3)
    for k in (0, -2):
        checks.raises(ValueError, solution.ndcg_at_k, yt, ys, k=k, given=f"k={k}")
    checks.raises(ValueError, solution.ndcg_at_k, np.array([[1.0, -1.0, 0.0], [0.0, 3.0, 1.0]]), ys,
                  given="a relevance of -1 at a valid entry")
    checks.raises(ValueError, solution.ndcg_at_k, yt, rows(132, 2, 4), given="y_true (2, 3) and y_score (2, 4)")
    for shape in ((2, 2), (3,), (1, 3)):
        checks.raises(ValueError, solution.ndcg_at_k, yt, ys, mask=np.ones(shape, dtype=bool),
                      given=f"a mask {shape} for (2, 3) (not broadcast)")
    checks.raises(ValueError, solution.ndcg_at_k, yt, ys, mask=np.array([[False, False, False], [True, True, True]]),
                  given="a mask whose first list has no valid entry")
    # Not 2-D, and no list at all: the mean of no NDCG is NaN, not a score.
    checks.raises(ValueError, solution.ndcg_at_k, yt[0], ys[0], given="1-D y_true and y_score of length 3")
    checks.raises(ValueError, solution.ndcg_at_k, yt[None], ys[None], given="3-D y_true and y_score (1, 2, 3)")
    checks.raises(ValueError, solution.ndcg_at_k, np.zeros((0, 3)), np.zeros((0, 3)), given="B = 0 lists")


@pytest.mark.edge_case
def test_ndcg_k_must_be_an_integer(solution):
    """ndcg_at_k: a float k (even 3.0) or a bool k, NumPy's too, raises ValueError; a numpy integer k is the int"""
    # 2.5 passes a check of `k < 1` alone, and int() or a slice would then truncate it to 2 (ceil would give 3).
    # 3.0 passes a check that int(k) == k, and True is an instance of int: neither a float nor a bool is an integer.
    yt, ys = relevances(141, 2, 5), rows(142, 2, 5)
    # NumPy scalars too: converting every np.generic with int(k) (meant for np.int64) truncates np.float64(2.5).
    for k, what in ((2.5, "a float, not an integer"), (3.0, "a float, not an integer, whatever its value"),
                    (True, "a bool, not an integer"), (np.float64(2.5), "a NumPy float, not an integer"),
                    (np.float64(3.0), "a NumPy float, not an integer, whatever its value"),
                    (np.bool_(True), "a NumPy bool, not an integer")):
        checks.raises(ValueError, solution.ndcg_at_k, yt, ys, k=k,
                      given=f"B = 2 lists of length 5, relevances 0..4, continuous scores, k={k!r} ({what})")
    # Compared with your own results for the Python int: only the type of k is at stake here.
    for k in (np.int64(3), np.int32(1), np.uint8(5)):
        given = f"B = 2 lists of length 5, relevances 0..4, continuous scores, k=np.{type(k).__name__}({int(k)})"
        want = float(checks.as_array(solution.ndcg_at_k(yt, ys, k=int(k)), "ndcg", given))
        got = checks.as_array(solution.ndcg_at_k(yt, ys, k=k), "ndcg", given)
        if got.shape != ():
            checks.fail(f"ndcg_at_k for {given} should return a float, got {checks.show(got)}")
        checks.close(float(got), want, atol=64 * 5 * EPS, what=f"NDCG@{int(k)} (vs your result for k={int(k)})",
                     given=given)


@pytest.mark.edge_case
def test_integer_inputs(solution):
    """Integer scores and relevances (signed and unsigned) give the values of their float64 copies"""
    # Compared with your own results on the float64 copies: only the conversion is at stake here.
    # int8 arithmetic would wrap around (100 - (-100) = -56), and so would uint8's (0 - 200 = 56,
    # -200 = 56: negating scores to sort them in decreasing order).
    cases = [(np.array([[3, 0, 1, 2], [1, 1, 0, 4]], dtype=np.int64),
              np.array([[100, -100, 0, 5], [2, 1, 0, -3]], dtype=np.int8),
              "int64 y_true and int8 y_pred (2, 4) [[100, -100, 0, 5], [2, 1, 0, -3]]"),
             (np.array([[3, 0, 1, 2], [1, 1, 0, 4]], dtype=np.uint8),
              np.array([[0, 1, 200, 3], [2, 250, 0, 1]], dtype=np.uint8),
              "uint8 y_true and uint8 y_pred (2, 4) [[0, 1, 200, 3], [2, 250, 0, 1]]")]
    for yt, yp, given in cases:
        want, want_grad = unpack_loss(solution.listnet_loss(yt.astype(np.float64), yp.astype(np.float64)), yt.shape,
                                      "the float64 copies of " + given)
        got, got_grad = unpack_loss(solution.listnet_loss(yt, yp), yt.shape, given)
        atol, gtol = kl_bounds(yt, yp, None, want)
        checks.close(got, want, atol=atol, what="the loss (vs its float64 copies)", given=given)
        checks.close(got_grad, want_grad, atol=gtol, what="the gradient (vs its float64 copies)", given=given)
        given = given.replace("y_pred", "y_score")
        want = float(checks.as_array(solution.ndcg_at_k(yt.astype(np.float64), yp.astype(np.float64), k=2), "ndcg",
                                     given))
        got = float(checks.as_array(solution.ndcg_at_k(yt, yp, k=2), "ndcg", given))
        checks.close(got, want, atol=64 * 4 * EPS, what="NDCG@2 (vs its float64 copies)", given=given)


@pytest.mark.edge_case
def test_float32_and_float16_inputs(solution):
    """float32 and float16 scores and relevances give a float64 gradient and the values of their float64 copies"""
    # Compared with your own results on the float64 copies (the same values): only the conversion is at stake.
    # Computed in float32 the loss is off by about 1e-8, far beyond the float64 tolerance.
    cases = [(rows(151, 2, 6, scale=3.0).astype(np.float32), rows(152, 2, 6, scale=3.0).astype(np.float32),
              relevances(153, 2, 6).astype(np.float32), "float32 y_true and y_pred (2, 6), N(0, 3^2)"),
             (rows(154, 2, 6, scale=3.0).astype(np.float16), rows(155, 2, 6, scale=3.0).astype(np.float16),
              relevances(156, 2, 6).astype(np.float16), "float16 y_true and y_pred (2, 6), N(0, 3^2)")]
    for yt, yp, rel, given in cases:
        want, want_grad = unpack_loss(solution.listnet_loss(yt.astype(np.float64), yp.astype(np.float64)), yt.shape,
                                      "the float64 copies of " + given)
        got = solution.listnet_loss(yt, yp)
        value, grad = unpack_loss(got, yt.shape, given)
        dtype = checks.as_array(got[1], "grad", given).dtype
        if dtype != np.float64:
            checks.fail(f"the gradient for {given} should be a float64 array (compute in float64), got dtype {dtype}")
        atol, gtol = kl_bounds(yt, yp, None, want)
        checks.close(value, want, atol=atol, what="the loss (vs its float64 copies)", given=given)
        checks.close(grad, want_grad, atol=gtol, what="the gradient (vs its float64 copies)", given=given)
        given = given.replace("y_true and y_pred", "y_true (relevances 0..4) and y_score")
        want = float(checks.as_array(solution.ndcg_at_k(rel.astype(np.float64), yp.astype(np.float64), k=3), "ndcg",
                                     given))
        got = float(checks.as_array(solution.ndcg_at_k(rel, yp, k=3), "ndcg", given))
        checks.close(got, want, atol=64 * 6 * EPS, what="NDCG@3 (vs its float64 copies)", given=given)


@pytest.mark.edge_case
def test_inputs_not_modified(solution):
    """listnet_loss and ndcg_at_k leave their inputs unchanged"""
    yt, yp = rows(141, 3, 5), rows(142, 3, 5)
    mask = np.array([[True] * 5, [True, True, False, False, True], [False, True, True, True, True]])
    for name in ("listnet_loss", "ndcg_at_k"):
        truth = np.abs(np.round(yt)) if name == "ndcg_at_k" else yt
        _, args, kwargs = solution.inputs_after(name, truth, yp, mask=mask)
        checks.equal(args[0], truth, what=f"y_true after {name}", given="(3, 5) with a mask")
        checks.equal(args[1], yp, what=f"the scores after {name}", given="(3, 5) with a mask")
        checks.equal(kwargs["mask"], mask, what=f"the mask after {name}", given="(3, 5) with a mask")
        # Without a mask too: float64 inputs are not copied by np.asarray, so shifting them in place (a path
        # taken only when nothing is masked) would change the caller's arrays.
        _, args, _ = solution.inputs_after(name, truth, yp)
        checks.equal(args[0], truth, what=f"y_true after {name}", given="(3, 5) float64, no mask")
        checks.equal(args[1], yp, what=f"the scores after {name}", given="(3, 5) float64, no mask")


# -- numerical stability ---------------------------------------------------------------------------------
#
# Each case is compared with your own results on an input where the rule is not at stake (the same lists
# shifted near 0: each softmax is invariant to adding a constant to its list; masked values set to 0), so
# only finiteness and stability are tested here: the formulas are the correctness tests' business.

def check_same_as_moderate(got, moderate, y_true, y_pred, mask=None, *, given, moderate_given):
    want, want_grad = unpack_loss(moderate, np.shape(y_true), moderate_given)
    value, grad = unpack_loss(got, np.shape(y_true), given)
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        checks.fail(f"listnet_loss for {given} should be finite, got loss {checks.show(value)} and grad {checks.show(grad)}. "
                    f"Shift each list by its own maximum over its valid entries, and use log-softmaxes, not log(softmax).")
    ltol, gtol = kl_bounds(y_true, y_pred, mask, want)
    checks.close(value, want, atol=ltol, what=f"the loss (vs yours for {moderate_given})", given=given)
    checks.close(grad, want_grad, atol=gtol, what=f"the gradient (vs yours for {moderate_given})", given=given)


@pytest.mark.stability
def test_listnet_large_scores(solution):
    """Scores and relevances of +-1e4 give finite, exact results"""
    small_t, small_p = np.array([[0.0, -1.0, -3.0]]), np.array([[0.0, 2.0, 0.5]])
    for ct, cp in ((1e4, -1e4), (0.0, 1e4), (-1e4, 0.0)):
        yt, yp = small_t + ct, small_p + cp
        check_same_as_moderate(solution.listnet_loss(yt, yp), solution.listnet_loss(small_t, small_p), yt, yp,
                               given=f"y_true [[0, -1, -3]] + {ct:g}, y_pred [[0, 2, 0.5]] + {cp:g}",
                               moderate_given="y_true [[0, -1, -3]], y_pred [[0, 2, 0.5]]")


@pytest.mark.stability
def test_listnet_lists_of_different_scales(solution):
    """Each list is shifted by its own maximum over its valid entries (lists around 0, -1000 and +1000 in one batch)"""
    base_t = np.array([[0.0, 1.0, 0.5, -1.0], [2.0, 0.0, 1.0, 1.5], [-0.5, 0.0, 1.0, 0.25]])
    base_p = np.array([[1.0, -0.5, 0.0, 2.0], [0.0, 0.5, -1.0, 1.0], [1.5, 1.0, 0.0, -2.0]])
    offsets = np.array([[0.0], [-1000.0], [1000.0]])
    yt, yp = base_t + offsets, base_p + offsets
    check_same_as_moderate(solution.listnet_loss(yt, yp), solution.listnet_loss(base_t, base_p), yt, yp,
                           given="B = 3 lists whose values sit around 0, -1000 and +1000",
                           moderate_given="the same lists without their offsets 0, -1000, +1000")
    # With a mask, each list's maximum is over its valid entries only: the list around -1000 has no
    # entry near 0, and a maximum that counts its masked entries as 0 leaves every exp(z - m) at 0.
    # The masked entries move with their lists and sit 1e4 below them: they are never the maximum,
    # and even a softmax that counted them would give them probability 0, so only the maximum is at stake.
    mask = np.array([[True, True, False, True], [True, False, True, True], [False, True, True, True]])
    mt, mp = np.where(mask, base_t, base_t - 1e4), np.where(mask, base_p, base_p - 1e4)
    check_same_as_moderate(solution.listnet_loss(mt + offsets, mp + offsets, mask=mask),
                           solution.listnet_loss(mt, mp, mask=mask), mt + offsets, mp + offsets, mask,
                           given="the same B = 3 lists around 0, -1000 and +1000, one entry of each masked "
                                 "(masked values 1e4 below their list)",
                           moderate_given="the same masked lists without their offsets 0, -1000, +1000")


@pytest.mark.stability
def test_listnet_large_masked_values(solution):
    """Masked entries of +-1e4 change nothing"""
    yt, yp = np.array([[1.0, 0.0, 1e4, 2.0]]), np.array([[0.5, 1e4, -1e4, -0.5]])
    mask = np.array([[True, False, False, True]])
    zt, zp = np.where(mask, yt, 0.0), np.where(mask, yp, 0.0)
    check_same_as_moderate(solution.listnet_loss(yt, yp, mask=mask), solution.listnet_loss(zt, zp, mask=mask),
                           yt, yp, mask, given="one list [[1, 0, 1e4, 2]] / [[0.5, 1e4, -1e4, -0.5]], entries 1 and 2 masked",
                           moderate_given="the masked entries set to 0")


@pytest.mark.stability
def test_listnet_underflowing_probabilities(solution):
    """Scores spread over 2000 (P or Q underflows to 0 at some entries): finite, exact loss"""
    # P = 0 in float64 at two entries: their exact terms are below 1e-300, as are those of the moderate
    # lists (P ~ e^-60, e^-50, terms ~ 1e-20, far below the tolerance).
    yt, yp = np.array([[0.0, -2000.0, -1.0, -900.0]]), np.array([[0.3, 0.1, -0.2, 0.0]])
    mt = np.array([[0.0, -60.0, -1.0, -50.0]])
    check_same_as_moderate(solution.listnet_loss(yt, yp), solution.listnet_loss(mt, yp), yt, yp,
                           given="y_true [[0, -2000, -1, -900]] (P = 0 at two entries), y_pred [[0.3, 0.1, -0.2, 0]]",
                           moderate_given="y_true [[0, -60, -1, -50]]")
    # Q underflows where P = 0.186: log Q_1 = -2001.31... exactly through the log-softmax, and the loss
    # exceeds yours for y_pred [[0, -20, 1]] by P_1 * 1980 (log Q_1 moves by -1980; the log of the
    # normaliser by less than e^-21).
    yt, yp, mp = np.array([[0.0, 0.5, 1.0]]), np.array([[0.0, -2000.0, 1.0]]), np.array([[0.0, -20.0, 1.0]])
    given = "y_true [[0, 0.5, 1]], y_pred [[0, -2000, 1]] (Q = 0 in float64 where P = 0.186)"
    value, _ = unpack_loss(solution.listnet_loss(yt, yp), yt.shape, given)
    moderate, _ = unpack_loss(solution.listnet_loss(yt, mp), yt.shape, "y_true [[0, 0.5, 1]], y_pred [[0, -20, 1]]")
    p1 = float(np.exp(0.5 - np.log(np.exp(0.0) + np.exp(0.5) + np.exp(1.0))))
    if not np.isfinite(value):
        checks.fail(f"listnet_loss for {given} should be finite, got {checks.show(value)}: "
                    f"log Q is finite (-2001.3), compute it as a log-softmax, not log(softmax)")
    checks.close(value - moderate, p1 * 1980.0, atol=1e-9, what="loss(y_pred [[0, -2000, 1]]) - loss([[0, -20, 1]])",
                 given=given + " (expected P_1 * 1980)")


# -- performance ---------------------------------------------------------------------------------------

PERF_B, PERF_L = 6000, 500
# NDCG's vectorised reference costs ~5x the loss's per list: half as many lists keep its calls near 0.1 s.
NDCG_B = 3000
# Timed inputs are drawn from integers and uniform numbers, several times faster than normal ones:
# relevances 0..4, predicted scores uniform on [-6, 6] (Z <= 6, M <= 12 in the bounds of the module docstring).
PERF_SCORE = 6.0


def listnet_call(seed):
    """The input of one timed run, drawn from `seed` (a `budget.seed`)."""
    g = np.random.default_rng(seed)
    lengths = g.integers(1, PERF_L + 1, size=PERF_B)
    mask = np.arange(PERF_L)[None, :] < lengths[:, None]
    y_true = g.integers(0, 5, size=(PERF_B, PERF_L), dtype=np.int8).astype(np.float64)
    y_pred = g.random((PERF_B, PERF_L))
    y_pred *= 2 * PERF_SCORE
    y_pred -= PERF_SCORE
    return Call(y_true, y_pred, mask=mask)


def check_timed_listnet(got, expected, call):
    given = f"({PERF_B}, {PERF_L}) lists with a mask"
    value, grad = unpack_loss(got, (PERF_B, PERF_L), given)
    ref_value, ref_grad = expected
    # Both within the bounds of the module docstring (Z = 6, M = 12, L = 500): twice those.
    base = EPS * (PERF_SCORE + 2 * PERF_SCORE + PERF_L + 4)
    checks.close(value, float(ref_value), atol=16 * base * (1 + abs(float(ref_value))), what="the loss", given=given)
    checks.close(grad, np.asarray(ref_grad), atol=8 * base / PERF_B, what="the gradient", given=given)


@pytest.mark.performance
def test_listnet_time(budget):
    """listnet_loss on 6000 lists of up to 500 entries within the time budget"""
    budget.time("listnet_loss", lambda run: listnet_call(budget.seed(1000 + run)), check=check_timed_listnet,
                repeats=3, label=f"listnet_loss: ({PERF_B}, {PERF_L}) with a mask, new data per call")


def ndcg_call(seed):
    """The input of one timed run, drawn from `seed` (a `budget.seed`). The scores are integers divided by 10:
    tied scores are equal floats and distinct ones about 0.1 apart or more, so the tie groups are the same for
    every solution, whatever the secret."""
    g = np.random.default_rng(seed)
    y_true = g.integers(0, 5, size=(NDCG_B, PERF_L), dtype=np.int8).astype(np.float64)
    y_score = g.integers(-30, 31, size=(NDCG_B, PERF_L), dtype=np.int8).astype(np.float64)
    y_score /= 10.0                                  # 61 values from -3 to 3: tie groups of ~8 in each list
    return Call(y_true, y_score, k=10)


def check_timed_ndcg(got, expected, call):
    value = checks.as_array(got, "ndcg_at_k", "timed call")
    if value.shape != ():
        checks.fail(f"ndcg_at_k should return a float, got {checks.show(got)}")
    checks.close(float(value), float(expected), atol=128 * PERF_L * EPS, what="NDCG@10",
                 given=f"({NDCG_B}, {PERF_L}) with ties (scores in steps of 0.1), k=10")


@pytest.mark.performance
def test_ndcg_time(budget):
    """ndcg_at_k on 3000 lists of 500 entries with ties within the time budget"""
    budget.time("ndcg_at_k", lambda run: ndcg_call(budget.seed(2000 + run)), check=check_timed_ndcg, repeats=3,
                label=f"ndcg_at_k: ({NDCG_B}, {PERF_L}), scores in steps of 0.1 (ties), k=10, new data per call")
