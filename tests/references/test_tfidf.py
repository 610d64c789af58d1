"""The tfidf reference (and the grader's oracle) against scikit-learn's TfidfVectorizer.

Oracle: scikit-learn's TfidfVectorizer with its defaults (lowercase, token
pattern (?u)\\b\\w\\w+\\b, sorted vocabulary, use_idf) and the three options
of the challenge, its sparse result made dense. For every option
combination, on the grader's count-matrix corpora and on text with
punctuation, case and Unicode: the vocabulary, the idf, fit_transform and
transform (with a fitted vocabulary, unseen words, and an idf set by hand),
documents without a token, and the ValueErrors. scikit-learn's analyzer
checks the tokeniser cases of the grader; the grader's corpora are checked
to be what its docstring says, its timed corpora (under sampled secrets) to
tokenise back to the drawn words, to give scikit-learn's numbers through the
reference, and to give other numbers with other plausible tokenisers.
scikit-learn is a test-only dependency.
"""

import math
import re
import string

import numpy as np
import pytest

from tests.helpers import REPO, load_module
from trainer.grading.budget import secret_seed

text = pytest.importorskip("sklearn.feature_extraction.text")

ref = load_module(REPO / "reference" / "tfidf.py", "tfidf_reference")
grader = load_module(REPO / "graders" / "tfidf.py", "tfidf_grader_data")

EPS = np.finfo(np.float64).eps
OPTIONS = grader.OPTIONS


def sklearn_vectorizer(smooth_idf=True, sublinear_tf=False, norm="l2", **kwargs):
    return text.TfidfVectorizer(smooth_idf=smooth_idf, sublinear_tf=sublinear_tf, norm=norm, **kwargs)


def sklearn_fit_transform(docs, **options):
    vec = sklearn_vectorizer(**options)
    X = vec.fit_transform(docs).toarray()
    return list(vec.get_feature_names_out()), X, vec


def news_like(seed, n):
    """Documents with case, punctuation, digits, '_' and Unicode letters; some without a token."""
    g = np.random.default_rng(seed)
    pieces = ["The", "cat", "sat", "on", "the", "MAT.", "Don't", "stop-the-music!", "x_1", "3.14", "über",
              "Straße,", "naïve", "café", "a", "I", "42", "(parens)", "dog's", "co-op", "é", "ÉCOLE", "_id"]
    docs = []
    for _ in range(n):
        k = int(g.integers(0, 12))
        docs.append(" ".join(pieces[i] for i in g.integers(len(pieces), size=k)))
    docs += ["", "a ! ?", "   "]
    return docs


def tolerance(docs_counts, n):
    return grader.rtol(n, docs_counts)


# -- tokeniser and vocabulary -------------------------------------------------------------------------

def test_tokeniser_cases_match_sklearn_analyzer():
    analyze = text.TfidfVectorizer().build_analyzer()
    for doc, expected in grader.TOKEN_CASES + [("İstanbul", ["stanbul"]), ("Don't STOP-the music, x_1!", None)]:
        assert ref.tokenize(doc) == analyze(doc)
        if expected is not None:
            assert analyze(doc) == expected


def test_grader_vocabularies_match_sklearn():
    for docs, vocabulary in ((grader.TRICKY_DOCS, grader.TRICKY_VOCABULARY), (grader.SORT_DOCS, grader.SORT_VOCABULARY)):
        words, X, _ = sklearn_fit_transform(docs, norm=None)
        assert words == vocabulary
        assert ref.fit(docs)[0] == vocabulary
    _, X, _ = sklearn_fit_transform(grader.TRICKY_DOCS, norm=None)
    assert np.array_equal(X != 0, grader.TRICKY_PRESENT)


def test_first_seen_order_differs_from_sorted():
    """The vocabulary test would catch an unsorted vocabulary."""
    tokens = [t for d in grader.SORT_DOCS for t in ref.tokenize(d)]
    assert list(dict.fromkeys(tokens)) != grader.SORT_VOCABULARY


