"""Attempt length from a float logarithm, t = ceil(log(n, m)): one draw too many at exact
powers where the logarithm rounds up (math.log(7**40, 7) = 40.00000000000001 reads 41 draws)."""

import math

CAUGHT_BY = ("test_huge_n_exact_integer_arithmetic",)


def _check(n, m):
    if n < 1:
        raise ValueError("n must be at least 1")
    if m < 2:
        raise ValueError("m must be at least 2")


def rand_n(n, m, rand_m):
    _check(n, m)
    if n == 1:
        return 1
    t = math.ceil(math.log(n, m))
    size = m ** t
    limit = size - size % n
    while True:
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return v % n + 1


def rand10(rand7):
    return rand_n(10, 7, rand7)
