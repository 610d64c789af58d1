"""Hidden grader for the tfidf challenge (tokenize, fit, transform, fit_transform).

Oracles. Everything is recomputed here from the definitions (the ones of
scikit-learn's TfidfVectorizer; tests/references/test_tfidf.py checks the
reference and this module's oracle against scikit-learn on every option
combination). Most corpora are built from a count matrix: document i holds
word j exactly counts[i, j] times, shuffled, the words plain lowercase
letters separated by single spaces, so the term counts are known without
tokenising and no tokeniser rule is at stake outside the tokeniser's own
tests.

Isolation. Columns are matched by word (the candidate's vocabulary names
them), so the order of the vocabulary is judged by its own test only. The
rules that come one after another in the computation are tested apart:
- counts (norm=None, no sublinear): each column proportional to the counts
  (the factor, idf, is not looked at);
- sublinear tf (norm=None): each column proportional to 1 + ln(count), 0
  where the count is 0;
- idf: fit's idf against the formula, and fit_transform with norm=None
  against count * idf;
- norms: the candidate's l2 (l1) result against its own norm=None result
  divided by the row's l2 (l1) norm, whatever its idf and tf;
- transform: with an idf given by the grader (count * idf); unseen words by
  comparing transform on documents with unseen words with transform on the
  same documents without them; and transform against fit_transform.
The corpora of the value tests have no empty document (that is the
stability test's business; the smooth idf test has one, with norm=None, for
the rule that it counts in n) and no word present in every document (an idf
without its "+ 1" would be 0 there and hide a column from the proportionality
checks). Tokenising is at stake only in the tokeniser's tests: the other
documents are lowercase words of two or more letters and single spaces,
but the timed ones: text with case, punctuation, quotes, single letters,
digits, '_' and Unicode letters that only the stated tokeniser reads as the
drawn words (see text_corpus), each result checked against the reference's.

Tolerance. An entry is f(tf) * idf / norm. In float64 the idf ln(q) + 1 is
within ~2 eps relative (ln of a correctly rounded quotient; idf >= 1), or
within eps (2 ln(n + 1) + 3) when computed as ln(1 + n) - ln(1 + df) + 1;
1 + ln(tf) within 2 eps; the product 1 eps; a row norm is a sum of m
non-negative terms (m distinct words in the row), within (m + 2) eps in any
summation order, the square root and the division 2 eps more. So each side
is within eps (m + 2 ln(n + 1) + 10) of the exact value, and the candidate
and the oracle within twice that; the proportionality checks divide two
entries (twice again): rtol = 4 eps (m + 2 ln(n + 1) + 10), with m the largest
number of distinct words in a row. Entries of absent words are exactly 0
(0 * idf is 0 in any order). Every wrong formula is off by far more than
1e-12 relative.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from trainer.grading import Call, checks

EPS = np.finfo(np.float64).eps
TOKEN = re.compile(r"(?u)\b\w\w+\b")

WORDS = ("apple", "banana", "cherry", "date", "elder", "fig", "grape", "hazel", "iris", "juniper", "kiwi",
         "lemon", "mango", "nectar", "olive", "peach", "quince", "rowan", "sage", "thyme")
OPTIONS = [(smooth, sublinear, norm) for smooth in (True, False) for sublinear in (False, True)
           for norm in ("l2", "l1", None)]


# -- oracles ---------------------------------------------------------------------------------------

def idf_formula(counts, smooth_idf):
    n = counts.shape[0]
    df = np.count_nonzero(counts, axis=0)
    s = 1 if smooth_idf else 0
    return np.log((n + s) / (df + s)) + 1.0


def sublinear(counts):
    c = np.asarray(counts, dtype=np.float64)
    present = c > 0
    return np.where(present, 1.0 + np.log(np.where(present, c, 1.0)), 0.0)


def normalise(X, norm):
    X = np.asarray(X, dtype=np.float64)
    if norm is None:
        return X.copy()
    norms = np.sqrt((X * X).sum(axis=1)) if norm == "l2" else np.abs(X).sum(axis=1)
    norms = np.where(norms == 0, 1.0, norms)
    return X / norms[:, None]


def weight(counts, idf, sublinear_tf, norm):
    tf = sublinear(counts) if sublinear_tf else np.asarray(counts, dtype=np.float64)
    return normalise(tf * idf, norm)


def oracle(counts, smooth_idf, sublinear_tf, norm):
    return weight(counts, idf_formula(counts, smooth_idf), sublinear_tf, norm)


def rtol(n, counts):
    """4 eps (m + 2 ln(n + 1) + 10), m the most distinct words in a row (module docstring)."""
    m = int(np.count_nonzero(counts, axis=1).max()) if np.size(counts) else 0
    return 4 * EPS * (m + 2 * math.log(n + 1) + 10)


def describe_options(smooth_idf, sublinear_tf, norm):
    return f"smooth_idf={smooth_idf}, sublinear_tf={sublinear_tf}, norm={norm!r}"


# -- corpora ----------------------------------------------------------------------------------------

def count_matrix(seed, n, V, values=(0, 0, 0, 1, 1, 1, 2, 3, 5)):
    """(n, V) counts: every row and column non-empty, every column with at least two distinct non-zero
    counts (so proportionality to tf, or to 1 + ln tf, is a real test), no word in every document."""
    g = np.random.default_rng(seed)
    while True:
        C = g.choice(values, size=(n, V))
        present = C > 0
        if (present.any(axis=1).all() and present.any(axis=0).all() and not present.all(axis=0).any()
                and all(len(np.unique(col[col > 0])) >= 2 for col in C.T)):
            return C.astype(np.int64)


def docs_from_counts(counts, words, seed):
    """Document i: word j repeated counts[i, j] times, in a shuffled order, separated by single spaces."""
    g = np.random.default_rng(seed)
    docs = []
    for row in counts:
        tokens = [w for w, c in zip(words, row) for _ in range(int(c))]
        docs.append(" ".join(tokens[k] for k in g.permutation(len(tokens))))
    return docs


def corpus(seed, n, V):
    """(docs, counts, words): a count-matrix corpus over the first V words (already sorted)."""
    words = list(WORDS[:V])
    counts = count_matrix(seed, n, V)
    return docs_from_counts(counts, words, seed + 1000), counts, words


def describe_docs(docs, limit=6):
    shown = ", ".join(repr(d if len(d) <= 40 else d[:37] + "...") for d in docs[:limit])
    more = f", ... ({len(docs)} documents)" if len(docs) > limit else ""
    return f"docs = [{shown}{more}]"


# -- reading results --------------------------------------------------------------------------------

def as_words(value, what, given):
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == "U":
        return [str(w) for w in value]
    if not (isinstance(value, (list, tuple)) and all(isinstance(w, str) for w in value)):
        checks.fail(f"{what} for {given} should be a list of str, got {checks.show(value)}")
    return list(value)


def as_pair(got, what, given):
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        checks.fail(f"{what} for {given} should return a pair (vocabulary, {'idf' if what == 'fit' else 'X'}), "
                    f"got {checks.show(got)}")
    return got


def as_matrix(value, n, V, what, given):
    X = checks.as_array(value, what, given)
    checks.that(X.ndim == 2 and X.shape == (n, V),
                f"{what} for {given} should be a ({n}, {V}) array: one row per document, one column per "
                f"vocabulary word; got shape {X.shape}")
    checks.that(X.dtype.kind in "biuf", f"{what} for {given} should be numeric, got dtype {X.dtype}")
    return X.astype(np.float64, copy=False)


def by_words(vocabulary, X, words, what, given):
    """The columns of X (named by `vocabulary`) in the order of `words`; fails if the sets differ."""
    if len(set(vocabulary)) != len(vocabulary):
        checks.fail(f"the vocabulary of {what} for {given} has repeated words: {checks.show(vocabulary)}")
    missing = sorted(set(words) - set(vocabulary))
    extra = sorted(set(vocabulary) - set(words))
    checks.that(not missing and not extra,
                f"the vocabulary of {what} for {given} should hold the words {list(words)}; "
                f"missing {missing}, unexpected {extra}")
    if list(vocabulary) == list(words):
        return X
    position = {w: j for j, w in enumerate(vocabulary)}
    return X[:, [position[w] for w in words]]


def fitted(got, docs, words, given, what="fit_transform"):
    """fit_transform's (vocabulary, X) -> X with its columns in the order of `words`."""
    vocabulary, X = as_pair(got, what, given)
    vocabulary = as_words(vocabulary, f"the vocabulary returned by {what}", given)
    X = as_matrix(X, len(docs), len(vocabulary), f"the matrix returned by {what}", given)
    return by_words(vocabulary, X, words, what, given)


