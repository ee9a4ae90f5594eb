"""The GAN: MLP generator and discriminator, their optimisers, and one round of alternating training."""

from __future__ import annotations

import copy
from typing import Callable

import torch
from torch import Tensor, nn

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout, as_layout
from ganforge.errors import UserError
from ganforge.losses import gradient_penalty, r1_penalty
from ganforge.models.parts import grad_norm
from ganforge.nets.factory import build_networks
from ganforge.training.batches import split_batch
from ganforge.registry import losses, models

# Figures accumulated every step and averaged over each log interval, in this order.
STEP_STATS = ("loss_d", "loss_g", "d_acc_real", "d_acc_fake", "d_real_mean", "d_fake_mean")


@models.register("gan")
class GANModel:
    """G and D with Adam each (separate learning rates: TTUR), trained k D steps then m G steps."""

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        self.layout = as_layout(data)
        self.conditional = self.layout.condition_dim > 0  # batches then carry conditions (see Batch)
        self.config = config
        self.device = device
        self.loss = losses.get(config.loss)
        if not self.loss.uses_targets and (config.label_smoothing or config.label_flip):
            raise UserError(f"--label-smoothing and --label-flip need a loss with real/fake targets "
                            f"(minimax, non-saturating, least-squares), not {config.loss!r}")
        G, D = build_networks(config, self.layout)
        self.G, self.D = G.to(device), D.to(device)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if config.ema > 0 else None
        betas = (config.beta1, config.beta2)
        # foreach: one fused kernel per step for all parameters instead of a Python loop over them
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=config.lr_generator, betas=betas, foreach=True)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=config.lr_discriminator, betas=betas, foreach=True)
        self._first_g_param = next(self.G.parameters())
        if self.G_ema is not None:
            pairs = [(e, g) for e, g in zip(self.G_ema.state_dict().values(), self.G.state_dict().values())
                     if e.dtype.is_floating_point]
            self._ema_pairs = ([e for e, _ in pairs], [g for _, g in pairs])
        self._stat_sum = torch.zeros(len(STEP_STATS), device=device)
        self._stat_count = 0
        self._measure_grads = False
        self._grad_norms = {"grad_norm_d": float("nan"), "grad_norm_g": float("nan")}

    # --- training ---------------------------------------------------------------------------

    def train_step(self, real_batch: Callable[[], Tensor], rng: torch.Generator, progress: float) -> None:
        """One round: k discriminator steps, then m generator steps. progress runs 0 -> 1 over the run."""
        cfg = self.config
        noise_std = cfg.instance_noise * (1.0 - progress)  # ganhacks: instance noise decaying to 0

        # 1. Discriminator: k steps on a real batch and a batch from the current G.
        for _ in range(cfg.discriminator_steps):
            loss_d, real_out, fake_out = self._discriminator_step(real_batch, rng, noise_std)

        # 2. Generator: m steps against the updated D.
        for _ in range(cfg.generator_steps):
            loss_g = self._generator_step(real_batch, rng, noise_std)

        with torch.no_grad():
            says_real, says_fake_real = self.loss.says_real(real_out, fake_out)
            self._stat_sum += torch.stack([
                loss_d.detach(), loss_g.detach(),
                says_real.float().mean(), (~says_fake_real).float().mean(),
                self.loss.real_probability(real_out).mean(), self.loss.real_probability(fake_out).mean(),
            ])
        self._stat_count += 1

    def _discriminator_step(self, real_batch: Callable[[], Tensor], rng: torch.Generator,
                            noise_std: float) -> tuple[Tensor, Tensor, Tensor]:
        """One step of D on a real batch and a batch from the current G: (loss, D(real), D(fake))."""
        cfg, B = self.config, self.config.batch_size
        x, c_real, c_fake = split_batch(real_batch())
        with torch.no_grad():
            fake = self.G(self._noise(B, rng), c_fake)
        if noise_std > 0:
            x = x + noise_std * torch.randn(x.shape, generator=rng, device=self.device)
            fake = fake + noise_std * torch.randn(fake.shape, generator=rng, device=self.device)
        if cfg.r1 > 0:
            x.requires_grad_(True)
        real_out, fake_out = self.D(x, c_real), self.D(fake, c_fake)
        real_target, fake_target = self._targets(real_out.shape[0], rng)
        loss_d = self.loss.discriminator(real_out, fake_out, real_target, fake_target)
        if self.loss.needs_gradient_penalty and cfg.gradient_penalty > 0:
            # WGAN-GP interpolates between pairs; with conditions, each pair is judged under the fake's.
            critic = self.D if c_fake is None else (lambda points: self.D(points, c_fake))
            loss_d = loss_d + cfg.gradient_penalty * gradient_penalty(critic, x.detach(), fake, rng)
        if cfg.r1 > 0:
            loss_d = loss_d + cfg.r1 * r1_penalty(real_out, x)
        self.opt_D.zero_grad(set_to_none=True)
        loss_d.backward()
        if self._measure_grads:
            self._grad_norms["grad_norm_d"] = grad_norm([self.D])
        self.opt_D.step()
        return loss_d, real_out, fake_out

    def _generator_step(self, real_batch: Callable[[], Tensor], rng: torch.Generator, noise_std: float) -> Tensor:
        """One step of G against the current D; returns G's loss."""
        c_fake = self._generator_conditions(real_batch)
        fake = self.G(self._noise(self.config.batch_size, rng), c_fake)
        if noise_std > 0:
            fake = fake + noise_std * torch.randn(fake.shape, generator=rng, device=self.device)
        loss_g = self.loss.generator(self.D(fake, c_fake))
        if c_fake is not None and hasattr(self.G, "condition_loss"):  # e.g. CTGAN's: G must honour c
            loss_g = loss_g + self.G.condition_loss(fake, c_fake)
        self.opt_G.zero_grad(set_to_none=True)
        loss_g.backward()
        if self._measure_grads:
            self._grad_norms["grad_norm_g"] = grad_norm([self.G])
        self.opt_G.step()
        if self.G_ema is not None:
            self._update_ema()
        return loss_g

    def _generator_conditions(self, real_batch: Callable[[], Tensor]) -> Tensor | None:
        """Fresh conditions for G's samples: the fake conditions of a new batch."""
        return split_batch(real_batch())[2] if self.conditional else None

    def measure_gradients(self, on: bool) -> None:
        """Gradient norms cost a pass over all parameters: the loop asks for them on log steps only."""
        self._measure_grads = on

    def pop_stats(self) -> dict[str, float]:
        """Figures averaged since the last call; D's accuracy is the mean over real and generated."""
        values = (self._stat_sum / max(self._stat_count, 1)).tolist()
        stats = dict(zip(STEP_STATS, values))
        stats["d_acc"] = 0.5 * (stats["d_acc_real"] + stats["d_acc_fake"])
        stats.update(self._grad_norms)
        self._stat_sum.zero_()
        self._stat_count = 0
        return stats

    def _noise(self, n: int, rng: torch.Generator) -> Tensor:
        return torch.randn(n, self.config.noise_dim, generator=rng, device=self.device)  # z ~ N(0, I)

    def _targets(self, n: int, rng: torch.Generator, n_fake: int | None = None) -> tuple[Tensor | float, Tensor | float]:
        """Real/fake targets with one-sided smoothing (real only) and random label flips (ganhacks);
        n real and n_fake (default n) generated outputs."""
        cfg = self.config
        real, fake = 1.0 - cfg.label_smoothing, 0.0
        if cfg.label_flip <= 0:
            return real, fake
        m = n if n_fake is None else n_fake
        flip_real = torch.rand(n, generator=rng, device=self.device) < cfg.label_flip
        flip_fake = torch.rand(m, generator=rng, device=self.device) < cfg.label_flip
        real_t = torch.where(flip_real, torch.zeros(n, device=self.device), torch.full((n,), real, device=self.device))
        fake_t = torch.where(flip_fake, torch.full((m,), real, device=self.device), torch.zeros(m, device=self.device))
        return real_t, fake_t

    @torch.no_grad()
    def _update_ema(self) -> None:
        # Warm-up: early on, average over the t updates so far rather than a horizon of
        # 1 / (1 - ema) updates, which would keep the average near the untrained G for long.
        t = float(self.opt_G.state[self._first_g_param]["step"])  # G updates so far, checkpointed
        decay = min(self.config.ema, (1.0 + t) / (10.0 + t))
        torch._foreach_lerp_(*self._ema_pairs, 1.0 - decay)  # ema = decay * ema + (1 - decay) * live

    # --- sampling and state -----------------------------------------------------------------

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator, conditions: Tensor | None = None) -> Tensor:
        """(n, data_dim) samples in the encoded space, from the EMA generator when there is one.

        A conditional GAN needs `conditions`, (n, condition_dim): one per sample.
        """
        if self.conditional and (conditions is None or conditions.shape != (n, self.layout.condition_dim)):
            raise ValueError(f"a conditional GAN samples with one condition per sample, shape "
                             f"({n}, {self.layout.condition_dim})")
        G = self.G_ema if self.G_ema is not None else self.G
        was_training = G.training
        G.eval()
        # In chunks of 4096 so a large request does not hold every activation at once.
        def condition(i: int, m: int) -> Tensor | None:
            return None if conditions is None else conditions[i:i + m].to(self.device)

        chunks = [G(self._noise(min(4096, n - i), generator), condition(i, min(4096, n - i)))
                  for i in range(0, n, 4096)]
        out = torch.cat(chunks) if chunks else G(self._noise(0, generator), condition(0, 0))  # n = 0: (0, d)
        G.train(was_training)
        return out

    def modules(self) -> dict[str, nn.Module]:
        named = {"generator": self.G, "discriminator": self.D}
        if self.G_ema is not None:
            named["generator_ema"] = self.G_ema
        return named

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_G, "discriminator": self.opt_D}

