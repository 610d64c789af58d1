"""Chooses the attempt length that minimises the expected draws, t * m^t / L(t), among the first
few t with m^t >= n (for n = 5 from bits, 4 draws keep 15 of 16: 4.27 draws instead of 4.8), and
reads an attempt with a generator expression (so a source that runs out raises the RuntimeError
Python makes of StopIteration there). rand10 calls rand_n."""

from fractions import Fraction


def _best_length(n, m):
    t, size = 0, 1
    while size < n:
        t, size = t + 1, size * m
    best = None
    for _ in range(4):
        cost = Fraction(t * size, size - size % n)
        if best is None or cost < best[0]:
            best = (cost, t, size)
        t, size = t + 1, size * m
    return best[1], best[2]


def rand_n(n, m, rand_m):
    if n < 1:
        raise ValueError("n < 1")
    if m < 2:
        raise ValueError("m < 2")
    if n == 1:
        return 1
    t, size = _best_length(n, m)
    limit = size - size % n
    while True:
        v = sum((rand_m() - 1) * m ** (t - 1 - i) for i in range(t))
        if v < limit:
            return 1 + v % n


def rand10(rand7):
    return rand_n(10, 7, rand7)
