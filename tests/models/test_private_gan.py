"""The DP-SGD step of D: each real row's contribution to the summed gradient is clipped to C."""

import sys
from pathlib import Path

import pytest
import torch

from ganforge.config import TrainConfig
from ganforge.data.table_encoder import TableEncoder
from ganforge.data.tabular import infer_columns
from ganforge.models.private_gan import PrivateGANModel
from ganforge.privacy.budget import PrivacyLedger, PrivacyPlan
from ganforge.training.batches import Batch

sys.path.insert(0, str(Path(__file__).parents[1] / "privacy"))
from conftest import small_table  # noqa: E402

B = 16


def model_for(encoder, max_grad_norm: float) -> PrivateGANModel:
    """A small DP GAN with no noise (noise multiplier 0: the test hook) and D frozen by a zero learning rate."""
    config = TrainConfig(batch_size=B, pack=1, r1=0.0, noise_dim=4, generator_hidden=[16],
                         discriminator_hidden=[32, 32], dp_epsilon=1.0, ema=0.0,
                         table_dropout=0.0)  # dropout's masks are drawn per row, independently of the data: off
    # here so that the other rows' masks do not shift when a row is added
    plan = PrivacyPlan(epsilon=1.0, delta=1e-5, sample_rate=0.5, discriminator_steps=10, noise_multiplier=0.0,
                       max_grad_norm=max_grad_norm, counts_noise_multiplier=0.0, counts_share=0.0, counts_columns=0)
    torch.manual_seed(0)
    model = PrivateGANModel(config, encoder.layout, torch.device("cpu"), PrivacyLedger(plan))
    for group in model.opt_D.param_groups:
        group["lr"] = 0.0  # D's weights stay put, so two batches are judged by the same D
    return model


def summed_gradient(model, x: torch.Tensor, c: torch.Tensor, c_fake: torch.Tensor) -> torch.Tensor:
    """B x the gradient the DP step hands to Adam: the sum of the clipped per-row gradients."""
    torch.manual_seed(1)  # the same dropout masks and generated rows for every call
    model._discriminator_step(lambda: Batch(x, c, c_fake), torch.Generator().manual_seed(2), 0.0)
    return B * torch.cat([p.grad.flatten() for p in model.D.parameters()])


@pytest.mark.parametrize("clip", [0.05, 1.0])
def test_adding_one_real_row_moves_the_summed_gradient_by_at_most_c(clip):
    table = small_table(200)
    encoder = TableEncoder(seed=0).fit(table, infer_columns(table))
    rows = encoder.transform(table)
    condition_dim = encoder.layout.condition_dim
    x, c = rows[:12], torch.zeros(12, condition_dim)
    c[:, 0] = 1.0  # every real row judged under the first category of the first conditioning column
    c_fake = c[:1].repeat(B, 1)
    odd = (rows[12:13] * 40.0)  # a row far outside the data: its raw gradient is large
    with_odd = torch.cat([x, odd]), torch.cat([c, c[:1]])

    model = model_for(encoder, clip)
    change = (summed_gradient(model, *with_odd, c_fake) - summed_gradient(model, x, c, c_fake)).norm()
    assert change <= clip * (1 + 1e-4)

    unclipped = model_for(encoder, 1e6)  # the same step without clipping: the odd row weighs far more
    raw = (summed_gradient(unclipped, *with_odd, c_fake) - summed_gradient(unclipped, x, c, c_fake)).norm()
    assert raw > 5 * clip
