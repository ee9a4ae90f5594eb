"""Tests for the toy distributions: registry, seeded sampling, moments, densities, modes."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from ganforge.data.toy import ToyDistribution, toy_names
from ganforge.registry import datasets

ALL = ["bimodal", "gamma", "gaussian", "grid25", "moons", "ring8", "spiral"]
DIMS = {"bimodal": 1, "gamma": 1, "gaussian": 1, "grid25": 2, "moons": 2, "ring8": 2, "spiral": 2}


def draw(name: str, n: int, seed: int = 0) -> np.ndarray:
    return datasets.get(name).sample(n, torch.Generator().manual_seed(seed)).numpy()


def test_all_toys_are_registered_and_listed():
    assert toy_names() == ALL
    for name in ALL:
        dist = datasets.get(name)
        assert isinstance(dist, ToyDistribution)
        assert dist.name == name
        assert dist.description and "\n" not in dist.description


@pytest.mark.parametrize("name", ALL)
def test_sample_shape_dtype_and_finite(name):
    x = datasets.get(name).sample(300, torch.Generator().manual_seed(1))
    assert x.shape == (300, DIMS[name])
    assert x.dtype == torch.float32
    assert torch.isfinite(x).all()
    assert datasets.get(name).sample(0, torch.Generator()).shape == (0, DIMS[name])


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_samples_other_seed_differs(name):
    assert np.array_equal(draw(name, 500, seed=3), draw(name, 500, seed=3))
    assert not np.array_equal(draw(name, 500, seed=3), draw(name, 500, seed=4))


@pytest.mark.parametrize("name", ALL)
def test_sampling_uses_only_the_given_generator(name):
    torch.manual_seed(123)
    global_state = torch.get_rng_state()
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    datasets.get(name).sample(100, g1)
    datasets.get(name).sample(100, g2)
    assert torch.equal(torch.get_rng_state(), global_state)  # global RNG untouched
    assert torch.equal(g1.get_state(), g2.get_state())  # consumed the same way


def test_bad_n_is_rejected():
    with pytest.raises(ValueError):
        datasets.get("ring8").sample(-1, torch.Generator())


@pytest.mark.parametrize(
    "name, mean, var",
    [
        ("gaussian", 0.0, 1.0),
        ("gamma", 4.0, 8.0),  # shape k=2, scale t=2: mean k t = 4, variance k t^2 = 8
        ("bimodal", 0.0, 4.25),  # 0.5^2 within + 2^2 between the two means
    ],
)
def test_1d_moments_on_20k_samples(name, mean, var):
    x = draw(name, 20_000).astype(np.float64)[:, 0]
    assert x.mean() == pytest.approx(mean, abs=0.1)
    assert x.var() == pytest.approx(var, rel=0.06)


def test_gamma_samples_are_positive_and_bimodal_has_two_clusters():
    assert (draw("gamma", 5000) > 0).all()
    x = draw("bimodal", 20_000)[:, 0]
    assert (x > 0).mean() == pytest.approx(0.5, abs=0.02)
    assert (np.abs(np.abs(x) - 2) < 1.5).mean() > 0.99  # 3 std of 0.5 around +-2


def test_ring8_lies_on_the_unit_circle_and_hits_all_modes():
    x = draw("ring8", 5000).astype(np.float64)
    radius = np.linalg.norm(x, axis=1)
    assert np.abs(radius - 1).max() < 0.06  # std 0.01: 6 std
    angles = np.round(np.arctan2(x[:, 1], x[:, 0]) / (2 * np.pi / 8)) % 8
    assert np.bincount(angles.astype(int), minlength=8).min() > 500  # ~625 each


def test_grid25_points_sit_on_the_grid():
    x = draw("grid25", 5000).astype(np.float64)
    node = np.round(x / 2) * 2
    assert np.abs(x - node).max() < 0.3  # std 0.05: 6 std
    assert len({tuple(p) for p in node}) == 25


def test_moons_and_spiral_ranges():
    moons = draw("moons", 5000)
    assert moons[:, 0].min() > -1.3 and moons[:, 0].max() < 2.3
    assert moons[:, 1].min() > -0.8 and moons[:, 1].max() < 1.3
    spiral = draw("spiral", 5000)
    assert np.linalg.norm(spiral, axis=1).max() < 1.15  # radius <= 1 plus noise 0.02


def test_modes_and_mode_std_as_published():
    ring = datasets.get("ring8")
    assert ring.modes.shape == (8, 2) and ring.mode_std == 0.01
    assert np.allclose(np.linalg.norm(ring.modes, axis=1), 1.0)
    assert np.allclose(ring.modes[2], [0.0, 1.0])  # 90 degrees

    grid = datasets.get("grid25")
    assert grid.modes.shape == (25, 2) and grid.mode_std == 0.05
    expected = {(a, b) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(m) for m in grid.modes} == expected

    assert np.array_equal(datasets.get("gaussian").modes, [[0.0]])
    assert datasets.get("gaussian").mode_std == 1.0
    assert np.array_equal(datasets.get("bimodal").modes, [[-2.0], [2.0]])
    assert datasets.get("bimodal").mode_std == 0.5
    for name in ("gamma", "moons", "spiral"):
        assert datasets.get(name).modes is None and datasets.get(name).mode_std is None


def test_distributions_are_immutable():
    ring = datasets.get("ring8")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ring.mode_std = 1.0
    with pytest.raises(ValueError):
        ring.modes[0, 0] = 5.0


def trapezoid_mass(name: str, lo: float, hi: float) -> float:
    grid = np.linspace(lo, hi, 20_001)
    return float(np.trapezoid(np.exp(datasets.get(name).log_density(grid[:, None])), grid))


@pytest.mark.parametrize(
    "name, lo, hi", [("gaussian", -10, 10), ("gamma", 0, 80), ("bimodal", -8, 8)]
)
def test_1d_density_integrates_to_one(name, lo, hi):
    assert trapezoid_mass(name, lo, hi) == pytest.approx(1.0, abs=1e-4)


def test_1d_densities_at_hand_checked_points():
    gaussian = datasets.get("gaussian").log_density(np.array([[0.0], [1.0]]))
    log_peak = -0.5 * math.log(2 * math.pi)  # N(0; 0, 1) = 1 / sqrt(2 pi); N(1) is e^-1/2 of it
    assert gaussian == pytest.approx([log_peak, log_peak - 0.5])
    # Gamma(2, 2) at x = 2: x e^(-x/2) / (Gamma(2) 2^2) = 2 e^-1 / 4, so log = log(1/2) - 1
    gamma = datasets.get("gamma")
    assert gamma.log_density(np.array([[2.0]]))[0] == pytest.approx(math.log(0.5) - 1)
    assert np.all(gamma.log_density(np.array([[0.0], [-1.0]])) == -np.inf)
    # bimodal at +2: 0.5 N(0; 0, 0.5^2) + 0.5 N(4; 0, 0.5^2), the second term is e^-32 smaller
    expected = math.log(0.5 / (0.5 * math.sqrt(2 * math.pi)))
    assert datasets.get("bimodal").log_density(np.array([[2.0]]))[0] == pytest.approx(expected)


def test_ring8_density_at_a_centre_and_its_integral():
    ring = datasets.get("ring8")
    at_centres = ring.log_density(ring.modes)
    # 1/8 * N(0; 0, 0.01^2 I) in 2D = 1/8 * 1 / (2 pi 0.01^2)
    assert at_centres == pytest.approx(np.full(8, math.log(1 / 8 / (2 * math.pi * 0.01**2))))
    # Riemann sum over a +-6 std square around each centre (the squares do not overlap; mass
    # outside them is ~1e-9). A step of a quarter std makes the sum exact to many digits.
    step = 0.0025
    axis = np.arange(-0.06, 0.06, step) + step / 2
    patch = np.stack([c.ravel() for c in np.meshgrid(axis, axis)], axis=1)  # (48*48, 2)
    points = (ring.modes[:, None, :] + patch[None]).reshape(-1, 2)
    mass = np.exp(ring.log_density(points)).sum() * step**2
    assert mass == pytest.approx(1.0, abs=1e-3)


def test_grid25_density_at_a_centre():
    grid = datasets.get("grid25")
    value = grid.log_density(np.array([[2.0, -4.0]]))[0]
    assert value == pytest.approx(math.log(1 / 25 / (2 * math.pi * 0.05**2)))


def test_log_density_checks_shape():
    with pytest.raises(ValueError):
        datasets.get("ring8").log_density(np.zeros((3, 1)))
    with pytest.raises(ValueError):
        datasets.get("gaussian").log_density(np.zeros(3))


@pytest.mark.parametrize("name", ["moons", "spiral"])
def test_moons_and_spiral_have_no_density(name):
    dist = datasets.get(name)
    assert dist.has_density is False
    with pytest.raises(NotImplementedError):
        dist.log_density(np.zeros((2, 2)))


@pytest.mark.parametrize("name", ["ring8", "grid25", "gaussian", "gamma", "bimodal"])
def test_known_densities_say_so(name):
    assert datasets.get(name).has_density is True
