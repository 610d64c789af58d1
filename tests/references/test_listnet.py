"""The listnet reference (and the grader's oracles) against independent implementations.

Oracles:
- scipy.special.softmax and rel_entr for the KL divergence of each list
  (restricted to its valid entries), averaged over the lists;
- autograd (and central differences) for the gradient w.r.t. the predictions;
- scikit-learn's ndcg_score (ignore_ties=False, its default), called list by
  list on the valid entries (it needs at least 2 entries per list: a list of
  one entry is worked out by hand);
- scikit-learn's ndcg_score with ignore_ties=True, to show that the tied
  inputs of the grader do tell tie averaging apart from an arbitrary order.
scipy, scikit-learn and autograd are test-only dependencies.
"""

import numpy as np
import pytest

from tests.helpers import REPO, load_module

special = pytest.importorskip("scipy.special")
metrics = pytest.importorskip("sklearn.metrics")
autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

ref = load_module(REPO / "reference" / "listnet.py", "listnet_reference")
grader = load_module(REPO / "graders" / "listnet.py", "listnet_grader_data")


def scipy_kl(y_true, y_pred, mask=None):
    mask = np.ones(np.shape(y_true), dtype=bool) if mask is None else mask
    total = 0.0
    for t, p, m in zip(np.asarray(y_true, float), np.asarray(y_pred, float), mask):
        total += special.rel_entr(special.softmax(t[m]), special.softmax(p[m])).sum()
    return total / len(mask)


def sklearn_ndcg(y_true, y_score, k=None, mask=None):
    mask = np.ones(np.shape(y_true), dtype=bool) if mask is None else mask
    values = []
    for t, s, m in zip(np.asarray(y_true, float), np.asarray(y_score, float), mask):
        if m.sum() == 1:
            values.append(1.0 if t[m][0] > 0 else 0.0)
        else:
            values.append(metrics.ndcg_score(t[m][None, :], s[m][None, :], k=k))
    return float(np.mean(values))


def random_case(seed, b, length, masked):
    g = np.random.default_rng(seed)
    yt = g.normal(size=(b, length)) * 2
    yp = g.normal(size=(b, length)) * 2
    if not masked:
        return yt, yp, None
    lengths = g.integers(1, length + 1, size=b)
    mask = np.arange(length)[None, :] < lengths[:, None]
    mask = np.take_along_axis(mask, g.permuted(np.tile(np.arange(length), (b, 1)), axis=1), axis=1)
    return yt, yp, mask


@pytest.mark.parametrize("seed, b, length, masked", [(1, 1, 5, False), (2, 6, 4, False), (3, 8, 7, True),
                                                     (4, 3, 1, False), (5, 10, 12, True)])
def test_loss_matches_scipy_and_gradient_matches_autograd(seed, b, length, masked):
    yt, yp, mask = random_case(seed, b, length, masked)
    loss, grad = ref.listnet_loss(yt, yp, mask=mask)
    assert abs(loss - scipy_kl(yt, yp, mask)) <= 1e-13 * max(1.0, loss)
    m = np.ones(yt.shape, dtype=bool) if mask is None else mask

    def objective(z):
        total = 0.0
        for i in range(b):
            valid = np.flatnonzero(m[i])
            zi = z[i, valid]
            ti = yt[i, valid]
            p = anp.exp(ti - ti.max()) / anp.sum(anp.exp(ti - ti.max()))
            logq = zi - anp.max(zi) - anp.log(anp.sum(anp.exp(zi - anp.max(zi))))
            total = total + anp.sum(p * (anp.log(p) - logq))
        return total / b

    np.testing.assert_allclose(grad, autograd.grad(objective)(yp), atol=1e-15)
    assert np.all(grad[~m] == 0)
    ours, _ = grader.kl_oracle(yt, yp, mask)
    assert abs(ours - loss) <= 1e-14 * max(1.0, loss)


def test_gradient_matches_central_differences():
    yt, yp, mask = random_case(11, 4, 5, True)
    _, grad = ref.listnet_loss(yt, yp, mask=mask)
    h = 1e-5
    numeric = np.zeros_like(yp)
    for idx in np.ndindex(*yp.shape):
        up, down = yp.copy(), yp.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (ref.listnet_loss(yt, up, mask=mask)[0] - ref.listnet_loss(yt, down, mask=mask)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, atol=1e-9)


def test_cross_entropy_differs_from_kl_by_the_entropy():
    yt, yp, _ = random_case(12, 5, 6, False)
    loss, _ = ref.listnet_loss(yt, yp)
    p = special.softmax(yt, axis=1)
    cross = -(p * special.log_softmax(yp, axis=1)).sum() / 5
    entropy = special.entr(p).sum() / 5
    assert abs(loss - (cross - entropy)) <= 1e-13


