"""Tests for the theory check: D* and V(D, G) by hand, and a D trained to optimality matches D*."""

import math

import numpy as np
import pytest
import torch

from ganforge.config import TrainConfig
from ganforge.data.encoders import StandardEncoder
from ganforge.diagnostics.theory import (
    estimate_generator_density,
    game_value,
    grid_for,
    learned_discriminator,
    optimal_discriminator,
    points_for_mae,
    theory_check,
)
from ganforge.registry import datasets, models
from ganforge.training.state import TrainedRun


def gan_run(loss="minimax", pack=1, data="gaussian", seed=0, n_fit=10_000):
    """A GANModel with a StandardEncoder fitted on the toy data, wrapped as users get it."""
    torch.manual_seed(seed)
    config = TrainConfig(data=data, loss=loss, pack=pack, discriminator_hidden=[32, 32], generator_hidden=[8],
                         lr_discriminator=1e-3, device="cpu")
    dist = datasets.get(data)
    encoder = StandardEncoder().fit(dist.sample(n_fit, torch.Generator().manual_seed(seed)))
    model = models.get("gan")(config, dist.dim, torch.device("cpu"))
    return TrainedRun(config, encoder, model, torch.Generator(), torch.Generator()), dist


# --- hand-checked values -----------------------------------------------------------------------


def test_game_value_at_zero_logits_is_minus_log_4():
    # D = sigmoid(0) = 1/2 everywhere: V = log 1/2 + log 1/2 = -log 4.
    assert game_value(np.zeros(10), np.zeros(7)) == pytest.approx(-math.log(4))
    # D(x) = sigmoid(log 3) = 3/4 on real, D(G(z)) = 1/4 on fake: V = 2 log 3/4.
    assert game_value([math.log(3)], [-math.log(3)]) == pytest.approx(2 * math.log(0.75))
    assert math.isfinite(game_value([500.0], [-500.0]))  # stable for saturated logits
    logits = torch.zeros(4, requires_grad=True)  # D's raw output, straight from the network
    assert game_value(logits, logits) == pytest.approx(-math.log(4))


def test_optimal_discriminator_by_hand():
    log_p = np.log([0.2, 0.05, 1e-300])
    assert optimal_discriminator(log_p, log_p) == pytest.approx([0.5, 0.5, 0.5])
    # p_t = 3 p_g: D* = 3 / (3 + 1) = 0.75
    assert optimal_discriminator(np.log(0.3), np.log(0.1)) == pytest.approx(0.75)
    both_zero = optimal_discriminator([-np.inf, -np.inf, 0.0], [-np.inf, 0.0, -np.inf])
    assert both_zero.tolist() == [0.5, 0.0, 1.0]
    assert optimal_discriminator([-1000.0], [0.0])[0] == pytest.approx(0.0, abs=1e-300)


def test_grid_covers_the_real_data_in_1d_and_2d():
    rng = np.random.default_rng(0)
    real_1d = rng.normal(5, 2, (500, 1))
    grid = grid_for(datasets.get("gaussian"), real_1d, 50)
    assert grid.shape == (50, 1)
    assert grid.min() < real_1d.min() and grid.max() > real_1d.max()
    real_2d = rng.normal(0, 1, (500, 2))
    grid = grid_for(datasets.get("ring8"), real_2d, 30)
    assert grid.shape == (900, 2)
    assert (grid.min(axis=0) < real_2d.min(axis=0)).all() and (grid.max(axis=0) > real_2d.max(axis=0)).all()
    # Row-major with x1 fastest: reshaping to (size, size) puts x1 across the columns.
    assert np.all(np.diff(grid[:30, 0]) > 0) and np.all(grid[:30, 1] == grid[0, 1])


def test_points_for_mae_mix_real_and_generated():
    real, generated = np.zeros((5000, 2)), np.ones((300, 2))
    generated[0] = np.nan
    points = points_for_mae(real, generated, n=2000)
    assert len(points) == 1000 + 299 and np.isfinite(points).all()


def test_kde_recovers_a_gaussian_and_survives_degenerate_samples():
    rng = np.random.default_rng(0)
    log_p = estimate_generator_density(rng.normal(1, 1.5, (4000, 1)))
    x = np.linspace(-2, 4, 61)[:, None]  # within 2 std of the mean
    true = -0.5 * ((x[:, 0] - 1) / 1.5) ** 2 - math.log(1.5 * math.sqrt(2 * math.pi))
    assert np.abs(log_p(x) - true).mean() < 0.08
    point_mass = estimate_generator_density(np.ones((200, 2)))  # singular covariance: jittered
    assert point_mass(np.array([[1.0, 1.0]]))[0] > point_mass(np.array([[1.5, 1.0]]))[0]
    assert estimate_generator_density(np.full((20, 1), np.nan)) is None


