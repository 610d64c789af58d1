"""clip_grad_norm takes its overflow-avoiding scale from the first array only: right when the arrays
are of similar size, but a tiny first array (1e-300) makes the others' scaled squares overflow to
inf."""

import numpy as np

CAUGHT_BY = ('test_clip_norm_without_overflow_or_underflow',)


def rnn_forward(x, h0, Wxh, Whh, b):
    N, T, D = x.shape
    H = Whh.shape[0]
    pre_x = (x.reshape(N * T, D) @ Wxh).reshape(N, T, H) + b
    h_all = np.empty((N, T, H))
    h = h0
    for t in range(T):
        h = np.tanh(pre_x[:, t] + h @ Whh)
        h_all[:, t] = h
    cache = {"x": x.copy(), "h0": np.array(h0, copy=True), "Wxh": Wxh.copy(),
             "Whh": Whh.copy(), "h_all": h_all.copy()}
    return h_all, cache


def rnn_backward(dh_all, cache):
    x, h0, Wxh, Whh, h_all = (cache[k] for k in ("x", "h0", "Wxh", "Whh", "h_all"))
    x = np.asarray(x); h0 = np.asarray(h0); Wxh = np.asarray(Wxh)
    Whh = np.asarray(Whh); h_all = np.asarray(h_all)
    N, T, D = x.shape
    H = Whh.shape[0]
    da_all = np.empty((N, T, H))
    dnext = np.zeros((N, H))
    WhhT = Whh.T
    for t in range(T - 1, -1, -1):
        ht = h_all[:, t]
        da = (dh_all[:, t] + dnext) * (1.0 - ht * ht)
        da_all[:, t] = da
        dnext = da @ WhhT
    h_prev = np.concatenate([h0[:, None, :], h_all[:, :-1]], axis=1)
    daf = da_all.reshape(N * T, H)
    return {
        "dx": (daf @ Wxh.T).reshape(N, T, D),
        "dh0": dnext,
        "dWxh": x.reshape(N * T, D).T @ daf,
        "dWhh": h_prev.reshape(N * T, H).T @ daf,
        "db": daf.sum(axis=0),
    }


def clip_grad_norm(grads, max_norm):
    if not max_norm > 0:
        raise ValueError("max_norm must be > 0")
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in grads.items()}
    m = 0.0
    for v in arrays.values():
        if v.size:
            m = float(np.max(np.abs(v)))
            break
    if m == 0.0:
        total = 0.0
    else:
        s = 0.0
        for v in arrays.values():
            if v.size:
                r = v / m
                s += float(np.sum(r * r))
        total = m * float(np.sqrt(s))
    if total > max_norm:
        f = max_norm / total
        clipped = {k: v * f for k, v in arrays.items()}
    else:
        clipped = {k: v.copy() for k, v in arrays.items()}
    return clipped, float(total)
