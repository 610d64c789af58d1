"""loss_and_grads declares l2=1e-4 as its default instead of the signature's l2=0.0:
a call that leaves l2 out, loss_and_grads(params, X, y), silently adds a penalty of
5e-5 * sum ||W||^2 to the loss and 1e-4 * W to every dW, where the task's default
means no penalty at all.
"""

CAUGHT_BY = ('test_loss_and_grads_agree',)


import numpy as np


def _layers(sizes):
    sizes = list(sizes)
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise ValueError(f"layer widths must be integers (an int or a NumPy integer), got {s!r} in {sizes}")
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least 2 layer widths, each >= 1, got {sizes}")
    return sizes


def init_params(sizes, rng):
    """He initialisation: [(W1, b1), ..., (WL, bL)] for sizes [d, h1, ..., C]."""
    sizes = _layers(sizes)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        params.append((W, np.zeros(fan_out)))
    return params


def _logits(params, X):
    """The pre-activations of every layer (the last one: the logits) and the input of every layer."""
    h = np.asarray(X, dtype=np.float64)
    inputs, pre = [], []
    for i, (W, b) in enumerate(params):
        inputs.append(h)
        z = h @ W + b
        pre.append(z)
        if i < len(params) - 1:
            h = np.maximum(z, 0.0)
    return inputs, pre


def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def forward(params, X):
    """The softmax probabilities (n, C) of the network on the rows of X."""
    _, pre = _logits(params, X)
    return np.exp(_log_softmax(pre[-1]))


def loss_and_grads(params, X, y, l2=1e-4):
    """(mean cross-entropy + l2/2 * sum ||W||^2, [(dW1, db1), ..., (dWL, dbL)])."""
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    inputs, pre = _logits(params, X)
    logits = pre[-1]
    n, c = logits.shape
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), got {y.shape}")
    if n and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"labels must lie in 0..{c - 1}, got values from {y.min()} to {y.max()}")
    rows = np.arange(n)
    logp = _log_softmax(logits)
    loss = -logp[rows, y].mean() + 0.5 * l2 * sum(float(np.sum(W * W)) for W, _ in params)
    delta = np.exp(logp)
    delta[rows, y] -= 1.0
    delta /= n                                   # d loss / d logits
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        W, _ = params[i]
        grads[i] = (inputs[i].T @ delta + l2 * W, delta.sum(axis=0))
        if i:
            delta = (delta @ W.T) * (pre[i - 1] > 0)   # ReLU'(0) = 0
    return float(loss), grads


def sgd_step(params, grads, lr):
    """New parameters [(W - lr dW, b - lr db), ...]; the arguments are left unchanged."""
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
