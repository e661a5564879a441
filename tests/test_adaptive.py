"""The adaptive trapezoid rule's pieces: start grid, weights, error ranking, bisection."""

import numpy as np
import pytest

from tb_attrib.engine import adaptive


def _grid(*alphas):
    return np.array([alphas], np.float64)


def test_start_grid_is_dyadic_and_fits_the_budget():
    assert adaptive.start_grid(2).tolist() == [0.0, 1.0]
    assert adaptive.start_grid(3).tolist() == [0.0, 0.5, 1.0]
    assert adaptive.start_grid(4).tolist() == [0.0, 0.5, 1.0]
    assert adaptive.start_grid(64).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError, match="at least 2 steps"):
        adaptive.start_grid(1)


def test_trapezoid_weights_on_an_uneven_grid_integrate_lines_exactly():
    alphas = _grid(0.0, 0.125, 0.25, 0.5, 1.0)
    weights = adaptive.trapezoid_weights(alphas)
    np.testing.assert_allclose(weights, [[0.0625, 0.125, 0.1875, 0.375, 0.25]])
    assert np.isclose(weights.sum(), 1.0)
    assert np.isclose((weights * (3 * alphas + 1)).sum(), 2.5)


def test_a_line_has_no_error_and_a_kink_has_the_largest():
    alphas = np.linspace(0, 1, 9)[None]
    line = (2 * alphas + 1)[..., None] * np.ones(5)
    np.testing.assert_allclose(adaptive.interval_errors(alphas, line), 0.0, atol=1e-12)
    kink = np.maximum(alphas - 0.6, 0.0)[..., None] * np.ones(5)  # bends inside [0.5, 0.625]
    errors = adaptive.interval_errors(alphas, kink)[0]
    assert errors.shape == (8,)
    assert set(np.flatnonzero(errors == errors.max())) <= {3, 4, 5}
    assert errors[:3].max() == 0.0 and errors[6:].max() == 0.0


def test_split_points_bisect_the_intervals_around_a_jump_in_each_row():
    alphas = np.tile(np.linspace(0, 1, 5), (2, 1))
    values = np.zeros((2, 5, 3))
    values[0, 4:] = 1.0  # jumps inside [0.75, 1]
    values[1, 1:] = 1.0  # jumps inside [0, 0.25]
    middle = adaptive.split_points(alphas, values, count=2)
    assert middle.shape == (2, 2)
    assert 0.875 in middle[0] and 0.125 in middle[1]
    assert adaptive.split_count(5, budget=100) == 2  # half of 4 intervals
    assert adaptive.split_count(33, budget=3) == 3  # capped by the budget
    assert adaptive.split_count(2, budget=100) == 1


def test_masked_weights_are_the_rule_on_the_sub_grid():
    alphas = _grid(0.0, 0.25, 0.5, 0.75, 1.0)
    included = np.array([[True, False, True, False, True]])
    weights = adaptive.masked_trapezoid_weights(alphas, included)
    np.testing.assert_allclose(weights, [[0.25, 0.0, 0.5, 0.0, 0.25]])
    everything = adaptive.masked_trapezoid_weights(alphas, np.ones_like(included))
    np.testing.assert_allclose(everything, adaptive.trapezoid_weights(alphas))


def test_padding_has_no_intervals_and_is_never_bisected():
    # Row 0 has 4 real points, padded with 1.0 to the 5 of row 1.
    alphas = np.array([[0.0, 0.5, 0.75, 1.0, 1.0], [0.0, 0.25, 0.5, 0.75, 1.0]])
    values = np.zeros((2, 5, 2))
    values[0, 3:] = 1.0  # a jump in row 0's last real interval, [0.75, 1]
    values[1, 3:] = 1.0
    errors = adaptive.interval_errors(alphas, values, np.array([4, 5]))
    assert np.isneginf(errors[0, 3]) and np.all(np.isfinite(errors[0, :3]))
    assert np.all(np.isfinite(errors[1])) and errors[0, 0] == 0.0
    middle = adaptive.split_points(alphas, values, np.array([1, 2]), np.array([4, 5]))
    assert middle.shape == (2, 2)
    assert middle[0, 0] in (0.625, 0.875) and middle[0, 1] == 1.0  # a midpoint, then padding
    np.testing.assert_array_equal(adaptive.split_mask(np.array([1, 2])), [[1, 0], [1, 1]])


def test_a_known_point_near_the_midpoint_is_taken_instead():
    left, right = np.array([[0.0, 0.5]]), np.array([[0.25, 1.0]])
    known = np.array([0.1, 0.7, 0.76])
    points, index = adaptive.snap(left, right, known)
    # 0.1 is 0.025 from 0.125 (within a quarter of 0.25); 0.76 is nearest 0.75 in [0.5, 1].
    np.testing.assert_allclose(points, [[0.1, 0.76]])
    np.testing.assert_array_equal(index, [[0, 2]])
    far, index = adaptive.snap(np.array([[0.0]]), np.array([[0.25]]), np.array([0.2]))
    np.testing.assert_allclose(far, [[0.125]])
    assert index.tolist() == [[-1]]
