"""Caps the attempts for a source of bits (m = 2) at three: when the third attempt of t draws is
rejected too, it returns v mod n + 1 from that rejected v. For n = 5 from m = 2 (t = 3) the
sequences of exactly 9 draws that end a call then give 1, 2 and 3 twice as often as 4 and 5.
The uniformity test explores (5, 2) to 6 draws only; every call returns within 9 draws, which the
search for a sequence of 40 draws still running finds out (the expected-draws test, which explores
9 and checks the results it counts, is not run once a correctness test fails)."""

CAUGHT_BY = ("test_rand_n_never_stops_rejecting",)


def _validated(n, m):
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if m < 2:
        raise ValueError(f"m must be at least 2 (a source with one value carries no randomness), got {m}")


def rand_n(n, m, rand_m):
    """A uniform int in 1..n from rand_m, a function whose every call rand_m() is one draw, uniform on 1..m."""
    _validated(n, m)
    if n == 1:
        return 1
    # t = ceil(log_m n), in integers: a float logarithm is off by one at exact
    # powers (math.log(125, 5) is 3.0000000000000004).
    t, size = 0, 1
    while size < n:
        t += 1
        size *= m
    limit = size - size % n   # the largest multiple of n that is at most m^t
    attempts = 0
    while True:
        attempts += 1
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        # A coin-flip source can reject many times in a row: capped at three attempts.
        if v < limit or (m == 2 and attempts == 3):
            return v % n + 1


def rand10(rand7):
    """A uniform int in 1..10 from rand7, a function whose every call rand7() is one draw, uniform on 1..7."""
    return rand_n(10, 7, rand7)

