"""The calibration reference against independent implementations, and the
facts the calibration grader and description rely on.

Oracles:
- plain loops: each confidence placed by comparing it with the float edges
  k / M one bin at a time, sums kept as exact fractions;
- scikit-learn's calibration_curve(correct, confidence, strategy="uniform")
  for the top-label curve on continuous data (its edges come from linspace,
  which may differ from k / M by an ulp, so no confidence sits on an edge);
- scipy.optimize.minimize_scalar (bounded Brent on log T) and a dense grid for
  the temperature.

scikit-learn and scipy are test-only dependencies.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed

ref = load_module(REPO / "reference" / "calibration.py", "calibration_reference")


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def draw_labels(probs, rng):
    u = rng.random(len(probs))
    return np.minimum((np.cumsum(probs, axis=1) < u[:, None]).sum(axis=1), probs.shape[1] - 1)


def loop_curve(probs, labels, M):
    """Reliability curve one sample at a time, exact sums (Fractions)."""
    count = [0] * M
    conf_sum = [Fraction(0)] * M
    correct_sum = [0] * M
    for row, label in zip(probs.tolist(), labels.tolist()):
        top = max(row)
        predicted = row.index(top)               # first maximum
        m = 0
        while m < M - 1 and not top <= (m + 1) / M:  # bin m+1 holds ((m)/M, (m+1)/M]
            m += 1
        count[m] += 1
        conf_sum[m] += Fraction(top)
        correct_sum[m] += predicted == label
    conf = [conf_sum[m] / count[m] if count[m] else None for m in range(M)]
    acc = [Fraction(correct_sum[m], count[m]) if count[m] else None for m in range(M)]
    n = len(labels)
    ece = sum(Fraction(count[m], n) * abs(acc[m] - conf[m]) for m in range(M) if count[m])
    return conf, acc, count, ece


def _as_float(values):
    return np.array([np.nan if v is None else float(v) for v in values])


def mixed_data(rng, n=1500, C=6):
    probs = softmax(rng.normal(size=(n, C)) * 2.5)
    probs[:30] = np.eye(C)[rng.integers(0, C, size=30)]                 # confidence 1.0
    edges10 = np.arange(2, 11) / 10
    probs[30:39] = 0.0
    probs[30:39, 0] = edges10                                            # exactly on edges
    probs[30:39, 1] = 1.0 - edges10
    probs[40:50] = [0.4, 0.4, 0.2, 0, 0, 0]                              # argmax ties
    labels = draw_labels(probs, rng)
    return probs, labels


@pytest.mark.parametrize("M", [1, 10, 15, 100])
def test_reliability_curve_matches_exact_loops(M):
    rng = np.random.default_rng(M)
    probs, labels = mixed_data(rng)
    conf, acc, count = ref.reliability_curve(probs, labels, M)
    e_conf, e_acc, e_count, e_ece = loop_curve(probs, labels, M)
    assert count.tolist() == e_count
    # Means of <= 1500 values in [0, 1]: rounding below 1500 * 2.2e-16.
    np.testing.assert_allclose(conf, _as_float(e_conf), rtol=0, atol=1e-12)
    np.testing.assert_allclose(acc, _as_float(e_acc), rtol=0, atol=1e-15)
    assert abs(ref.expected_calibration_error(probs, labels, M) - float(e_ece)) <= 1e-12


def test_every_edge_and_one_ulp_around_it():
    for M, C in ((10, 16), (100, 128)):
        for k in range(1, M + 1):
            for c, expected in ((k / M, k), (np.nextafter(k / M, 0.0), k), (np.nextafter(k / M, 2.0), k + 1)):
                if c <= 1.0 / C or expected > M:
                    continue
                row = np.full(C, (1.0 - c) / (C - 1))
                row[0] = c
                count = ref.reliability_curve(row[None, :], np.array([0]), M)[2]
                assert np.flatnonzero(count).tolist() == [expected - 1], (M, k, c)


def test_description_facts_about_floats():
    assert 0.07 * 100 == 7.000000000000001 and math.ceil(0.07 * 100) == 8
    edge = 0.0
    edges = []
    for _ in range(10):
        edge += 1 / 10
        edges.append(edge)
    assert edges[7] == 0.7999999999999999 and edges[7] != 8 / 10


def test_matches_sklearn_calibration_curve():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(5)
    probs = softmax(rng.normal(size=(20_000, 5)) * 2.0)
    labels = draw_labels(probs, rng)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(int)
    for M in (5, 10, 20):
        edges = np.arange(M + 1) / M
        assert not np.isin(confidence, np.union1d(edges, np.linspace(0, 1, M + 1))).any()
        prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=M, strategy="uniform")
        conf, acc, count = ref.reliability_curve(probs, labels, M)
        full = count > 0
        np.testing.assert_allclose(acc[full], prob_true, rtol=0, atol=1e-12)
        np.testing.assert_allclose(conf[full], prob_pred, rtol=0, atol=1e-12)


def test_invalid_inputs():
    rng = np.random.default_rng(0)
    probs = softmax(rng.normal(size=(10, 3)))
    labels = rng.integers(0, 3, size=10)
    bad_rows = probs.copy()
    bad_rows[2] *= 1 + 2e-6
    low_rows = probs.copy()
    low_rows[4] *= 1 - 2e-6
    for args in ((bad_rows, labels, 10), (low_rows, labels, 10), (probs, labels + 3, 10), (probs, labels - 3, 10),
                 (probs, labels, 0), (probs, labels[:-1], 10), (probs[0], labels[:1], 10)):
        for f in (ref.reliability_curve, ref.expected_calibration_error):
            with pytest.raises(ValueError):
                f(*args)
    ok_rows = probs * (1 + 5e-7)
    ref.reliability_curve(ok_rows, labels, 10)
    with pytest.raises(ValueError):
        ref.fit_temperature(np.log(probs), labels + 3)
    with pytest.raises(ValueError):
        ref.fit_temperature(np.log(probs), labels[:-1])
    with pytest.raises(ValueError):
        ref.fit_temperature(np.zeros(10), labels)                  # 1-D logits


grader = load_module(REPO / "graders" / "calibration.py", "calibration_grader")


def test_row_offsets_change_nothing():
    """test_temperature_with_rows_of_very_different_offsets: adding a constant to a
    row leaves the loss unchanged up to float rounding (~1e-12 relative, far inside
    the 1e-6 compared), so a correct search lands on the same optimum; the reference
    does. A shift by the maximum of the whole array (or of each column) sends rows
    far below it to log(0) = -inf, and no shift at all overflows."""
    rng = np.random.default_rng(5)
    g = rng.normal(size=(4000, 5)) * 2.0
    labels = draw_labels(softmax(g), rng)
    plain = grader.peak_at(2.0 * g, 0.0)
    shifted = plain + rng.uniform(-1e4, 1e4, size=4000)[:, None]
    for T in (1e-2, 0.3, 2.0, 50.0, 1e4):
        assert nll(shifted, labels, T) == pytest.approx(nll(plain, labels, T), rel=1e-11, abs=1e-13)
    T_plain, T_shifted = ref.fit_temperature(plain, labels), ref.fit_temperature(shifted, labels)
    assert abs(nll(plain, labels, T_shifted) - nll(plain, labels, T_plain)) <= 1e-10 * nll(plain, labels, T_plain)
    with np.errstate(all="ignore"):
        z = (shifted - shifted.max()) / 2.0                    # a global shift, at T = 2
        assert np.isneginf(np.log(np.exp(z).sum(axis=1))).any()
        assert np.isinf(np.exp(shifted / 2.0).sum(axis=1)).any()


def test_peak_at_zero_makes_every_shift_harmless():
    """The searches of the precision and planted tests run on logits whose every row
    peaks at 0: exp(logits / T) is at most 1 with a 1 in every row, for every T in
    [1e-2, 1e4], whatever shift a solution applies (or none)."""
    rng = np.random.default_rng(6)
    logits = grader.peak_at(rng.normal(size=(500, 6)) * 3.0, 0.0)
    assert np.all(logits.max(axis=1) == 0.0)
    for T in (1e-2, 1.0, 1e4):
        s = np.exp(logits / T).sum(axis=1)
        assert np.all(np.isfinite(s)) and np.all(s >= 1.0)


def test_lower_end_is_not_flat():
    """The description: when every prediction is right the best T is the lower end
    1e-2, and a search that stops 1e-5 (in log T) inside it misses by more than the
    1e-6 allowed (on data like the grader's: 5000 x 6 logits, scale 3)."""
    rng = np.random.default_rng(7)
    g = grader.peak_at(rng.normal(size=(5000, 6)) * 3.0, 0.0)
    labels = g.argmax(axis=1)
    best = nll(g, labels, ref.T_MIN)
    inside = nll(g, labels, ref.T_MIN * math.exp(1e-5))
    assert inside - best > 1e-6 * best + 1e-12


def test_size_one_expectations():
    """The hand-computed values of test_one_prediction_one_class_one_bin."""
    conf, acc, count = ref.reliability_curve(np.array([[0.25, 0.65, 0.1]]), np.array([1]), 10)
    assert count.tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0] and conf[6] == 0.65 and acc[6] == 1.0
    assert ref.expected_calibration_error(np.array([[0.25, 0.65, 0.1]]), np.array([1]), 10) == pytest.approx(
        0.35, abs=1e-15)
    conf, acc, count = ref.reliability_curve(np.ones((5, 1)), np.zeros(5, dtype=int), 4)
    assert count.tolist() == [0, 0, 0, 5] and conf[3] == 1.0 and acc[3] == 1.0
    assert ref.expected_calibration_error(np.ones((5, 1)), np.zeros(5, dtype=int), 4) == 0.0
    T = ref.fit_temperature(np.array([[0.5], [-2.0], [3.0]]), np.zeros(3, dtype=int))
    assert 0 < T < math.inf


