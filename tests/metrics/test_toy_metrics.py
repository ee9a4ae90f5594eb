"""Tests for the toy metrics: mode coverage/quality, reverse KL, histogram JS, toy_metrics."""

import json
import math

import numpy as np
import pytest
import torch

from ganforge.data.toy import GaussianMixture
from ganforge.metrics.toy import js_divergence, mode_metrics, toy_metrics
from ganforge.registry import datasets

RING = datasets.get("ring8")
GRID = datasets.get("grid25")
SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # K = 4 modes


def draw(dist, n: int, seed: int) -> np.ndarray:
    return dist.sample(n, torch.Generator().manual_seed(seed)).numpy()


def half_modes(dist, n: int, seed: int) -> np.ndarray:
    """A collapsed generator: the same law, but on only the first half of the modes."""
    keep = dist.modes[: (len(dist.modes) + 1) // 2]
    half = GaussianMixture(
        name="half", dim=dist.dim, description="", modes=keep, mode_std=dist.mode_std
    )
    return draw(half, n, seed)


# ---- mode_metrics -------------------------------------------------------------------------------


def test_points_exactly_at_every_mode():
    m = mode_metrics(np.repeat(RING.modes, 3, axis=0), RING.modes, 0.01)
    assert m["modes_covered"] == 8 and m["modes_total"] == 8
    assert m["high_quality_fraction"] == 1.0 and m["reverse_kl"] == 0.0


def test_all_points_at_one_mode_gives_log_k():
    m = mode_metrics(np.repeat(RING.modes[:1], 10, axis=0), RING.modes, 0.01)
    assert m["modes_covered"] == 1
    assert m["high_quality_fraction"] == 1.0
    assert m["reverse_kl"] == pytest.approx(math.log(8))  # q = (1, 0, ...): 1 * log(1 * 8)


def test_points_far_from_every_mode_are_not_high_quality():
    m = mode_metrics(np.zeros((50, 2)), RING.modes, 0.01)  # the centre is 1 = 100 std away
    assert m["high_quality_fraction"] == 0.0
    assert m["modes_covered"] == 0
    assert m["reverse_kl"] == pytest.approx(math.log(8))  # no high-quality samples: log K


def test_half_and_half_on_two_of_four_modes_gives_log_2():
    samples = np.array([[0.0, 0.0]] * 5 + [[1.0, 0.0]] * 5)
    m = mode_metrics(samples, SQUARE, 0.1)
    # q = (1/2, 1/2, 0, 0): 2 * 1/2 log(1/2 / (1/4)) = log 2
    assert m["modes_covered"] == 2 and m["modes_total"] == 4
    assert m["reverse_kl"] == pytest.approx(math.log(2))


def test_uneven_split_by_hand():
    samples = np.array([[-2.0]] * 3 + [[2.0]])
    m = mode_metrics(samples, np.array([[-2.0], [2.0]]), 0.5)
    # q = (3/4, 1/4): 3/4 log(3/2) + 1/4 log(1/2) = 0.304099 - 0.173287 = 0.130812
    assert m["reverse_kl"] == pytest.approx(0.130812, abs=1e-6)


def test_three_std_threshold():
    # distances 2.9 and 3.1 std (std 0.1) from the mode at the origin
    samples = np.array([[0.29, 0.0], [0.0, 0.31]])
    m = mode_metrics(samples, SQUARE, 0.1)
    assert m["high_quality_fraction"] == 0.5
    assert m["modes_covered"] == 1


def test_nan_and_inf_rows_are_not_high_quality():
    samples = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, 0.0], [np.inf, -np.inf]])
    m = mode_metrics(samples, SQUARE, 0.1)
    assert m["high_quality_fraction"] == 0.5
    assert m["modes_covered"] == 2
    assert m["reverse_kl"] == pytest.approx(math.log(2))
    all_nan = mode_metrics(np.full((5, 2), np.nan), SQUARE, 0.1)
    assert all_nan["reverse_kl"] == pytest.approx(math.log(4))


