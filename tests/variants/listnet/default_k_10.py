"""Has k=10 as the default of ndcg_at_k instead of None: called without k, it
counts only the first 10 positions of each list, although k=None (the
default) means every position counts. Lists of 10 entries or fewer hide it."""

import numpy as np

CAUGHT_BY = ('test_ndcg_without_ties',)

def _check(y_true, y_pred, mask):
    """float64 copies of the inputs and a boolean mask, or ValueError."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim != 2 or y_true.shape != y_pred.shape:
        raise ValueError(f"expected two 2-D arrays (B, L) of the same shape, got {y_true.shape} and {y_pred.shape}")
    if mask is None:
        mask = np.ones(y_true.shape, dtype=bool)
    else:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != y_true.shape:
            raise ValueError(f"mask must have shape {y_true.shape}, got {mask.shape}")
    if y_true.shape[0] == 0 or not mask.any(axis=1).all():
        raise ValueError("every list needs at least one valid entry (and the batch at least one list)")
    return y_true, y_pred, mask


def _log_softmax(z, mask):
    """Log-softmax of each row over its valid entries; -inf at masked entries."""
    z = np.where(mask, z, -np.inf)
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def listnet_loss(y_true, y_pred, mask=None):
    """(mean over lists of KL(softmax(y_true) || softmax(y_pred)), gradient w.r.t. y_pred)."""
    y_true, y_pred, mask = _check(y_true, y_pred, mask)
    log_p = _log_softmax(y_true, mask)
    log_q = _log_softmax(y_pred, mask)
    p = np.exp(log_p)
    q = np.exp(log_q)
    with np.errstate(invalid="ignore"):                # -inf - (-inf) at masked entries, where p = 0
        terms = np.where(p > 0, p * (log_p - log_q), 0.0)
    b = y_true.shape[0]
    loss = terms.sum() / b
    grad = (q - p) / b
    return float(loss), grad


def ndcg_at_k(y_true, y_score, k=10, mask=None):
    """Mean over lists of NDCG@k with scikit-learn's tie averaging (linear gains, log2 discounts)."""
    y_true, y_score, mask = _check(y_true, y_score, mask)
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1):
        raise ValueError(f"k must be a positive integer or None, got {k!r}")
    if np.any(y_true[mask] < 0):
        raise ValueError("relevances must be non-negative")
    b, length = y_true.shape
    n_valid = mask.sum(axis=1)
    positions = np.arange(length)
    discount = 1.0 / np.log2(positions + 2.0)
    if k is not None:
        discount[k:] = 0.0
    # Valid entries first, in decreasing order of score (masked ones sort last as -inf).
    order = np.argsort(np.where(mask, -y_score, np.inf), axis=1, kind="stable")
    rows = np.arange(b)[:, None]
    s = np.where(mask, y_score, -np.inf)[rows, order]
    g = np.where(mask, y_true, 0.0)[rows, order]
    # Tie groups: a new group starts at each position whose score differs from the previous one.
    starts = np.ones((b, length), dtype=bool)
    starts[:, 1:] = s[:, 1:] != s[:, :-1]
    flat_starts = np.flatnonzero(starts.ravel())
    group_gain = np.add.reduceat(g.ravel(), flat_starts)
    group_size = np.diff(np.append(flat_starts, b * length))
    d = np.where(positions[None, :] < n_valid[:, None], discount[None, :], 0.0)
    group_discount = np.add.reduceat(d.ravel(), flat_starts)
    group_row = flat_starts // length
    dcg = np.bincount(group_row, weights=group_gain / group_size * group_discount, minlength=b)
    ideal = -np.sort(-np.where(mask, y_true, 0.0), axis=1)
    idcg = (ideal * d).sum(axis=1)
    scores = np.zeros(b)
    ok = idcg > 0
    scores[ok] = dcg[ok] / idcg[ok]
    return float(scores.mean())
