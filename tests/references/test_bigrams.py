"""The bigrams reference against independent oracles, and the grader's assumptions.

Oracles (no language-model library is available, so exact arithmetic):
- a plain count with a dict of dicts, written here;
- exact probabilities as fractions.Fraction: P(w | v) = (c(v, w) + k) /
  (c(v) + k |V|) with a rational k, the sentence's probability as an exact
  product, its log as log(numerator) - log(denominator) of Python integers
  (math.log takes arbitrarily large ints), so no float ever underflows;
- exact enumeration over a tiny model: every sentence up to a length, its
  exact probability, and the frequencies of the reference's samples over
  many seeds within a Bernstein bound; and the stated draw (one rng.random()
  placed in the exact cumulative sums) token for token.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed

ref = load_module(REPO / "reference" / "bigrams.py", "bigrams_reference")
grader = load_module(REPO / "graders" / "bigrams.py", "bigrams_grader_data")

START, END, UNK = "<s>", "</s>", "<unk>"


def dict_of_dicts(sentences):
    table = {}
    for s in sentences:
        prev = START
        for w in list(s) + [END]:
            table.setdefault(prev, {}).setdefault(w, 0)
            table[prev][w] += 1
            prev = w
    return table


def exact_prob(sentences, sentence, k):
    """P(sentence) as a Fraction, by the formula of the task from a dict-of-dicts count."""
    table = dict_of_dicts(sentences)
    vocab = sorted({w for s in sentences for w in s} | {END, UNK})
    V = len(vocab)
    words = [w if w in vocab else UNK for w in sentence]
    p = Fraction(1)
    for a, b in zip([START] + words, words + [END]):
        row = table.get(a, {})
        p *= (row.get(b, 0) + k) / (sum(row.values()) + k * V)
    return p


def log_fraction(p):
    return math.log(p.numerator) - math.log(p.denominator)


@pytest.mark.parametrize("seed, n, words", [(4, 40, 10), (5, 200, 16), (6, 3, 4), (2, 30, 16)])
def test_counts_match_a_dict_of_dicts(seed, n, words):
    sentences = grader.markov_corpus(seed, n, n_words=words)
    model = ref.fit_bigrams(sentences)
    table = dict_of_dicts(sentences)
    vocab = model["vocab"]
    assert vocab == sorted({w for s in sentences for w in s} | {END, UNK})
    names = vocab + [START]
    listed = {(names[a], names[b]): c for a, b, c in zip(model["prev"], model["next"], model["count"])}
    assert listed == {(a, b): c for a, row in table.items() for b, c in row.items()}
    keys = list(zip(model["prev"].tolist(), model["next"].tolist()))
    assert keys == sorted(set(keys))
    assert all(model[key].dtype == np.int64 for key in ("prev", "next", "count"))


def test_markers_sort_among_the_words():
    model = ref.fit_bigrams([["the", ".", "3", "A", "'s", ","]])
    assert model["vocab"] == ["'s", ",", ".", "3", "</s>", "<unk>", "A", "the"]


@pytest.mark.parametrize("k", [Fraction(1), Fraction(1, 100), Fraction(3), Fraction(1, 2)])
def test_log_prob_matches_exact_fractions(k):
    train = grader.markov_corpus(9, 50)
    model = ref.fit_bigrams(train)
    for s in grader.markov_corpus(10, 6) + [["unknown", "the", "zz"], []]:
        expected = log_fraction(exact_prob(train, s, k))
        assert ref.sentence_log_prob(model, s, k=float(k)) == pytest.approx(expected, rel=1e-13, abs=1e-12)


def test_long_sentence_matches_exact_fractions():
    """10 000 words: the exact probability is a fraction far below any float; its log is not."""
    train = grader.markov_corpus(18, 100, n_words=16)
    model = ref.fit_bigrams(train)
    long = grader.long_sentence(19)
    expected = log_fraction(exact_prob(train, long, Fraction(1)))
    assert expected < -10_000
    got = ref.sentence_log_prob(model, long)
    assert abs(got - expected) <= 1e-9 * (len(long) + 1) / 100   # far inside the grader's tolerance
    # The grader's claim: one count off by one moves a term by more than 1e-6 on its data.
    assert math.log(2 / 1) > 1e-6 and math.log((101 + 1) / (100 + 1)) > 1e-6


def test_perplexity_matches_exact_fractions():
    train = grader.markov_corpus(11, 60)
    model = ref.fit_bigrams(train)
    test = grader.markov_corpus(13, 7)
    N = sum(len(s) + 1 for s in test)
    logp = sum(log_fraction(exact_prob(train, s, Fraction(1))) for s in test)
    assert ref.perplexity(model, test) == pytest.approx(math.exp(-logp / N), rel=1e-12)
    assert ref.perplexity(ref.fit_bigrams([]), [["a", "b"], []]) == pytest.approx(2.0, rel=1e-15)


def tiny_model():
    return [["a", "b"], ["b"], ["a", "a", "b"], []]


def test_probabilities_of_every_sentence_sum_to_one_by_enumeration():
    """Sum over every sentence of up to L words, plus the exact mass of longer ones, is 1."""
    train = tiny_model()
    model = ref.fit_bigrams(train)
    words = [w for w in model["vocab"] if w != END]          # a, b, <unk>
    L = 6
    total = math.fsum(math.exp(ref.sentence_log_prob(model, list(s)))
                      for n in range(L + 1) for s in itertools.product(words, repeat=n))
    # Exact mass of the sentences longer than L: the first L + 1 tokens are all words.
    k = Fraction(1)
    vocab = model["vocab"]
    V = len(vocab)
    table = dict_of_dicts(train)

    def p(a, b):
        row = table.get(a, {})
        return (row.get(b, 0) + k) / (sum(row.values()) + k * V)

    mass = {START: Fraction(1)}
    for _ in range(L + 1):
        nxt = Counter()
        for a, m in mass.items():
            for w in words:
                nxt[w] += m * p(a, w)
        mass = nxt
    assert total + float(sum(mass.values())) == pytest.approx(1.0, abs=1e-13)


def test_sample_frequencies_match_exact_probabilities():
    """2 000 samples of the tiny model: each short sentence as often as its exact probability says."""
    train = tiny_model()
    model = ref.fit_bigrams(train)
    trials = 2000
    seen = Counter(tuple(ref.sample_sentence(model, np.random.default_rng(seed), max_len=10))
                   for seed in range(trials))
    words = [w for w in model["vocab"] if w != END]
    short = [s for n in range(3) for s in itertools.product(words, repeat=n)]
    for s in short:
        p = float(exact_prob(train, list(s), Fraction(1)))
        # Bernstein: |freq - p| <= sqrt(2 p (1 - p) t / n) + 2 t / (3 n), t = log(2 * 13 / 1e-6).
        t = math.log(2 * len(short) / 1e-6)
        bound = math.sqrt(2 * p * (1 - p) * t / trials) + 2 * t / (3 * trials)
        assert abs(seen[s] / trials - p) <= bound, (s, seen[s], p)


def test_samples_follow_the_stated_draw_in_exact_cumulative_sums():
    """u = rng.random() per token, the token is the first whose exact cumulative probability exceeds u."""
    train = grader.markov_corpus(15, 40, n_words=8, max_len=6)
    model = ref.fit_bigrams(train)
    table = dict_of_dicts(train)
    vocab = model["vocab"]
    V = len(vocab)
    for seed in range(30):
        for k in (Fraction(1), Fraction(1, 20)):
            g = np.random.default_rng(seed)
            words, context = [], START
            while len(words) < 50:
                row = table.get(context, {})
                denom = sum(row.values()) + k * V
                cdf = list(itertools.accumulate((row.get(w, 0) + k) / denom for w in vocab))
                u = Fraction(g.random())
                j = next(i for i, c in enumerate(cdf) if u < c)
                if vocab[j] == END:
                    break
                words.append(vocab[j])
                context = vocab[j]
            assert ref.sample_sentence(model, np.random.default_rng(seed), k=float(k)) == words


def test_grader_oracles_agree_with_the_reference():
    train = grader.markov_corpus(5, 200, n_words=16)
    expected = grader.plain_model(train)
    model = ref.fit_bigrams(train)
    assert model["vocab"] == expected["vocab"]
    for key in ("prev", "next", "count"):
        np.testing.assert_array_equal(model[key], expected[key])
    for seed in range(5):
        assert grader.plain_sample(model, seed) == ref.sample_sentence(model, np.random.default_rng(seed))


@pytest.mark.parametrize("seed, n_sentences, n_types, mean_len, held_out",
                         [(1, 50, 30, 5, None), (2, 300, 200, 10, None), (3, 7, 5, 1, None), (2, 300, 200, 10, 4)])
def test_grader_zipf_model_is_the_plain_count(seed, n_sentences, n_types, mean_len, held_out):
    """The timed perplexity test scores with models the grader counts with numpy: they are plain_model's."""
    expected = grader.plain_model(grader.zipf_corpus(seed, n_sentences, n_types, mean_len, held_out))
    model = grader.zipf_model(seed, n_sentences, n_types, mean_len, held_out)
    assert model["vocab"] == expected["vocab"]
    for key in ("prev", "next", "count"):
        assert model[key].dtype == np.int64
        np.testing.assert_array_equal(model[key], expected[key])