def test_the_examples():
    loss, grad = ref.listnet_loss(np.array([[3.0, 1.0, 0.0]]), np.array([[0.0, 1.0, 2.0]]))
    assert abs(loss - scipy_kl([[3.0, 1.0, 0.0]], [[0.0, 1.0, 2.0]])) < 1e-14
    np.testing.assert_allclose(grad[0], special.softmax([0.0, 1.0, 2.0]) - special.softmax([3.0, 1.0, 0.0]), atol=1e-15)
    assert ref.ndcg_at_k(np.array([[10, 0, 0, 1, 5]]), np.array([[1, 0, 0, 0, 1]]), k=1) == \
        pytest.approx(metrics.ndcg_score([[10, 0, 0, 1, 5]], [[1, 0, 0, 0, 1]], k=1), abs=1e-15)


@pytest.mark.parametrize("seed, b, length, ties, k, masked", [
    (21, 6, 8, False, None, False), (22, 6, 8, False, 3, False), (23, 7, 9, True, None, False),
    (24, 7, 9, True, 2, False), (25, 5, 8, True, 5, True), (26, 9, 6, True, 1, True), (27, 4, 5, False, 50, True),
    (28, 30, 20, True, 7, True)])
def test_ndcg_matches_sklearn(seed, b, length, ties, k, masked):
    g = np.random.default_rng(seed)
    yt = g.integers(0, 5, size=(b, length)).astype(float)
    ys = g.normal(size=(b, length))
    if ties:
        ys = np.round(ys * 0.6)
    mask = None
    if masked:
        lengths = g.integers(1, length + 1, size=b)
        mask = np.arange(length)[None, :] < lengths[:, None]
    expected = sklearn_ndcg(yt, ys, k, mask)
    assert ref.ndcg_at_k(yt, ys, k=k, mask=mask) == pytest.approx(expected, abs=1e-14)
    assert grader.ndcg_oracle(yt, ys, k, mask) == pytest.approx(expected, abs=1e-14)


def test_grader_tie_cases_reject_an_arbitrary_order():
    """ignore_ties=True (sort, then an arbitrary order within ties) differs on the graded tie inputs."""
    yt = grader.relevances(81, 6, 9)
    ys = np.round(grader.rows(82, 6, 9, scale=0.6))
    averaged = metrics.ndcg_score(yt, ys)
    arbitrary = metrics.ndcg_score(yt, ys, ignore_ties=True)
    assert abs(averaged - arbitrary) > 1e-3
    assert ref.ndcg_at_k(yt, ys) == pytest.approx(averaged, abs=1e-14)


def test_all_zero_relevance_and_single_entries():
    yt = np.array([[0.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
    ys = np.array([[0.1, 0.3, 0.2], [0.5, 0.4, 0.1]])
    assert ref.ndcg_at_k(yt, ys) == pytest.approx(metrics.ndcg_score(yt, ys), abs=1e-15)
    mask = np.array([[True, False, False], [False, True, False]])
    assert ref.ndcg_at_k(yt, ys, mask=mask) == 0.5          # relevance 0 -> 0, relevance 2 -> 1
    loss, grad = ref.listnet_loss(yt, ys, mask=mask)
    assert loss == 0.0 and np.all(grad == 0)


def test_stability_against_scipy():
    for yt, yp in (([[1e4, 1e4 - 1, 1e4 - 3]], [[-1e4, -1e4 + 2, -1e4 + 0.5]]),
                   ([[0.0, -2000.0, -1.0, -900.0]], [[0.3, 0.1, -0.2, 0.0]]),
                   ([[0.0, 1.0, 0.5, -1.0], [-1000.0, -999.0, -999.5, -1001.0]], [[1.0, -0.5, 0.0, 2.0], [-999.0, -1000.5, -1000.0, -998.0]])):
        loss, grad = ref.listnet_loss(np.array(yt), np.array(yp))
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
        assert abs(loss - scipy_kl(yt, yp)) <= 1e-11 * max(1.0, loss)
    # Q underflows where P > 0: log Q is exactly -2001.31...
    loss, _ = ref.listnet_loss(np.array([[0.0, 0.5, 1.0]]), np.array([[0.0, -2000.0, 1.0]]))
    p = special.softmax([0.0, 0.5, 1.0])
    logq = special.log_softmax([0.0, -2000.0, 1.0])
    assert abs(loss - np.sum(p * (np.log(p) - logq))) <= 1e-12 * loss


def test_inputs_are_not_modified():
    yt, yp, mask = random_case(31, 4, 5, True)
    copies = yt.copy(), yp.copy(), mask.copy()
    ref.listnet_loss(yt, yp, mask=mask)
    ref.ndcg_at_k(np.abs(yt), yp, k=2, mask=mask)
    for a, b in zip((yt, yp, mask), copies):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call", [
    lambda: ref.listnet_loss(np.zeros((2, 3)), np.zeros((2, 4))),
    lambda: ref.listnet_loss(np.zeros(3), np.zeros(3)),
    lambda: ref.listnet_loss(np.zeros((2, 3)), np.zeros((2, 3)), mask=np.zeros((2, 3), dtype=bool)),
    lambda: ref.listnet_loss(np.zeros((0, 3)), np.zeros((0, 3))),
    lambda: ref.ndcg_at_k(np.ones((2, 3)), np.zeros((2, 3)), k=0),
    lambda: ref.ndcg_at_k(-np.ones((2, 3)), np.zeros((2, 3))),
])
def test_value_errors(call):
    with pytest.raises(ValueError):
        call()
