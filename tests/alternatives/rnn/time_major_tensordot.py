"""Time-major internally: x is transposed to (T, N, D) once, the input projection of all steps is one
einsum, the states live in a (T + 1, N, H) array whose row 0 is h0 (h_all is a transposed view of rows
1..T); the backward pass fills a (T, N, H) array of pre-activation gradients and gets the weight
gradients with tensordot over time and batch; tanh' is (1 - h)(1 + h). clip_grad_norm combines
per-array norms with hypot, each array scaled by its own largest entry."""

import math

import numpy as np


def rnn_forward(x, h0, Wxh, Whh, b):
    xs = np.ascontiguousarray(x.transpose(1, 0, 2))                 # (T, N, D)
    proj = np.einsum("tnd,dh->tnh", xs, Wxh, optimize=True) + b
    hs = np.empty((xs.shape[0] + 1,) + h0.shape)
    hs[0] = h0
    for t in range(xs.shape[0]):
        np.tanh(proj[t] + hs[t] @ Whh, out=hs[t + 1])
    return hs[1:].transpose(1, 0, 2), {"xs": xs, "hs": hs, "Wxh": Wxh, "Whh": Whh}


def rnn_backward(dh_all, cache):
    xs, hs, Wxh, Whh = cache["xs"], cache["hs"], cache["Wxh"], cache["Whh"]
    steps = xs.shape[0]
    dhs = dh_all.transpose(1, 0, 2)                                 # a view: (T, N, H), not written to
    das = np.empty(dhs.shape)
    back = np.zeros(hs.shape[1:])
    for t in range(steps - 1, -1, -1):
        h = hs[t + 1]
        das[t] = (dhs[t] + back) * (1 - h) * (1 + h)
        back = das[t] @ Whh.T
    return {
        "dx": np.einsum("tnh,dh->ntd", das, Wxh, optimize=True),
        "dh0": back,
        "dWxh": np.tensordot(xs, das, axes=([0, 1], [0, 1])),
        "dWhh": np.tensordot(hs[:-1], das, axes=([0, 1], [0, 1])),
        "db": das.sum(axis=(0, 1)),
    }


def _norm(g):
    m = float(np.max(np.abs(g))) if g.size else 0.0
    return 0.0 if m == 0 else m * math.sqrt(float(np.sum((g / m) ** 2)))


def clip_grad_norm(grads, max_norm):
    if not max_norm > 0:
        raise ValueError("max_norm must be positive")
    total = 0.0
    for g in grads.values():
        total = math.hypot(total, _norm(np.asarray(g, dtype=float)))
    scale = max_norm / total if total > max_norm else 1.0
    return {k: np.asarray(g, dtype=float) * scale for k, g in grads.items()}, total