def nll(logits, labels, T):
    z = (logits - logits.max(axis=1, keepdims=True)) / T
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]))


def _datasets():
    rng = np.random.default_rng(9)
    g = rng.normal(size=(4000, 6)) * 3.0
    yield g, draw_labels(softmax(g / 1.7), rng)
    yield g, rng.integers(0, 6, size=4000)
    yield 5000.0 * g, draw_labels(softmax(g), rng)
    g2 = rng.normal(size=(50_000, 10)) * 2.0
    yield 2.5 * g2, draw_labels(softmax(g2), rng)


@pytest.mark.parametrize("case", range(4))
def test_temperature_matches_scipy_and_a_dense_grid(case):
    from scipy.optimize import minimize_scalar

    logits, labels = list(_datasets())[case]
    T = ref.fit_temperature(logits, labels)
    best = nll(logits, labels, T)
    lo, hi = math.log(ref.T_MIN), math.log(ref.T_MAX)
    res = minimize_scalar(lambda s: nll(logits, labels, math.exp(s)), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-10})
    # A dense grid as well (on the smaller data sets, to keep the test quick).
    grid = np.linspace(lo, hi, 2001) if len(labels) <= 4000 else [res.x]
    grid_best = min(nll(logits, labels, math.exp(s)) for s in grid)
    # The reference must be at least as good as both, up to float noise of the loss.
    assert best <= min(res.fun, grid_best) * (1 + 1e-12) + 1e-15
    assert ref.T_MIN <= T <= ref.T_MAX