# -- values against scikit-learn ---------------------------------------------------------------------

@pytest.mark.parametrize("smooth_idf, sublinear_tf, norm", OPTIONS)
@pytest.mark.parametrize("seed, n, V", [(51, 40, 14), (3, 12, 6), (4, 60, 20)])
def test_fit_transform_matches_sklearn_on_count_corpora(smooth_idf, sublinear_tf, norm, seed, n, V):
    docs, counts, words = grader.corpus(seed, n, V)
    options = dict(smooth_idf=smooth_idf, sublinear_tf=sublinear_tf, norm=norm)
    sk_words, expected, vec = sklearn_fit_transform(docs, **options)
    assert sk_words == words
    vocabulary, X = ref.fit_transform(docs, **options)
    assert vocabulary == words
    assert X.dtype == np.float64 and X.shape == (n, V)
    tol = tolerance(counts, n)
    np.testing.assert_allclose(X, expected, rtol=tol, atol=0)
    assert np.array_equal(X == 0, expected == 0)
    # the grader's own oracle agrees as well
    np.testing.assert_allclose(grader.oracle(counts, smooth_idf, sublinear_tf, norm), expected, rtol=tol, atol=0)
    vocabulary, idf = ref.fit(docs, smooth_idf=smooth_idf)
    np.testing.assert_allclose(idf, vec.idf_, rtol=tol)
    np.testing.assert_allclose(ref.transform(docs, vocabulary, idf, sublinear_tf=sublinear_tf, norm=norm), expected,
                               rtol=tol, atol=0)


@pytest.mark.parametrize("smooth_idf, sublinear_tf, norm", OPTIONS)
def test_fit_transform_matches_sklearn_on_text(smooth_idf, sublinear_tf, norm):
    docs = news_like(7, 80)
    options = dict(smooth_idf=smooth_idf, sublinear_tf=sublinear_tf, norm=norm)
    sk_words, expected, _ = sklearn_fit_transform(docs, **options)
    vocabulary, X = ref.fit_transform(docs, **options)
    assert vocabulary == sk_words
    counts = text.CountVectorizer().fit_transform(docs).toarray()
    np.testing.assert_allclose(X, expected, rtol=tolerance(counts, len(docs)), atol=0)
    assert np.all(np.isfinite(X))
    empty = [i for i, d in enumerate(docs) if not ref.tokenize(d)]
    assert len(empty) >= 3 and np.all(X[empty] == 0)


@pytest.mark.parametrize("sublinear_tf, norm", [(s, n) for s in (False, True) for n in ("l2", "l1", None)])
def test_transform_with_unseen_words_matches_sklearn(sublinear_tf, norm):
    train = news_like(8, 50)
    new = news_like(9, 30) + ["zebra zulu", "completely unseen words"]
    vec = sklearn_vectorizer(sublinear_tf=sublinear_tf, norm=norm).fit(train)
    expected = vec.transform(new).toarray()
    vocabulary, idf = ref.fit(train)
    X = ref.transform(new, vocabulary, idf, sublinear_tf=sublinear_tf, norm=norm)
    counts = text.CountVectorizer(vocabulary=vocabulary).fit_transform(new).toarray()
    np.testing.assert_allclose(X, expected, rtol=tolerance(counts, len(train)), atol=0)
    assert np.all(X[-2:] == 0)


def test_transform_with_an_idf_set_by_hand_matches_sklearn():
    docs, counts, words = grader.corpus(91, 12, 8)
    idf = np.array([1.0, 4.5, 2.25, 1.75, 3.0, 1.125, 6.5, 2.0])
    vec = sklearn_vectorizer(norm=None, vocabulary=words).fit(docs)
    vec.idf_ = idf
    np.testing.assert_allclose(ref.transform(docs, words, idf, norm=None), vec.transform(docs).toarray(),
                               rtol=tolerance(counts, 12), atol=0)
    np.testing.assert_array_equal(grader.weight(counts, idf, False, None), counts * idf)


