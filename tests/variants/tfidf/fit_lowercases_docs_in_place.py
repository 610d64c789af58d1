"""fit lowercases the documents in place (docs[i] = doc.lower()) before
tokenising them, although the inputs are never modified: the caller's list
of documents comes back changed. fit_transform and transform take another
path and leave it alone."""

import re
from itertools import chain, repeat

import numpy as np

CAUGHT_BY = ('test_inputs_unchanged',)

TOKEN = re.compile(r"(?u)\b\w\w+\b")
NORMS = ("l2", "l1", None)


def tokenize(doc):
    """The tokens of one document, in order: lowercase first, then the regex."""
    return TOKEN.findall(doc.lower())


def _check_norm(norm):
    if not (norm is None or (isinstance(norm, str) and norm in ("l2", "l1"))):
        raise ValueError(f"norm must be 'l2', 'l1' or None, got {norm!r}")


def _tokens(docs):
    return [TOKEN.findall(doc.lower()) for doc in docs]


def _counts(tokens, index, all_known=False):
    """Dense (n, V) float64 counts of the words of `index` (word -> column) in each document's
    tokens; other words are ignored (all_known: every token is in index)."""
    n, V = len(tokens), len(index)
    lengths = np.fromiter(map(len, tokens), dtype=np.intp, count=n)
    flat = chain.from_iterable(tokens)
    if all_known:
        cols = np.fromiter(map(index.__getitem__, flat), dtype=np.intp, count=int(lengths.sum()))
    else:
        cols = np.fromiter(map(index.get, flat, repeat(-1)), dtype=np.intp, count=int(lengths.sum()))
    rows = np.repeat(np.arange(n, dtype=np.intp), lengths)
    if not all_known:
        known = cols >= 0
        rows, cols = rows[known], cols[known]
    keys = rows * V + cols
    # Weights of 1.0 make bincount count straight into float64 (no int64 matrix to convert); without
    # any key it returns int64 zeros, hence the (then free) astype.
    counts = np.bincount(keys, weights=np.ones(len(keys)), minlength=n * V)
    return counts.reshape(n, V).astype(np.float64, copy=False)


def _vocabulary(tokens):
    words = set(chain.from_iterable(tokens))
    if not words:
        raise ValueError("empty vocabulary: no document has a token of two or more word characters")
    vocabulary = sorted(words)
    return vocabulary, dict(zip(vocabulary, range(len(vocabulary))))


def _idf(counts, smooth_idf):
    n = counts.shape[0]
    df = np.count_nonzero(counts, axis=0)
    s = 1 if smooth_idf else 0
    return np.log((n + s) / (df + s)) + 1.0


def _weight(counts, idf, sublinear_tf, norm):
    """tf * idf, normalised by rows, computed in place in `counts`."""
    X = counts
    if sublinear_tf:
        present = X > 0
        np.log(X, out=X, where=present)
        X[present] += 1.0
    X *= idf
    if norm is not None:
        if norm == "l2":
            norms = np.sqrt(np.einsum("ij,ij->i", X, X))
        else:
            norms = X.sum(axis=1)              # every entry is >= 0
        norms[norms == 0.0] = 1.0              # an empty row stays 0 (not 0 / 0)
        X /= norms[:, None]
    return X


def fit(docs, smooth_idf=True):
    """(vocabulary, idf): the sorted list of the corpus's words and their idf (float64, (V,))."""
    for i, doc in enumerate(docs):
        docs[i] = doc.lower()
    tokens = _tokens(docs)
    vocabulary, index = _vocabulary(tokens)
    return vocabulary, _idf(_counts(tokens, index, all_known=True), smooth_idf)


def transform(docs, vocabulary, idf, sublinear_tf=False, norm="l2"):
    """(n_docs, V) float64 tf-idf of docs over a fitted vocabulary and idf; unseen words are ignored."""
    _check_norm(norm)
    index = dict(zip(vocabulary, range(len(vocabulary))))
    idf = np.asarray(idf, dtype=np.float64)
    return _weight(_counts(_tokens(docs), index), idf, sublinear_tf, norm)


def fit_transform(docs, smooth_idf=True, sublinear_tf=False, norm="l2"):
    """(vocabulary, X): fit on docs and transform them, counting the tokens once."""
    _check_norm(norm)
    tokens = _tokens(docs)
    vocabulary, index = _vocabulary(tokens)
    counts = _counts(tokens, index, all_known=True)
    idf = _idf(counts, smooth_idf)
    return vocabulary, _weight(counts, idf, sublinear_tf, norm)
