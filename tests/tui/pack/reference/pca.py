import numpy as np


def center(X):
    X = np.asarray(X, dtype=np.float64)
    return X - X.mean(axis=0)
