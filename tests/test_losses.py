"""Tests for the GAN objectives and regularisers, against values worked out by hand."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.errors import UserError
from ganforge.losses import (
    bce,
    critic_generator,
    gradient_penalty,
    hinge_discriminator,
    least_squares_discriminator,
    least_squares_generator,
    minimax_discriminator,
    minimax_generator,
    non_saturating_generator,
    r1_penalty,
    wasserstein_discriminator,
)
from ganforge.registry import losses

LOG2 = math.log(2.0)


def t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def close(value: torch.Tensor, expected: float, tol: float = 1e-9) -> bool:
    return abs(float(torch.as_tensor(value).detach()) - expected) <= tol


# --- the source's game at D = 1/2 ----------------------------------------------------------------

def test_at_the_optimum_d_is_one_half_and_the_losses_are_log_2():
    zeros = torch.zeros(7, dtype=torch.float64)  # logit 0 <=> D = sigmoid(0) = 1/2
    # L_D = -1/2 log(1/2) - 1/2 log(1 - 1/2) = log 2
    assert close(minimax_discriminator(zeros, zeros, 1.0, 0.0), LOG2)
    # L_G = -L_D restricted to G's term: 1/2 log(1 - 1/2) = -1/2 log 2
    assert close(minimax_generator(zeros), -0.5 * LOG2)
    # non-saturating: -log D(G(z)) = log 2
    assert close(non_saturating_generator(zeros), LOG2)
    # C(G) = -log 4 at the optimum: the value of the game, -2 L_D
    assert close(-2 * minimax_discriminator(zeros, zeros, 1.0, 0.0), -math.log(4.0))


def test_minimax_and_non_saturating_share_the_discriminator_loss():
    assert losses.get("minimax").discriminator is losses.get("non-saturating").discriminator


def test_minimax_discriminator_matches_the_textbook_formula_on_ordinary_logits():
    real, fake = t(0.3, -1.2, 2.0), t(-0.7, 0.4)
    D_real, D_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected = -0.5 * torch.log(D_real).mean() - 0.5 * torch.log(1 - D_fake).mean()
    assert close(minimax_discriminator(real, fake, 1.0, 0.0), float(expected), 1e-12)
    assert close(minimax_generator(fake), float(0.5 * torch.log(1 - D_fake).mean()), 1e-12)
    assert close(non_saturating_generator(fake), float(-torch.log(D_fake).mean()), 1e-12)


# --- numerical stability ------------------------------------------------------------------------

def test_a_perfect_discriminator_costs_zero_and_a_perfectly_wrong_one_costs_its_logit():
    big = t(1000.0, 1000.0)
    perfect = minimax_discriminator(big, -big, 1.0, 0.0)  # D(x) = 1, D(G(z)) = 0
    wrong = minimax_discriminator(-big, big, 1.0, 0.0)  # D(x) = 0, D(G(z)) = 1
    assert torch.isfinite(perfect) and close(perfect, 0.0)
    assert torch.isfinite(wrong) and close(wrong, 1000.0)  # softplus(1000) = 1000 exactly in floats


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_generator_losses_stay_finite_at_extreme_logits(dtype):
    for logit, ns, mm in [(-1000.0, 1000.0, 0.0), (1000.0, 0.0, -500.0)]:
        fake = torch.full((4,), logit, dtype=dtype)
        assert close(non_saturating_generator(fake), ns, 1e-3)
        assert close(minimax_generator(fake), mm, 1e-3)


def test_non_saturating_keeps_its_gradient_where_minimax_saturates():
    # D confidently rejects the fakes (logit -1000): minimax's gradient vanishes, ganhacks' does not.
    fake = torch.full((4,), -1000.0, dtype=torch.float64, requires_grad=True)
    (g_minimax,) = torch.autograd.grad(minimax_generator(fake), fake)
    (g_ns,) = torch.autograd.grad(non_saturating_generator(fake), fake)
    assert torch.isfinite(g_minimax).all() and torch.isfinite(g_ns).all()
    assert g_minimax.abs().max() < 1e-300
    assert torch.allclose(g_ns, torch.full_like(g_ns, -1 / 4))  # d/dl softplus(-l) / n = -sigmoid(-l) / n


def test_discriminator_gradients_are_finite_at_extreme_logits():
    real = t(1000.0, -1000.0).requires_grad_(True)
    fake = t(-1000.0, 1000.0).requires_grad_(True)
    grads = torch.autograd.grad(minimax_discriminator(real, fake, 0.9, 0.0), (real, fake))
    assert all(torch.isfinite(g).all() for g in grads)


# --- label smoothing ----------------------------------------------------------------------------

def test_label_smoothing_changes_the_real_term_as_the_bce_formula_says():
    real, fake = t(2.0), t(-1.0)
    hard = minimax_discriminator(real, fake, 1.0, 0.0)
    soft = minimax_discriminator(real, fake, 0.9, 0.0)
    sp = lambda x: math.log1p(math.exp(x))  # noqa: E731  softplus
    # target t: t * softplus(-l) + (1 - t) * softplus(l)
    assert close(hard, 0.5 * sp(-2.0) + 0.5 * sp(-1.0), 1e-12)
    assert close(soft, 0.5 * (0.9 * sp(-2.0) + 0.1 * sp(2.0)) + 0.5 * sp(-1.0), 1e-12)
    # softplus(l) - softplus(-l) = l, so smoothing adds exactly 1/2 (1 - t) l = 0.1
    assert close(soft - hard, 0.1, 1e-12)


def test_smoothed_discriminator_is_best_at_d_equal_to_the_target():
    l = torch.tensor(math.log(9.0), dtype=torch.float64, requires_grad=True)  # sigmoid(l) = 0.9
    (grad,) = torch.autograd.grad(bce(l, 0.9), l)
    assert abs(float(grad)) < 1e-12


def test_bce_takes_a_tensor_of_targets():
    logits = t(0.0, 0.0)
    assert close(bce(logits, t(1.0, 0.0)), LOG2)
    assert close(bce(t(3.0, -3.0), t(1.0, 0.0)), float(F.softplus(t(-3.0)).squeeze()), 1e-12)


# --- least squares, hinge, Wasserstein ----------------------------------------------------------

def test_least_squares_values():
    real, fake = t(0.5, 2.0), t(0.5, -1.0)
    # 1/2 mean((0.5-1)^2, (2-1)^2) + 1/2 mean(0.5^2, (-1)^2) = 1/2 * 0.625 + 1/2 * 0.625
    assert close(least_squares_discriminator(real, fake, 1.0, 0.0), 0.625)
    # 1/2 mean((0.5-1)^2, (-1-1)^2) = 1/2 * (0.25 + 4) / 2
    assert close(least_squares_generator(fake), 1.0625)
    # smoothed real target 0.9: 1/2 mean(0.4^2, 1.1^2) + 1/2 * 0.625
    assert close(least_squares_discriminator(real, fake, 0.9, 0.0), 0.5 * (0.16 + 1.21) / 2 + 0.3125)


def test_hinge_values():
    real, fake = t(2.0, 0.5, -1.0), t(-2.0, 0.0, 1.0)
    # mean(relu(1 - [2, .5, -1])) = mean(0, .5, 2) = 5/6; mean(relu(1 + [-2, 0, 1])) = mean(0, 1, 2) = 1
    assert close(hinge_discriminator(real, fake), 5 / 6 + 1)
    assert close(critic_generator(fake), 1 / 3)
    assert losses.get("hinge").generator is critic_generator


def test_wasserstein_values():
    real, fake = t(2.0, 0.5, -1.0), t(-2.0, 0.0, 1.0)
    assert close(wasserstein_discriminator(real, fake), -1 / 3 - 0.5)  # E D(G(z)) - E D(x)
    assert close(losses.get("wasserstein").generator(fake), 1 / 3)
    assert losses.get("wasserstein").needs_gradient_penalty
    assert not losses.get("hinge").needs_gradient_penalty


def test_every_loss_is_registered_with_a_description():
    assert losses.names() == ["hinge", "least-squares", "minimax", "non-saturating", "wasserstein"]
    for name, loss in losses.items():
        assert loss.name == name and loss.description
    with pytest.raises(UserError, match="unknown loss 'nope'.*minimax"):
        losses.get("nope")


# --- regularisers -------------------------------------------------------------------------------

def _linear_critic(weight: list[float], slope: float = 1.0):
    w = torch.tensor(weight, dtype=torch.float64)
    return lambda x: slope * (x @ w)  # grad_x D = slope * w everywhere


@pytest.mark.parametrize("slope, expected", [(1.0, 0.0), (3.0, 4.0), (0.5, 0.25), (0.0, 1.0)])
def test_gradient_penalty_is_the_squared_distance_of_the_slope_from_one(slope, expected):
    g = torch.Generator().manual_seed(0)
    real = torch.randn(16, 2, generator=g, dtype=torch.float64)
    fake = torch.randn(16, 2, generator=g, dtype=torch.float64)
    D = _linear_critic([0.6, 0.8], slope)  # |w| = 1, so |grad D| = |slope|
    penalty = gradient_penalty(D, real, fake, generator=g)
    assert close(penalty, expected, 1e-12)


def test_gradient_penalty_reaches_the_critic():
    w = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)  # |w| = 5
    real = torch.ones(4, 2, dtype=torch.float64)
    penalty = gradient_penalty(lambda x: x @ w, real, -real)
    assert close(penalty, 16.0, 1e-12)  # (5 - 1)^2
    (grad,) = torch.autograd.grad(penalty, w)  # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    assert torch.allclose(grad, 2 * 4 * w.detach() / 5)


@pytest.mark.parametrize("c", [0.0, 1.0, 3.0, -2.0])
def test_r1_penalty_of_a_linear_discriminator_in_1d(c):
    x = torch.linspace(-2, 2, 9, dtype=torch.float64).unsqueeze(1).requires_grad_(True)
    assert close(r1_penalty(c * x, x), 0.5 * c * c, 1e-12)  # 1/2 |dD/dx|^2 = 1/2 c^2


def test_r1_penalty_sums_over_dimensions():
    x = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    out = _linear_critic([1.0, 2.0])(x)
    assert close(r1_penalty(out, x), 2.5, 1e-12)  # 1/2 (1^2 + 2^2)


# --- how D's output reads as a decision ---------------------------------------------------------

def test_says_real_thresholds_a_logit_at_zero():
    loss = losses.get("non-saturating")
    real, fake = loss.says_real(t(0.1, -0.1, 5.0), t(-3.0, 0.0, 0.2))
    assert real.tolist() == [True, False, True]
    assert fake.tolist() == [False, False, True]  # exactly 0 (D = 1/2) is not "real"
    assert close(loss.real_probability(t(0.0)), 0.5)


def test_says_real_thresholds_a_least_squares_score_at_one_half():
    loss = losses.get("least-squares")
    real, fake = loss.says_real(t(0.6, 0.4), t(0.51, -1.0))
    assert real.tolist() == [True, False] and fake.tolist() == [True, False]
    assert close(loss.real_probability(t(0.7)), 0.7)


def test_says_real_thresholds_hinge_at_zero():
    real, fake = losses.get("hinge").says_real(t(0.2, -0.2), t(-0.5, 0.5))
    assert real.tolist() == [True, False] and fake.tolist() == [False, True]


def test_says_real_splits_a_critic_halfway_between_the_batch_means():
    loss = losses.get("wasserstein")
    real, fake = loss.says_real(t(10.0, 12.0, 6.0), t(2.0, 4.0, 8.0))  # threshold (28/3 + 14/3) / 2 = 7
    assert real.tolist() == [True, True, False] and fake.tolist() == [False, False, True]
    shifted = loss.says_real(t(110.0, 112.0, 106.0), t(102.0, 104.0, 108.0))  # a critic has no scale
    assert shifted[0].tolist() == real.tolist() and shifted[1].tolist() == fake.tolist()


@pytest.mark.parametrize("name", losses.names())
def test_each_discriminator_loss_row_by_row_averages_to_the_loss(name):
    """DP-SGD sums D's loss row by row: the real terms' mean plus the fake terms' mean is the loss."""
    loss = losses.get(name)
    real, fake = t(0.3, -1.2, 2.0, 0.0), t(-0.7, 0.4, 1.5)
    for real_target, fake_target in ((1.0, 0.0), (0.9, 0.0), (t(1.0, 0.0, 0.9, 1.0), t(0.0, 0.9, 0.0))):
        real_terms, fake_terms = loss.discriminator_rows(real, fake, real_target, fake_target)
        assert real_terms.shape == real.shape and fake_terms.shape == fake.shape
        expected = loss.discriminator(real, fake, real_target, fake_target)
        assert close(real_terms.mean() + fake_terms.mean(), float(expected), 1e-12)
