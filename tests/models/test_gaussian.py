"""The per-column Gaussian fit: the MLE is each column's mean and standard deviation."""

import math

import pytest
import torch

from ganforge.data.encoders import StandardEncoder


def fit(kit, x, encoder=None):
    model = kit.build("gaussian", data_dim=x.shape[1])
    if encoder is not None:
        model.attach_encoder(encoder)
        x = encoder.transform(x)
    model.train_step(lambda: x, torch.Generator().manual_seed(0), progress=0.0)
    return model, model.pop_stats()


def test_mean_and_std_are_recovered_in_the_users_units(kit):
    truth_mean, truth_std = torch.tensor([3.0, -2.0]), torch.tensor([0.5, 4.0])
    x = truth_mean + truth_std * torch.randn(20_000, 2, generator=torch.Generator().manual_seed(0))
    model, figures = fit(kit, x, StandardEncoder().fit(x))
    for j in range(2):
        assert figures[f"mean_{j}"] == pytest.approx(float(truth_mean[j]), abs=0.02 * float(truth_std[j]))
        assert figures[f"std_{j}"] == pytest.approx(float(truth_std[j]), rel=0.02)


def test_a_known_gaussian_is_recovered_from_the_samples_the_model_draws(kit):
    source = kit.build("gaussian", data_dim=2)
    source.params.mean.copy_(torch.tensor([1.0, -4.0], dtype=torch.float64))
    source.params.std.copy_(torch.tensor([0.3, 2.0], dtype=torch.float64))
    _, figures = fit(kit, source.sample(20_000, torch.Generator().manual_seed(2)))
    assert figures["mean_0"] == pytest.approx(1.0, abs=0.01) and figures["mean_1"] == pytest.approx(-4.0, abs=0.05)
    assert figures["std_0"] == pytest.approx(0.3, rel=0.02) and figures["std_1"] == pytest.approx(2.0, rel=0.02)


def test_log_likelihood_by_hand(kit):
    # Points 0 and 2: mean 1, std 1 (divided by N), so each has log N(+-1; 1, 1) = -log(2 pi)/2 - 1/2.
    _, figures = fit(kit, torch.tensor([[0.0], [2.0]]))
    assert figures["mean_0"] == 1.0 and figures["std_0"] == 1.0
    assert figures["log_likelihood"] == pytest.approx(-0.5 * math.log(2 * math.pi) - 0.5)
