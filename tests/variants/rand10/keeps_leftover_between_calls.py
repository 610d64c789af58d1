"""Recycles randomness across calls: a kept value v of an attempt gives the result v % n + 1, and
v // n (uniform on 0..L/n - 1, independent of the result) is stored in a module-level variable
and used as the first digits of the next call's number. With a true random source every result
is still uniform, but a call's result no longer depends only on its own draws: the same draws
give different results in one process. Among the graded cases only n = 10, m = 7 leaves more
than one value to keep (L / n = 4), so the exact uniformity checks of rand10 and rand_n(10, 7),
which count what each sequence of draws gives, see their results shift with the calls made
before."""

CAUGHT_BY = ("test_rand10_is_exactly_uniform", "test_rand_n_is_exactly_uniform", "test_result_depends_only_on_the_draws")

_leftover = [0, 1]     # value, size: value is uniform on 0..size-1


def _check(n, m):
    if n < 1:
        raise ValueError("n must be at least 1")
    if m < 2:
        raise ValueError("m must be at least 2")


def rand_n(n, m, rand_m):
    _check(n, m)
    if n == 1:
        return 1
    value, size = _leftover
    _leftover[:] = [0, 1]
    while True:
        while size < n:
            value, size = value * m + (rand_m() - 1), size * m
        limit = size - size % n
        if value < limit:
            _leftover[:] = [value // n, limit // n]
            return value % n + 1
        value, size = 0, 1


def rand10(rand7):
    return rand_n(10, 7, rand7)