def test_grader_timed_models_are_the_references_fit():
    """A timed run's model (under a fixed stand-in for the test's secret) is the reference's fit of its corpus."""
    seed = secret_seed(bytes([0]) * 16, grader.TIME_SEEDS[0])
    model = grader.zipf_model(seed, grader.FIT_SENTENCES, grader.TYPES)
    fitted = ref.fit_bigrams(grader.corpus(seed))
    assert model["vocab"] == fitted["vocab"] and len(model["vocab"]) > 4000
    for key in ("prev", "next", "count"):
        np.testing.assert_array_equal(model[key], fitted[key])


def same_model(a, b):
    return a["vocab"] == b["vocab"] and all(np.array_equal(a[key], b[key]) for key in ("prev", "next", "count"))


@pytest.mark.parametrize("secret", [bytes([0]) * 16, bytes([7]) * 16])
def test_grader_timed_perplexity_inputs_are_new_in_every_run(secret):
    """No run of the timed perplexity test scores a corpus counted by a model given earlier (warm-up included), nor
    its own model's training corpus; the test corpus is held-out text of the model's language (its words known)."""
    def seed(n):
        return secret_seed(secret, n)

    seeds = [seed(n) for n in grader.TIME_SEEDS + grader.HELD_OUT_SEEDS]
    assert len(set(seeds)) == len(seeds)
    models = []
    for run in range(len(grader.TIME_SEEDS)):
        model, corpus = grader.perplexity_inputs(seed, run)
        models.append(model)
        held_out = grader.zipf_model(seed(grader.TIME_SEEDS[run]), grader.FIT_SENTENCES, grader.TYPES,
                                     held_out=seed(grader.HELD_OUT_SEEDS[run]))
        assert sum(map(len, corpus)) + len(corpus) == int(held_out["count"].sum())     # it is the corpus's count
        assert not any(same_model(held_out, given) for given in models)
        assert not any(same_model(given, earlier) for given in models[-1:] for earlier in models[:-1])
        known = set(model["vocab"])
        words = [w for s in corpus for w in s]
        assert sum(w in known for w in words) >= 0.99 * len(words)
