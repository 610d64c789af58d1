"""Builds the number from the draws in float64: exact below 2^53, but for n = 2^100 or 7^40
the last draws are rounded away and different draws give the same result."""

CAUGHT_BY = ("test_huge_n_exact_integer_arithmetic", "test_huge_n_not_a_power_exact_integer_arithmetic")


def _check(n, m):
    if n < 1:
        raise ValueError("n must be at least 1")
    if m < 2:
        raise ValueError("m must be at least 2")


def rand_n(n, m, rand_m):
    _check(n, m)
    if n == 1:
        return 1
    t, size = 0, 1
    while size < n:
        t += 1
        size *= m
    limit = size - size % n
    while True:
        v = 0.0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return int(v) % n + 1


def rand10(rand7):
    return rand_n(10, 7, rand7)