def fitted_idf(got, words, given):
    """fit's (vocabulary, idf) -> idf in the order of `words`."""
    vocabulary, idf = as_pair(got, "fit", given)
    vocabulary = as_words(vocabulary, "the vocabulary returned by fit", given)
    idf = checks.as_array(idf, "the idf returned by fit", given)
    checks.that(idf.shape == (len(vocabulary),),
                f"the idf returned by fit for {given} should have shape ({len(vocabulary)},) (one value per "
                f"vocabulary word), got shape {idf.shape}")
    return by_words(vocabulary, idf.astype(np.float64)[None, :], words, "fit", given)[0]


def check_proportional(X, f, what, given, tol):
    """Each column of X equals f (n, V) times one factor per column (taken where f is largest)."""
    top = np.argmax(f, axis=0)
    cols = np.arange(f.shape[1])
    factor = X[top, cols] / f[top, cols]
    if not np.all(np.isfinite(factor)):
        checks.fail(f"{what} for {given}: the entries of the documents where a word is most frequent should be "
                    f"finite, got {checks.show(X[top, cols])}")
    checks.close(X, f * factor, rtol=tol, what=what, given=given)


# -- tokeniser ------------------------------------------------------------------------------------

TOKEN_CASES = [
    ("Hello, World! hello", ["hello", "world", "hello"]),
    ("a I x b2 ab c", ["b2", "ab"]),
    ("don't stop-the-music", ["don", "stop", "the", "music"]),
    ("x_1 __ 42 3.14 7", ["x_1", "__", "42", "14"]),
    ("Café NAÏVE über Straße", ["café", "naïve", "über", "straße"]),
    ("  tabs\tand\nnew\r\nlines  ", ["tabs", "and", "new", "lines"]),
    ("emoji🙂ok (parens) [brackets] {x}", ["emoji", "ok", "parens", "brackets"]),
    ("", []),
    ("! ? a . ,", []),
]


@pytest.mark.correctness
def test_tokenize(solution):
    """tokenize: lowercase, then every match of (?u)\\b\\w\\w+\\b in order"""
    for doc, expected in TOKEN_CASES:
        got = solution.tokenize(doc)
        if not (isinstance(got, (list, tuple)) and all(isinstance(t, str) for t in got)):
            checks.fail(f"tokenize({doc!r}) should return a list of str, got {checks.show(got)}")
        checks.that(list(got) == expected,
                    f"tokenize({doc!r}) should be {expected}, got {list(got)}: lowercase the document, then "
                    f"take every run of two or more word characters (letters of any alphabet, digits, '_') "
                    f"between word boundaries; a single character is not a token")
    # Lowercase first, then tokenise: 'İ'.lower() is 'i' + a combining dot (U+0307), not a word character.
    doc = "İstanbul"
    got = solution.tokenize(doc)
    if not (isinstance(got, (list, tuple)) and list(got) == ["stanbul"]):
        checks.fail(f"tokenize({doc!r}) should be ['stanbul'], got {checks.show(got)}: lowercase the whole "
                    f"document first ({doc!r}.lower() is {doc.lower()!r}: 'i' and a combining dot, which is not a word "
                    f"character, so 'i' stands alone and is dropped), then tokenise")


