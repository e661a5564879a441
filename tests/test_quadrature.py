"""Quadrature rules: weights, exactness and nesting."""

import numpy as np
import pytest

from tb_attrib.engine import quadrature


@pytest.mark.parametrize("method", quadrature.FIXED_METHODS)
@pytest.mark.parametrize("steps", [2, 5, 16])
def test_weights_sum_to_one_and_points_in_unit_interval(method, steps):
    rule = quadrature.rule(method, steps)
    assert rule.steps == steps
    assert np.isclose(rule.weights.sum(), 1.0)
    assert rule.alphas.min() >= 0.0 and rule.alphas.max() <= 1.0


def test_gauss_legendre_is_exact_for_polynomials_of_degree_2n_minus_1():
    rule = quadrature.rule("gausslegendre", 4)
    for degree in range(8):
        assert np.isclose((rule.weights * rule.alphas**degree).sum(), 1.0 / (degree + 1))


def test_trapezoid_and_midpoint_are_exact_for_lines():
    for method in ("riemann_trapezoid", "riemann_middle"):
        rule = quadrature.rule(method, 7)
        assert np.isclose((rule.weights * (3 * rule.alphas + 1)).sum(), 2.5)


@pytest.mark.parametrize("method", [m for m in quadrature.FIXED_METHODS if quadrature.is_nested(m)])
def test_refined_rule_keeps_every_earlier_point(method):
    coarse = 4 if method != "riemann_trapezoid" else 5
    fine = quadrature.refine(method, coarse)
    new = quadrature.new_points(method, coarse, fine)
    assert len(new) == fine - coarse
    old = np.delete(quadrature.rule(method, fine).alphas, new)
    assert np.allclose(np.sort(old), np.sort(quadrature.rule(method, coarse).alphas))


def test_bad_method_and_steps_are_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        quadrature.rule("simpson", 4)
    with pytest.raises(ValueError, match="at least 2"):
        quadrature.rule("riemann_trapezoid", 1)
    with pytest.raises(ValueError, match="no fixed rule"):
        quadrature.rule("adaptive_trapezoid", 8)