def test_all_correct_goes_to_the_lower_end():
    rng = np.random.default_rng(4)
    g = rng.normal(size=(2000, 4))
    T = ref.fit_temperature(g, g.argmax(axis=1))
    assert T == pytest.approx(ref.T_MIN, rel=1e-6)


def test_planted_temperature_tolerance_is_several_standard_errors():
    """The grader asks |T - 2.5| <= 0.05 on 50 000 x 10 logits 2.5x a calibrated
    model (normal logits, scale 2). The MLE of beta = 1/T has variance
    1 / (N * E[Var_p(z)]) (Fisher information of the one-parameter exponential
    family softmax(beta z)); 0.05 must be several standard errors of T
    (here SE(T) ~ 0.011, so 0.05 is ~4.5 of them)."""
    rng = np.random.default_rng(0)
    g = rng.normal(size=(50_000, 10)) * 2.0
    z = 2.5 * g
    p = softmax(g)                                       # softmax(z / 2.5)
    var_z = (p * z**2).sum(axis=1) - (p * z).sum(axis=1) ** 2
    se_beta = 1.0 / math.sqrt(len(z) * var_z.mean())
    se_T = 2.5**2 * se_beta                              # dT = T^2 d(beta)
    assert 0.05 >= 4 * se_T
    labels = draw_labels(p, rng)
    assert abs(ref.fit_temperature(z, labels) - 2.5) < 3 * se_T


