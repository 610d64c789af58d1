"""rand10 makes two standard attempts (two draws, 40 of the 49 values kept) and, when both are
rejected, returns one more draw, 1..7, as its result. Every sequence of up to 4 draws is exactly
uniform, and it even reads fewer draws than the bound (2.40 expected), but at exactly 5 draws only
1..7 come out: P(1..7) = 0.1014 each, P(8..10) = 0.0966. A call always returns within 5 draws, which
no exactly uniform rand10 can do (10 divides no power of 7); rand_n is right."""

CAUGHT_BY = ("test_rand10_never_stops_rejecting",)


def _check(n, m):
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if m < 2:
        raise ValueError(f"m must be at least 2, got {m}")


def rand_n(n, m, rand_m):
    """A uniform int in 1..n from rand_m, a function whose every call rand_m() is one draw, uniform on 1..m."""
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
    """A uniform int in 1..10 from rand7, a function whose every call rand7() is one draw, uniform on 1..7."""
    for _ in range(2):
        v = (rand7() - 1) * 7 + (rand7() - 1)
        if v < 40:
            return v % 10 + 1
    return rand7()
