"""Saves draws after a rejection: the next attempt keeps the last t - 1 draws of the rejected one
and reads a single fresh draw (a sliding window), instead of t fresh draws. Given that an attempt
was rejected its draws are not uniform (rand10: a rejected pair starts with 6 or 7), so neither
is the next attempt."""

CAUGHT_BY = ("test_rand10_is_exactly_uniform", "test_rand_n_is_exactly_uniform")


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
    digits = [rand_m() - 1 for _ in range(t)]
    while True:
        v = 0
        for d in digits:
            v = v * m + d
        if v < limit:
            return v % n + 1
        digits = digits[1:] + [rand_m() - 1]


def rand10(rand7):
    return rand_n(10, 7, rand7)
