"""Stops rejecting after ten attempts: when the tenth attempt of t draws is rejected too, it returns
v mod n + 1 from that rejected v instead of drawing again. The rejected values are not a multiple
of n, so at exactly 10 t draws some results come more often than others (for n = 3 from m = 4, the
sequences of 10 draws that end a call give 1 twice as often as 2 or 3): uniform only in the limit,
not at every number of draws."""

CAUGHT_BY = ("test_rand_n_is_exactly_uniform",
             "test_rand10_never_stops_rejecting",
             "test_rand_n_never_stops_rejecting")


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
    limit = size - size % n   # the largest multiple of n that is at most m^t
    for _ in range(10):
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return v % n + 1
    return v % n + 1


def rand10(rand7):
    """A uniform int in 1..10 from rand7, a function whose every call rand7() is one draw, uniform on 1..7."""
    return rand_n(10, 7, rand7)

