"""batched_matmul: the reference beside np.matmul on the same operands.

np.matmul runs its batch loop in C (BLAS per matrix for float64, its own
inner loop for tiny ones); the reference loops over the batch in Python for
large matrices, uses one 2-d np.dot when an operand is shared by the whole
batch, and for tiny matrices copies cache-sized chunks of the batch to a
batch-innermost layout for einsum's C loop. The issue's target for this
challenge is a ratio of at most 1.5; the 8 x 8 case stays above it (about
3.5x: the layout copies alone take about 2x np.matmul's time, einsum's
in-cache multiply-adds 1.6x; see the reference's docstring).
"""

from __future__ import annotations

import numpy as np

from benchmarks.libraries import Case


def _operands(shape_a, shape_b, seed):
    g = np.random.default_rng(seed)
    return lambda: (g.normal(size=shape_a), g.normal(size=shape_b))


CASES = [
    Case("(2, 1024, 1024) x (2, 1024, 1024): few large matrices", _operands((2, 1024, 1024), (2, 1024, 1024), 1),
         lambda ref, a, b: ref.matmul(a, b), np.matmul),
    Case("(1000000, 3, 3) x (1000000, 3, 3): many tiny matrices", _operands((1_000_000, 3, 3), (1_000_000, 3, 3), 2),
         lambda ref, a, b: ref.matmul(a, b), np.matmul),
    Case("(100000, 8, 8) x (100000, 8, 8): many small matrices", _operands((100_000, 8, 8), (100_000, 8, 8), 3),
         lambda ref, a, b: ref.matmul(a, b), np.matmul),
    Case("(500, 200) x (1000, 200, 100): a shared first operand", _operands((500, 200), (1000, 200, 100), 4),
         lambda ref, a, b: ref.matmul(a, b), np.matmul),
    Case("(4000, 50, 60) x (60,): a batch of matrix-vector products", _operands((4000, 50, 60), (60,), 5),
         lambda ref, a, b: ref.matmul(a, b), np.matmul),
]
