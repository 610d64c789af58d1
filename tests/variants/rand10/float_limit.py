"""The limit L, the largest multiple of n that is at most m^t, computed through a float division,
int(m**t / n) * n: for n just above m^t / 2 (n = 10^30 / 2 + 1, m = 10, t = 30) the quotient
1.99... rounds to 2.0, so L = 2n exceeds m^t, nothing is rejected and the results are not
uniform (2 and 2 + n give the same result)."""

CAUGHT_BY = ("test_huge_n_not_a_power_exact_integer_arithmetic",)


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
    limit = int(size / n) * n   # the largest multiple of n that is at most m^t
    while True:
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return v % n + 1


def rand10(rand7):
    """A uniform int in 1..10 from rand7, a function whose every call rand7() is one draw, uniform on 1..7."""
    return rand_n(10, 7, rand7)
