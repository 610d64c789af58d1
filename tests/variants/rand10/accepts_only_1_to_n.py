"""Keeps only the values 0..n-1 of an attempt instead of the largest multiple of n: exactly
uniform, but rand10 keeps 10 of 49 values (9.8 draws on average instead of 2.45), and rand_n(3, 7)
3 of 7."""

CAUGHT_BY = ("test_rand10_expected_draws", "test_rand_n_expected_draws")


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
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < n:
            return v % n + 1


def rand10(rand7):
    return rand_n(10, 7, rand7)