def test_examples_match_sklearn():
    words, X, _ = sklearn_fit_transform(["the cat sat", "the dog sat down", ""])
    vocabulary, Y = ref.fit_transform(["the cat sat", "the dog sat down", ""])
    assert vocabulary == words == ["cat", "dog", "down", "sat", "the"]
    np.testing.assert_allclose(Y, X, rtol=1e-14)
    vec = sklearn_vectorizer(smooth_idf=False).fit(["ab cd", "ab"])
    np.testing.assert_allclose(ref.fit(["ab cd", "ab"], smooth_idf=False)[1], vec.idf_, rtol=1e-15)
    vec = sklearn_vectorizer(vocabulary=["ab", "cd", "ef"], sublinear_tf=True, norm="l1").fit(["ab cd ef"])
    vec.idf_ = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ref.transform(["cd ef ef", "zz"], ["ab", "cd", "ef"], np.array([1.0, 2.0, 3.0]),
                                             sublinear_tf=True, norm="l1"),
                               vec.transform(["cd ef ef", "zz"]).toarray(), rtol=1e-15)


def test_large_counts_match_sklearn():
    docs = ["apple " * 70_000 + "banana banana banana", "apple banana cherry", "cherry date"]
    _, expected, _ = sklearn_fit_transform(docs, norm=None)
    _, X = ref.fit_transform(docs, norm=None)
    np.testing.assert_allclose(X, expected, rtol=1e-14, atol=0)
    assert X[0, 0] / X[1, 0] == pytest.approx(70_000, rel=1e-14)


# -- errors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("docs", [[], [""], ["", "   ", "\t\n"], ["a b c", "! ? ..."]])
def test_empty_vocabulary_raises_like_sklearn(docs):
    with pytest.raises(ValueError):
        text.TfidfVectorizer().fit_transform(docs)
    with pytest.raises(ValueError):
        ref.fit_transform(docs)
    with pytest.raises(ValueError):
        ref.fit(docs)


@pytest.mark.parametrize("norm", ["l3", "L2", "max", ""])
def test_unknown_norm_raises_like_sklearn(norm):
    docs = ["apple banana", "banana cherry"]
    with pytest.raises(ValueError):
        text.TfidfVectorizer(norm=norm).fit_transform(docs)
    with pytest.raises(ValueError):
        ref.fit_transform(docs, norm=norm)
    with pytest.raises(ValueError):
        ref.transform(docs, ["apple", "banana", "cherry"], np.ones(3), norm=norm)


def test_transform_of_no_documents():
    X = ref.transform([], ["apple", "banana"], np.array([1.0, 2.0]))
    assert X.shape == (0, 2) and X.dtype == np.float64


# -- the grader's data and tolerances --------------------------------------------------------------

def test_count_corpora_are_what_the_grader_says():
    """Docs built from a count matrix tokenise back to it; every column has two distinct non-zero counts,
    no word is in every document, no document is empty."""
    for seed, n, V in ((11, 12, 8), (12, 30, 15), (21, 10, 6), (22, 40, 20), (31, 12, 8), (32, 25, 12),
                       (41, 10, 7), (42, 30, 16), (43, 20, 10), (51, 40, 14), (61, 10, 8), (71, 5, 4), (81, 15, 9),
                       (91, 12, 8)):
        docs, counts, words = grader.corpus(seed, n, V)
        cv = text.CountVectorizer()
        C = cv.fit_transform(docs).toarray()
        assert list(cv.get_feature_names_out()) == words
        np.testing.assert_array_equal(C, counts)
        present = counts > 0
        assert present.any(axis=1).all() and not present.all(axis=0).any()
        assert all(len(np.unique(col[col > 0])) >= 2 for col in counts.T)
        assert all(re.fullmatch(r"[a-z]+( [a-z]+)*", d) for d in docs)


