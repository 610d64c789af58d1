"""Every node's decrease is measured from the root's impurity instead of the node's own: the root is
right, but a child that no cut improves (an XOR block below a first split) looks improvable and is
split."""

import numpy as np

CAUGHT_BY = ('test_no_split_without_a_positive_decrease',)


def _impurity(counts, n, criterion):
    # counts (..., K), n (...)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = counts / n[..., None]
        if criterion == "gini":
            out = 1.0 - np.sum(p * p, axis=-1)
        else:
            lp = np.where(p > 0, np.log2(np.where(p > 0, p, 1.0)), 0.0)
            out = -np.sum(p * lp, axis=-1)
    return out


def _best_split(Xn, Yn, msl, criterion, I_root=None):
    n, d = Xn.shape
    order = np.argsort(Xn, axis=0, kind="stable")
    V = np.take_along_axis(Xn, order, axis=0)               # (n, d)
    cum = np.cumsum(Yn[order], axis=0)                       # (n, d, K)
    total = cum[-1, 0]
    cL = cum[:-1]                                            # (n-1, d, K)
    cR = total - cL
    nL = np.arange(1, n, dtype=np.float64)[:, None]          # (n-1, 1)
    nR = n - nL
    valid = V[:-1] < V[1:]
    valid &= (nL >= msl) & (nR >= msl)
    if not valid.any():
        return None
    I0 = _impurity(total, float(n), criterion) if I_root is None else I_root
    IL = _impurity(cL, np.broadcast_to(nL, cL.shape[:2]), criterion)
    IR = _impurity(cR, np.broadcast_to(nR, cR.shape[:2]), criterion)
    dec = I0 - (nL / n) * IL - (nR / n) * IR
    dec = np.where(valid, dec, -np.inf).T                    # (d, n-1)
    flat = int(np.argmax(dec))
    j, i = divmod(flat, n - 1)
    best = dec[j, i]
    a, b = V[i, j], V[i + 1, j]
    t = (a + b) / 2.0
    if t == b:
        t = a
    return best, j, t


def fit_tree(X, y, max_depth=None, min_samples_split=2, min_samples_leaf=1, criterion="gini"):
    if criterion not in ("gini", "entropy"):
        raise ValueError("criterion")
    if min_samples_split < 2 or min_samples_leaf < 1:
        raise ValueError("min_samples")
    if max_depth is not None and max_depth < 0:
        raise ValueError("max_depth")
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError("y length")
    X = X.astype(np.float64)
    classes, codes = np.unique(y, return_inverse=True)
    codes = codes.reshape(-1)
    K = len(classes)
    Y = np.zeros((len(y), K), dtype=np.int64)
    Y[np.arange(len(y)), codes] = 1

    feat, thr, left, right, counts = [], [], [], [], []
    I_root = float(_impurity(Y.sum(axis=0), float(len(y)), criterion))
    stack = [(np.arange(len(y)), 0, -1, 0)]
    while stack:
        idx, depth, parent, side = stack.pop()
        node = len(feat)
        if parent >= 0:
            (left if side == 0 else right)[parent] = node
        c = Y[idx].sum(axis=0)
        feat.append(-1); thr.append(0.0); left.append(-1); right.append(-1); counts.append(c)
        n = len(idx)
        if (c > 0).sum() <= 1 or (max_depth is not None and depth >= max_depth) or n < min_samples_split:
            continue
        res = _best_split(X[idx], Y[idx], min_samples_leaf, criterion, I_root)
        if res is None or res[0] <= 1e-12:
            continue
        _, j, t = res
        feat[node] = j
        thr[node] = t
        go = X[idx, j] <= t
        stack.append((idx[~go], depth + 1, node, 1))
        stack.append((idx[go], depth + 1, node, 0))
    return {
        "feature": np.array(feat, dtype=np.int64),
        "threshold": np.array(thr, dtype=np.float64),
        "left": np.array(left, dtype=np.int64),
        "right": np.array(right, dtype=np.int64),
        "counts": np.array(counts, dtype=np.int64).reshape(len(feat), K),
        "classes": classes,
    }


def _leaves(tree, X):
    X = np.asarray(X)
    m = X.shape[0]
    feature = np.asarray(tree["feature"])
    threshold = np.asarray(tree["threshold"], dtype=np.float64)
    lc = np.asarray(tree["left"]); rc = np.asarray(tree["right"])
    node = np.zeros(m, dtype=np.int64)
    if m == 0:
        return node
    X = X.reshape(m, -1)
    rows = np.arange(m)
    while True:
        f = feature[node]
        act = f >= 0
        if not act.any():
            return node
        r = rows[act]; nd = node[act]
        x = X[r, f[act]].astype(np.float64)
        node[act] = np.where(x <= threshold[nd], lc[nd], rc[nd])


def predict_proba(tree, X):
    counts = np.asarray(tree["counts"])
    leaf = _leaves(tree, X)
    c = counts[leaf].astype(np.float64)
    return c / c.sum(axis=1, keepdims=True)


def predict(tree, X):
    counts = np.asarray(tree["counts"])
    leaf = _leaves(tree, X)
    return np.asarray(tree["classes"])[np.argmax(counts[leaf], axis=1)]
