"""Maximum likelihood: an independent Gaussian for each column, in closed form."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout
from ganforge.models.closed_form import ClosedFormModel, continuous_width
from ganforge.registry import models

MIN_STD = 1e-6  # a constant column keeps a tiny spread instead of a zero one


@models.register("gaussian")
class GaussianModel(ClosedFormModel):
    """x_j ~ N(mean_j, std_j^2) independently; the MLE is the column's mean and (biased) std."""

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        data_dim = continuous_width(data)
        super().__init__(config, data, device)
        self.params.register_buffer("mean", torch.zeros(data_dim, dtype=torch.float64, device=device))
        self.params.register_buffer("std", torch.ones(data_dim, dtype=torch.float64, device=device))

    def fit(self, x: Tensor) -> None:
        self.params.mean.copy_(x.mean(dim=0))
        self.params.std.copy_(x.std(dim=0, correction=0).clamp_min(MIN_STD))  # MLE: divide by N

    def log_density(self, x: Tensor) -> Tensor:
        """log p(x) per row: sum_j -1/2 [log 2 pi + 2 log std_j + ((x_j - mean_j) / std_j)^2]."""
        mean, std = self.params.mean.cpu(), self.params.std.cpu()
        return (-0.5 * (math.log(2 * math.pi) + 2 * std.log() + ((x - mean) / std).pow(2))).sum(dim=1)

    def summary(self, x: Tensor) -> dict[str, float]:
        shift, scale = self.user_affine()
        mean = shift + scale * self.params.mean.cpu()
        std = scale.abs() * self.params.std.cpu()
        figures = {"log_likelihood": float(self.log_density(x).mean())}
        for j in range(self.data_dim):
            figures[f"mean_{j}"], figures[f"std_{j}"] = float(mean[j]), float(std[j])
        return figures

    @torch.no_grad()
    def sample_continuous(self, n: int, generator: torch.Generator) -> Tensor:
        eps = torch.randn(n, self.data_dim, generator=generator, device=self.device, dtype=torch.float64)
        return (self.params.mean + self.params.std * eps).float()
