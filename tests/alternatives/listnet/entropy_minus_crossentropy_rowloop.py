"""Correct, unlike the reference: the KL as the negative entropy of P minus
the cross-entropy term, sum P log P - sum P log Q, each computed with the
log-softmax at valid entries only (boolean indexing of a flat buffer row
by row is avoided: masked entries are filled with -inf and xlogy-like
guards use np.where); NDCG with a Python loop over the lists, each with
np.unique (inverse indices and counts) for its tie groups, like
scikit-learn's own implementation."""

import numpy as np


def _arrays(a, b, mask):
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"shapes {a.shape} and {b.shape}: expected two equal (B, L) shapes")
    if mask is None:
        mask = np.ones(a.shape, dtype=bool)
    mask = np.array(mask, dtype=bool)
    if mask.shape != a.shape or a.shape[0] == 0 or (~mask).all(axis=1).any():
        raise ValueError("bad mask, or a list without valid entries")
    return a, b, mask


def _log_softmax(z, mask):
    z = np.where(mask, z, -np.inf)
    m = z.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        s = z - m
    return s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))


def listnet_loss(y_true, y_pred, mask=None):
    t, s, mask = _arrays(y_true, y_pred, mask)
    lp, lq = _log_softmax(t, mask), _log_softmax(s, mask)
    p, q = np.exp(lp), np.exp(lq)
    use = p > 0
    neg_entropy = np.sum(p[use] * lp[use])
    cross = np.sum(p[use] * lq[use])
    b = t.shape[0]
    return (neg_entropy - cross) / b, (q - p) / b


def ndcg_at_k(y_true, y_score, k=None, mask=None):
    t, s, mask = _arrays(y_true, y_score, mask)
    if k is not None and not np.issubdtype(type(k), np.integer):   # Python and numpy integers; bool is not one
        raise ValueError("k is not an integer")
    if k is not None and int(k) < 1:
        raise ValueError("k < 1")
    if np.any(t[mask] < 0):
        raise ValueError("negative relevance")
    n = t.shape[1]
    disc = 1.0 / np.log2(np.arange(n) + 2.0)
    if k is not None:
        disc[k:] = 0.0
    cum = np.cumsum(disc)
    out = np.empty(t.shape[0])
    for i in range(t.shape[0]):
        rel, sc = t[i][mask[i]], s[i][mask[i]]
        _, inv, counts = np.unique(-sc, return_inverse=True, return_counts=True)
        mean_gain = np.bincount(inv, weights=rel) / counts
        ends = np.cumsum(counts) - 1
        group_disc = np.diff(np.concatenate([[0.0], cum[ends]]))
        dcg = float(mean_gain @ group_disc)
        idcg = float(np.sort(rel)[::-1] @ disc[:len(rel)])
        out[i] = dcg / idcg if idcg > 0 else 0.0
    return out.mean()
