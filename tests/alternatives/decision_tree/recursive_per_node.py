"""Recursive, one node at a time: every node sorts its own samples on all
features at once (np.argsort along axis 0), counts the classes left of every
boundary with a cumulative sum of one-hot rows, and scores every boundary of
every feature in one array; the best is the first maximum of the
feature-major flattened scores (lowest feature, then lowest threshold). The
impurities are computed from class proportions (1 - sum p^2, -sum p log2 p),
and the decrease as parent - wL * I(L) - wR * I(R). Nodes are appended as
the recursion visits them, which is depth-first pre-order. predict moves
the rows that are still at internal nodes one level per step (2-D fancy
indexing, recomputing the active rows each step)."""

import numpy as np


def _gini(counts, n):
    p = counts / n[..., None]
    return 1.0 - (p * p).sum(axis=-1)


def _entropy(counts, n):
    p = counts / n[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(axis=-1)


def fit_tree(X, y, max_depth=None, min_samples_split=2, min_samples_leaf=1, criterion="gini"):
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError("X must be a non-empty 2-D array")
    X = X.astype(np.float64)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError("y must be 1-D with one label per row of X")
    if max_depth is not None and (int(max_depth) != max_depth or max_depth < 0):
        raise ValueError("max_depth must be None or an integer >= 0")
    if int(min_samples_split) != min_samples_split or min_samples_split < 2:
        raise ValueError("min_samples_split must be an integer >= 2")
    if int(min_samples_leaf) != min_samples_leaf or min_samples_leaf < 1:
        raise ValueError("min_samples_leaf must be an integer >= 1")
    if criterion == "gini":
        impurity = _gini
    elif criterion == "entropy":
        impurity = _entropy
    else:
        raise ValueError("criterion must be 'gini' or 'entropy'")
    classes, codes = np.unique(y, return_inverse=True)
    codes = codes.ravel()
    C = len(classes)
    onehot_all = np.eye(C, dtype=np.int64)[codes]
    feature, threshold, left, right, counts = [], [], [], [], []

    def best_split(idx):
        n = len(idx)
        Xn = X[idx]
        order = np.argsort(Xn, axis=0, kind="stable")            # (n, d)
        vals = np.take_along_axis(Xn, order, axis=0)              # (n, d)
        oh = onehot_all[idx][order]                               # (n, d, C)
        cl = np.cumsum(oh, axis=0)[:-1]                           # (n-1, d, C): left of boundary i
        total = cl[-1] + oh[-1] if n > 1 else oh[0]
        nl = np.arange(1, n, dtype=np.float64)[:, None]           # (n-1, 1)
        nr = n - nl
        cr = total[None, :, :] - cl
        parent = impurity(total[0].astype(np.float64)[None], np.array([float(n)]))[0]
        gl = impurity(cl, np.broadcast_to(nl, cl.shape[:2]))
        gr = impurity(cr, np.broadcast_to(nr, cr.shape[:2]))
        dec = parent - (nl / n) * gl - (nr / n) * gr              # (n-1, d)
        ok = (vals[1:] > vals[:-1]) & (nl >= min_samples_leaf) & (nr >= min_samples_leaf)
        dec = np.where(ok, dec, -np.inf)
        flat = dec.T.ravel()                                      # feature-major
        j = int(np.argmax(flat))
        if not np.isfinite(flat[j]):
            return None
        f, i = divmod(j, n - 1)
        a, b = vals[i, f], vals[i + 1, f]
        t = (a + b) / 2.0
        if t == b:
            t = a
        return flat[j], f, t

    def build(idx, depth):
        me = len(feature)
        c = np.bincount(codes[idx], minlength=C)
        feature.append(-1); threshold.append(0.0); left.append(-1); right.append(-1); counts.append(c)
        n = len(idx)
        if c.max() == n or (max_depth is not None and depth >= max_depth) or n < min_samples_split:
            return me
        found = best_split(idx)
        if found is None or found[0] <= 1e-12:
            return me
        _, f, t = found
        go = X[idx, f] <= t
        feature[me], threshold[me] = f, float(t)
        left[me] = build(idx[go], depth + 1)
        right[me] = build(idx[~go], depth + 1)
        return me

    build(np.arange(len(X)), 0)
    return {"feature": np.array(feature, dtype=np.int64), "threshold": np.array(threshold, dtype=np.float64),
            "left": np.array(left, dtype=np.int64), "right": np.array(right, dtype=np.int64),
            "counts": np.array(counts, dtype=np.int64).reshape(len(feature), C), "classes": classes}


def _leaf_of(tree, X):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    feat, thr = tree["feature"], tree["threshold"]
    left, right = tree["left"], tree["right"]
    node = np.zeros(len(X), dtype=np.int64)
    while True:
        f = feat[node]
        inner = f >= 0
        if not inner.any():
            return node
        rows = np.flatnonzero(inner)
        n_here = node[rows]
        node[rows] = np.where(X[rows, f[rows]] <= thr[n_here], left[n_here], right[n_here])


def predict_proba(tree, X):
    c = np.asarray(tree["counts"])[_leaf_of(tree, X)].astype(np.float64)
    return c / c.sum(axis=1, keepdims=True)


def predict(tree, X):
    c = np.asarray(tree["counts"])[_leaf_of(tree, X)]
    return np.asarray(tree["classes"])[c.argmax(axis=1)]
