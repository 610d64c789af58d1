"""Counting with numpy on string arrays: np.unique of all the framed tokens (return_inverse)
gives the sorted vocabulary and the token indices at once, and a second np.unique of integer
pair keys counts the bigrams. Scoring looks the counts up in a dict of pair keys through
map(dict.get) over the whole corpus, with c(v) from np.add.at; log-probabilities summed
with np.sum. Sampling draws u = rng.random() itself and places it in the normalised
cumulative sums."""

import math

import numpy as np

START, END, UNK = "<s>", "</s>", "<unk>"


def _k(k):
    try:
        k = float(k)
    except (TypeError, ValueError):
        raise ValueError("k must be a number") from None
    if not math.isfinite(k) or k <= 0:
        raise ValueError("k must be positive and finite")
    return k


def _clean(sentences):
    out = []
    for s in sentences:
        s = list(s)
        if any(w in (START, END) for w in s):
            raise ValueError("markers are not allowed in a sentence")
        out.append(s)
    return out


def fit_bigrams(sentences):
    sentences = _clean(sentences)
    flat = [END, UNK]                                   # both always belong to the vocabulary
    for s in sentences:
        flat.append(START)
        flat.extend(s)
        flat.append(END)
    tokens = np.array(flat, dtype=str)
    uniq, inv = np.unique(tokens, return_inverse=True)
    inv = inv.ravel()
    start_pos = int(np.searchsorted(uniq, START))
    has_start = start_pos < len(uniq) and uniq[start_pos] == START
    vocab = [str(w) for w in uniq if w != START]
    V = len(vocab)
    if has_start:
        # Remove <s> from the numbering: it becomes V; the tokens after it move down by one.
        ids = np.where(inv == start_pos, V, inv - (inv > start_pos))
    else:
        ids = inv
    ids = ids[2:].astype(np.int64)                       # drop the two seeds
    if len(ids) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return {"vocab": vocab, "prev": empty, "next": empty.copy(), "count": empty.copy()}
    end = vocab.index(END)
    prev, nxt = ids[:-1], ids[1:]
    keep = prev != end
    keys, counts = np.unique(prev[keep] * V + nxt[keep], return_counts=True)
    return {"vocab": vocab, "prev": keys // V, "next": keys % V, "count": counts.astype(np.int64)}


def _log_terms(model, sentences, k):
    vocab = [str(w) for w in model["vocab"]]
    V = len(vocab)
    index = dict(zip(vocab, range(V)))
    unk, end = index[UNK], index[END]
    prev = np.asarray(model["prev"], dtype=np.int64)
    nxt = np.asarray(model["next"], dtype=np.int64)
    cnt = np.asarray(model["count"], dtype=np.int64)
    table = dict(zip((prev * V + nxt).tolist(), cnt.tolist()))
    totals = np.zeros(V + 1)
    np.add.at(totals, prev, cnt)
    get = index.get
    ctx, tok = [], []
    for s in sentences:
        ids = [get(w, unk) for w in s]
        ctx.append(V)
        ctx.extend(ids)
        tok.extend(ids)
        tok.append(end)
    ctx = np.array(ctx, dtype=np.int64)
    tok = np.array(tok, dtype=np.int64)
    q = (ctx * V + tok).tolist()
    c = np.fromiter(map(table.get, q, [0] * len(q)), dtype=np.float64, count=len(q))
    return np.log(c + k) - np.log(totals[ctx] + k * V)


def sentence_log_prob(model, sentence, k=1.0):
    k = _k(k)
    return float(np.sum(_log_terms(model, _clean([sentence]), k)))


def perplexity(model, sentences, k=1.0):
    k = _k(k)
    sentences = _clean(sentences)
    if not sentences:
        raise ValueError("N = 0")
    terms = _log_terms(model, sentences, k)
    return math.exp(-float(np.sum(terms)) / terms.size)


def sample_sentence(model, rng, k=1.0, max_len=50):
    k = _k(k)
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 0:
        raise ValueError("max_len must be a non-negative integer")
    vocab = [str(w) for w in model["vocab"]]
    V = len(vocab)
    prev = np.asarray(model["prev"], dtype=np.int64)
    nxt = np.asarray(model["next"], dtype=np.int64)
    cnt = np.asarray(model["count"], dtype=np.float64)
    out = []
    context = V
    while len(out) < max_len:
        mine = prev == context
        row = np.zeros(V)
        row[nxt[mine]] = cnt[mine]
        p = (row + k) / (row.sum() + k * V)
        cdf = np.cumsum(p)
        j = int(np.searchsorted(cdf / cdf[-1], rng.random(), side="right"))
        if vocab[j] == END:
            break
        out.append(vocab[j])
        context = j
    return out
