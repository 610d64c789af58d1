import numpy as np
import pytest


@pytest.mark.correctness
def test_basic(solution):
    """Gives the textbook answer on a small input"""
    np.testing.assert_allclose(solution.sigmoid(np.array([0.0])), [0.5])