def test_sharp_modes_give_d_star_near_one_half_for_a_perfect_generator():
    ring8 = datasets.get("ring8")  # std 0.01: Scott's bandwidth alone would blur p_g away
    g = torch.Generator().manual_seed(1)
    real, generated = ring8.sample(3000, g).numpy(), ring8.sample(3000, g).numpy()
    points = points_for_mae(real, generated)
    d_star = optimal_discriminator(ring8.log_density(points), estimate_generator_density(generated)(points))
    assert np.abs(d_star - 0.5).mean() < 0.1


# --- the learned D ------------------------------------------------------------------------------


def test_learned_discriminator_only_for_probability_outputs():
    points = np.linspace(-2, 2, 9)[:, None]
    run, _ = gan_run("minimax")
    d = learned_discriminator(run.model, run.encoder, points)
    assert d.shape == (9,) and ((d > 0) & (d < 1)).all()
    with torch.no_grad():  # the same as sigmoid(D(encode(x))) by hand
        by_hand = torch.sigmoid(run.model.D(run.encoder.transform(torch.tensor(points, dtype=torch.float32))))
    assert d == pytest.approx(by_hand.double().numpy(), abs=1e-6)
    for loss, pack in (("least-squares", 1), ("wasserstein", 1), ("hinge", 1), ("non-saturating", 2)):
        run, dist = gan_run(loss, pack)
        assert learned_discriminator(run.model, run.encoder, points) is None
        assert theory_check(run, dist, points, points) is None


def test_theory_check_needs_a_low_dimensional_density():
    run, _ = gan_run("non-saturating", data="moons")
    x = np.random.default_rng(0).standard_normal((100, 2))
    assert theory_check(run, datasets.get("moons"), x, x) is None  # no closed-form density


def test_trained_discriminator_matches_the_optimal_one():
    """Acceptance (issue 3): gaussian 1D, fixed G = N(1, 1.5^2), D trained to optimality: MAE <= 0.05."""
    run, dist = gan_run("minimax")
    model, encoder = run.model, run.encoder
    g = torch.Generator().manual_seed(2)

    def generator_samples(n):  # the fixed generator: x_g = 1 + 1.5 z, z ~ N(0, 1)
        return 1.0 + 1.5 * torch.randn(n, 1, generator=g)

    steps, B = 2000, 512
    decay = torch.optim.lr_scheduler.LambdaLR(model.opt_D, lambda s: 1 - s / steps)  # average out SGD noise
    for _ in range(steps):  # only D trains, on fresh samples, with the minimax D loss
        real_out = model.D(encoder.transform(dist.sample(B, g)))
        fake_out = model.D(encoder.transform(generator_samples(B)))
        loss = model.loss.discriminator(real_out, fake_out, 1.0, 0.0)
        model.opt_D.zero_grad(set_to_none=True)
        loss.backward()
        model.opt_D.step()
        decay.step()

    result = theory_check(run, dist, generator_samples(4000).numpy(), dist.sample(4000, g).numpy())
    assert set(result) == {"d_star_mae", "game_value", "game_value_optimum", "js_divergence_from_value"}
    assert result["d_star_mae"] <= 0.05
    assert result["game_value_optimum"] == pytest.approx(-math.log(4))
    # JSD(N(0,1) || N(1,1.5^2)) = 0.0993 nats (numerical integration); V with an optimal D gives it back.
    assert result["js_divergence_from_value"] == pytest.approx(0.0993, abs=0.02)
    assert result["game_value"] == pytest.approx(-math.log(4) + 2 * 0.0993, abs=0.04)


def test_untrained_discriminator_is_far_from_optimal():
    run, dist = gan_run("minimax", seed=3)
    g = torch.Generator().manual_seed(3)
    generated = (3.0 + 0.3 * torch.randn(3000, 1, generator=g)).numpy()  # far from N(0, 1): D* near 0 or 1
    result = theory_check(run, dist, generated, dist.sample(3000, g).numpy())
    assert result["d_star_mae"] > 0.3
