"""Functional style: an attempt's number is folded from the draws with functools.reduce, the
source called inside the lambda (a StopIteration raised there propagates out of reduce, unlike
out of map), the attempt length found with itertools.count, and an attempt a nested function
that returns None when it rejects. rand10 is a one-liner over rand_n."""

import functools
import itertools


def _attempt_length(n, m):
    return next(t for t in itertools.count() if m ** t >= n)


def rand_n(n, m, rand_m):
    if n < 1:
        raise ValueError("n must be a positive int")
    if m < 2:
        raise ValueError("m must be at least 2")
    if n == 1:
        return 1
    t = _attempt_length(n, m)
    size = m ** t
    keep = size // n * n

    def attempt():
        v = functools.reduce(lambda acc, _: acc * m + rand_m() - 1, range(t), 0)
        return v % n + 1 if v < keep else None

    result = attempt()
    while result is None:
        result = attempt()
    return result


def rand10(rand7):
    return rand_n(10, 7, rand7)
