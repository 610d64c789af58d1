"""Step by step with Python lists: the forward pass projects each step's input on its own and keeps the
pre-activations; the cache is a tuple of arrays and lists; tanh' is 1 / cosh(a)^2 of the
pre-activation (0 once cosh overflows); the weight gradients are accumulated inside the backward loop
with einsum; clip_grad_norm takes np.linalg.norm of every entry divided by the largest one."""

import numpy as np


def rnn_forward(x, h0, Wxh, Whh, b):
    states, pre = [], []
    h = h0
    for t in range(x.shape[1]):
        a = x[:, t] @ Wxh + h @ Whh + b
        h = np.tanh(a)
        pre.append(a)
        states.append(h)
    h_all = np.stack(states, axis=1)
    return h_all, (x, h0, Wxh, Whh, states, pre)


def rnn_backward(dh_all, cache):
    x, h0, Wxh, Whh, states, pre = cache
    dx = np.zeros(x.shape)
    dWxh = np.zeros(Wxh.shape)
    dWhh = np.zeros(Whh.shape)
    db = np.zeros(Whh.shape[0])
    carry = np.zeros(h0.shape)
    for t in range(len(states) - 1, -1, -1):
        with np.errstate(over="ignore"):
            slope = 1.0 / np.cosh(pre[t]) ** 2
        da = (dh_all[:, t] + carry) * slope
        before = states[t - 1] if t else h0
        dWxh += np.einsum("nd,nh->dh", x[:, t], da)
        dWhh += np.einsum("ni,nh->ih", before, da)
        db += da.sum(axis=0)
        dx[:, t] = da @ Wxh.T
        carry = da @ Whh.T
    return {"dx": dx, "dh0": carry, "dWxh": dWxh, "dWhh": dWhh, "db": db}


def clip_grad_norm(grads, max_norm):
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    flat = np.concatenate([np.ravel(g) for g in grads.values()]) if grads else np.zeros(0)
    top = np.abs(flat).max() if flat.size else 0.0
    total = float(top * np.linalg.norm(flat / top)) if top > 0 else 0.0
    if total <= max_norm:
        return {k: np.array(g, copy=True) for k, g in grads.items()}, total
    return {k: g * (max_norm / total) for k, g in grads.items()}, total
