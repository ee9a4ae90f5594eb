"""Maximum-likelihood fits on a table's rows: the law on the continuous columns, frequencies for one-hot blocks."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.data.layout import DataLayout

LAYOUT = DataLayout(dim=4, spans=((1, "continuous"), (3, "softmax")))


def rows(n: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    category = torch.multinomial(torch.tensor([0.5, 0.3, 0.2]), n, replacement=True, generator=generator)
    value = 3.0 + 2.0 * torch.randn(n, 1, generator=generator)
    return torch.cat([value, F.one_hot(category, 3).float()], dim=1)


@pytest.mark.parametrize("name", ["gaussian", "gmm", "gamma"])
def test_fit_samples_one_hot_categories_at_their_frequencies(kit, name):
    x = rows(20000, seed=0)
    model = kit.build(name, data_dim=LAYOUT, gmm_max_components=3)
    model.train_step(lambda: x, None, progress=0.0)
    samples = model.sample(20000, torch.Generator().manual_seed(1))
    block = samples[:, 1:]
    assert set(block.sum(dim=1).tolist()) == {1.0}
    assert block.mean(dim=0).tolist() == pytest.approx([0.5, 0.3, 0.2], abs=0.015)
    assert float(samples[:, 0].mean()) == pytest.approx(3.0, abs=0.1)


def test_gaussian_log_likelihood_adds_the_categorical_term(kit):
    x = rows(20000, seed=0)
    model = kit.build("gaussian", data_dim=LAYOUT)
    model.train_step(lambda: x, None, progress=0.0)
    frequency = x[:, 1:].mean(dim=0)
    categorical = float((x[:, 1:] * frequency.log()).sum(dim=1).mean())
    gaussian = float(model.log_density(x[:, :1].double()).mean())
    assert model.pop_stats()["log_likelihood"] == pytest.approx(gaussian + categorical)
    # For reference: the entropy of (0.5, 0.3, 0.2) is 1.03 nats.
    assert categorical == pytest.approx(-(0.5 * math.log(0.5) + 0.3 * math.log(0.3) + 0.2 * math.log(0.2)) * -1,
                                        abs=0.02)
