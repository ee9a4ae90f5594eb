"""DRS and MH on a 1D problem with known p_g and the exact optimal logit: they must sample p_t."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from ganforge.sampling.samplers import drs, drs_acceptance, langevin, mh, mh_acceptance

# p_g = N(0, 1.5^2) (G's law), p_t = N(1, 0.7^2) (the data); p_t / p_g is bounded, so rejection is exact.
G_MEAN, G_STD, T_MEAN, T_STD = 0.0, 1.5, 1.0, 0.7
N = 3000  # KS test at this sample size: a 0.1-sigma error in the mean would be seen (p << 0.01)


def problem(seed: int):
    noise = torch.Generator().manual_seed(seed)

    def propose(slots):
        return G_MEAN + G_STD * torch.randn(len(slots), 1, generator=noise)

    def log_ratio(x, slots):  # the optimal D's logit: log D*/(1 - D*) = log p_t(x) - log p_g(x)
        x = x[:, 0].double()
        return (torch.distributions.Normal(T_MEAN, T_STD).log_prob(x)
                - torch.distributions.Normal(G_MEAN, G_STD).log_prob(x))

    return propose, log_ratio


def ks_to_data(samples: torch.Tensor) -> float:
    return stats.kstest(samples[:, 0].numpy(), stats.norm(T_MEAN, T_STD).cdf).pvalue


def test_plain_proposals_fail_the_test_the_samplers_pass():
    propose, _ = problem(0)
    assert ks_to_data(propose(torch.arange(N))) < 1e-6


def test_drs_with_gamma_zero_samples_the_data_law():
    propose, log_ratio = problem(1)
    samples, cost = drs(propose, log_ratio, N, torch.Generator().manual_seed(2), percentile=None)
    assert samples.shape == (N, 1)
    assert ks_to_data(samples) > 0.01
    # r_max = max p_t / p_g = (1.5 / 0.7) e^{(1-0)^2 / (2 (1.5^2 - 0.7^2))} = 2.849: accept 1 / 2.849 of them
    r_max = (G_STD / T_STD) * math.exp((T_MEAN - G_MEAN) ** 2 / (2 * (G_STD ** 2 - T_STD ** 2)))
    assert cost.figures()["acceptance_rate"] == pytest.approx(1 / r_max, rel=0.08)  # burn-in left out
    assert cost.figures()["proposals_per_sample"] == (cost.proposals) / N > r_max  # burn-in counted


def test_mh_samples_the_data_law():
    propose, log_ratio = problem(3)
    samples, cost = mh(propose, log_ratio, N, torch.Generator().manual_seed(4), steps=64)
    assert ks_to_data(samples) > 0.01
    assert cost.proposals == N * 65
    assert 0.2 < cost.figures()["acceptance_rate"] < 0.9


def test_mh_acceptance_by_hand():
    # D(x) = 0.7 now, D(x') = 0.4 proposed: r = 0.7/0.3 = 2.333, r' = 0.4/0.6 = 0.667, alpha = r'/r = 0.2857
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    alpha = mh_acceptance(torch.tensor([logit(0.7), logit(0.4)]), torch.tensor([logit(0.4), logit(0.7)]))
    assert alpha[0].item() == pytest.approx(0.2857, abs=1e-4)
    assert alpha[1].item() == 1.0  # a more real-looking proposal is always taken


def test_drs_acceptance_by_hand():
    # gamma = 0: p = exp(l - D_max); l = 1, D_max = 2 -> e^-1 = 0.3679. gamma = 1 lowers it to
    # sigmoid(F - 1) with F = -1 - log(1 - e^-1) = -0.5413: sigmoid(-1.5413) = 0.1763.
    p = drs_acceptance(torch.tensor([1.0, 1.0], dtype=torch.float64), 2.0, 0.0)
    assert p[0].item() == pytest.approx(math.exp(-1), abs=1e-5)
    assert drs_acceptance(torch.tensor([1.0], dtype=torch.float64), 2.0, 1.0).item() == pytest.approx(0.1763, abs=1e-4)


def test_a_shifted_percentile_rejects_more_and_sharpens():
    propose, log_ratio = problem(5)
    exact, exact_cost = drs(propose, log_ratio, N, torch.Generator().manual_seed(6), percentile=None)
    propose, log_ratio = problem(5)
    sharp, sharp_cost = drs(propose, log_ratio, N, torch.Generator().manual_seed(6), percentile=80)
    assert sharp_cost.proposals > exact_cost.proposals
    assert np.std(sharp[:, 0].numpy()) < np.std(exact[:, 0].numpy())


def test_samplers_are_reproducible_for_a_seed():
    for sampler in (lambda p, l, g: drs(p, l, 500, g), lambda p, l, g: mh(p, l, 500, g, steps=8)):
        first = sampler(*problem(7), torch.Generator().manual_seed(8))[0]
        again = sampler(*problem(7), torch.Generator().manual_seed(8))[0]
        other = sampler(*problem(7), torch.Generator().manual_seed(9))[0]
        assert torch.equal(first, again)
        assert not torch.equal(first, other)


def test_latent_langevin_samples_the_data_law_through_an_identity_generator():
    # G(z) = z, p_z = p_g = N(0, 1): E(z) = z^2 / 2 - log p_t(z)/p_g(z) = -log p_t(z) + const
    _, log_ratio = problem(0)
    sigma_g = torch.distributions.Normal(G_MEAN, 1.0)

    def energy(z):
        x = z[:, 0].double()
        ratio = torch.distributions.Normal(T_MEAN, T_STD).log_prob(x) - sigma_g.log_prob(x)
        return 0.5 * z.pow(2).sum(dim=1) - ratio

    z0 = torch.randn(2000, 1, generator=torch.Generator().manual_seed(10))
    z, cost = langevin(z0, energy, torch.Generator().manual_seed(11), steps=500, step_size=0.01)
    assert ks_to_data(z0) < 1e-6 < ks_to_data(z)  # from p_g, which fails the test, to p_t, which passes
    assert ks_to_data(z) > 0.01
    assert cost.figures()["gradient_steps_per_sample"] == 500
