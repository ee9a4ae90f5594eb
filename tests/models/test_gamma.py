"""The per-column Gamma fit: known shapes and scales recovered within 5% on 20,000 samples."""

import numpy as np
import pytest
import torch
from scipy import stats

from ganforge.data.encoders import StandardEncoder

N = 20_000


def gamma_points(shape, scale, loc=0.0, n=N, seed=0) -> torch.Tensor:
    return torch.from_numpy(loc + np.random.default_rng(seed).gamma(shape, scale, (n, np.size(shape))))


def fit(kit, x: torch.Tensor, encoder=None):
    model = kit.build("gamma", data_dim=x.shape[1])
    if encoder is not None:
        model.attach_encoder(encoder)
        x = encoder.transform(x.float())
    model.train_step(lambda: x, torch.Generator().manual_seed(0), progress=0.0)
    return model, model.pop_stats()


def close(value, truth, tolerance=0.05):
    return abs(value - truth) <= tolerance * abs(truth)


@pytest.mark.parametrize("shape, scale", [(2.0, 2.0), (0.7, 3.0), (6.0, 0.5)])
def test_positive_data_in_user_units_gives_back_shape_and_scale(kit, shape, scale):
    x = gamma_points(shape, scale)
    model, figures = fit(kit, x, StandardEncoder().fit(x.float()))  # the trainer's standardisation
    assert close(figures["shape_0"], shape) and close(figures["scale_0"], scale), figures
    assert figures["loc_0"] == pytest.approx(0.0, abs=1e-4)  # all positive: the classic two-parameter law


def test_a_known_gamma_is_recovered_from_the_samples_the_model_draws(kit):
    # The acceptance: set a Gamma, draw 20,000 samples from the model, fit them again.
    source = kit.build("gamma", data_dim=2)
    source.params.shape.copy_(torch.tensor([2.5, 0.8], dtype=torch.float64))
    source.params.scale.copy_(torch.tensor([1.5, 4.0], dtype=torch.float64))
    source.params.loc.zero_()
    drawn = source.sample(N, torch.Generator().manual_seed(1)).double()
    assert (drawn > 0).all()
    _, figures = fit(kit, drawn)
    for j, (shape, scale) in enumerate([(2.5, 1.5), (0.8, 4.0)]):
        assert close(figures[f"shape_{j}"], shape) and close(figures[f"scale_{j}"], scale), figures
    # Its samples have the law's mean and variance: shape * scale and shape * scale^2.
    assert drawn[:, 0].mean().item() == pytest.approx(2.5 * 1.5, rel=0.03)
    assert drawn[:, 0].var().item() == pytest.approx(2.5 * 1.5 ** 2, rel=0.05)


def test_a_column_with_negative_values_is_shifted_and_the_location_fitted(kit):
    x = torch.cat([gamma_points(3.0, 1.0), gamma_points(2.0, 2.0, loc=-5.0, seed=1)], dim=1)
    model, figures = fit(kit, x, StandardEncoder().fit(x.float()))
    assert figures["loc_0"] == pytest.approx(0.0, abs=1e-4)
    assert close(figures["shape_0"], 3.0) and close(figures["scale_0"], 1.0)
    # Column 1 reaches below 0, so its location is fitted (the truth is -5) below its minimum.
    assert figures["loc_1"] < float(x[:, 1].min())
    assert figures["loc_1"] == pytest.approx(-5.0, abs=0.15)
    assert close(figures["shape_1"], 2.0) and close(figures["scale_1"], 2.0), figures


def test_log_likelihood_is_the_mean_log_density_of_the_fitted_law(kit):
    x = gamma_points(2.0, 1.0, n=500)
    model, figures = fit(kit, x)
    by_hand = stats.gamma.logpdf(x.numpy()[:, 0], figures["shape_0"], loc=0.0, scale=figures["scale_0"]).mean()
    assert figures["log_likelihood"] == pytest.approx(by_hand, rel=1e-6)


def test_a_constant_column_does_not_break_the_fit(kit):
    x = torch.cat([gamma_points(2.0, 1.0, n=300), torch.full((300, 1), 4.0, dtype=torch.float64)], dim=1)
    model, figures = fit(kit, x)
    samples = model.sample(100, torch.Generator().manual_seed(0))
    assert torch.isfinite(samples).all()
    assert samples[:, 1].double().sub(4.0).abs().max() < 1e-3