TRICKY_DOCS = ["Hello, World!", "hello-world a b", "x_1 42 3.14", "Don't STOP", "Straße; über"]
TRICKY_VOCABULARY = ["14", "42", "don", "hello", "stop", "straße", "world", "x_1", "über"]
TRICKY_PRESENT = np.array([[0, 0, 0, 1, 0, 0, 1, 0, 0],
                           [0, 0, 0, 1, 0, 0, 1, 0, 0],
                           [1, 1, 0, 0, 0, 0, 0, 1, 0],
                           [0, 0, 1, 0, 1, 0, 0, 0, 0],
                           [0, 0, 0, 0, 0, 1, 0, 0, 1]], dtype=bool)


@pytest.mark.correctness
def test_fit_uses_the_tokeniser(solution):
    """fit and fit_transform tokenise every document with the stated tokeniser"""
    given = describe_docs(TRICKY_DOCS)
    for what, got in (("fit", solution.fit(TRICKY_DOCS)),
                      ("fit_transform", solution.fit_transform(TRICKY_DOCS, smooth_idf=True, sublinear_tf=False,
                                                               norm=None))):
        vocabulary = as_words(as_pair(got, what, given)[0], f"the vocabulary returned by {what}", given)
        checks.that(sorted(vocabulary) == TRICKY_VOCABULARY,
                    f"the vocabulary of {what} for {given} should be {TRICKY_VOCABULARY} (the sorted set of the "
                    f"tokens of tokenize), got {vocabulary}")
    X = fitted(got, TRICKY_DOCS, TRICKY_VOCABULARY, given + ", norm=None")
    checks.equal(X != 0, TRICKY_PRESENT, what="which entries are non-zero (the word occurs in the document)",
                 given=given + f", columns {TRICKY_VOCABULARY}, norm=None")


# 'straße' sorts after 'strasz' by code point ('ß' is U+00DF), before it by a case-folded key ('strasse').
SORT_DOCS = ["zebra apple", "über mango 42", "_id banana 7up zebra", "straße strasz"]
SORT_VOCABULARY = ["42", "7up", "_id", "apple", "banana", "mango", "strasz", "straße", "zebra", "über"]


@pytest.mark.correctness
def test_vocabulary_is_sorted(solution):
    """The vocabulary is sorted as Python sorts strings (by code point): digits, '_', letters, 'strasz', 'straße', 'ü'"""
    given = describe_docs(SORT_DOCS)
    for what, got in (("fit", solution.fit(SORT_DOCS, smooth_idf=True)),
                      ("fit_transform", solution.fit_transform(SORT_DOCS, smooth_idf=True, sublinear_tf=False,
                                                               norm="l2"))):
        vocabulary = as_words(as_pair(got, what, given)[0], f"the vocabulary returned by {what}", given)
        checks.that(vocabulary == SORT_VOCABULARY,
                    f"the vocabulary of {what} for {given} should be {SORT_VOCABULARY}: sorted(set(tokens)), "
                    f"in code-point order (not the order of first appearance), got {vocabulary}")


# -- counts, idf, sublinear tf ------------------------------------------------------------------------

@pytest.mark.correctness
def test_term_counts(solution):
    """With norm=None each column is the word's count in each document, times one factor (its idf)"""
    for seed, n, V in ((11, 12, 8), (12, 30, 15)):
        docs, counts, words = corpus(seed, n, V)
        given = f"{describe_docs(docs)} (word counts 0 to 5), smooth_idf=True, sublinear_tf=False, norm=None"
        X = fitted(solution.fit_transform(docs, smooth_idf=True, sublinear_tf=False, norm=None), docs, words, given)
        check_proportional(X, counts.astype(np.float64), "X, whose column j should be count(word j) * idf_j",
                           given, rtol(n, counts))


def check_idf_test(solution, smooth_idf, cases):
    for docs, counts, words, desc in cases:
        n = len(docs)
        idf = idf_formula(counts, smooth_idf)
        formula = ("ln((1 + n) / (1 + df)) + 1" if smooth_idf else "ln(n / df) + 1")
        given = f"{desc}, smooth_idf={smooth_idf}"
        got = fitted_idf(solution.fit(docs, smooth_idf=smooth_idf), words, given)
        checks.close(got, idf, rtol=rtol(n, counts), what=f"the idf of fit, {formula} (n = {n} documents, df the "
                                                           f"number of documents holding the word)", given=given)
        given += ", sublinear_tf=False, norm=None"
        X = fitted(solution.fit_transform(docs, smooth_idf=smooth_idf, sublinear_tf=False, norm=None), docs, words,
                   given)
        checks.close(X, counts * idf, rtol=rtol(n, counts), what=f"X = count * idf, idf = {formula}", given=given)


def idf_cases(with_empty):
    cases = []
    docs, counts, words = corpus(21, 10, 6)
    cases.append((docs, counts, words, describe_docs(docs) + " (word counts 0 to 5)"))
    docs, counts, words = corpus(22, 40, 20)
    cases.append((docs, counts, words, describe_docs(docs) + " (word counts 0 to 5)"))
    if with_empty:
        docs, counts, words = corpus(23, 6, 5)
        docs, counts = docs[:3] + [""] + docs[3:], np.vstack([counts[:3], np.zeros((1, 5), np.int64), counts[3:]])
        cases.append((docs, counts, words, describe_docs(docs) + " (the empty document counts in n)"))
    return cases


