"""The VAE's output law follows the layout: categorical for one-hot blocks, Bernoulli for images."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.data.layout import DataLayout
from ganforge.models.output_laws import OutputLaw

MIXED = DataLayout(dim=5, spans=((2, "continuous"), (3, "softmax")))


def test_mixed_row_scores_gaussian_columns_plus_the_categorys_cross_entropy():
    law = OutputLaw(MIXED)
    x = torch.tensor([[0.5, -1.0, 0.0, 1.0, 0.0]])
    output = torch.tensor([[0.0, 0.0, 2.0, 0.5, -1.0]])
    log_var = torch.zeros(5)
    gaussian = 0.5 * (2 * math.log(2 * math.pi) + 0.25 + 1.0)  # N(0, 1) at 0.5 and -1
    categorical = -F.log_softmax(torch.tensor([2.0, 0.5, -1.0]), dim=0)[1]  # category 1 observed
    assert float(law.negative_log_likelihood(x, output, log_var)[0]) == pytest.approx(gaussian + float(categorical))


def test_image_rows_are_scored_per_pixel_as_bernoulli_intensities():
    law = OutputLaw(DataLayout(dim=4, image_shape=(1, 2, 2)))
    x = torch.tensor([[-1.0, 1.0, 0.0, 1.0]])  # intensities 0, 1, 0.5, 1
    output = torch.zeros(1, 4)  # p = 0.5 everywhere: log 2 per pixel whatever the target
    assert float(law.negative_log_likelihood(x, output, torch.zeros(4))[0]) == pytest.approx(4 * math.log(2))
    assert law.decode(torch.tensor([[0.0, 50.0, -50.0, 0.0]])).tolist() == [[0.0, 1.0, -1.0, 0.0]]


def test_decoded_category_blocks_are_one_hot_and_follow_the_probabilities():
    law = OutputLaw(MIXED)
    output = torch.tensor([[0.3, 0.1, math.log(0.7), math.log(0.2), math.log(0.1)]]).repeat(20000, 1)
    rows = law.decode(output, torch.Generator().manual_seed(0))
    assert torch.equal(rows[:, :2], output[:, :2])  # continuous columns: the mean
    block = rows[:, 2:]
    assert set(block.sum(dim=1).tolist()) == {1.0} and set(block.flatten().tolist()) <= {0.0, 1.0}
    assert block.mean(dim=0).tolist() == pytest.approx([0.7, 0.2, 0.1], abs=0.015)


def test_vae_learns_a_tables_category_frequencies(kit):
    # Rows: one standardised continuous column and a 3-way category at 60/30/10%.
    generator = torch.Generator().manual_seed(0)
    category = torch.multinomial(torch.tensor([0.6, 0.3, 0.1]), 4000, replacement=True, generator=generator)
    rows = torch.cat([torch.randn(4000, 1, generator=generator), F.one_hot(category, 3).float()], dim=1)
    layout = DataLayout(dim=4, spans=((1, "continuous"), (3, "softmax")))
    model = kit.build("vae", data_dim=layout, lr_generator=1e-3, beta1=0.9, batch_size=128)
    next_batch, rng = kit.batches(rows, model), torch.Generator().manual_seed(1)
    for step in range(600):
        model.train_step(next_batch, rng, progress=step / 600)
    samples = model.sample(5000, torch.Generator().manual_seed(2))
    frequencies = samples[:, 1:].mean(dim=0).tolist()
    print("category frequencies of the samples:", [round(f, 3) for f in frequencies])
    assert set(samples[:, 1:].sum(dim=1).tolist()) == {1.0}
    assert frequencies == pytest.approx([0.6, 0.3, 0.1], abs=0.05)
