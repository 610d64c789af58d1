"""Defensive code around the source: an attempt is wrapped in try/except Exception, and a failing
source makes the call return None instead of crashing. The StopIteration that rand_m() raises when
the grader's script ends is swallowed, so on a script that ran out the call returns None instead of
letting StopIteration say that it needs more draws."""

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
    while True:
        try:
            v = 0
            for _ in range(t):
                v = v * m + (rand_m() - 1)
        except Exception:
            return None
        if v < limit:
            return v % n + 1


def rand10(rand7):
    return rand_n(10, 7, rand7)
