import numpy as np
import pytest


@pytest.mark.correctness
def test_basic(solution):
    """Gives the textbook answer on a small input"""
    np.testing.assert_allclose(solution.center(np.array([[1.0], [3.0]])), [[-1.0], [1.0]])