def test_true_grid25_samples():
    m = mode_metrics(draw(GRID, 20_000, seed=0), GRID.modes, GRID.mode_std)
    assert m["modes_covered"] == 25
    # |x - mu|^2 / s^2 is chi-square with 2 dof: P(within 3 std) = 1 - exp(-9/2) = 0.98889
    assert m["high_quality_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.003)
    assert m["reverse_kl"] < 0.01


def test_mode_metrics_rejects_mismatched_dims():
    with pytest.raises(ValueError):
        mode_metrics(np.zeros((3, 1)), SQUARE, 0.1)


# ---- js_divergence ------------------------------------------------------------------------------


def test_js_of_identical_sets_is_zero():
    x = draw(RING, 1000, seed=1)
    assert js_divergence(x, x) == pytest.approx(0.0, abs=1e-12)


def test_js_of_disjoint_sets_is_log_2():
    assert js_divergence(np.zeros((100, 1)), np.ones((80, 1))) == pytest.approx(math.log(2))
    far = draw(RING, 500, seed=2) + 10.0  # beyond the grid: all mass outside
    assert js_divergence(far, draw(RING, 500, seed=3)) == pytest.approx(math.log(2))


def test_js_by_hand_one_cell_against_two():
    reference = np.array([[0.0]] * 50 + [[1.0]] * 50)
    samples = np.zeros((100, 1))
    # p = (1, 0), q = (1/2, 1/2), m = (3/4, 1/4):
    # 1/2 log(4/3) + 1/2 (1/2 log(2/3) + 1/2 log 2) = 0.143841 + 0.071921 = 0.215762
    assert js_divergence(samples, reference) == pytest.approx(0.215762, abs=1e-6)


def test_nan_rows_count_as_mass_outside_the_grid():
    reference = draw(RING, 1000, seed=4).astype(np.float64)
    samples = np.concatenate([reference, np.full((1000, 2), np.nan)])
    # p = q/2 on the grid + 1/2 outside: 1/2 * 1/2 log(4/3) + 1/2 log(4/3) = 3/4 log(4/3)
    assert js_divergence(samples, reference) == pytest.approx(0.75 * math.log(4 / 3))
    samples[:1000] = np.inf
    assert js_divergence(samples, reference) == pytest.approx(math.log(2))


@pytest.mark.parametrize("dist", [RING, GRID], ids=["ring8", "grid25"])
def test_js_floor_is_small_and_half_the_modes_is_clearly_larger(dist):
    reference = draw(dist, 2500, seed=5)
    floor = js_divergence(draw(dist, 2500, seed=6), reference)
    collapsed = js_divergence(half_modes(dist, 2500, seed=7), reference)
    assert floor < 0.02  # measured: ring8 ~0.002, grid25 ~0.009
    assert collapsed > 0.15  # theory for half the modes at twice the weight: 0.2158
    assert collapsed > 10 * floor


def test_a_few_far_points_do_not_hide_a_collapse():
    reference = draw(RING, 2500, seed=8)
    samples = half_modes(RING, 2500, seed=9)
    samples[0] = [1e12, -1e12]  # would squash the whole ring into one cell on a union-range grid
    assert js_divergence(samples, reference) > 0.15


def test_js_works_in_1d_and_above_2d():
    x = draw(datasets.get("bimodal"), 2000, seed=10)
    assert js_divergence(x, draw(datasets.get("bimodal"), 2000, seed=11)) < 0.02
    assert js_divergence(x[:, 0], x[:, 0]) == pytest.approx(0.0, abs=1e-12)  # plain vectors too

    rng = np.random.default_rng(0)
    reference = rng.normal(size=(2000, 5)) * [3.0, 2.0, 0.1, 0.1, 0.1]  # two leading components
    same = rng.normal(size=(2000, 5)) * [3.0, 2.0, 0.1, 0.1, 0.1]
    shifted = same + [0.0, 6.0, 0.0, 0.0, 0.0]
    # a broad 2D Gaussian on a 30 x 30 grid has a floor near 0.06 at 2,000 points
    assert js_divergence(same, reference) < 0.1
    assert js_divergence(shifted, reference) > 0.4  # shifted by 3 std along the second component


def test_js_rejects_empty_and_mismatched_input():
    with pytest.raises(ValueError):
        js_divergence(np.zeros((0, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError):
        js_divergence(np.zeros((5, 1)), np.zeros((5, 2)))


# ---- toy_metrics --------------------------------------------------------------------------------


def test_toy_metrics_on_a_perfect_generator():
    m = toy_metrics(draw(RING, 2500, seed=12), RING)
    assert set(m) == {
        "modes_covered", "modes_total", "high_quality_fraction", "reverse_kl",
        "js_divergence", "js_divergence_floor",
    }  # fmt: skip
    assert m["modes_covered"] == 8 and m["modes_total"] == 8
    assert m["js_divergence"] < 0.02 and m["js_divergence_floor"] < 0.02
    json.dumps(m)  # plain ints and floats, ready for summary.json


def test_toy_metrics_is_seeded():
    x = draw(GRID, 1000, seed=13)
    assert toy_metrics(x, GRID, seed=1) == toy_metrics(x, GRID, seed=1)
    other_reference = toy_metrics(x, GRID, seed=2)
    assert toy_metrics(x, GRID, seed=1)["js_divergence"] != other_reference["js_divergence"]


def test_toy_metrics_on_a_collapsed_and_a_diverged_generator():
    collapsed = toy_metrics(np.repeat(RING.modes[:1], 500, axis=0), RING)
    assert collapsed["modes_covered"] == 1
    assert collapsed["reverse_kl"] == pytest.approx(math.log(8))
    assert collapsed["js_divergence"] > 0.5

    diverged = toy_metrics(np.full((500, 2), np.nan), RING)
    assert diverged["high_quality_fraction"] == 0.0 and diverged["modes_covered"] == 0
    assert diverged["js_divergence"] == pytest.approx(math.log(2))


def test_toy_metrics_without_modes_gives_only_js():
    gamma = datasets.get("gamma")
    m = toy_metrics(draw(gamma, 1000, seed=14), gamma)
    assert set(m) == {"js_divergence", "js_divergence_floor"}
    assert m["js_divergence"] < 0.03
    with pytest.raises(ValueError):
        toy_metrics(np.zeros((10, 2)), gamma)
