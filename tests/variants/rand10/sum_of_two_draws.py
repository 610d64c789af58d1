"""rand10 as (a + b) % 10 + 1 from two draws: the sums 2..14 are not equally likely (a
triangle), so neither are the results; rand_n is right."""

CAUGHT_BY = ("test_rand10_is_exactly_uniform", "test_rand10_never_stops_rejecting")


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
            return v % n + 1


def rand10(rand7):
    a = rand7()
    b = rand7()
    return (a + b) % 10 + 1
