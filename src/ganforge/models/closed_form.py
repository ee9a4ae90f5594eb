"""The base of the maximum-likelihood models: fitted once to all the data, no optimiser."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout, as_layout
from ganforge.models.parts import FittedOnceModel, FittedParameters, user_affine


class ClosedFormModel(FittedOnceModel):
    """A parametric law fitted by maximum likelihood in one train_step, on the whole data.

    The trainer calls train_step once, with a batch of all the points (or a large sample of a
    toy distribution). The fit happens in the encoded space the trainer feeds every model;
    `log_likelihood` is the mean log-density per point there, so it compares directly with the
    VAE's `elbo`. Parameters are reported in the user's units when the encoder is affine
    (encoder.affine()), else in the encoded units.
    Subclasses fit the continuous columns: they fill `self.params` (buffers, saved in
    checkpoints) in fit(), say what they found in summary() and draw in sample_continuous().
    A table's one-hot blocks get the categorical law, whose MLE is the categories' frequencies,
    independent of the rest.
    """

    closed_form = True

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        layout = as_layout(data)
        self.layout = layout
        self.continuous, self.category_blocks = split_columns(layout)
        self.config = config
        self.device = device
        self.data_dim = len(self.continuous)  # the columns the subclass's law describes
        self.loss = None  # not adversarial
        self.encoder = None
        self.params = FittedParameters().to(device)
        width = sum(end - begin for begin, end in self.category_blocks)
        self.params.register_buffer("category_probabilities", torch.ones(width, dtype=torch.float64, device=device))
        self._figures: dict[str, float] = {}

    def user_affine(self) -> tuple[Tensor, Tensor]:
        """(shift, scale) of the continuous columns, float64: x_user = shift + scale * x, column by column."""
        shift, scale = user_affine(self.encoder, self.layout.dim)
        return shift[self.continuous], scale[self.continuous]

    def train_step(self, next_batch: Callable[[], Tensor], rng: torch.Generator, progress: float) -> None:
        x = next_batch().detach().to("cpu", torch.float64)  # (N, d): all the data
        continuous = x[:, self.continuous]
        figures = {}
        if self.data_dim:
            self.fit(continuous)
            figures = {key: float(value) for key, value in self.summary(continuous).items()}
        if self.category_blocks:
            categorical = self._fit_categories(x)
            figures["log_likelihood"] = figures.get("log_likelihood", 0.0) + categorical
        self._figures = figures

    def _fit_categories(self, x: Tensor) -> float:
        """Each one-hot block's frequencies (the categorical MLE); returns their mean log-likelihood."""
        probabilities, total = [], torch.zeros(x.shape[0], dtype=torch.float64)
        for begin, end in self.category_blocks:
            block = x[:, begin:end]
            frequency = block.mean(dim=0).clamp_min(1e-12)
            frequency = frequency / frequency.sum()
            probabilities.append(frequency)
            total += (block * frequency.log()).sum(dim=1)
        self.params.category_probabilities = torch.cat(probabilities).to(self.device)
        return float(total.mean())

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """(n, d) rows: the subclass's law on the continuous columns, categories drawn by frequency."""
        rows = torch.zeros(n, self.layout.dim, device=self.device)
        if self.data_dim:
            rows[:, self.continuous] = self.sample_continuous(n, generator).to(rows.dtype)
        offset = 0
        for begin, end in self.category_blocks:
            probabilities = self.params.category_probabilities[offset:offset + end - begin]
            offset += end - begin
            if n:
                index = torch.multinomial(probabilities, n, replacement=True, generator=generator)
                rows[torch.arange(n, device=self.device), begin + index] = 1.0
        return rows

    def sample_continuous(self, n: int, generator: torch.Generator) -> Tensor:
        raise NotImplementedError

    def fit(self, x: Tensor) -> None:
        raise NotImplementedError

    def summary(self, x: Tensor) -> dict[str, float]:
        raise NotImplementedError


def split_columns(layout: DataLayout) -> tuple[list[int], list[tuple[int, int]]]:
    """(indices of the columns outside one-hot blocks, [start, end) of each one-hot block)."""
    continuous, blocks, start = [], [], 0
    for width, kind in layout.spans:
        if kind == "softmax":
            blocks.append((start, start + width))
        else:
            continuous.extend(range(start, start + width))
        start += width
    return continuous, blocks


def continuous_width(data: int | DataLayout) -> int:
    """How many columns a closed-form law describes: all but those of one-hot blocks."""
    return len(split_columns(as_layout(data))[0])
