"""Distance weights are 1/max(d, 1e-30): an exact match gets a large finite weight (1e30) instead of
being the only voter, so the other neighbours still add their 1/d to the totals; two exact matches
tied by label are then decided by a close non-matching neighbour (at 8e-25, 1/d ~ 1.2e24 is kept
beside 1e30), where the tie should go to the smaller label."""

CAUGHT_BY = (
    'test_exact_matches_vote_alone',
)

import numpy as np

# Elements of one (block, n) slice of the distance matrix: 2**24 float64 =
# 128 MiB. This bounds the memory for any number of queries; smaller blocks
# are faster still (the allocator reuses them and they stay in cache), but the
# reference stays close to the common whole-matrix style, which the time
# budget is measured against.
_BLOCK_ELEMENTS = 1 << 24


def _as_points(X, name):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (points, dimensions), got shape {X.shape}")
    return X


def _sq_norms(X):
    return np.einsum("ij,ij->i", X, X)


def _sq_dists_centred(Ac, sq_a, Bc, sq_b):
    """(len(Ac), len(Bc)) squared distances of already-centred points, clipped at 0."""
    D = Ac @ Bc.T
    D *= -2.0
    D += sq_a[:, None]
    D += sq_b[None, :]
    # Rounding can leave tiny negative values where the true distance is 0.
    np.maximum(D, 0.0, out=D)
    return D


def pairwise_sq_dists(A, B):
    """Squared Euclidean distances, shape (len(A), len(B)), never negative.

    A is (n, d) and B is (m, d). Both are shifted by the mean of A first:
    distances do not change, but the norms in the expansion become as small
    as the spread of the data, so no precision is lost to cancellation.
    """
    A = _as_points(A, "A")
    B = _as_points(B, "B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A has {A.shape[1]} dimensions but B has {B.shape[1]}")
    if len(A) == 0 or len(B) == 0:
        return np.zeros((len(A), len(B)))
    centre = A.mean(axis=0)
    Ac = A - centre
    Bc = B - centre
    return _sq_dists_centred(Ac, _sq_norms(Ac), Bc, _sq_norms(Bc))


def _k_smallest(R, k):
    """Column indices (rows, k) of the k smallest entries of each row of R.

    Equal values are taken in increasing column order: every entry strictly
    below the k-th smallest value is in, and the remaining places go to the
    lowest-indexed entries equal to it. The k columns come out in increasing
    index order (the vote does not depend on their order). np.partition
    finds the k-th smallest value in linear time; no row is sorted.
    """
    n = R.shape[1]
    if k == n:
        return np.broadcast_to(np.arange(n), R.shape).copy()
    kth = np.partition(R, k - 1, axis=1)[:, k - 1:k]          # (rows, 1)
    chosen = R <= kth
    if not np.all(chosen.sum(axis=1) == k):
        # A tie at the k-th place: fill the places left by index order.
        below = R < kth
        at = R == kth
        places_left = k - below.sum(axis=1, keepdims=True)
        chosen = below | (at & (np.cumsum(at, axis=1) <= places_left))
    return np.nonzero(chosen)[1].reshape(len(R), k)


def knn_predict(X_train, y_train, X_query, k, weights="uniform"):
    """Predicted label of each query point by its k nearest training points.

    Neighbours are the k smallest distances, equal distances broken by the
    lower training index. "uniform": one vote each; "distance": weight 1/d
    (d the Euclidean distance), except that if any of the k neighbours is at
    distance 0 only those exact matches vote (one vote each). The label with
    the most votes (largest total weight) wins; a tie goes to the smallest
    label. Labels may be integers or strings; the result has their dtype.
    """
    X_train = _as_points(X_train, "X_train")
    X_query = _as_points(X_query, "X_query")
    y_train = np.asarray(y_train)
    n = len(X_train)
    if y_train.shape != (n,):
        raise ValueError(f"y_train must have shape ({n},), got {y_train.shape}")
    if X_query.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_train has {X_train.shape[1]} dimensions but X_query has {X_query.shape[1]}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an integer, got {k!r}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of training points ({n}), got {k}")
    if weights not in ("uniform", "distance"):
        raise ValueError(f'weights must be "uniform" or "distance", got {weights!r}')

    # np.unique sorts the labels, so argmax's first maximum is the smallest label.
    classes, y_code = np.unique(y_train, return_inverse=True)
    n_classes = len(classes)
    m = len(X_query)
    prediction = np.empty(m, dtype=classes.dtype)

    centre = X_train.mean(axis=0)
    Xc = X_train - centre
    sq_train = _sq_norms(Xc)
    block = max(1, _BLOCK_ELEMENTS // n)
    for start in range(0, m, block):
        Q = X_query[start:start + block]
        # Ranking key ||x||^2 - 2 q.x: the squared distance minus ||q||^2,
        # which is the same for every training point of a query row.
        R = (Q - centre) @ Xc.T
        R *= -2.0
        R += sq_train
        neighbours = _k_smallest(R, k)                           # (rows, k)
        rows = len(Q)
        votes_at = (np.arange(rows)[:, None] * n_classes + y_code[neighbours]).ravel()
        if weights == "uniform":
            vote = np.ones(rows * k)
        else:
            diff = X_train[neighbours] - Q[:, None, :]
            dist = np.sqrt(np.einsum("rkd,rkd->rk", diff, diff))
            vote = (1.0 / np.maximum(dist, 1e-30)).ravel()
        tally = np.bincount(votes_at, weights=vote, minlength=rows * n_classes)
        prediction[start:start + rows] = classes[tally.reshape(rows, n_classes).argmax(axis=1)]
    return prediction
