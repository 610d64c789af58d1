"""`checks.close` decides each entry by its rule, whatever the size of the arrays.

Large real arrays go through a blockwise pass (checks.all_within); these
tests place the entry that decides in the first, a middle and the last,
partial, block, so a block skipped or a bound computed differently fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.grading import checks

SIZE = 3 * checks._BLOCK + 5     # three whole blocks and a partial one
PLACES = [0, checks._BLOCK + 17, SIZE - 1]


def ones_with(place: int, value: float) -> tuple[np.ndarray, np.ndarray]:
    """(actual, expected): two arrays of ones, both holding `value` at `place`."""
    actual, expected = np.ones(SIZE), np.ones(SIZE)
    actual[place] = expected[place] = value
    return actual, expected


def passes(actual, expected, **tolerance) -> bool:
    try:
        checks.close(actual, expected, what="x", **tolerance)
    except checks.GradeFailure:
        return False
    return True


@pytest.mark.parametrize("place", PLACES)
def test_an_entry_exactly_at_the_bound_passes_and_one_just_over_fails(place):
    expected = np.zeros(SIZE)
    actual = np.zeros(SIZE)
    actual[place] = 0.5                    # |diff| = atol exactly: within
    assert passes(actual, expected, atol=0.5)
    actual[place] = np.nextafter(0.5, 1.0)
    with pytest.raises(checks.GradeFailure, match=rf"1 of {SIZE} entries differs"):
        checks.close(actual, expected, atol=0.5, what="x")


@pytest.mark.parametrize("place", PLACES)
def test_the_relative_part_of_the_bound_scales_with_the_expected_entry(place):
    expected = np.full(SIZE, 1e6)
    actual = expected.copy()
    actual[place] = 1e6 + 1.0              # 1e-6 relative: within rtol 2e-6, not within 5e-7
    assert passes(actual, expected, rtol=2e-6)
    assert not passes(actual, expected, rtol=5e-7)
    assert passes(actual, expected, rtol=5e-7, atol=1.0)


@pytest.mark.parametrize("place", PLACES)
def test_nan_matches_nan_only_where_both_have_it(place):
    actual, expected = ones_with(place, np.nan)
    assert passes(actual, expected, atol=1e-12)
    assert not passes(actual, expected, atol=1e-12, equal_nan=False)
    actual[place] = 1.0
    assert not passes(actual, expected, atol=1e-12)
    assert not passes(expected, actual, atol=1e-12)


@pytest.mark.parametrize("place", PLACES)
def test_infinities_must_be_equal(place):
    actual, expected = ones_with(place, np.inf)
    assert passes(actual, expected, rtol=1e-9)
    actual[place] = -np.inf
    assert not passes(actual, expected, rtol=1e-9)
    actual[place] = 1e308
    assert not passes(actual, expected, rtol=1e-9)
    expected[place], actual[place] = 1e308, np.inf   # a tolerance of 10 |expected| is infinite in float64
    assert not passes(actual, expected, rtol=10.0)


def test_integer_and_strided_arrays_are_compared_as_float64():
    expected = np.arange(2 * SIZE, dtype=np.int64)[::2]      # a strided view
    actual = expected.astype(np.float64) + 0.25
    assert passes(actual, expected, atol=0.25)
    assert not passes(actual, expected, atol=0.125)
    assert passes(expected, expected.copy())                  # exact, no tolerance
    assert passes(np.float32(1.5), 1.5)


def test_the_first_and_largest_differences_are_reported_from_any_block():
    expected = np.zeros(SIZE)
    actual = np.zeros(SIZE)
    actual[checks._BLOCK + 17] = 1.0
    actual[SIZE - 1] = 3.0
    with pytest.raises(checks.GradeFailure) as failure:
        checks.close(actual, expected, atol=0.5, what="x")
    message = str(failure.value)
    assert f"2 of {SIZE} entries differ" in message
    assert f"first at index ({checks._BLOCK + 17},)" in message
    assert f"largest difference at index ({SIZE - 1},)" in message


def test_all_within_passes_only_two_real_arrays_of_the_same_shape():
    """What a grader's fast check must not let through: its full check judges these."""
    expected = np.full(10, 0.1)
    assert checks.all_within(expected.copy(), expected, atol=1e-12)
    assert not checks.all_within(expected + 1j, expected, atol=1e-12)          # the imaginary part counts
    assert not checks.all_within(np.array(["0.1"] * 10), expected, atol=1e-12)  # strings that parse as numbers
    assert not checks.all_within(expected[:5], expected, atol=1e-12)            # a prefix of the answer
    assert not checks.all_within(expected.reshape(2, 5), expected, atol=1e-12)
    assert not passes(expected + 1j, expected, atol=1e-12)
    assert passes(expected + 0j, expected, atol=1e-12)                          # as close always judged it
