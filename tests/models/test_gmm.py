"""The Gaussian mixture: BIC picks the number of clusters, also beyond 10; sampling goes through torch."""

import pytest
import torch
from sklearn.mixture import GaussianMixture


def two_clusters(n=3000, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    left = torch.tensor([-3.0, 0.0]) + 0.5 * torch.randn(int(0.3 * n), 2, generator=g)
    right = torch.tensor([3.0, 1.0]) + torch.randn(n - len(left), 2, generator=g)
    return torch.cat([left, right])


def fit(kit, x, **options):
    model = kit.build("gmm", data_dim=x.shape[1], **options)
    model.train_step(lambda: x, torch.Generator().manual_seed(0), progress=0.0)
    return model, model.pop_stats()


def test_bic_picks_two_components_on_a_clear_two_cluster_mixture(kit):
    x = two_clusters()
    model, figures = fit(kit, x)
    assert figures["components"] == 2 and figures["components_searched"] == 10
    order = model.params.means[:, 0].argsort()
    assert model.params.weights[order].tolist() == pytest.approx([0.3, 0.7], abs=0.02)
    assert model.params.means[order].flatten().tolist() == pytest.approx([-3, 0, 3, 1], abs=0.1)
    # log_likelihood is the mean log-density, as sklearn scores the same fit
    reference = GaussianMixture(2, covariance_type="full", random_state=0).fit(x.numpy().astype("float64"))
    assert figures["log_likelihood"] == pytest.approx(reference.score(x.numpy().astype("float64")), abs=1e-3)
    # ... and the mixture's own samples give the same choice when fitted again
    _, again = fit(kit, model.sample(5000, torch.Generator().manual_seed(1)))
    assert again["components"] == 2


def test_the_search_goes_past_ten_when_the_data_has_more_clusters(kit):
    g = torch.Generator().manual_seed(0)
    centres = 10.0 * torch.arange(12.0)
    x = (centres[torch.randint(12, (2400,), generator=g)] + 0.5 * torch.randn(2400, generator=g))[:, None]
    _, figures = fit(kit, x)
    assert figures["components"] == 12
    assert 12 < figures["components_searched"] <= 12 + 5  # stops 5 sizes after the best
    _, capped = fit(kit, x, gmm_max_components=11)
    assert capped["components_searched"] == 11 and capped["components"] <= 11


def test_samples_follow_the_mixture_weights(kit):
    model, _ = fit(kit, two_clusters())
    samples = model.sample(20_000, torch.Generator().manual_seed(3))
    assert (samples[:, 0] < 0).float().mean().item() == pytest.approx(0.3, abs=0.015)
