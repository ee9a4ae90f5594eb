"""Tests for the modality-free collapse signals: spread and nearest-neighbour distance ratios."""

import math

import numpy as np
import pytest

from ganforge.metrics.diversity import diversity_metrics, nn_distance_ratio, spread_ratio


def test_identical_distributions_give_ratios_near_one():
    rng = np.random.default_rng(0)
    real, generated = rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2))
    m = diversity_metrics(generated, real)
    assert set(m) == {"spread_ratio", "nn_distance_ratio"}
    assert abs(m["spread_ratio"] - 1) < 0.2
    assert abs(m["nn_distance_ratio"] - 1) < 0.2


def test_collapsed_generator_gives_zero():
    real = np.random.default_rng(0).standard_normal((1000, 2))
    generated = np.tile([[0.3, -0.2]], (1000, 1))  # every sample the same point
    assert spread_ratio(generated, real) == 0.0
    assert nn_distance_ratio(generated, real) == 0.0


def test_half_scale_gaussian_has_half_the_spread():
    rng = np.random.default_rng(1)
    real, generated = rng.standard_normal((4000, 3)), 0.5 * rng.standard_normal((4000, 3))
    assert spread_ratio(generated, real) == pytest.approx(0.5, abs=0.03)
    # Nearest-neighbour distances scale with the samples: also about 1/2.
    assert nn_distance_ratio(generated, real) == pytest.approx(0.5, abs=0.1)


def test_nan_rows_are_dropped_and_all_nan_is_zero():
    rng = np.random.default_rng(2)
    real, generated = rng.standard_normal((500, 2)), rng.standard_normal((500, 2))
    broken = generated.copy()
    broken[::10] = np.nan
    assert spread_ratio(broken, real) == pytest.approx(spread_ratio(generated[np.isfinite(broken).all(1)], real))
    assert spread_ratio(np.full((10, 2), np.nan), real) == 0.0
    assert nn_distance_ratio(np.full((10, 2), np.nan), real) == 0.0


def test_one_dimensional_inputs_images_and_degenerate_real():
    rng = np.random.default_rng(3)
    assert abs(spread_ratio(rng.standard_normal(800), rng.standard_normal(800)) - 1) < 0.15
    images = rng.standard_normal((300, 1, 4, 4))
    assert abs(nn_distance_ratio(images, rng.standard_normal((300, 1, 4, 4))) - 1) < 0.2
    constant = np.ones((100, 2))
    assert math.isnan(spread_ratio(rng.standard_normal((100, 2)), constant))
    assert math.isnan(nn_distance_ratio(rng.standard_normal((100, 2)), constant))


def test_nn_ratio_is_seeded():
    rng = np.random.default_rng(4)
    real, generated = rng.standard_normal((3000, 2)), rng.standard_normal((3000, 2))
    assert nn_distance_ratio(generated, real, n=500, seed=7) == nn_distance_ratio(generated, real, n=500, seed=7)
