import numpy as np
import pytest


@pytest.mark.correctness
def test_basic(solution):
    """Gives the textbook answer on a small input"""
    np.testing.assert_array_equal(solution.top_k(np.array([0.1, 0.9, 0.5]), 2), [1, 2])
