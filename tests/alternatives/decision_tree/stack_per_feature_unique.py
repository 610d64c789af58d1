"""Explicit stack, one feature at a time: each node loops over the features in
order; for a feature, np.unique gives its distinct values and the index of
every sample's value, np.bincount the class counts per distinct value, and a
cumulative sum over the distinct values the left counts at every candidate
threshold (so equal values are never separated by construction). Gini is
1 - sum(c^2) / n^2, entropy uses natural logarithms divided by log 2, and the
best candidate is kept with a strict > in (feature, threshold) order. The
nodes are popped from a stack, left child on top, which visits them in
pre-order. predict routes index sets node by node (one boolean mask per
internal node) instead of moving every point one level at a time."""

import math

import numpy as np

LOG2 = math.log(2.0)


def _impurity(counts, n, criterion):
    counts = np.asarray(counts, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if criterion == "gini":
        return 1.0 - (counts ** 2).sum(axis=-1) / n ** 2
    p = counts / n[..., None]
    logp = np.log(np.where(p > 0, p, 1.0)) / LOG2
    return -(p * logp).sum(axis=-1)


def _check(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}")


def fit_tree(X, y, max_depth=None, min_samples_split=2, min_samples_leaf=1, criterion="gini"):
    if criterion not in ("gini", "entropy"):
        raise ValueError("unknown criterion")
    _check("min_samples_split", min_samples_split, 2)
    _check("min_samples_leaf", min_samples_leaf, 1)
    if max_depth is not None:
        _check("max_depth", max_depth, 0)
    X = np.array(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(y) != len(X) or len(X) == 0:
        raise ValueError("X must be (n, d) and y (n,)")
    classes, codes = np.unique(y, return_inverse=True)
    codes = codes.reshape(-1)
    C = len(classes)
    nodes = []                                   # [feature, threshold, left, right, counts]
    stack = [(np.arange(len(X)), 0, None, None)]  # (samples, depth, parent, side)
    while stack:
        idx, depth, parent, side = stack.pop()
        me = len(nodes)
        if parent is not None:
            nodes[parent][2 if side == "left" else 3] = me
        counts = np.bincount(codes[idx], minlength=C)
        nodes.append([-1, 0.0, -1, -1, counts])
        n = len(idx)
        if counts.max() == n or (max_depth is not None and depth >= max_depth) or n < min_samples_split:
            continue
        parent_imp = float(_impurity(counts, n, criterion))
        best_dec, best = 1e-12, None
        for f in range(X.shape[1]):
            values, which = np.unique(X[idx, f], return_inverse=True)
            if len(values) < 2:
                continue
            per_value = np.bincount(which.reshape(-1) * C + codes[idx], minlength=len(values) * C)
            left = np.cumsum(per_value.reshape(len(values), C), axis=0)[:-1]     # cut after value j
            nl = left.sum(axis=1)
            nr = n - nl
            right = counts - left
            ok = (nl >= min_samples_leaf) & (nr >= min_samples_leaf)
            if not ok.any():
                continue
            dec = parent_imp - (nl * _impurity(left, np.maximum(nl, 1), criterion)
                                + nr * _impurity(right, np.maximum(nr, 1), criterion)) / n
            dec = np.where(ok, dec, -np.inf)
            j = int(np.argmax(dec))
            if dec[j] > best_dec:
                a, b = values[j], values[j + 1]
                t = (a + b) / 2.0
                best_dec, best = dec[j], (f, a if t == b else t)
        if best is None:
            continue
        f, t = best
        nodes[me][0], nodes[me][1] = f, float(t)
        go = X[idx, f] <= t
        stack.append((idx[~go], depth + 1, me, "right"))
        stack.append((idx[go], depth + 1, me, "left"))
    return {"feature": np.array([nd[0] for nd in nodes], dtype=np.int64),
            "threshold": np.array([nd[1] for nd in nodes], dtype=np.float64),
            "left": np.array([nd[2] for nd in nodes], dtype=np.int64),
            "right": np.array([nd[3] for nd in nodes], dtype=np.int64),
            "counts": np.array([nd[4] for nd in nodes], dtype=np.int64).reshape(len(nodes), C),
            "classes": classes}


def _leaf_counts(tree, X):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    counts = np.asarray(tree["counts"])
    out = np.empty((len(X), counts.shape[1]), dtype=counts.dtype)
    todo = [(0, np.arange(len(X)))]
    while todo:
        node, rows = todo.pop()
        if len(rows) == 0:
            continue
        f = int(tree["feature"][node])
        if f < 0:
            out[rows] = counts[node]
            continue
        go = X[rows, f] <= tree["threshold"][node]
        todo.append((int(tree["left"][node]), rows[go]))
        todo.append((int(tree["right"][node]), rows[~go]))
    return out


def predict_proba(tree, X):
    c = _leaf_counts(tree, X).astype(np.float64)
    return c / c.sum(axis=1, keepdims=True)


def predict(tree, X):
    return np.asarray(tree["classes"])[np.argmax(_leaf_counts(tree, X), axis=1)]
