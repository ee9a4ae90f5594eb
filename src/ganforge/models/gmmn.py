"""The generative moment matching network: a generator trained to minimise MMD to the data."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout, as_layout
from ganforge.metrics.mmd import bandwidths_for, mmd2
from ganforge.models.parts import RunningStats, SteppedModel, adam, grad_norm
from ganforge.nets.mlp import MLPGenerator
from ganforge.registry import models


@models.register("gmmn")
class GMMNModel(SteppedModel):
    """G: z ~ N(0, I) -> x, trained by comparing distributions directly, with no discriminator.

    Each step draws a real batch and a generated batch of batch_size points and takes an Adam
    step on MMD^2 between them, with a sum of Gaussian kernels in the encoded space, of bandwidths
    scaled to the data's dimension (Li, Swersky and Zemel 2015). `mmd` reports that batch MMD^2.
    """

    # Adam settings for a plain minimisation with no game to balance (the run's defaults suit a GAN);
    # `ganforge compare` uses them unless told otherwise.
    suggested_options = {"lr_generator": 1e-3, "beta1": 0.9}

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        data_dim = as_layout(data).dim
        self.config = config
        self.device = device
        self.loss = None  # not adversarial
        self.G = MLPGenerator(config.noise_dim, data_dim, config.generator_hidden,
                              dropout=config.generator_dropout).to(device)
        self.bandwidths = bandwidths_for(data_dim)
        self.optimizer = adam(self.G.parameters(), config)
        self.stats = RunningStats()
        self._measure_grads = False

    def train_step(self, next_batch: Callable[[], Tensor], rng: torch.Generator, progress: float) -> None:
        x = next_batch()  # (B, d)
        z = torch.randn(len(x), self.config.noise_dim, generator=rng, device=self.device)
        mmd = mmd2(self.G(z), x, self.bandwidths)
        self.optimizer.zero_grad(set_to_none=True)
        mmd.backward()
        extra = {}
        if self._measure_grads:
            extra["grad_norm"] = torch.tensor(grad_norm([self.G]))
        self.optimizer.step()
        self.stats.add(loss=mmd, mmd=mmd, **extra)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        was_training = self.G.training
        self.G.eval()
        out = self.G(torch.randn(n, self.config.noise_dim, generator=generator, device=self.device))
        self.G.train(was_training)
        return out

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.G}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.optimizer}
