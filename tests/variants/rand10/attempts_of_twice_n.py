"""Reads one draw more per attempt when m^t < 2n (and n is not m^t), so that an attempt never
rejects more than half of its values: exactly uniform, but the attempts cost more than the
rejections they save (n = 2, m = 3: 2 draws keeping 8 of 9, 9/4 draws on average instead of 3/2)."""

CAUGHT_BY = ("test_rand_n_expected_draws",)


def _validated(n, m):
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if m < 2:
        raise ValueError(f"m must be at least 2 (a source with one value carries no randomness), got {m}")


def rand_n(n, m, rand_m):
    """A uniform int in 1..n from rand_m, a function whose every call rand_m() is one draw, uniform on 1..m."""
    _validated(n, m)
    if n == 1:
        return 1
    # t = ceil(log_m n), in integers: a float logarithm is off by one at exact
    # powers (math.log(125, 5) is 3.0000000000000004).
    t, size = 0, 1
    while size < n:
        t += 1
        size *= m
    if size < 2 * n and size != n:
        t += 1
        size *= m
    limit = size - size % n   # the largest multiple of n that is at most m^t
    while True:
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return v % n + 1


def rand10(rand7):
    """A uniform int in 1..10 from rand7, a function whose every call rand7() is one draw, uniform on 1..7."""
    return rand_n(10, 7, rand7)
