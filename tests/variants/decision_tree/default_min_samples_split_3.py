"""Has min_samples_split=3 as its default instead of 2: with the default
arguments a node of two samples of different classes stays a leaf, although a
node with exactly min_samples_split = 2 samples may be split."""

import numpy as np

CAUGHT_BY = ('test_min_samples_split',)

MIN_DECREASE = 1e-12     # a node is split only if its best decrease exceeds this (rounding of an exact 0)
_KEYS = ("feature", "threshold", "left", "right", "counts", "classes")


def _check_int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _sum_c_log_c(counts, table):
    """sum_k c_k log2 c_k over the last axis, from a table of c log2 c (0 log 0 = 0)."""
    return table[counts].sum(axis=-1)


def _impurity_times_n(counts, n, criterion, table):
    """n * impurity of nodes with class counts `counts` (..., C) and sizes n (...)."""
    n = n.astype(np.float64)
    safe = np.maximum(n, 1.0)
    if criterion == "gini":
        sq = (counts.astype(np.float64) ** 2).sum(axis=-1)
        return n - sq / safe
    return table[np.maximum(n, 0).astype(np.int64)] - _sum_c_log_c(counts, table)


def fit_tree(X, y, max_depth=None, min_samples_split=3, min_samples_leaf=1, criterion="gini"):
    """Grow a CART classification tree; return it as flat arrays in depth-first pre-order.

    The result is a dict: "feature" (int64, -1 at leaves), "threshold" (float64,
    0.0 at leaves), "left" and "right" (int64 child indices, -1 at leaves),
    "counts" (int64, (n_nodes, n_classes) training samples of each class per
    node) and "classes" (np.unique(y)). A sample goes left if
    x[feature] <= threshold.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must be a 2-D array with at least one row and one column, got shape {X.shape}")
    X = X.astype(np.float64, copy=False)
    y = np.asarray(y)
    n, d = X.shape
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), got {y.shape}")
    if max_depth is not None:
        _check_int(max_depth, "max_depth", 0)
    _check_int(min_samples_split, "min_samples_split", 2)
    _check_int(min_samples_leaf, "min_samples_leaf", 1)
    if criterion not in ("gini", "entropy"):
        raise ValueError(f'criterion must be "gini" or "entropy", got {criterion!r}')
    depth_limit = np.inf if max_depth is None else max_depth

    classes, codes = np.unique(y, return_inverse=True)
    codes = codes.reshape(-1).astype(np.int64)
    C = len(classes)
    table = None
    if criterion == "entropy":
        k = np.arange(n + 1, dtype=np.float64)
        table = np.zeros(n + 1)
        table[1:] = k[1:] * np.log2(k[1:])

    # Nodes in breadth-first order (lists of per-node values, converted at the end).
    feature, threshold, left, right = [-1], [0.0], [-1], [-1]
    counts = [np.bincount(codes, minlength=C)]

    # The frontier: nodes to consider at this level, their sizes, and for every
    # feature the samples grouped by node and sorted by value within each node.
    rows = np.argsort(X, axis=0, kind="stable").T.copy()       # (d, m) sample indices
    frontier = np.array([0])
    sizes = np.array([n])
    depth = 0
    feat_idx = np.arange(d)[:, None]
    while len(frontier):
        node_counts = np.array([counts[i] for i in frontier])  # (k, C)
        splittable = ((node_counts.max(axis=1) < sizes) & (depth < depth_limit)
                      & (sizes >= min_samples_split) & (sizes >= 2 * min_samples_leaf))
        if not splittable.all():
            keep = np.repeat(splittable, sizes)
            rows = rows[:, keep]
            frontier, sizes, node_counts = frontier[splittable], sizes[splittable], node_counts[splittable]
        if not len(frontier):
            break
        k, m = len(frontier), rows.shape[1]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        seg = np.repeat(np.arange(k), sizes)                    # node of every position
        vals = X[rows, feat_idx]                                # (d, m)
        cy = codes[rows]                                        # (d, m)

        # Class counts left of every boundary (split after position i).
        onehot = np.zeros((d, m, C), dtype=np.int64)
        np.put_along_axis(onehot, cy[:, :, None], 1, axis=2)
        cum = np.cumsum(onehot, axis=1)
        before = np.zeros((d, k, C), dtype=np.int64)
        before[:, 1:] = cum[:, starts[1:] - 1]
        left_counts = cum - before[:, seg]                      # (d, m, C)
        n_left = np.arange(m) - starts[seg] + 1                 # (m,)
        n_right = sizes[seg] - n_left
        right_counts = node_counts[seg][None] - left_counts

        children = (_impurity_times_n(left_counts, n_left, criterion, table)
                    + _impurity_times_n(right_counts, n_right, criterion, table))
        parent = _impurity_times_n(node_counts, sizes, criterion, table)
        decrease = (parent[seg] - children) / sizes[seg]        # I(node) - (nL I(L) + nR I(R)) / n

        valid = np.zeros((d, m), dtype=bool)
        valid[:, :-1] = vals[:, 1:] > vals[:, :-1]              # distinct consecutive values
        valid &= (n_right >= min_samples_leaf) & (n_left >= min_samples_leaf)   # n_right >= 1: same node
        decrease = np.where(valid, decrease, -np.inf)

        best = np.maximum.reduceat(decrease.max(axis=0), starts)            # (k,)
        hit = decrease == best[seg]
        first = np.minimum.reduceat(np.where(hit, np.arange(m), m), starts, axis=1)   # (d, k)
        best_f = np.argmax(first < m, axis=0)                   # lowest feature, then lowest threshold
        best_i = first[best_f, np.arange(k)]
        split = best > MIN_DECREASE
        if not split.any():
            break
        keep = split[seg]
        frontier, sizes = frontier[split], sizes[split]
        best_f, best_i = best_f[split], best_i[split]
        a = vals[best_f, best_i]
        b = vals[best_f, best_i + 1]
        t = (a + b) / 2.0
        t = np.where(t == b, a, t)          # adjacent floats: the midpoint rounds up to b, keep a
        lc = left_counts[best_f, best_i]
        nl = n_left[best_i]

        base = len(feature)
        for j, node in enumerate(frontier):
            feature[node], threshold[node] = int(best_f[j]), float(t[j])
            left[node], right[node] = base + 2 * j, base + 2 * j + 1
            feature += [-1, -1]
            threshold += [0.0, 0.0]
            left += [-1, -1]
            right += [-1, -1]
            counts += [lc[j], counts[node] - lc[j]]

        # The next level: every sample of a split node goes to child 2j or 2j + 1.
        rows = rows[:, keep]
        child = np.full(n, -1, dtype=np.int64)
        parent_of = np.repeat(np.arange(len(frontier)), sizes)
        members = rows[0]
        go_right = X[members, best_f[parent_of]] > t[parent_of]
        child[members] = 2 * parent_of + go_right
        order = np.argsort(child[rows], axis=1, kind="stable")
        rows = np.take_along_axis(rows, order, axis=1)
        frontier = base + np.arange(2 * len(frontier))
        sizes = np.column_stack((nl, sizes - nl)).ravel()
        depth += 1

    return _pre_order(feature, threshold, left, right, counts, classes)


def _pre_order(feature, threshold, left, right, counts, classes):
    """The breadth-first node lists renumbered in depth-first pre-order, as arrays."""
    order = []
    stack = [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if left[node] >= 0:
            stack.append(right[node])
            stack.append(left[node])
    order = np.array(order)
    new_index = np.empty(len(order), dtype=np.int64)
    new_index[order] = np.arange(len(order))
    left_arr = np.array(left, dtype=np.int64)[order]
    right_arr = np.array(right, dtype=np.int64)[order]
    is_leaf = left_arr < 0
    return {
        "feature": np.array(feature, dtype=np.int64)[order],
        "threshold": np.array(threshold, dtype=np.float64)[order],
        "left": np.where(is_leaf, -1, new_index[np.maximum(left_arr, 0)]),
        "right": np.where(is_leaf, -1, new_index[np.maximum(right_arr, 0)]),
        "counts": np.array(counts, dtype=np.int64).reshape(len(order), -1)[order],
        "classes": classes,
    }


def _leaves(tree, X):
    """Index of the leaf that every row of X reaches.

    All rows move down together, one level per step; rows that reach a leaf
    are dropped. X is read through its flat buffer (row * d + feature), and the
    two children sit side by side, so a step is a few 1-D `take`s.
    """
    missing = [key for key in _KEYS if key not in tree]
    if missing:
        raise ValueError(f"tree is missing {missing}")
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array, got shape {X.shape}")
    X = np.ascontiguousarray(X, dtype=np.float64)
    m, d = X.shape
    flat = X.ravel()
    feature = np.asarray(tree["feature"])
    is_leaf = feature < 0
    column = np.where(is_leaf, 0, feature).astype(np.intp)
    threshold = np.asarray(tree["threshold"], dtype=np.float64)
    children = np.column_stack((tree["left"], tree["right"])).ravel().astype(np.intp)
    leaf = np.zeros(m, dtype=np.intp)
    rows = np.arange(m, dtype=np.intp)
    offset = rows * d                                   # where each active row starts in `flat`
    here = np.zeros(m, dtype=np.intp)
    while len(rows):
        done = is_leaf.take(here)
        if done.any():
            leaf[rows[done]] = here[done]
            keep = ~done
            rows, here, offset = rows[keep], here[keep], offset[keep]
            if not len(rows):
                break
        go_right = flat.take(offset + column.take(here)) > threshold.take(here)
        here = children.take(2 * here + go_right)
    return leaf


def predict_proba(tree, X):
    """Class probabilities (len(X), n_classes): the training class frequencies of the leaf reached."""
    leaf = _leaves(tree, X)
    c = np.asarray(tree["counts"])[leaf].astype(np.float64)
    return c / c.sum(axis=1, keepdims=True)


def predict(tree, X):
    """The class with the most training samples in the leaf reached; a tie goes to the smallest class."""
    leaf = _leaves(tree, X)
    counts = np.asarray(tree["counts"])
    return np.asarray(tree["classes"])[np.argmax(counts[leaf], axis=1)]