def test_unseen_documents_are_the_known_ones_plus_unseen_words():
    vocabulary = set(grader.UNSEEN_VOCABULARY)
    for doc, known in zip(grader.UNSEEN_DOCS, grader.KNOWN_DOCS):
        assert [t for t in ref.tokenize(doc) if t in vocabulary] == ref.tokenize(known)
        assert any(t not in vocabulary for t in ref.tokenize(doc))
        assert ref.tokenize(known)
    unseen = {t for d in grader.UNSEEN_DOCS for t in ref.tokenize(d)} - vocabulary
    lo, hi = min(vocabulary), max(vocabulary)
    assert any(t < lo for t in unseen) and any(t > hi for t in unseen) and any(lo < t < hi for t in unseen)


def test_other_idf_formulations_are_within_the_tolerance():
    """ln(1 + n) - ln(1 + df) + 1 and other correct orders of operations stay within the grader's rtol."""
    for seed, n, V in ((22, 40, 20), (51, 40, 14)):
        docs, counts, words = grader.corpus(seed, n, V)
        df = np.count_nonzero(counts, axis=0)
        tol = grader.rtol(n, counts)
        for smooth in (True, False):
            s = 1 if smooth else 0
            exact = grader.idf_formula(counts, smooth)
            alt = np.log1p(n + s - 1) - np.log1p(df + s - 1) + 1.0 if smooth else np.log(n) - np.log(df) + 1.0
            np.testing.assert_allclose(alt, exact, rtol=tol / 4)
            for norm in ("l2", "l1"):
                X = counts * alt
                by_loop = np.array([[x / math.fsum(abs(v) ** (2 if norm == "l2" else 1) for v in row)
                                     ** (0.5 if norm == "l2" else 1) for x in row] for row in X])
                np.testing.assert_allclose(by_loop, grader.oracle(counts, smooth, False, norm), rtol=tol / 2)


def test_wrong_formulas_are_far_outside_the_tolerance():
    docs, counts, words = grader.corpus(51, 40, 14)
    tol = grader.rtol(40, counts)
    right = grader.idf_formula(counts, True)
    df = np.count_nonzero(counts, axis=0)
    for wrong in (np.log(40 / (1 + df)) + 1, np.log(41 / (1 + df)), np.log(41 / (1 + counts.sum(0))) + 1):
        assert np.max(np.abs(wrong / right - 1)) > 1e6 * tol
    assert tol < 1e-13


# -- the timed corpora --------------------------------------------------------------------------------

SECRETS = [bytes([0]) * 16, bytes([7]) * 16, bytes(range(16))]
PERF_TOL = 4 * EPS * (80 + 2 * math.log(grader.PERF_DOCS + 1) + 10)    # the timed checks' rtol


def timed_inputs(secret, test, run):
    """(pool, docs, words, lengths) of run `run` of the timed test `test` under `secret`, as the grader builds them."""
    pool_seed, docs_seed = ((grader.FIT_TRANSFORM_POOL_SEED, grader.FIT_TRANSFORM_DOCS_SEED) if test == "fit_transform"
                            else (grader.TRANSFORM_POOL_SEED, grader.TRANSFORM_DOCS_SEED))
    pool = grader.pseudo_words(secret_seed(secret, pool_seed), grader.PERF_WORDS)
    docs, words, lengths = grader.text_corpus(secret_seed(secret, docs_seed + run), grader.PERF_DOCS, pool,
                                              with_words=True)
    return pool, docs, words, lengths


def timed_idf(secret):
    return 1.0 + np.random.default_rng(secret_seed(secret, grader.TRANSFORM_IDF_SEED)).random(
        grader.TRANSFORM_VOCABULARY) * 5.0


