"""listnet: the reference beside scikit-learn's ndcg_score and scipy.special.

NDCG: the same (6000, 500) relevances and tied scores, k = 10, tie
averaging on both sides (ndcg_score's default ignore_ties=False, which
loops over the lists in Python). The ListNet loss: scipy's softmax of both
inputs along the rows and rel_entr summed and averaged over the lists (no
mask: scipy has none), the reference with its gradient included.
"""

import numpy as np
from scipy.special import rel_entr, softmax
from sklearn.metrics import ndcg_score

from benchmarks.libraries import Case


def _ndcg_data():
    g = np.random.default_rng(5)
    return g.integers(0, 5, size=(6000, 500)).astype(np.float64), np.round(g.normal(size=(6000, 500)), 1)


def _loss_data():
    g = np.random.default_rng(6)
    return g.integers(0, 5, size=(6000, 500)).astype(np.float64), g.normal(size=(6000, 500)) * 3


def _scipy_kl(y_true, y_pred):
    return rel_entr(softmax(y_true, axis=1), softmax(y_pred, axis=1)).sum() / len(y_true)


CASES = [
    Case("ndcg_at_k (6000, 500) ties k=10 vs ndcg_score", _ndcg_data,
         lambda ref, yt, ys: ref.ndcg_at_k(yt, ys, k=10), lambda yt, ys: ndcg_score(yt, ys, k=10)),
    Case("listnet_loss (6000, 500) vs scipy softmax+rel_entr", _loss_data,
         lambda ref, yt, yp: ref.listnet_loss(yt, yp), _scipy_kl),
]
