"""Reads each attempt's draws with map(lambda _: rand_m(), range(t)): map takes the StopIteration
that rand_m() raises when the grader's script ends as its own end and stops silently, so on a
script that ran out the function computes a result from draws that never came (from no draws at
all, v = 0 and the result 1) instead of letting StopIteration say that it needs more."""

CAUGHT_BY = ("test_rand10_is_exactly_uniform",
             "test_rand_n_is_exactly_uniform",
             "test_rand10_never_stops_rejecting",
             "test_rand_n_never_stops_rejecting")


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
        for d in map(lambda _: rand_m(), range(t)):
            v = v * m + (d - 1)
        if v < limit:
            return v % n + 1


def rand10(rand7):
    return rand_n(10, 7, rand7)
