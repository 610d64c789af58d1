"""Returns the cache as an instance of its own class: only plain data can leave the solution's
process, so every rnn_forward call fails."""

import numpy as np

CAUGHT_BY = (
    "test_forward_matches_recurrence",
    "test_backward_matches_bptt",
    "test_backward_matches_finite_differences",
    "test_gradient_flows_back_through_time",
    "test_backward_uses_only_its_arguments",
    "test_forward_does_not_modify_inputs",
    "test_backward_does_not_modify_dh_all",
    "test_sequence_of_length_one",
    "test_sequence_of_length_200",
    "test_size_one_axes",
    "test_saturated_long_sequence",
)


class Cache:
    def __init__(self, x, h0, Wxh, Whh, h_all):
        self.x, self.h0, self.Wxh, self.Whh, self.h_all = x, h0, Wxh, Whh, h_all


def rnn_forward(x, h0, Wxh, Whh, b):
    n, t_len, _ = x.shape
    hidden = Whh.shape[0]
    h_all = np.empty((n, t_len, hidden))
    h = h0
    for t in range(t_len):
        h = np.tanh(x[:, t] @ Wxh + h @ Whh + b)
        h_all[:, t] = h
    return h_all, Cache(x, h0, Wxh, Whh, h_all)


def rnn_backward(dh_all, cache):
    x, h0, Wxh, Whh, h_all = cache.x, cache.h0, cache.Wxh, cache.Whh, cache.h_all
    n, t_len, hidden = h_all.shape
    dx = np.empty_like(x)
    dWxh = np.zeros_like(Wxh)
    dWhh = np.zeros_like(Whh)
    db = np.zeros(hidden)
    dh_next = np.zeros((n, hidden))
    for t in reversed(range(t_len)):
        dh = dh_all[:, t] + dh_next
        da = dh * (1 - h_all[:, t] ** 2)
        h_prev = h_all[:, t - 1] if t > 0 else h0
        dx[:, t] = da @ Wxh.T
        dWxh += x[:, t].T @ da
        dWhh += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ Whh.T
    return {"dx": dx, "dh0": dh_next, "dWxh": dWxh, "dWhh": dWhh, "db": db}


def clip_grad_norm(grads, max_norm):
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    m = max((float(np.max(np.abs(g))) for g in grads.values() if np.size(g)), default=0.0)
    if m == 0:
        norm = 0.0
    else:
        norm = m * float(np.sqrt(sum(np.sum((g / m) ** 2) for g in grads.values())))
    factor = max_norm / norm if norm > max_norm else 1.0
    return {k: g * factor for k, g in grads.items()}, norm
