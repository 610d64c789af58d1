import numpy as np


def top_k(scores, k):
    scores = np.asarray(scores, dtype=np.float64)
    return np.argsort(-scores, kind='stable')[:k]
