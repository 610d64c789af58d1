import numpy as np
import pytest


@pytest.mark.correctness
def test_basic(solution):
    """Gives the textbook answer on a small input"""
    np.testing.assert_allclose(solution.softmax(np.array([1.0, 2.0, 3.0])).sum(), 1.0)
