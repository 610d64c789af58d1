"""Correct, unlike the reference: plain Python counting. A collections.Counter
per document, df from a Counter over each document's set of words, the dense
matrix filled entry by entry over the non-zero (document, word) pairs only,
sublinear tf with math.log per entry, and the norms taken row by row with a
guard for empty rows."""

import math
import re
from collections import Counter

import numpy as np

_PATTERN = re.compile(r"(?u)\b\w\w+\b")


def tokenize(doc):
    return _PATTERN.findall(doc.lower())


def _validate(norm):
    if norm not in ("l2", "l1", None) or (norm is not None and not isinstance(norm, str)):
        raise ValueError("unsupported norm %r" % (norm,))


def _bags(docs):
    return [Counter(tokenize(d)) for d in docs]


def _learn(bags, smooth_idf):
    df = Counter()
    for bag in bags:
        df.update(bag.keys())
    if not df:
        raise ValueError("empty vocabulary")
    words = sorted(df)
    n = len(bags) + (1 if smooth_idf else 0)
    extra = 1 if smooth_idf else 0
    idf = np.array([math.log(n / (df[w] + extra)) + 1.0 for w in words])
    return words, idf


def _matrix(bags, words, idf, sublinear_tf, norm):
    column = {w: j for j, w in enumerate(words)}
    X = np.zeros((len(bags), len(words)))
    for i, bag in enumerate(bags):
        for w, c in bag.items():
            j = column.get(w)
            if j is None:
                continue
            tf = 1.0 + math.log(c) if sublinear_tf else float(c)
            X[i, j] = tf * idf[j]
        if norm is not None:
            row = X[i]
            total = math.sqrt(float(row @ row)) if norm == "l2" else float(np.abs(row).sum())
            if total > 0:
                X[i] = row / total
    return X


def fit(docs, smooth_idf=True):
    return _learn(_bags(docs), smooth_idf)


def transform(docs, vocabulary, idf, sublinear_tf=False, norm="l2"):
    _validate(norm)
    return _matrix(_bags(docs), list(vocabulary), np.asarray(idf, dtype=float), sublinear_tf, norm)


def fit_transform(docs, smooth_idf=True, sublinear_tf=False, norm="l2"):
    _validate(norm)
    bags = _bags(docs)
    words, idf = _learn(bags, smooth_idf)
    return words, _matrix(bags, words, idf, sublinear_tf, norm)
