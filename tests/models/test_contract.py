"""The contract every registered model passes: shapes, a training step, figures, checkpoints, seeding."""

import math

import pytest
import torch

import ganforge.models.catalog  # noqa: F401  (registers every model before the names are read)
from ganforge.registry import models
from ganforge.training import checkpoint as ckpt

NAMES = models.names()
GAN_KEYS = {"loss_d", "loss_g", "d_acc", "d_acc_real", "d_acc_fake", "d_real_mean", "d_fake_mean"}


def trained(kit, name, points, steps=3, seed=0):
    model = kit.build(name, seed=seed)
    next_batch, rng = kit.batches(points, model, seed), torch.Generator().manual_seed(seed + 1)
    for step in range(1 if getattr(model, "closed_form", False) else steps):
        model.train_step(next_batch, rng, progress=step / steps)
    return model


def snapshot(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in ckpt.model_tensors(model).items()}


def test_every_model_of_the_issue_is_registered():
    assert {"gan", "vae", "autoencoder", "denoising-autoencoder", "gmmn", "gaussian", "gamma", "gmm"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_model_has_the_attributes_the_trainer_reads(name, kit):
    model = kit.build(name)
    assert model.config.model == name and model.device == torch.device("cpu")
    assert hasattr(model, "loss")
    assert isinstance(model.modules(), dict) and isinstance(model.optimizers(), dict)
    assert all(isinstance(m, torch.nn.Module) for m in model.modules().values())


@pytest.mark.parametrize("name", NAMES)
def test_sample_shapes_before_and_after_training(name, ring8, kit):
    for model in (kit.build(name), trained(kit, name, ring8)):
        x = model.sample(37, torch.Generator().manual_seed(0))
        assert x.shape == (37, 2) and x.dtype == torch.float32
        assert torch.isfinite(x).all()
        assert model.sample(0, torch.Generator().manual_seed(0)).shape == (0, 2)


@pytest.mark.parametrize("name", NAMES)
def test_a_train_step_changes_the_state_and_reports_finite_figures(name, ring8, kit):
    model = kit.build(name)
    before = snapshot(model)
    model.measure_gradients(True)
    model.train_step(kit.batches(ring8, model), torch.Generator().manual_seed(1), progress=0.0)
    after = snapshot(model)
    assert any(not torch.equal(before[k], after[k]) or before[k].shape != after[k].shape for k in after)
    stats = model.pop_stats()
    assert stats and all(isinstance(v, float) and math.isfinite(v) for v in stats.values()), stats
    if model.loss is None:  # a model without a game reports no game figures
        assert not GAN_KEYS & set(stats)


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_round_trip_restores_every_tensor_and_the_samples(name, ring8, kit, tmp_path):
    model = trained(kit, name, ring8)
    fresh = kit.build(name, seed=123)  # other initial weights, as `ganforge sample` builds it
    kit.round_trip(model, fresh, tmp_path)
    saved, restored = snapshot(model), snapshot(fresh)
    assert saved.keys() == restored.keys()
    for key in saved:
        assert torch.equal(saved[key], restored[key]), key
    a = model.sample(50, torch.Generator().manual_seed(7))
    b = fresh.sample(50, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_samples_other_seed_other_samples(name, ring8, kit):
    a = trained(kit, name, ring8, seed=5).sample(50, torch.Generator().manual_seed(9))
    b = trained(kit, name, ring8, seed=5).sample(50, torch.Generator().manual_seed(9))
    assert torch.equal(a, b)
    c = trained(kit, name, ring8, seed=5).sample(50, torch.Generator().manual_seed(10))
    assert not torch.equal(a, c)  # the sampling generator decides the samples
