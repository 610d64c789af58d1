"""Correct, unlike the reference: the ListNet loss from a per-list
log-sum-exp (masked exps summed with np.where, log-probabilities z - lse
and zeros at masked entries); NDCG element by element, as in McSherry and
Najork: one np.argsort of -score along the rows (flattened with row offsets), each entry's tie group found by
running maximum / minimum accumulations of the group boundaries, and the
group's discount sum read from a cumulative sum of the discounts, so each
entry contributes gain * (sum of its group's discounts) / group size."""

import numpy as np


def _prepare(y_true, y_pred, mask):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim != 2 or y_pred.ndim != 2 or y_true.shape != y_pred.shape:
        raise ValueError("y_true and the scores must be 2-D arrays of the same shape")
    mask = np.full(y_true.shape, True) if mask is None else np.asarray(mask).astype(bool)
    if mask.shape != y_true.shape:
        raise ValueError("mask has the wrong shape")
    if y_true.shape[0] < 1 or not np.all(mask.any(axis=1)):
        raise ValueError("each list needs a valid entry")
    return y_true, y_pred, mask


def _log_probs(z, mask):
    m = np.max(np.where(mask, z, -np.inf), axis=1, keepdims=True)
    e = np.where(mask, np.exp(np.where(mask, z - m, 0.0)), 0.0)
    lse = m + np.log(e.sum(axis=1, keepdims=True))
    return np.where(mask, z - lse, 0.0)


def listnet_loss(y_true, y_pred, mask=None):
    y_true, y_pred, mask = _prepare(y_true, y_pred, mask)
    b = y_true.shape[0]
    lp = _log_probs(y_true, mask)
    lq = _log_probs(y_pred, mask)
    p = np.where(mask, np.exp(lp), 0.0)
    q = np.where(mask, np.exp(lq), 0.0)
    kl = np.sum(p * (lp - lq)) / b
    return kl, (q - p) / b


def ndcg_at_k(y_true, y_score, k=None, mask=None):
    y_true, y_score, mask = _prepare(y_true, y_score, mask)
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer))):
        raise ValueError("k must be an integer")
    if k is not None and k < 1:
        raise ValueError("k must be at least 1")
    if (y_true[mask] < 0).any():
        raise ValueError("negative relevance")
    b, n = y_true.shape
    lengths = mask.sum(axis=1)
    cut = lengths if k is None else np.minimum(lengths, k)
    # Row-major order of (row, decreasing score); masked entries after the valid ones of their row.
    keyed = np.where(mask, -y_score, np.inf)
    order = (np.argsort(keyed, axis=1) + (n * np.arange(b))[:, None]).ravel()
    srt = keyed.ravel()[order]
    gains = np.where(mask, y_true, 0.0).ravel()[order]
    pos = np.tile(np.arange(n), b)
    row = np.repeat(np.arange(b), n)
    disc = np.where(pos < cut[row], 1.0 / np.log2(pos + 2.0), 0.0)
    new = np.ones(b * n, dtype=bool)
    new[1:] = (srt[1:] != srt[:-1]) | (pos[1:] == 0)
    idx = np.arange(b * n)
    start = np.maximum.accumulate(np.where(new, idx, 0))
    last = np.ones(b * n, dtype=bool)
    last[:-1] = new[1:]
    end = np.minimum.accumulate(np.where(last, idx, b * n - 1)[::-1])[::-1]
    cdisc = np.concatenate([[0.0], np.cumsum(disc)])
    group_disc = cdisc[end + 1] - cdisc[start]
    dcg = np.bincount(row, weights=gains * group_disc / (end - start + 1), minlength=b)
    ideal = np.sort(np.where(mask, y_true, 0.0), axis=1)[:, ::-1]
    keep = np.arange(n)[None, :] < cut[:, None]
    idcg = np.sum(np.where(keep, ideal / np.log2(np.arange(n) + 2.0)[None, :], 0.0), axis=1)
    safe = np.where(idcg > 0, idcg, 1.0)
    return float(np.mean(np.where(idcg > 0, dcg / safe, 0.0)))