@pytest.mark.correctness
def test_smooth_idf(solution):
    """smooth_idf=True: idf = ln((1 + n) / (1 + df)) + 1; an empty document counts in n"""
    check_idf_test(solution, True, idf_cases(with_empty=True))


@pytest.mark.correctness
def test_plain_idf(solution):
    """smooth_idf=False: idf = ln(n / df) + 1"""
    check_idf_test(solution, False, idf_cases(with_empty=False))


@pytest.mark.correctness
def test_sublinear_tf(solution):
    """sublinear_tf=True: tf = 1 + ln(count) where count > 0, and 0 where the word is absent"""
    for seed, n, V in ((31, 12, 8), (32, 25, 12)):
        docs, counts, words = corpus(seed, n, V)
        given = f"{describe_docs(docs)} (word counts 0 to 5), smooth_idf=True, sublinear_tf=True, norm=None"
        X = fitted(solution.fit_transform(docs, smooth_idf=True, sublinear_tf=True, norm=None), docs, words, given)
        check_proportional(X, sublinear(counts), "X, whose column j should be (1 + ln count) * idf_j (0 where "
                                                 "count = 0)", given, rtol(n, counts))


# -- norms -------------------------------------------------------------------------------------------

def check_norm_test(solution, norm):
    for seed, n, V, sub in ((41, 10, 7, False), (42, 30, 16, True), (43, 20, 10, False)):
        docs, counts, words = corpus(seed, n, V)
        options = f"smooth_idf=True, sublinear_tf={sub}"
        raw = fitted(solution.fit_transform(docs, smooth_idf=True, sublinear_tf=sub, norm=None), docs, words,
                     f"{describe_docs(docs)}, {options}, norm=None")
        given = f"{describe_docs(docs)}, {options}, norm={norm!r}"
        X = fitted(solution.fit_transform(docs, smooth_idf=True, sublinear_tf=sub, norm=norm), docs, words, given)
        which = "sqrt of the sum of squares" if norm == "l2" else "sum of absolute values"
        checks.close(X, normalise(raw, norm), rtol=rtol(n, counts),
                     what=f"X with norm={norm!r}: your norm=None result with each row divided by its {norm} norm "
                          f"({which})", given=given)


@pytest.mark.correctness
def test_l2_norm(solution):
    """norm='l2' divides each row of tf * idf by its Euclidean norm"""
    check_norm_test(solution, "l2")


@pytest.mark.correctness
def test_l1_norm(solution):
    """norm='l1' divides each row of tf * idf by the sum of its absolute values"""
    check_norm_test(solution, "l1")


@pytest.mark.correctness
def test_all_option_combinations(solution):
    """All 12 combinations of smooth_idf, sublinear_tf and norm give scikit-learn's numbers"""
    docs, counts, words = corpus(51, 40, 14)
    for smooth_idf, sublinear_tf, norm in OPTIONS:
        options = describe_options(smooth_idf, sublinear_tf, norm)
        given = f"{describe_docs(docs)} (word counts 0 to 5), {options}"
        X = fitted(solution.fit_transform(docs, smooth_idf=smooth_idf, sublinear_tf=sublinear_tf, norm=norm),
                   docs, words, given)
        checks.close(X, oracle(counts, smooth_idf, sublinear_tf, norm), rtol=rtol(len(docs), counts),
                     what="X", given=given)


@pytest.mark.correctness
def test_default_arguments(solution):
    """The defaults are smooth_idf=True, sublinear_tf=False, norm='l2'"""
    docs, counts, words = corpus(61, 10, 8)
    tol = rtol(len(docs), counts)
    given = describe_docs(docs)
    explicit = fitted(solution.fit_transform(docs, smooth_idf=True, sublinear_tf=False, norm="l2"), docs, words,
                      given)
    default = fitted(solution.fit_transform(docs), docs, words, given)
    checks.close(default, explicit, rtol=tol, given=given,
                 what="fit_transform(docs) against fit_transform(docs, smooth_idf=True, sublinear_tf=False, "
                      "norm='l2')")
    idf = fitted_idf(solution.fit(docs), words, given)
    checks.close(idf, fitted_idf(solution.fit(docs, smooth_idf=True), words, given), rtol=tol, given=given,
                 what="the idf of fit(docs) against fit(docs, smooth_idf=True)")
    given_idf = np.linspace(1.0, 3.0, len(words))
    given = f"{given}, vocabulary {words}, idf {checks.show(given_idf)}"
    explicit = as_matrix(solution.transform(docs, words, given_idf, sublinear_tf=False, norm="l2"), len(docs),
                         len(words), "transform", given)
    default = as_matrix(solution.transform(docs, words, given_idf), len(docs), len(words), "transform", given)
    checks.close(default, explicit, rtol=tol, given=given,
                 what="transform(docs, vocabulary, idf) against transform(..., sublinear_tf=False, norm='l2')")


