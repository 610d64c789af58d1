"""clip_grad_norm takes the largest |entry| with max() over the arrays without a default: an empty
dict of gradients raises ValueError (max() of an empty sequence) instead of giving ({}, 0.0)."""

CAUGHT_BY = ('test_clip_empty_dict',)

import numpy as np


def rnn_forward(x, h0, Wxh, Whh, b):
    """h_all (N, T, H) with h_all[:, t] = tanh(x[:, t] @ Wxh + h_{t-1} @ Whh + b), and the cache."""
    x = np.asarray(x, dtype=np.float64)
    h0 = np.asarray(h0, dtype=np.float64)
    Wxh = np.asarray(Wxh, dtype=np.float64)
    Whh = np.asarray(Whh, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    n, t_len, d = x.shape
    hidden = Whh.shape[0]
    # The input's contribution to every step at once: one (N*T, D) @ (D, H) product.
    pre = (x.reshape(n * t_len, d) @ Wxh).reshape(n, t_len, hidden) + b
    h_all = np.empty((n, t_len, hidden))
    h = h0
    for t in range(t_len):
        h = np.tanh(pre[:, t] + h @ Whh)
        h_all[:, t] = h
    cache = {"x": x, "h0": h0, "Wxh": Wxh, "Whh": Whh, "h_all": h_all}
    return h_all, cache


def rnn_backward(dh_all, cache):
    """Gradients of sum(dh_all * h_all) with respect to x, h0, Wxh, Whh and b, as a dict."""
    dh_all = np.asarray(dh_all, dtype=np.float64)
    x, h0, Wxh, Whh, h_all = (cache[k] for k in ("x", "h0", "Wxh", "Whh", "h_all"))
    n, t_len, hidden = h_all.shape
    d = x.shape[2]
    da_all = np.empty_like(h_all)          # gradient of each step's pre-activation
    dh_next = np.zeros((n, hidden))        # what step t + 1 sends back to h_t
    for t in range(t_len - 1, -1, -1):
        h = h_all[:, t]
        da = (dh_all[:, t] + dh_next) * (1.0 - h * h)
        da_all[:, t] = da
        dh_next = da @ Whh.T
    h_prev = np.concatenate([h0[:, None, :], h_all[:, :-1]], axis=1)
    da_flat = da_all.reshape(n * t_len, hidden)
    return {
        "dx": (da_flat @ Wxh.T).reshape(n, t_len, d),
        "dh0": dh_next,
        "dWxh": x.reshape(n * t_len, d).T @ da_flat,
        "dWhh": h_prev.reshape(n * t_len, hidden).T @ da_flat,
        "db": da_flat.sum(axis=0),
    }


def clip_grad_norm(grads, max_norm):
    """(new dict with every array scaled by max_norm / norm if norm > max_norm, norm before clipping)."""
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm!r}")
    arrays = {name: np.asarray(g, dtype=np.float64) for name, g in grads.items()}
    largest = max(float(np.max(np.abs(g), initial=0.0)) for g in arrays.values())   # BUG: no default for {}
    if largest == 0.0:
        norm = 0.0
    else:
        norm = largest * float(np.sqrt(sum(float(np.sum(np.square(g / largest))) for g in arrays.values())))
    if norm > max_norm:
        factor = max_norm / norm
        return {name: g * factor for name, g in arrays.items()}, norm
    return {name: g.copy() for name, g in arrays.items()}, norm