def test_timed_word_forms_tokenise_to_the_word():
    """Every pool word's case forms lowercase back to it; every head (case, prefix) and tail (suffix, separator),
    whichever meet, leave exactly the words as tokens (the reference's and scikit-learn's tokeniser)."""
    analyze = text.TfidfVectorizer().build_analyzer()
    pools = [grader.pseudo_words(secret_seed(secret, seed), grader.PERF_WORDS) for secret in SECRETS
             for seed in (grader.FIT_TRANSFORM_POOL_SEED, grader.TRANSFORM_POOL_SEED)]
    for pool in pools:
        assert len(set(pool)) == len(pool) == grader.PERF_WORDS
        for w in pool:
            assert 2 <= len(w) <= 9 and w[0] in grader.FIRST_LETTERS and re.fullmatch(r"\w+", w)
            forms = grader.cased(w)
            assert len(forms) == len(grader.CASES) and all(form.lower() == w for form in forms)
            assert all(ref.tokenize(prefix + form) == [w] for form in forms for prefix in grader.PREFIXES)
    words = pools[0][:3] + [w for w in pools[0] if "ß" in w][:1] + [w for w in pools[0] if not w.isascii()][:1]
    heads = [prefix + form for w in words for form in grader.cased(w) for prefix in grader.PREFIXES]
    for tail in grader.TAILS:
        for head in heads:
            doc = heads[0] + tail + head + tail     # a tail between two heads, and at the end
            assert ref.tokenize(doc) == analyze(doc) == [words[0], ref.tokenize(head)[0]]
    assert len(grader.HEAD_P) == len(grader.CASES) * len(grader.PREFIXES) and len(grader.TAIL_P) == len(grader.TAILS)
    assert math.isclose(grader.HEAD_P.sum(), 1.0) and math.isclose(grader.TAIL_P.sum(), 1.0)
    # every part but the plain one at least 0.55% per word, a word of the transform's vocabulary 0.77 (the bound of
    # the grader's comment: each part occurs with such a word in every corpus of 100 000 words or more)
    heads = grader.HEAD_P.reshape(len(grader.CASES), len(grader.PREFIXES))
    tails = grader.TAIL_P.reshape(len(grader.SUFFIXES), len(grader.SEPARATORS))
    marginals = (heads.sum(axis=1), heads.sum(axis=0), tails.sum(axis=1), tails.sum(axis=0))
    assert min(m[1:].min() for m in marginals) >= 0.0055
    zipf = 1.0 / (np.arange(grader.PERF_WORDS) + 2.7)
    zipf /= zipf.sum()
    assert zipf[np.arange(grader.PERF_WORDS) % 4 != 3].sum() > 0.77
    assert (1 - 0.0055 * 0.77) ** (20 * grader.PERF_DOCS) < math.exp(-400)
    # the three most frequent words hold 'ß', '_' and a digit, and are in the transform's vocabulary
    assert zipf[2] > 0.034
    for pool in pools:
        vocabulary = set(grader.transform_vocabulary(pool))
        assert "ß" in pool[0] and "_" in pool[1] and any(c.isdigit() for c in pool[2])
        assert all(w in vocabulary for w in pool[:3])


@pytest.mark.parametrize("secret", SECRETS)
def test_timed_corpora_tokenise_to_the_drawn_words(secret):
    """The tokens of each timed document are its drawn words, in order; every part of the forms occurs."""
    for test, run in (("fit_transform", 0), ("fit_transform", 3), ("transform", 1), ("transform", 2)):
        pool, docs, words, lengths = timed_inputs(secret, test, run)
        tokens = ref._tokens(docs)
        assert [len(t) for t in tokens] == lengths.tolist() and all(20 <= k <= 80 for k in lengths)
        assert [t for doc in tokens for t in doc] == [pool[i] for i in words]
        joined = "".join(docs)
        assert all(part in joined for part in grader.PREFIXES + grader.SUFFIXES + grader.SEPARATORS)
        assert any(c.isdigit() for c in joined) and "_" in joined and "ß" in joined and not joined.isascii()
    seed = secret_seed(secret, grader.FIT_TRANSFORM_DOCS_SEED)
    assert grader.text_corpus(seed, grader.PERF_DOCS, pool) == grader.text_corpus(seed, grader.PERF_DOCS, pool,
                                                                                    with_words=True)[0]