@pytest.mark.correctness
def test_output_types(solution):
    """Types: tokenize a list of str; fit and fit_transform (list of str, float64 array); transform float64"""
    for doc, expected in (("ab cd", ["ab", "cd"]), ("", [])):
        got = solution.tokenize(doc)
        if not (isinstance(got, list) and all(isinstance(t, str) for t in got)):
            checks.fail(f"tokenize({doc!r}) should return a list of str, {expected}, got {checks.show(got)}")
    docs, counts, words = corpus(71, 5, 4)
    given = describe_docs(docs)
    got = as_pair(solution.fit_transform(docs), "fit_transform", given)
    if not (isinstance(got[0], (list, tuple)) and all(isinstance(w, str) for w in got[0])):
        checks.fail(f"the vocabulary returned by fit_transform for {given} should be a list of str, got "
                    f"{checks.show(got[0])}")
    if not (isinstance(got[1], np.ndarray) and got[1].dtype == np.float64 and got[1].shape == (5, 4)):
        checks.fail(f"the matrix returned by fit_transform for {given} should be a float64 numpy array of shape (5, 4) "
                    f"(dense: one row per document, one column per word), got {checks.show(got[1])}")
    got = as_pair(solution.fit(docs), "fit", given)
    if not (isinstance(got[0], (list, tuple)) and all(isinstance(w, str) for w in got[0])):
        checks.fail(f"the vocabulary returned by fit for {given} should be a list of str, got {checks.show(got[0])}")
    if not (isinstance(got[1], np.ndarray) and got[1].dtype == np.float64 and got[1].shape == (4,)):
        checks.fail(f"the idf returned by fit for {given} should be a float64 numpy array of shape (4,), got "
                    f"{checks.show(got[1])}")
    got = solution.transform(docs, words, np.array([1.5, 2.0, 1.25, 3.0]))
    if not (isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (5, 4)):
        checks.fail(f"transform for {given} with a vocabulary of 4 words should return a float64 numpy array of shape "
                    f"(5, 4), got {checks.show(got)}")


# -- transform ---------------------------------------------------------------------------------------

@pytest.mark.correctness
def test_transform_matches_fit_transform(solution):
    """transform(docs, *fit(docs)) gives fit_transform(docs), with the same options"""
    docs, counts, words = corpus(81, 15, 9)
    tol = rtol(len(docs), counts)
    for smooth_idf, sublinear_tf, norm in ((True, False, "l2"), (False, True, "l1"), (True, True, None)):
        options = describe_options(smooth_idf, sublinear_tf, norm)
        given = f"{describe_docs(docs)}, {options}"
        vocabulary, idf = as_pair(solution.fit(docs, smooth_idf=smooth_idf), "fit", given)
        vocabulary = as_words(vocabulary, "the vocabulary returned by fit", given)
        X = as_matrix(solution.transform(docs, vocabulary, idf, sublinear_tf=sublinear_tf, norm=norm), len(docs),
                      len(vocabulary), "transform(docs, *fit(docs))", given)
        X = by_words(vocabulary, X, words, "fit", given)
        expected = fitted(solution.fit_transform(docs, smooth_idf=smooth_idf, sublinear_tf=sublinear_tf, norm=norm),
                          docs, words, given)
        checks.close(X, expected, rtol=tol, what="transform(docs, *fit(docs)) against fit_transform(docs)",
                     given=given)


@pytest.mark.correctness
def test_transform_uses_the_given_idf(solution):
    """transform weights the counts by the idf it is given (it does not fit again)"""
    docs, counts, words = corpus(91, 12, 8)
    idf = np.array([1.0, 4.5, 2.25, 1.75, 3.0, 1.125, 6.5, 2.0])
    given = f"{describe_docs(docs)}, vocabulary {words}, idf {idf.tolist()}, sublinear_tf=False, norm=None"
    X = as_matrix(solution.transform(docs, words, idf, sublinear_tf=False, norm=None), len(docs), len(words),
                  "transform", given)
    checks.close(X, counts * idf, rtol=rtol(len(docs), counts), what="transform: count * the given idf",
                 given=given)


UNSEEN_VOCABULARY = ["banana", "cherry", "grape", "mango", "peach"]
UNSEEN_IDF = np.array([1.5, 2.0, 1.25, 3.0, 2.5])
UNSEEN_DOCS = ["aardvark banana cherry banana", "zulu mango zzz peach", "banana grape grapes fig cherry",
               "apple peach peach kiwi", "mango cherry berry zebra grape"]
# The same documents with the words outside the vocabulary deleted.
KNOWN_DOCS = ["banana cherry banana", "mango peach", "banana grape cherry", "peach peach", "mango cherry grape"]


@pytest.mark.edge_case
def test_transform_ignores_unseen_words(solution):
    """transform ignores the words outside the vocabulary (before, between and after its words)"""
    for sublinear_tf, norm in ((False, None), (False, "l2"), (True, "l1")):
        options = f"sublinear_tf={sublinear_tf}, norm={norm!r}"
        given = (f"{describe_docs(UNSEEN_DOCS)}, vocabulary {UNSEEN_VOCABULARY}, idf {UNSEEN_IDF.tolist()}, "
                 f"{options}")
        X = as_matrix(solution.transform(UNSEEN_DOCS, UNSEEN_VOCABULARY, UNSEEN_IDF, sublinear_tf=sublinear_tf,
                                         norm=norm), 5, 5, "transform", given)
        expected = as_matrix(solution.transform(KNOWN_DOCS, UNSEEN_VOCABULARY, UNSEEN_IDF, sublinear_tf=sublinear_tf,
                                                norm=norm), 5, 5, "transform", f"{describe_docs(KNOWN_DOCS)}, "
                                                                             f"{options}")
        checks.close(X, expected, rtol=4 * EPS * 20, given=given,
                     what=f"transform with the unseen words ('aardvark', 'zulu', 'zzz', 'grapes', 'fig', 'apple', "
                          f"'kiwi', 'berry', 'zebra') against your transform of the same documents without them "
                          f"({KNOWN_DOCS})")


@pytest.mark.edge_case
def test_transform_of_no_documents(solution):
    """transform of an empty list of documents is a (0, V) float64 array"""
    got = checks.as_array(solution.transform([], UNSEEN_VOCABULARY, UNSEEN_IDF), "transform", "docs = []")
    checks.that(got.shape == (0, 5),
                f"transform([], vocabulary of 5 words, idf) should be an array of shape (0, 5), got shape "
                f"{got.shape}")


