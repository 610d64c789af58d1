"""For n <= m draws once and rejects every value above n (rand3 from rand7 keeps 1..3),
instead of keeping the largest multiple of n (1..6, reduced mod 3): uniform, but 7/3 draws on
average instead of 7/6."""

CAUGHT_BY = ("test_rand_n_expected_draws",)


def _check(n, m):
    if n < 1:
        raise ValueError("n must be at least 1")
    if m < 2:
        raise ValueError("m must be at least 2")


def rand_n(n, m, rand_m):
    _check(n, m)
    if n == 1:
        return 1
    if n <= m:
        while True:
            x = rand_m()
            if x <= n:
                return x
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