@pytest.mark.parametrize("secret", SECRETS)
def test_timed_corpora_match_sklearn(secret):
    """fit_transform (default options) and transform (the timed vocabulary and idf, sublinear, l1) of timed
    corpora: the reference against scikit-learn within the timed checks' tolerance."""
    _, docs, _, _ = timed_inputs(secret, "fit_transform", 1)
    words, expected, _ = sklearn_fit_transform(docs)
    vocabulary, X = ref.fit_transform(docs)
    assert vocabulary == words
    np.testing.assert_allclose(X, expected, rtol=PERF_TOL, atol=0)
    pool, docs, _, _ = timed_inputs(secret, "transform", 2)
    vocabulary, idf = grader.transform_vocabulary(pool), timed_idf(secret)
    vec = sklearn_vectorizer(sublinear_tf=True, norm="l1", vocabulary=vocabulary).fit(docs[:10])
    vec.idf_ = idf
    np.testing.assert_allclose(ref.transform(docs, vocabulary, idf, sublinear_tf=True, norm="l1"),
                               vec.transform(docs).toarray(), rtol=PERF_TOL, atol=0)


def _strip_punctuation(doc):
    return [t for t in (w.strip(string.punctuation) for w in doc.lower().split()) if len(t) >= 2]


ASCII_TOKEN = re.compile(r"\b\w\w+\b", re.ASCII)
LETTERS = re.compile(r"\b[^\W\d_][^\W\d_]+\b")
SINGLE = re.compile(r"\b\w+\b")
# Plausible wrong tokenisers, each right on lowercase ASCII words between spaces (the old timed corpora).
WRONG_TOKENISERS = {
    "split, commas removed": lambda d: d.lower().replace(",", "").split(),
    "split, punctuation stripped": _strip_punctuation,
    "[a-z]{2,}": lambda d: re.findall(r"[a-z]{2,}", d.lower()),
    "letters only (no digits, no '_')": lambda d: LETTERS.findall(d.lower()),
    "ASCII \\w": lambda d: ASCII_TOKEN.findall(d.lower()),
    "tokenise, then lowercase": lambda d: [t.lower() for t in ref.TOKEN.findall(d)],
    "casefold": lambda d: ref.TOKEN.findall(d.casefold()),
    "single characters kept": lambda d: SINGLE.findall(d.lower()),
}
# A tokeniser that only adds tokens of one character cannot change transform's result: the vocabulary has none.
ONLY_ADDS_SINGLE_CHARACTERS = {"single characters kept"}


@pytest.mark.parametrize("secret", SECRETS)
def test_other_tokenisers_fail_the_timed_checks(secret):
    """On the timed corpora of sampled secrets, every wrong tokeniser gives a result the timed checks reject:
    another vocabulary, or a matrix outside their tolerance (fit_transform); another matrix (transform)."""
    _, docs, _, _ = timed_inputs(secret, "fit_transform", 0)
    vocabulary, X = ref.fit_transform(docs)
    for name, tokenise in WRONG_TOKENISERS.items():
        tokens = [tokenise(d) for d in docs]
        words, index = ref._vocabulary(tokens)
        if words == vocabulary:
            counts = ref._counts(tokens, index, all_known=True)
            Y = ref._weight(counts, ref._idf(counts, True), False, "l2")
            assert not np.allclose(Y, X, rtol=PERF_TOL, atol=0), name
    pool, docs, _, _ = timed_inputs(secret, "transform", 3)
    vocabulary, idf = grader.transform_vocabulary(pool), timed_idf(secret)
    index = dict(zip(vocabulary, range(len(vocabulary))))
    X = ref.transform(docs, vocabulary, idf, sublinear_tf=True, norm="l1")
    for name, tokenise in WRONG_TOKENISERS.items():
        if name in ONLY_ADDS_SINGLE_CHARACTERS:
            continue
        Y = ref._weight(ref._counts([tokenise(d) for d in docs], index), idf, True, "l1")
        assert not np.allclose(Y, X, rtol=PERF_TOL, atol=0), name
