"""Returns v % n, a result in 0..n-1 instead of 1..n."""

CAUGHT_BY = ("test_rand10_is_exactly_uniform", "test_rand_n_is_exactly_uniform", "test_huge_n_exact_integer_arithmetic")


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
        if v < limit:
            return v % n


def rand10(rand7):
    return rand_n(10, 7, rand7)
