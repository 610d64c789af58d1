"""Counting with a Counter of word pairs in a plain Python loop. Scoring is a Python loop over the
bigrams with two math.log per bigram, log(c(v, w) + k) - log(c(v) + k |V|), the formula as the task
states it, from dicts built once per call; summed by math.fsum. Sampling builds the row of the
context with np.add.at and draws with rng.choice(V, p=...)."""

import math
from collections import Counter

import numpy as np

START, END, UNK = "<s>", "</s>", "<unk>"


def _check_sentence(s):
    for w in s:
        if w == START or w == END:
            raise ValueError("marker in sentence")


def _check_k(k):
    if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)):
        raise ValueError("k must be a number")
    k = float(k)
    if not (math.isfinite(k) and k > 0):
        raise ValueError("k must be positive finite")
    return k


def fit_bigrams(sentences):
    pairs = Counter()
    words = set()
    for s in sentences:
        _check_sentence(s)
        words.update(s)
        prev = START
        for w in s:
            pairs[(prev, w)] += 1
            prev = w
        pairs[(prev, END)] += 1
    vocab = sorted(words | {END, UNK})
    idx = {w: i for i, w in enumerate(vocab)}
    idx[START] = len(vocab)
    rows = sorted((idx[a], idx[b], c) for (a, b), c in pairs.items())
    if rows:
        arr = np.array(rows, dtype=np.int64)
        prev, nxt, cnt = arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy()
    else:
        prev = np.zeros(0, np.int64); nxt = np.zeros(0, np.int64); cnt = np.zeros(0, np.int64)
    return {"vocab": vocab, "prev": prev, "next": nxt, "count": cnt}


class _Tables:
    def __init__(self, model):
        self.vocab = list(model["vocab"])
        self.V = len(self.vocab)
        self.idx = {w: i for i, w in enumerate(self.vocab)}
        self.unk = self.idx[UNK]
        prev = np.asarray(model["prev"]).tolist()
        nxt = np.asarray(model["next"]).tolist()
        cnt = np.asarray(model["count"]).tolist()
        self.pair = {}
        self.ctx = {}
        for p, n, c in zip(prev, nxt, cnt):
            self.pair[(p, n)] = c
            self.ctx[p] = self.ctx.get(p, 0) + c

    def logp_sentence(self, s, k):
        V = self.V
        idx = self.idx
        unk = self.unk
        pair = self.pair
        ctx = self.ctx
        kV = k * V
        terms = []
        p = V  # <s>
        for w in s:
            n = idx.get(w, unk)
            terms.append(math.log(pair.get((p, n), 0) + k) - math.log(ctx.get(p, 0) + kV))
            p = n
        n = idx[END]
        terms.append(math.log(pair.get((p, n), 0) + k) - math.log(ctx.get(p, 0) + kV))
        return terms


def sentence_log_prob(model, sentence, k=1.0):
    k = _check_k(k)
    _check_sentence(sentence)
    t = _Tables(model)
    return float(math.fsum(t.logp_sentence(sentence, k)))


def perplexity(model, sentences, k=1.0):
    k = _check_k(k)
    for s in sentences:
        _check_sentence(s)
    N = sum(len(s) + 1 for s in sentences)
    if N == 0:
        raise ValueError("no sentences")
    t = _Tables(model)
    terms = []
    for s in sentences:
        terms.extend(t.logp_sentence(s, k))
    L = math.fsum(terms)
    return float(math.exp(-L / N))


def sample_sentence(model, rng, k=1.0, max_len=50):
    k = _check_k(k)
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)):
        raise ValueError("max_len must be an integer")
    max_len = int(max_len)
    if max_len < 0:
        raise ValueError("max_len must be >= 0")
    vocab = list(model["vocab"])
    V = len(vocab)
    prev = np.asarray(model["prev"])
    nxt = np.asarray(model["next"])
    cnt = np.asarray(model["count"])
    end = vocab.index(END)
    out = []
    ctx = V
    while len(out) < max_len:
        m = prev == ctx
        row = np.zeros(V, dtype=np.float64)
        np.add.at(row, nxt[m], cnt[m].astype(np.float64))
        p = (row + k) / (row.sum() + k * V)
        j = int(rng.choice(V, p=p))
        if j == end:
            break
        out.append(vocab[j])
        ctx = j
    return out
