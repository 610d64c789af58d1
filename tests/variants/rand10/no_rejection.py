"""Keeps all m^t values of an attempt: v % n + 1 with no rejection, so the results whose
residues appear once more among 0..m^t - 1 are more likely (rand10: 1..9 come from 5 of the 49
values, 10 from 4)."""

CAUGHT_BY = ("test_rand10_is_exactly_uniform",
             "test_rand_n_is_exactly_uniform",
             "test_huge_n_not_a_power_exact_integer_arithmetic",
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
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        return v % n + 1


def rand10(rand7):
    return rand_n(10, 7, rand7)
