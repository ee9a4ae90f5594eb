"""The base of the maximum-likelihood models: fitted once to all the data, no optimiser."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout, as_layout
from ganforge.models.parts import FittedParameters, user_affine


class ClosedFormModel:
    """A parametric law fitted by maximum likelihood in one train_step, on the whole data.

    The trainer calls train_step once, with a batch of all the points (or a large sample of a
    toy distribution). The fit happens in the standardised space the trainer feeds every model;
    `log_likelihood` is the mean log-density per point there, so it compares directly with the
    VAE's `elbo`. Parameters are reported in the user's units when the trainer has attached its
    encoder (attach_encoder), else in the units of the data given to train_step.
    Subclasses fill `self.params` (buffers, saved in checkpoints) in fit() and say what they
    found in summary().
    """

    closed_form = True

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        data_dim = as_layout(data).dim
        self.config = config
        self.device = device
        self.data_dim = data_dim
        self.loss = None  # not adversarial
        self.encoder = None
        self.params = FittedParameters().to(device)
        self._figures: dict[str, float] = {}

    def attach_encoder(self, encoder) -> None:
        """The trainer's encoder, so that fits and figures can speak in the user's units."""
        self.encoder = encoder

    def user_affine(self) -> tuple[Tensor, Tensor]:
        """(shift, scale), float64: x_user = shift + scale * x, column by column."""
        return user_affine(self.encoder, self.data_dim)

    def train_step(self, next_batch: Callable[[], Tensor], rng: torch.Generator, progress: float) -> None:
        x = next_batch().detach().to("cpu", torch.float64)  # (N, d): all the data
        self.fit(x)
        self._figures = {key: float(value) for key, value in self.summary(x).items()}

    def fit(self, x: Tensor) -> None:
        raise NotImplementedError

    def summary(self, x: Tensor) -> dict[str, float]:
        raise NotImplementedError

    def measure_gradients(self, on: bool) -> None:
        pass  # nothing is trained by gradient

    def pop_stats(self) -> dict[str, float]:
        """The fit's figures (the same at every call: the fit does not change between logs)."""
        return dict(self._figures)

    def modules(self) -> dict[str, nn.Module]:
        return {"fit": self.params}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {}
