"""The draws of an attempt read with a list comprehension as little-endian digits, the number
summed with precomputed powers (Python ints), and a kept value mapped by integer division (each
block of L / n consecutive values is one result) instead of a remainder. rand10 is the classic
two-draw code with 1-based indices."""

import math


def rand_n(n, m, rand_m):
    if not (n >= 1 and m >= 2):
        raise ValueError("rand_n needs n >= 1 and m >= 2")
    if n == 1:
        return 1
    powers = [1]
    while powers[-1] < n:
        powers.append(powers[-1] * m)
    t, size = len(powers) - 1, powers[-1]
    per_result = size // n             # L / n values per result, L = n * per_result
    while True:
        digits = [rand_m() - 1 for _ in range(t)]
        v = sum(d * p for d, p in zip(digits, powers))
        if v < n * per_result:
            return v // per_result + 1


def rand10(rand7):
    while True:
        row = rand7()
        col = rand7()
        idx = col + (row - 1) * 7      # 1..49
        if idx <= 40:
            return 1 + (idx - 1) % 10