@pytest.mark.edge_case
def test_unknown_norm_raises(solution):
    """A norm other than 'l2', 'l1' or None raises ValueError (fit_transform and transform, even of no documents)"""
    docs = ["apple banana", "banana cherry"]
    for norm in ("l3", "L2", "max", ""):
        checks.raises(ValueError, solution.fit_transform, docs, norm=norm, given=f"{describe_docs(docs)}, "
                                                                                f"norm={norm!r}")
        # No documents, or none with a token: the norm is invalid whatever there is to normalise.
        for given_docs in (docs, [], [""]):
            checks.raises(ValueError, solution.transform, given_docs, ["apple", "banana", "cherry"], np.ones(3),
                          norm=norm, given=f"{describe_docs(given_docs)}, norm={norm!r}")


@pytest.mark.edge_case
def test_empty_vocabulary_raises(solution):
    """fit and fit_transform raise ValueError when no document has a token"""
    # Documents without any word character: what is a token is test_tokenize's business.
    for docs in ([], [""], ["", "   ", "\t\n"]):
        given = f"{describe_docs(docs)} (no token at all: the vocabulary would be empty)"
        checks.raises(ValueError, solution.fit, docs, given=given)
        checks.raises(ValueError, solution.fit_transform, docs, given=given)


@pytest.mark.edge_case
def test_inputs_unchanged(solution):
    """fit, fit_transform and transform leave the documents, the vocabulary and the idf unchanged"""
    docs = ["Apple banana", "banana, Cherry!", ""]
    # fit on its own too: it may tokenise along another path than fit_transform.
    _, args, _ = solution.inputs_after("fit", docs)
    checks.that(args[0] == docs, f"the documents after fit({docs!r}) should be unchanged, got {args[0]!r}")
    _, args, _ = solution.inputs_after("fit_transform", docs)
    checks.that(args[0] == docs, f"the documents after fit_transform({docs!r}) should be unchanged, got {args[0]!r}")
    vocabulary, idf = ["apple", "banana", "cherry"], np.array([1.5, 1.0, 2.0])
    _, args, _ = solution.inputs_after("transform", docs, vocabulary, idf)
    checks.that(args[0] == docs, f"the documents after transform({docs!r}, ...) should be unchanged, got {args[0]!r}")
    checks.that(args[1] == vocabulary, f"the vocabulary after transform(docs, {vocabulary}, idf) should be "
                                       f"unchanged, got {args[1]!r}")
    checks.equal(args[2], idf, what="the idf after transform(docs, vocabulary, idf)", given=f"idf = {idf.tolist()}")


# -- numerical stability -------------------------------------------------------------------------------

EMPTY_DOCS = ["", "apple banana apple", "   ", "\t\n", "banana cherry", "cherry date date"]
# Eight documents over the 20 words of WORDS: every other one has no token, the others hold every word.
REUSE_DOCS = [doc for empty in ("", "   ", "\t\n", "") for doc in (empty, " ".join(WORDS))]
REUSE_IDF = 1.0 + np.arange(len(WORDS)) / 8.0


@pytest.mark.stability
def test_empty_documents_give_zero_rows(solution):
    """A document without a token gives a row of zeros, never NaN, whatever the options"""
    words = ["apple", "banana", "cherry", "date"]
    for smooth_idf, sublinear_tf, norm in OPTIONS:
        given = f"{describe_docs(EMPTY_DOCS)}, {describe_options(smooth_idf, sublinear_tf, norm)}"
        X = fitted(solution.fit_transform(EMPTY_DOCS, smooth_idf=smooth_idf, sublinear_tf=sublinear_tf, norm=norm),
                   EMPTY_DOCS, words, given)
        if not np.all(np.isfinite(X)):
            checks.fail(f"X for {given} should be finite, got {checks.show(X)} (a row of zeros "
                        f"has norm 0: leave it at 0 instead of dividing 0 by 0)")
        checks.equal(X[[0, 2, 3]], np.zeros((3, 4)), what="the rows of the documents '', '   ' and '\\t\\n' "
                                                          "(no token)", given=given)
    docs = ["", "zulu kiwi", "apple kiwi apple"]
    for norm in ("l2", "l1", None):
        given = f"{describe_docs(docs)}, vocabulary ['apple', 'banana'], idf [1.5, 2.0], norm={norm!r}"
        X = as_matrix(solution.transform(docs, ["apple", "banana"], np.array([1.5, 2.0]), norm=norm), 3, 2,
                      "transform", given)
        if not np.all(np.isfinite(X)):
            checks.fail(f"transform for {given} should be finite, got {checks.show(X)}")
        checks.equal(X[:2], np.zeros((2, 2)), what="the rows of '' and 'zulu kiwi' (no word of the vocabulary)",
                     given=given)
    # Again, each call just after the same function on documents of the same shape whose every entry is
    # non-zero (not looked at). The (8, 20) matrix that call returned is freed, and the allocator hands
    # that memory out again for the next matrix of its size, so a zero row taken from memory that was never
    # written (np.empty, or np.divide(X, norms, where=norms > 0) without out=) shows those entries instead
    # of zeros.
    words = list(WORDS)
    full_docs = [" ".join(words)] * len(REUSE_DOCS)
    for name, args, about in (("transform", (words, REUSE_IDF), f", vocabulary {words}, idf {REUSE_IDF.tolist()}"),
                              ("fit_transform", (), "")):
        for norm in ("l2", "l1"):
            given = (f"{describe_docs(REUSE_DOCS)}{about}, norm={norm!r}, called just after {name} of 8 documents "
                     f"that all hold the 20 words")
            try:
                getattr(solution, name)(full_docs, *args, norm=norm)
            except Exception:
                pass
            got = getattr(solution, name)(REUSE_DOCS, *args, norm=norm)
            if name == "transform":
                X = as_matrix(got, len(REUSE_DOCS), len(words), "transform", given)
            else:
                X = fitted(got, REUSE_DOCS, words, given)
            checks.equal(X[0::2], np.zeros((len(REUSE_DOCS) // 2, len(words))),
                         what=f"the rows of {name} for the documents '', '   ', '\\t\\n' and '' (no token: rows "
                              f"of zeros, written as such, not whatever the memory held)", given=given)


@pytest.mark.stability
def test_large_counts(solution):
    """A word repeated 70 000 times in a document is counted exactly (no small integer type)"""
    docs = ["apple " * 70_000 + "banana banana banana", "apple banana cherry", "cherry date"]
    words = ["apple", "banana", "cherry", "date"]
    given = "docs = ['apple ' * 70000 + 'banana banana banana', 'apple banana cherry', 'cherry date'], norm=None"
    X = fitted(solution.fit_transform(docs, smooth_idf=True, sublinear_tf=False, norm=None), docs, words, given)
    # Within a column the idf cancels: X[0, j] / X[1, j] is the ratio of the counts (module docstring's rtol).
    tol = rtol(3, np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1]]))
    for j, word, count in ((0, "apple", 70_000), (1, "banana", 3)):
        ratio = float(X[0, j] / X[1, j]) if X[1, j] != 0 else math.inf
        checks.that(abs(ratio - count) <= tol * count,
                    f"X[0, {word!r}] / X[1, {word!r}] for {given} should be the ratio of the counts, {count} / 1 "
                    f"(the idf cancels), got {ratio!r}: X[0, {word!r}] = {float(X[0, j])!r}, "
                    f"X[1, {word!r}] = {float(X[1, j])!r}. "
                    f"Count in an integer type that holds any count (int64), not uint8 / uint16 / int16.")


