"""Keeps the last rejected remainder in a module-level variable: when an attempt is rejected,
v - L (its value above the largest multiple L of n) is stored, and every later result, in this call
and in the calls after it, is shifted by it: (v + remainder) % n + 1. Within a call that rejects,
the shift is a bijection of the kept values, so every result is still uniform at every number of
draws, and a call repeated on the same draws sets the remainder it then uses; but a call whose
draws are kept at once gives a different result after a call that rejected with a different
remainder: the same draws, different results in one process."""

CAUGHT_BY = ("test_result_depends_only_on_the_draws",)

_remainder = 0


def _validated(n, m):
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if m < 2:
        raise ValueError(f"m must be at least 2 (a source with one value carries no randomness), got {m}")


def rand_n(n, m, rand_m):
    """A uniform int in 1..n from rand_m, a function whose every call rand_m() is one draw, uniform on 1..m."""
    global _remainder
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
    while True:
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return (v + _remainder) % n + 1
        _remainder = v - limit


def rand10(rand7):
    """A uniform int in 1..10 from rand7, a function whose every call rand7() is one draw, uniform on 1..7."""
    return rand_n(10, 7, rand7)
