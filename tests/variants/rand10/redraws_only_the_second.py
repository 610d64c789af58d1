"""The classic two-draw rand10, but a rejected pair redraws only its second draw: the first
draw is kept, so a first draw of 7 can never be accepted and 6 is accepted with the wrong
weight."""

CAUGHT_BY = ("test_rand10_is_exactly_uniform",)


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
    idx = (a - 1) * 7 + b
    while idx > 40:
        b = rand7()
        idx = (a - 1) * 7 + b
    return (idx - 1) % 10 + 1
