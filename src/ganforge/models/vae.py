"""The variational autoencoder: Gaussian encoder, reparameterisation, a decoder law suited to the data, ELBO."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout, as_layout
from ganforge.models.output_laws import OutputLaw
from ganforge.models.parts import RunningStats, SteppedModel, adam, grad_norm
from ganforge.nets.mlp import MLPGenerator
from ganforge.registry import models

LOG_VAR_RANGE = (-12.0, 4.0)  # the learned output variance stays in [6e-6, 55] (standardised units)
# sigma_x starts at 0.135 (13% of a standardised column's spread): starting at 1 lets the decoder
# explain everything as noise, and it stays in that posterior-collapse optimum (z ignored, the VAE
# no better than a per-column Gaussian) for thousands of steps. A KL warm-up did not help further.
INITIAL_LOG_VAR = -4.0


@models.register("vae")
class VAEModel(SteppedModel):
    """Encoder e(x) -> (mu, log sigma^2); z = mu + sigma * eps; decoder d(z) -> mean of p(x | z).

    The output law follows the data (see output_laws.py): Gaussian with a learned variance per
    column (one parameter each, not a function of z) for continuous columns, categorical for a
    table's one-hot blocks, Bernoulli for image pixels. The loss is -ELBO = reconstruction + KL,
    per sample, in the encoded space:
      reconstruction = -E_q log p(x | d(z)),   KL = KL(q(z | x) || N(0, I)).
    Samples decode z ~ N(0, I) to d(z), the decoder's mean (a category drawn from each one-hot
    block), as VAE samples are usually shown; the density the ELBO scores adds N(0, sigma_x^2)
    noise to continuous columns (`output_std` reports the mean sigma_x; on ring8, adding it drops
    the high-quality fraction from 0.44 to 0.06).
    """

    # Adam settings for a plain minimisation with no game to balance (the run's defaults suit a GAN);
    # `ganforge compare` uses them unless told otherwise.
    suggested_options = {"lr_generator": 1e-3, "beta1": 0.9}

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        layout = as_layout(data)
        data_dim = layout.dim
        self.law = OutputLaw(layout)
        self.config = config
        self.device = device
        self.loss = None  # not adversarial
        self.latent_dim = config.latent_dim or data_dim
        hidden = config.generator_hidden
        # The encoder mirrors the decoder: the decoder is the generator (generator_hidden).
        self.encoder = MLPGenerator(data_dim, 2 * self.latent_dim, hidden[::-1]).to(device)
        self.decoder = VAEDecoder(self.latent_dim, data_dim, hidden).to(device)
        self.optimizer = adam([*self.encoder.parameters(), *self.decoder.parameters()], config)
        self.stats = RunningStats()
        self._measure_grads = False

    def train_step(self, next_batch: Callable[[], Tensor], rng: torch.Generator, progress: float) -> None:
        figures = self.negative_elbo(next_batch(), rng)
        self.optimizer.zero_grad(set_to_none=True)
        figures["loss"].backward()
        extra = {}
        if self._measure_grads:
            extra["grad_norm"] = torch.tensor(grad_norm([self.encoder, self.decoder]))
        self.optimizer.step()
        gaussian = self.law.gaussian_columns.to(self.device)
        if gaussian.any():
            extra["output_std"] = self.decoder.log_var()[gaussian].exp().sqrt().mean()
        self.stats.add(**figures, elbo=-figures["loss"], **extra)

    def negative_elbo(self, x: Tensor, rng: torch.Generator) -> dict[str, Tensor]:
        """{"loss": -ELBO, "reconstruction", "kl"}, each averaged over the batch x (B, d)."""
        mu, log_var = self.encoder(x).chunk(2, dim=1)  # (B, latent) each
        eps = torch.randn(mu.shape, generator=rng, device=self.device)
        z = mu + torch.exp(0.5 * log_var) * eps  # reparameterisation: z = mu + sigma * eps
        reconstruction = self.law.negative_log_likelihood(x, self.decoder(z), self.decoder.log_var())
        # KL(N(mu, sigma^2) || N(0, 1)) = 1/2 sum_k [mu_k^2 + sigma_k^2 - log sigma_k^2 - 1]
        kl = 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1.0).sum(dim=1)
        return {"loss": (reconstruction + kl).mean(), "reconstruction": reconstruction.mean(), "kl": kl.mean()}

    @torch.no_grad()
    def elbo(self, x: Tensor, generator: torch.Generator) -> float:
        """The mean ELBO of held-out points x (B, d), a lower bound of their mean log-likelihood."""
        return -float(self.negative_elbo(x.to(self.device), generator)["loss"])

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """(n, data_dim): d(z) with z ~ N(0, I), through the output law (means; drawn categories)."""
        z = torch.randn(n, self.latent_dim, generator=generator, device=self.device)
        return self.law.decode(self.decoder(z), generator)

    def modules(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "decoder": self.decoder}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vae": self.optimizer}


class VAEDecoder(nn.Module):
    """d(z) -> the mean of p(x | z), plus the learned log-variance of each output column."""

    def __init__(self, latent_dim: int, data_dim: int, hidden: list[int]):
        super().__init__()
        self.mean = MLPGenerator(latent_dim, data_dim, hidden)
        self.raw_log_var = nn.Parameter(torch.full((data_dim,), INITIAL_LOG_VAR))

    def forward(self, z: Tensor) -> Tensor:
        return self.mean(z)

    def log_var(self) -> Tensor:
        return self.raw_log_var.clamp(*LOG_VAR_RANGE)
