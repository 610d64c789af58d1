"""Keeps the attempt length t and the limit L in a module-level dict keyed by n alone: the first
call for an n decides them, and a later call with the same n and another m uses them (after
rand_n(9, 10), rand_n(9, 3) reads one draw per attempt and gives only 3 results)."""

CAUGHT_BY = ("test_result_depends_only_on_the_draws",)

_PLANS = {}


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
    if n not in _PLANS:
        # t = ceil(log_m n), in integers: a float logarithm is off by one at exact
        # powers (math.log(125, 5) is 3.0000000000000004).
        t, size = 0, 1
        while size < n:
            t += 1
            size *= m
        _PLANS[n] = (t, size - size % n)   # the largest multiple of n that is at most m^t
    t, limit = _PLANS[n]
    while True:
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return v % n + 1


def rand10(rand7):
    """A uniform int in 1..10 from rand7, a function whose every call rand7() is one draw, uniform on 1..7."""
    return rand_n(10, 7, rand7)