def test_ece_bound_for_a_calibrated_model():
    """The grader's bound 2.5 sqrt(M / N) holds with a wide margin across seeds."""
    n, M = 200_000, 15
    bound = 2.5 * math.sqrt(M / n)
    values = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        probs = softmax(rng.normal(size=(n, 10)) * 2.0)
        values.append(ref.expected_calibration_error(probs, draw_labels(probs, rng), M))
    assert max(values) < bound / 2


@pytest.mark.slow
def test_timed_agreement_bound_on_the_timed_predictions():
    """The grader checks its timed calls (N = 6 x 10^5) against the reference
    with 1e-9: each side within N * 2.2e-16 = 1.3e-10 of the exact means. The
    reference against correctly rounded per-bin sums (math.fsum), on a timed
    draw of the grader's (N = 6 x 10^5, C = 8) under a stand-in for the test's
    secret (the bounds hold for any draw)."""
    n, C = grader.TIMED_N, grader.TIMED_CLASSES
    seed = secret_seed(bytes([0]) * 16, grader.TIMED_SEED)
    probs, labels = grader.calibrated_draw(np.random.default_rng(seed), n, C)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    for M in (15, 1000):
        conf, acc, count = ref.reliability_curve(probs, labels, M)
        bins = np.clip(np.searchsorted(np.arange(M + 1) / M, confidence, side="left"), 1, M) - 1
        order = np.argsort(bins, kind="stable")
        starts = np.concatenate(([0], np.cumsum(count)))
        exact_conf = np.array([math.fsum(confidence[order[starts[m]:starts[m + 1]]]) / count[m] if count[m]
                               else np.nan for m in range(M)])
        exact_acc = np.array([correct[order[starts[m]:starts[m + 1]]].sum() / count[m] if count[m] else np.nan
                              for m in range(M)])
        full = count > 0
        assert np.all(np.isnan(conf[~full])) and np.all(np.isnan(acc[~full]))
        assert np.max(np.abs(conf[full] - exact_conf[full])) <= n * 2.2e-16
        assert np.max(np.abs(acc[full] - exact_acc[full])) <= 2.2e-16
        exact_ece = math.fsum(count[full] / n * np.abs(exact_acc[full] - exact_conf[full]))
        assert abs(ref.expected_calibration_error(probs, labels, M) - exact_ece) <= n * 2.2e-16 + M * 2.2e-16


def test_a_temperature_kept_from_the_previous_timed_run_fails():
    """The grader's timed fit_temperature runs plant T = 1.5, 1.75, 2, 2.25 in
    5 x 10^4 x 10 logits: the T fitted on one run misses the next run's best loss
    by far more than the 1e-6 (relative) allowed, under any of a few stand-ins
    for the test's secret."""
    for secret in (bytes([0]) * 16, bytes([1]) * 16):
        fitted, data = [], []
        for run in range(grader.TIMED_RUNS):
            data.append(grader._temperature_inputs(secret_seed(secret, grader.TEMPERATURE_SEED + run), run).args)
            fitted.append(ref.fit_temperature(*data[-1]))
        for (logits, labels), kept, best in zip(data[1:], fitted[:-1], fitted[1:]):
            excess = nll(logits, labels, kept) / nll(logits, labels, best) - 1
            assert excess > 1000 * 1e-6, secret


@pytest.mark.parametrize("n_classes", [5, 8, 10])
def test_timed_draws_are_random_probs_and_draw_labels(n_classes):
    """The grader's timed draws (calibrated_draw, built for speed) are those of
    random_probs(scale=2) and draw_labels from the same generator: the same
    labels, the probabilities within a few ulp, every row summing to 1."""
    grader = load_module(REPO / "graders" / "calibration.py", "calibration_grader_data")
    n = 20_000
    probs, labels = grader.calibrated_draw(np.random.default_rng(5), n, n_classes)
    rng = np.random.default_rng(5)
    expected = grader.random_probs(rng, n, n_classes, scale=2.0)
    np.testing.assert_array_equal(labels, grader.draw_labels(expected, rng))
    assert probs.shape == (n, n_classes) and probs.dtype == np.float64
    assert np.max(np.abs(probs - expected)) <= 4 * 2.2e-16
    assert np.max(np.abs(probs.sum(axis=1) - 1.0)) <= 1e-15
