"""Correct, unlike the reference: numpy does the vocabulary. All tokens go
into one string array; np.unique(..., return_inverse=True) gives the sorted
vocabulary and every token's column at once; counts by np.add.at into the
dense matrix; transform finds columns with np.searchsorted and keeps only
the tokens that really are vocabulary words; the idf as
ln(1 + n) - ln(1 + df) + 1; norms with np.linalg.norm and a masked
division."""

import re

import numpy as np

_WORD = re.compile(r"(?u)\b\w\w+\b")


def tokenize(doc):
    return _WORD.findall(doc.lower())


def _norm_ok(norm):
    if not (norm is None or norm == "l2" or norm == "l1"):
        raise ValueError(f"norm={norm!r}: use 'l2', 'l1' or None")


def _flat(docs):
    lists = [tokenize(d) for d in docs]
    lengths = np.array([len(t) for t in lists], dtype=np.int64)
    flat = [t for ts in lists for t in ts]
    rows = np.repeat(np.arange(len(lists)), lengths)
    return np.array(flat, dtype=str) if flat else np.array([], dtype="<U1"), rows


def _dense(rows, cols, n, V):
    C = np.zeros((n, V))
    np.add.at(C, (rows, cols), 1.0)
    return C


def _idf(C, smooth_idf):
    n = C.shape[0]
    df = (C > 0).sum(axis=0)
    if smooth_idf:
        return np.log1p(n) - np.log1p(df) + 1.0
    return np.log(n) - np.log(df) + 1.0


def _finish(C, idf, sublinear_tf, norm):
    if sublinear_tf:
        tf = np.zeros_like(C)
        pos = C > 0
        tf[pos] = np.log(C[pos]) + 1.0
    else:
        tf = C
    X = tf * idf[None, :]
    if norm is None:
        return X
    size = np.linalg.norm(X, ord=2 if norm == "l2" else 1, axis=1, keepdims=True)
    return np.divide(X, size, out=np.zeros_like(X), where=size > 0)


def _fit_counts(docs):
    tokens, rows = _flat(docs)
    if tokens.size == 0:
        raise ValueError("no token in the corpus: empty vocabulary")
    vocab, cols = np.unique(tokens, return_inverse=True)
    return [str(w) for w in vocab], _dense(rows, cols.ravel(), len(docs), len(vocab))


def fit(docs, smooth_idf=True):
    vocabulary, C = _fit_counts(docs)
    return vocabulary, _idf(C, smooth_idf)


def transform(docs, vocabulary, idf, sublinear_tf=False, norm="l2"):
    _norm_ok(norm)
    vocab = np.array(list(vocabulary), dtype=str)
    tokens, rows = _flat(docs)
    pos = np.searchsorted(vocab, tokens)
    inside = pos < len(vocab)
    known = np.zeros(len(tokens), dtype=bool)
    known[inside] = vocab[pos[inside]] == tokens[inside]
    C = _dense(rows[known], pos[known], len(docs), len(vocab))
    return _finish(C, np.asarray(idf, dtype=np.float64), sublinear_tf, norm)


def fit_transform(docs, smooth_idf=True, sublinear_tf=False, norm="l2"):
    _norm_ok(norm)
    vocabulary, C = _fit_counts(docs)
    return vocabulary, _finish(C, _idf(C, smooth_idf), sublinear_tf, norm)
