"""GMMN: the kernel MMD by hand, and the batch MMD falling as the generator trains."""

import math

import pytest
import torch

from ganforge.metrics.mmd import mmd2


def test_mmd_by_hand_for_two_single_points():
    # k(x, x) = k(y, y) = 1 and k(x, y) = exp(-1/2) for |x - y| = 1 and one bandwidth 1.
    value = mmd2(torch.tensor([[0.0, 0.0]]), torch.tensor([[1.0, 0.0]]), bandwidths=[1.0])
    assert float(value) == pytest.approx(2 - 2 * math.exp(-0.5))


def test_mmd_is_zero_for_the_same_sample_and_grows_with_a_shift():
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    assert float(mmd2(x, x)) == pytest.approx(0.0, abs=1e-5)
    assert 0 < float(mmd2(x, x + 0.1)) < float(mmd2(x, x + 1.0))


def test_mmd_has_finite_gradients_even_for_coincident_points():
    x = torch.zeros(4, 2, requires_grad=True)
    mmd2(x, torch.ones(4, 2)).backward()
    assert torch.isfinite(x.grad).all()


def test_batch_mmd_falls_over_training(kit, ring8):
    model = kit.build("gmmn", generator_hidden=[64, 64], lr_generator=1e-3, beta1=0.9, batch_size=128)
    next_batch, rng = kit.batches(ring8, model), torch.Generator().manual_seed(1)
    history = []
    for block in range(4):
        for step in range(100):
            model.train_step(next_batch, rng, progress=0.0)
        history.append(model.pop_stats()["mmd"])
    print("mean batch MMD^2 per 100 steps:", [round(v, 4) for v in history])
    assert history[-1] < 0.5 * history[0]