# -- performance ------------------------------------------------------------------------------------------

PERF_DOCS = 5_000
PERF_WORDS = 1_000
# The word pools, the idf given to transform and run r's documents come from budget.seed(...) of these seeds
# (the documents' from seed + r), under a secret drawn for the test: no file can build the documents (and their
# matrices), nor tables of the pool's tokens, before the grading. Every result is checked within rounding
# bounds, and the vocabulary is what the documents hold whatever the draw.
FIT_TRANSFORM_POOL_SEED, FIT_TRANSFORM_DOCS_SEED = 100, 101
TRANSFORM_POOL_SEED, TRANSFORM_IDF_SEED, TRANSFORM_DOCS_SEED = 200, 201, 202


# The timed documents are text that the stated tokeniser (lowercase, then (?u)\b\w\w+\b) turns back into the drawn
# words, one token per word, and no other plausible tokeniser does: a file that tells a timed call from another
# cannot answer it with a cheaper tokeniser that only suits the timed words. Each drawn word w (a pool word: an
# ASCII letter, then 1 to 8 \w characters that lower() leaves as they are: ASCII letters, digits, '_', letters of
# other alphabets) is written as
#     prefix + case(w) + suffix + separator,
# each part drawn on its own:
#   case       w, w.capitalize(), or w in upper case but for 'ß' ('STRAßE': 'ß'.upper() is 'SS'): lower() gives w;
#   prefix     '', '(', '[', a quote, "l'" (the 'l' is a single letter: no token), or 'İ' ('İ'.lower() is 'i' and
#              a combining dot, no \w: the 'i' stands alone and is dropped);
#   suffix     '', punctuation (, . ! ? ; : ) ] ... and quotes), or "'s" / "’s" (the 's' is dropped);
#   separator  ' ', two spaces, a tab, a newline, '-', '/', ' — ', ' & ', or a single letter between spaces
#              (' a ', ' I ': no token).
# Every prefix and separator ends with a character that is not \w, every suffix and separator starts with one (or is
# empty, and then the separator follows), so the runs of \w characters are exactly the words and the single letters,
# whichever parts meet: the tokens of a document are its drawn words, in order, so every correct solution gives the
# reference's result on every draw (at most 80 distinct words a row: the tolerance of the checks below). Wrong
# tokenisers fail every draw:
# - a part other than the plain one is drawn with probability at least 0.55% per word, a word of the transform's
#   vocabulary with probability 0.77 (the Zipf weight of the pool's words but every 4th), and a corpus has at least
#   100 000 words (250 000 on average): each part occurs with a word of the vocabulary at least once but with
#   probability below exp(-400). So a whitespace split (commas removed or punctuation stripped: "(w", "w.", "w's",
#   "v-w", "l'w" stay whole), tokenising before lowercasing ('İw'), and, in fit_transform's vocabulary, keeping
#   single letters ('a', 'i', 'l', 's'), count a word differently (or add one) in every timed call;
# - the pool's three most frequent words (6.1%, 4.4% and 3.5% of the words, all three in the transform's vocabulary)
#   hold 'ß', '_' and a digit: [a-z]+ or letters without digits and '_' split them, an ASCII-only \w drops 'ß',
#   casefold() makes it 'ss', in every timed call.
# tests/references/test_tfidf.py checks the tokens, scikit-learn's numbers, and that these tokenisers fail, on the
# timed corpora of sampled secrets.
FIRST_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# later characters: ASCII letters, digits, '_' and a few letters of other alphabets
LATER_CHARACTERS = FIRST_LETTERS * 8 + "0123456789" + "__" + "éüöñçøαжя" + "ßß"
SURE_SECOND = ("ß", "_", "7")        # the second characters of the pool's first three words
CASES = ("lower", "capitalised", "upper")
CASE_P = (0.8, 0.12, 0.08)
PREFIXES = ("", "(", "[", '"', "'", "“", "l'", "İ")
SUFFIXES = ("", ",", ".", "!", "?", ";", ":", ")", "]", "...", '"', "'", "”", "'s", "’s")
SEPARATORS = (" ", "  ", "\t", "\n", "-", "/", " — ", " & ", " a ", " I ")


