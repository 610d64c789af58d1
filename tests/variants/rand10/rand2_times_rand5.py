"""rand10 from a fair bit and a rand5, each by rejection from rand7 (7 rejected for the bit,
6 and 7 for rand5): exactly uniform, but 7/6 + 7/5 = 2.57 draws on average, above the 2.45 of
two-draw attempts."""

CAUGHT_BY = ("test_rand10_expected_draws",)


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
    bit = rand7()
    while bit == 7:
        bit = rand7()
    five = rand7()
    while five > 5:
        five = rand7()
    return five + 5 * (bit % 2)
