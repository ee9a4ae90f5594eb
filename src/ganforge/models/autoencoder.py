"""Autoencoders (undercomplete, overcomplete, denoising), sampled through a Gaussian fitted to their codes."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout, as_layout
from ganforge.models.parts import FittedParameters, RunningStats, SteppedModel, adam, grad_norm
from ganforge.nets.mlp import MLPGenerator
from ganforge.registry import models

CODE_DECAY = 0.99  # the code Gaussian follows the codes of the last ~100 batches (the encoder moves)


@models.register("autoencoder")
class AutoencoderModel(SteppedModel):
    """x -> e(x) = h -> d(h) ~ x, trained on the squared reconstruction error only.

    latent_dim 0 picks half the data's dimension (at least 1): undercomplete for data of 2 or
    more columns, e.g. a 1D code for 2D toy data; set latent_dim above the data's dimension
    for an overcomplete one. Nothing shapes the code space, so to generate we fit a Gaussian
    (mean, full covariance) to the training codes and decode draws from it: the source's
    point that an unregularised latent space generates poorly (compare the VAE).
    """

    # Adam settings for a plain minimisation with no game to balance (the run's defaults suit a GAN);
    # `ganforge compare` uses them unless told otherwise.
    suggested_options = {"lr_generator": 1e-3, "beta1": 0.9}

    corruption_std = 0.0  # the denoising autoencoder below corrupts its inputs

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        data_dim = as_layout(data).dim
        self.config = config
        self.device = device
        self.loss = None  # not adversarial
        self.latent_dim = config.latent_dim or max(1, data_dim // 2)
        hidden = config.generator_hidden
        self.encoder = MLPGenerator(data_dim, self.latent_dim, hidden[::-1]).to(device)  # mirrors the decoder
        self.decoder = MLPGenerator(self.latent_dim, data_dim, hidden).to(device)
        self.codes = CodeGaussian(self.latent_dim).to(device)
        self.optimizer = adam([*self.encoder.parameters(), *self.decoder.parameters()], config)
        self.stats = RunningStats()
        self._measure_grads = False

    def train_step(self, next_batch: Callable[[], Tensor], rng: torch.Generator, progress: float) -> None:
        x = next_batch()  # (B, d)
        noisy = x
        if self.corruption_std > 0:  # denoising: reconstruct the clean x from a corrupted copy
            noisy = x + self.corruption_std * torch.randn(x.shape, generator=rng, device=self.device)
        h = self.encoder(noisy)  # (B, latent)
        # mean over columns of (x - d(e(x~)))^2: the error per standardised column
        reconstruction = (self.decoder(h) - x).pow(2).mean()
        self.optimizer.zero_grad(set_to_none=True)
        reconstruction.backward()
        extra = {}
        if self._measure_grads:
            extra["grad_norm"] = torch.tensor(grad_norm([self.encoder, self.decoder]))
        self.optimizer.step()
        with torch.no_grad():
            self.codes.update(self.encoder(x) if self.corruption_std > 0 else h.detach())
        self.stats.add(loss=reconstruction, reconstruction=reconstruction, **extra)

    @torch.no_grad()
    def reconstruction_error(self, x: Tensor) -> float:
        """Mean squared error per column of d(e(x)) on clean points x (B, d)."""
        x = x.to(self.device)
        return float((self.decoder(self.encoder(x)) - x).pow(2).mean())

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """(n, data_dim): d(h) with h drawn from the Gaussian fitted to the training codes."""
        return self.decoder(self.codes.sample(n, generator))

    def modules(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "decoder": self.decoder, "codes": self.codes}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"autoencoder": self.optimizer}


@models.register("denoising-autoencoder")
class DenoisingAutoencoderModel(AutoencoderModel):
    """The autoencoder fed x + N(0, corruption_std^2) and asked for x; `reconstruction` is that error."""

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        super().__init__(config, data, device)
        self.corruption_std = config.corruption_std


class CodeGaussian(FittedParameters):
    """N(mean, cov) of the codes, as exponential moving averages of each batch's moments."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(latent_dim))
        self.register_buffer("cov", torch.eye(latent_dim))
        self.register_buffer("batches", torch.zeros((), dtype=torch.long))

    def update(self, h: Tensor) -> None:
        mean = h.mean(dim=0)
        centred = h - mean
        cov = centred.T @ centred / max(len(h) - 1, 1)  # (latent, latent)
        weight = 1.0 if int(self.batches) == 0 else 1.0 - CODE_DECAY
        # The second moment is averaged, so the covariance includes the drift of the batch means.
        second = self.cov + torch.outer(self.mean, self.mean)
        second = torch.lerp(second, cov + torch.outer(mean, mean), weight)
        self.mean.lerp_(mean, weight)
        self.cov.copy_(second - torch.outer(self.mean, self.mean))
        self.batches += 1

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        # cov = V diag(lambda) V^T, so h = mean + V sqrt(lambda) eps has covariance cov
        values, vectors = torch.linalg.eigh(self.cov)
        root = vectors * values.clamp_min(0.0).sqrt()  # (latent, latent)
        eps = torch.randn(n, len(self.mean), generator=generator, device=self.mean.device)
        return self.mean + eps @ root.T
