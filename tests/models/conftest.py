"""Model test kit: small configurations, standardised toy batches, a checkpoint round trip."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import pytest
import torch

import ganforge.data.dataset  # noqa: F401  (registers the toy distributions)
import ganforge.models.catalog  # noqa: F401  (registers every model)
from ganforge.config import TrainConfig
from ganforge.data.encoders import StandardEncoder
from ganforge.registry import datasets, models
from ganforge.training import checkpoint as ckpt

SMALL = dict(generator_hidden=[32, 32], discriminator_hidden=[32, 32], batch_size=64, noise_dim=4)
CPU = torch.device("cpu")


def build(name: str, data_dim: int = 2, seed: int = 0, **options):
    """A model as the trainer builds it: the global RNG seeded first (initial weights)."""
    torch.manual_seed(seed)
    return models.get(name)(TrainConfig(model=name, **{**SMALL, **options}), data_dim, CPU)


def batches(points: torch.Tensor, model, seed: int = 0) -> Callable[[], torch.Tensor]:
    """next_batch as the trainer gives it: all the points for a closed-form fit, else random rows."""
    if getattr(model, "closed_form", False):
        return lambda: points
    generator = torch.Generator().manual_seed(seed)
    return lambda: points[torch.randint(len(points), (model.config.batch_size,), generator=generator)]


def standardised(name: str, n: int, seed: int = 0) -> tuple[torch.Tensor, StandardEncoder]:
    """n points of a toy distribution, standardised as the trainer does, and the encoder."""
    x = datasets.get(name).sample(n, torch.Generator().manual_seed(seed))
    encoder = StandardEncoder().fit(x)
    return encoder.transform(x), encoder


def round_trip(model, fresh, directory: Path) -> None:
    """Saves `model` through ganforge's checkpoint code and restores it into `fresh`."""
    state = {"optimizer_groups": ckpt.optimizer_groups(model)}
    assert ckpt.save_checkpoint(directory, ckpt.model_tensors(model), state)
    tensors, state = ckpt.load_checkpoint(directory)
    ckpt.restore_model(fresh, tensors, state)


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (imported by importlib, they cannot import this file)."""
    return SimpleNamespace(build=build, batches=batches, standardised=standardised, round_trip=round_trip)


@pytest.fixture(scope="session")
def ring8() -> torch.Tensor:
    return standardised("ring8", 2000)[0]
