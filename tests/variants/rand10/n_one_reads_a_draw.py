"""Reads one draw even for n = 1: the attempt length starts at one draw (a do-while loop)
instead of zero, and there is no shortcut for n = 1."""

CAUGHT_BY = ("test_n_one_reads_no_draw",)


def _check(n, m):
    if n < 1:
        raise ValueError("n must be at least 1")
    if m < 2:
        raise ValueError("m must be at least 2")


def rand_n(n, m, rand_m):
    _check(n, m)
    t, size = 1, m
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
