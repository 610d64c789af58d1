"""Counting with a dict of dicts in a plain Python loop over the tokens. Scoring maps the
tokens to indices with np.searchsorted in the sorted vocabulary (a numpy string array, so an
unknown word is one that does not land on itself), and finds the counts with a searchsorted
per side in the sorted pair keys; summed by math.fsum. Sampling by rng.random() and a
bisection in the cumulative sums of the row."""

import bisect
import itertools
import math

import numpy as np

START, END, UNK = "<s>", "</s>", "<unk>"


def _valid_k(k):
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not (0 < k < math.inf):
        try:
            k = float(k)
        except (TypeError, ValueError):
            raise ValueError("k must be a positive number") from None
        if not (0 < k < math.inf):
            raise ValueError("k must be a positive finite number")
    return float(k)


def _no_markers(sentence):
    for w in sentence:
        if w == START or w == END:
            raise ValueError("sentences may not contain <s> or </s>")


def fit_bigrams(sentences):
    table = {}
    words = set()
    for sentence in sentences:
        _no_markers(sentence)
        prev = START
        for w in sentence:
            words.add(w)
            row = table.setdefault(prev, {})
            row[w] = row.get(w, 0) + 1
            prev = w
        row = table.setdefault(prev, {})
        row[END] = row.get(END, 0) + 1
    vocab = sorted(words | {END, UNK})
    index = {w: i for i, w in enumerate(vocab)}
    index[START] = len(vocab)
    triples = sorted((index[a], index[b], c) for a, row in table.items() for b, c in row.items())
    prev = np.array([t[0] for t in triples], dtype=np.int64)
    nxt = np.array([t[1] for t in triples], dtype=np.int64)
    count = np.array([t[2] for t in triples], dtype=np.int64)
    return {"vocab": vocab, "prev": prev, "next": nxt, "count": count}


def _tables(model):
    vocab = [str(w) for w in model["vocab"]]
    index = {w: i for i, w in enumerate(vocab)}
    pairs = {}
    totals = {}
    for a, b, c in zip(np.asarray(model["prev"]).tolist(), np.asarray(model["next"]).tolist(),
                       np.asarray(model["count"]).tolist()):
        pairs[(a, b)] = c
        totals[a] = totals.get(a, 0) + c
    return vocab, index, pairs, totals


def _log_probs(model, sentences, k):
    """log P of every bigram of the sentences (a numpy array)."""
    vocab = np.array([str(w) for w in model["vocab"]])
    V = len(vocab)
    unk = int(np.searchsorted(vocab, UNK))
    end = int(np.searchsorted(vocab, END))
    tokens = np.array([w for s in sentences for w in s], dtype=str)
    pos = np.minimum(np.searchsorted(vocab, tokens), V - 1)
    ids = np.where(vocab[pos] == tokens, pos, unk)
    lengths = np.array([len(s) for s in sentences], dtype=np.int64)
    # Every sentence becomes <s> ids... </s>: prev and next of its len + 1 bigrams.
    starts = np.cumsum(lengths + 1) - (lengths + 1)
    n = int((lengths + 1).sum())
    nxt = np.full(n, end, dtype=np.int64)
    prev = np.full(n, V, dtype=np.int64)
    word_slots = np.repeat(starts, lengths) + (np.arange(len(ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths))
    nxt[word_slots] = ids
    prev[word_slots + 1] = ids
    mprev = np.asarray(model["prev"], dtype=np.int64)
    mnext = np.asarray(model["next"], dtype=np.int64)
    mcount = np.asarray(model["count"], dtype=np.float64)
    keys = mprev * V + mnext
    order = np.argsort(keys)
    keys, counts = keys[order], mcount[order]
    totals = np.zeros(V + 1)
    np.add.at(totals, mprev, mcount)
    q = prev * V + nxt
    lo = np.searchsorted(keys, q, side="left")
    hi = np.searchsorted(keys, q, side="right")
    c = np.where(hi > lo, counts[np.minimum(lo, max(len(keys) - 1, 0))] if len(keys) else 0.0, 0.0)
    return np.log(c + k) - np.log(totals[prev] + k * V)


def sentence_log_prob(model, sentence, k=1.0):
    k = _valid_k(k)
    sentence = list(sentence)
    _no_markers(sentence)
    return math.fsum(_log_probs(model, [sentence], k).tolist())


def perplexity(model, sentences, k=1.0):
    k = _valid_k(k)
    sentences = [list(s) for s in sentences]
    for s in sentences:
        _no_markers(s)
    if not sentences:
        raise ValueError("no sentences")
    terms = _log_probs(model, sentences, k)
    return math.exp(-math.fsum(terms.tolist()) / len(terms))


def sample_sentence(model, rng, k=1.0, max_len=50):
    k = _valid_k(k)
    if not isinstance(max_len, (int, np.integer)) or isinstance(max_len, bool) or max_len < 0:
        raise ValueError("max_len must be an integer >= 0")
    vocab, index, pairs, totals = _tables(model)
    V = len(vocab)
    rows = {}
    for (a, b), c in pairs.items():
        rows.setdefault(a, {})[b] = c
    words = []
    context = V
    while len(words) < max_len:
        row = rows.get(context, {})
        denom = totals.get(context, 0) + k * V
        cdf = list(itertools.accumulate((row.get(j, 0) + k) / denom for j in range(V)))
        u = rng.random()
        j = min(bisect.bisect_right([c / cdf[-1] for c in cdf], u), V - 1)
        if vocab[j] == END:
            break
        words.append(vocab[j])
        context = j
    return words
