"""The perplexity's N leaves out the words not in the vocabulary (their log-probabilities as <unk> are
still in L), though N counts every word plus one </s> per sentence."""

CAUGHT_BY = (
    'test_perplexity_counts_words_and_end',
)

import math

import numpy as np

START, END, UNK = "<s>", "</s>", "<unk>"


def _check_k(k):
    if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)) \
            or not math.isfinite(k) or k <= 0:
        raise ValueError(f"k must be a positive finite number, got {k!r}")
    return float(k)


def _check_sentences(sentences):
    """The sentences as lists, or ValueError when one contains a marker."""
    out = [list(s) for s in sentences]
    for s in out:
        if START in s or END in s:
            raise ValueError(f"a sentence may not contain {START!r} or {END!r}: they are added by the model")
    return out


def fit_bigrams(sentences):
    """The bigram counts of the sentences, each framed as <s> w1 ... wn </s>.

    Returns {"vocab": sorted training words plus "</s>" and "<unk>" (a list
    of str), "prev", "next", "count": int64 arrays listing every bigram seen
    once, sorted by (prev, next)}; context index len(vocab) is <s>.
    """
    sentences = _check_sentences(sentences)
    words = set()
    for s in sentences:
        words.update(s)
    vocab = sorted(words | {END, UNK})
    V = len(vocab)
    index = {w: i for i, w in enumerate(vocab)}
    index[START] = V
    flat = [START]
    for s in sentences:
        flat.extend(s)
        flat.append(END)
        flat.append(START)
    ids = np.array([index[w] for w in flat], dtype=np.int64)
    prev, nxt = ids[:-1], ids[1:]
    keep = prev != index[END]                  # the pair </s> <s> joins two sentences
    keys, count = np.unique(prev[keep] * (V + 1) + nxt[keep], return_counts=True)
    return {"vocab": vocab, "prev": (keys // (V + 1)).astype(np.int64),
            "next": (keys % (V + 1)).astype(np.int64), "count": count.astype(np.int64)}


def _prepare(model):
    """(vocab, index, sorted pair keys, their counts, the row totals c(v)) of a model."""
    vocab = [str(w) for w in model["vocab"]]
    V = len(vocab)
    index = {w: i for i, w in enumerate(vocab)}
    prev = np.asarray(model["prev"], dtype=np.int64)
    nxt = np.asarray(model["next"], dtype=np.int64)
    count = np.asarray(model["count"], dtype=np.float64)
    keys = prev * V + nxt
    order = np.argsort(keys, kind="stable")
    totals = np.bincount(prev, weights=count, minlength=V + 1)
    return vocab, index, keys[order], count[order], totals


def _bigram_log_probs(prepared, prev_ids, next_ids, k):
    """log P(next | prev) of every pair, add-k smoothed over the vocabulary."""
    vocab, _, keys, count, totals = prepared
    V = len(vocab)
    q = prev_ids * V + next_ids
    pos = np.minimum(np.searchsorted(keys, q), max(len(keys) - 1, 0))
    c = np.where(keys[pos] == q, count[pos], 0.0) if len(keys) else np.zeros(len(q))
    return np.log(c + k) - np.log(totals[prev_ids] + k * V)


def _pairs(prepared, sentences):
    """(prev ids, next ids) of every bigram of the sentences, unknown words as <unk>."""
    vocab, index, _, _, _ = prepared
    V = len(vocab)
    unk, end = index[UNK], index[END]
    flat = [V]
    for s in sentences:
        flat.extend([index.get(w, unk) for w in s])
        flat.append(end)
        flat.append(V)
    ids = np.array(flat, dtype=np.int64)
    prev, nxt = ids[:-1], ids[1:]
    keep = prev != end
    return prev[keep], nxt[keep]


def sentence_log_prob(model, sentence, k=1.0):
    """Natural log of P(w1 ... wn </s> | <s>), add-k smoothed; unknown words count as <unk>."""
    k = _check_k(k)
    sentences = _check_sentences([sentence])
    prepared = _prepare(model)
    return float(np.sum(_bigram_log_probs(prepared, *_pairs(prepared, sentences), k)))


def perplexity(model, sentences, k=1.0):
    """exp(-(sum of the sentences' log-probabilities) / N), N = words + one </s> per sentence."""
    k = _check_k(k)
    sentences = _check_sentences(sentences)
    if not sentences:
        raise ValueError("the perplexity of no sentences is undefined (N = 0)")
    prepared = _prepare(model)
    prev, nxt = _pairs(prepared, sentences)
    n_oov = sum(w not in prepared[1] for s in sentences for w in s)
    return float(np.exp(-np.sum(_bigram_log_probs(prepared, prev, nxt, k)) / (len(nxt) - n_oov)))


def sample_sentence(model, rng, k=1.0, max_len=50):
    """Words drawn from the model from <s> until </s> (not returned) or max_len words."""
    k = _check_k(k)
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 0:
        raise ValueError(f"max_len must be an integer >= 0, got {max_len!r}")
    vocab, index, _, _, totals = _prepare(model)
    V = len(vocab)
    prev = np.asarray(model["prev"], dtype=np.int64)
    nxt = np.asarray(model["next"], dtype=np.int64)
    count = np.asarray(model["count"], dtype=np.float64)
    order = np.lexsort((nxt, prev))
    prev, nxt, count = prev[order], nxt[order], count[order]
    end = index[END]
    words, context = [], V
    while len(words) < max_len:
        lo, hi = np.searchsorted(prev, [context, context + 1])
        row = np.zeros(V)
        row[nxt[lo:hi]] = count[lo:hi]
        p = (row + k) / (totals[context] + k * V)
        j = int(rng.choice(V, p=p))
        if j == end:
            break
        words.append(vocab[j])
        context = j
    return words