def plain_first(count, plain):
    """Probabilities of `count` parts: the plain one (the first) `plain`, the others equal."""
    return np.array([plain] + [(1.0 - plain) / (count - 1)] * (count - 1))


# (case, prefix) and (suffix, separator) drawn as pairs: heads and tails, two draws per corpus
HEAD_P = np.outer(CASE_P, plain_first(len(PREFIXES), 0.95)).ravel()
TAIL_P = np.outer(plain_first(len(SUFFIXES), 0.9), plain_first(len(SEPARATORS), 0.95)).ravel()
TAILS = np.array([suffix + separator for suffix in SUFFIXES for separator in SEPARATORS], dtype=object)


def upper(word):
    return "".join(c if c == "ß" else c.upper() for c in word)


def cased(word):
    """The three case forms of `word`, in the order of CASES: each lowercases back to `word`."""
    return word, word.capitalize(), upper(word)


def pseudo_words(seed, count):
    """`count` distinct words of 2 to 9 characters: an ASCII letter, then letters (mostly ASCII), digits or '_';
    the first three (the most frequent in text_corpus) hold 'ß', '_' and a digit as their second character."""
    g = np.random.default_rng(seed)
    first = np.array(list(FIRST_LETTERS))
    later = np.array(list(LATER_CHARACTERS))
    out, seen = [], set()
    while len(out) < count:
        second = SURE_SECOND[len(out)] if len(out) < len(SURE_SECOND) else ""
        w = str(g.choice(first)) + second + "".join(g.choice(later, size=int(g.integers(1, 9)) - len(second)))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def text_corpus(seed, n, pool, with_words=False):
    """n documents of 20 to 80 words drawn from `pool` with Zipf-like frequencies, each word written as
    prefix + case form + suffix + separator (see above). The documents are joined from slices of one list: no
    per-document numpy arrays. with_words: (documents, the drawn words' indices in pool, the documents' lengths)."""
    g = np.random.default_rng(seed)
    V = len(pool)
    p = 1.0 / (np.arange(V) + 2.7)
    p /= p.sum()
    lengths = g.integers(20, 81, size=n)
    N = int(lengths.sum())
    words = g.choice(V, size=N, p=p)
    heads = g.choice(len(HEAD_P), size=N, p=HEAD_P)           # case * len(PREFIXES) + prefix
    tails = g.choice(len(TAILS), size=N, p=TAIL_P)
    forms = np.array([prefix + form for w in pool for form in cased(w) for prefix in PREFIXES], dtype=object)
    parts = np.empty(2 * N, dtype=object)                     # head, tail, head, tail, ...
    parts[0::2] = forms[len(HEAD_P) * words + heads]
    parts[1::2] = TAILS[tails]
    parts = parts.tolist()
    ends = (2 * np.cumsum(lengths)).tolist()
    docs = ["".join(parts[start:end]) for start, end in zip([0] + ends[:-1], ends)]
    return (docs, words, lengths) if with_words else docs


def check_timed_fit_transform(got, expected, call):
    docs = call.args[0]
    given = f"{len(docs)} documents of 20 to 80 tokens over {PERF_WORDS} words"
    vocabulary = list(expected[0])
    X = fitted(got, docs, vocabulary, given)
    # m <= 80 distinct words per row: the tolerance of the module docstring with m = 80.
    checks.close(X, expected[1], rtol=4 * EPS * (80 + 2 * math.log(len(docs) + 1) + 10), what="X", given=given)


@pytest.mark.performance
def test_fit_transform_time(budget):
    """fit_transform on 5 000 documents (1 000 words) within the time budget"""
    pool = pseudo_words(budget.seed(FIT_TRANSFORM_POOL_SEED), PERF_WORDS)
    budget.time("fit_transform",
                lambda run: Call(text_corpus(budget.seed(FIT_TRANSFORM_DOCS_SEED + run), PERF_DOCS, pool)),
                check=check_timed_fit_transform, repeats=3,
                label=f"fit_transform: {PERF_DOCS} documents of 20-80 tokens over {PERF_WORDS} words, default "
                      f"options, new documents per call")


TRANSFORM_VOCABULARY = PERF_WORDS * 3 // 4


def transform_vocabulary(pool):
    """The timed transform's vocabulary: the pool's words but every 4th (unseen), sorted."""
    return sorted(w for i, w in enumerate(pool) if i % 4 != 3)


def check_timed_transform(got, expected, call):
    docs = call.args[0]
    given = (f"{len(docs)} documents of 20 to 80 tokens over {PERF_WORDS} words, {TRANSFORM_VOCABULARY} of them in "
             f"the vocabulary, sublinear_tf=True, norm='l1'")
    X = as_matrix(got, len(docs), TRANSFORM_VOCABULARY, "transform", given)
    checks.close(X, expected, rtol=4 * EPS * (80 + 2 * math.log(len(docs) + 1) + 10), what="X", given=given)


@pytest.mark.performance
def test_transform_time(budget):
    """transform of 5 000 documents over a vocabulary of 750 words within the time budget"""
    pool = pseudo_words(budget.seed(TRANSFORM_POOL_SEED), PERF_WORDS)
    vocabulary = transform_vocabulary(pool)
    idf = 1.0 + budget.rng(TRANSFORM_IDF_SEED).random(TRANSFORM_VOCABULARY) * 5.0
    budget.time("transform",
                lambda run: Call(text_corpus(budget.seed(TRANSFORM_DOCS_SEED + run), PERF_DOCS, pool), vocabulary,
                                 idf, sublinear_tf=True, norm="l1"),
                check=check_timed_transform, repeats=3,
                label=f"transform: {PERF_DOCS} documents of 20-80 tokens over {PERF_WORDS} words, "
                      f"{TRANSFORM_VOCABULARY} of them in the vocabulary, sublinear_tf=True, norm='l1'")
