"""Checks m but not n: n = 0 divides by zero (ZeroDivisionError) and n = -3 returns 1,
instead of raising ValueError."""

CAUGHT_BY = ("test_invalid_arguments_raise",)


def _check(n, m):
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
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return v % n + 1


def rand10(rand7):
    return rand_n(10, 7, rand7)
