"""Reference solution for the rand10 challenge.

The standard rejection scheme: an attempt reads t draws, the smallest t with
m^t >= n, as the t digits of a number v in 0..m^t - 1 (base m); v is kept
when it falls below the largest multiple of n that is at most m^t, and then
v mod n is the result (minus one); otherwise the attempt starts over with
t fresh draws. Every kept v is equally likely and each residue mod n holds
the same number of kept values, so the result is uniform at every number
of draws. Integers are Python ints throughout: exact for any n.
"""


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
    while True:
        v = 0
        for _ in range(t):
            v = v * m + (rand_m() - 1)
        if v < limit:
            return v % n + 1


def rand10(rand7):
    """A uniform int in 1..10 from rand7, a function whose every call rand7() is one draw, uniform on 1..7."""
    return rand_n(10, 7, rand7)
