"""The GAN of a differentially private table run: D trains by DP-SGD (Opacus), G as usual.

D is the only network that reads real rows. Each D step is one DP-SGD step on one forward pass of D
over a Poisson batch of real rows (training/batches.PoissonBatches) and a batch of G's samples: the
per-row losses are summed, Opacus computes each row's gradient, clips it to L2 norm C, adds
N(0, (sigma C)^2) to the sum and divides by the expected batch size. Adding or removing one real row
changes that sum by at most C; the generated rows' terms do not depend on the real data given G,
which is itself a function of D's earlier, already private, updates. G learns only through D, so G,
its moving average and every sample inherit the guarantee as post-processing. The ledger
(privacy/budget.py) charges each step to the RDP accountant; the run stops when the next round
would pass the target epsilon.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import torch
from opacus.grad_sample import GradSampleModuleFastGradientClipping
from opacus.optimizers import DPOptimizerFastGradientClipping
from opacus.utils.fast_gradient_clipping_utils import DPTensorFastGradientClipping
from torch import Tensor

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout
from ganforge.models.gan import GANModel
from ganforge.models.parts import grad_norm
from ganforge.privacy.budget import PrivacyLedger
from ganforge.training.batches import split_batch

# Seed offsets of the DP noise and of the Poisson sampling (the run's other streams use seed + 0..3).
NOISE_SEED_OFFSET = 11
SAMPLING_SEED_OFFSET = 12


class PrivateGANModel(GANModel):
    """GANModel whose D steps are DP-SGD steps charged to `privacy` (a PrivacyLedger)."""

    private = True

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device, privacy: PrivacyLedger):
        super().__init__(config, data, device)
        if self.loss.discriminator_rows is None:
            raise ValueError(f"loss {config.loss!r} has no per-row form for DP-SGD")
        self.privacy = privacy
        plan = privacy.plan
        # Each row's gradient norm by hooks on D's layers (ghost clipping: from each Linear layer's input
        # and output gradient, without forming the per-row gradients); self.D stays the plain module.
        self._per_row = GradSampleModuleFastGradientClipping(self.D, loss_reduction="sum",
                                                             max_grad_norm=plan.max_grad_norm)
        self.noise_rng = torch.Generator(device).manual_seed(config.seed + NOISE_SEED_OFFSET)
        self.sampling_rng = torch.Generator().manual_seed(config.seed + SAMPLING_SEED_OFFSET)
        self.opt_D = DPOptimizerFastGradientClipping(
            self.opt_D, noise_multiplier=plan.noise_multiplier, max_grad_norm=plan.max_grad_norm,
            expected_batch_size=config.batch_size, loss_reduction="mean", generator=self.noise_rng)

    def _discriminator_step(self, real_batch: Callable[[], Tensor], rng: torch.Generator,
                            noise_std: float) -> tuple[Tensor, Tensor, Tensor]:
        """One DP-SGD step of D: one forward pass over the real rows and G's samples together."""
        B = self.config.batch_size
        x, c_real, c_fake = split_batch(real_batch())
        n = x.shape[0]  # Poisson: about B, varying
        with torch.no_grad():
            fake = self.G(self._noise(B, rng), c_fake)
        if noise_std > 0:
            x = x + noise_std * torch.randn(x.shape, generator=rng, device=self.device)
            fake = fake + noise_std * torch.randn(fake.shape, generator=rng, device=self.device)
        rows = torch.cat([x, fake])
        conditions = None if c_fake is None else torch.cat([c_real, c_fake])
        out = self.D(rows, conditions)  # (n + B,): one output per row, pack 1
        real_out, fake_out = out[:n], out[n:]
        real_target, fake_target = self._targets(n, rng, n_fake=B)
        terms = torch.cat(self.loss.discriminator_rows(real_out, fake_out, real_target, fake_target))
        self.opt_D.zero_grad(set_to_none=True)
        with warnings.catch_warnings():  # torch notes that D's input needs no gradient: as meant
            warnings.simplefilter("ignore", UserWarning)
            # Two passes: each row's gradient norm, then the sum of the rows' gradients each scaled
            # by min(1, C / norm), i.e. clipped to C.
            DPTensorFastGradientClipping(self._per_row, self.opt_D, terms, loss_reduction="sum").backward()
        self.opt_D.step()  # add N(0, (sigma C)^2) to the sum, divide by B, then Adam
        self.privacy.step()
        if self._measure_grads:  # the noisy gradient D followed
            self._grad_norms["grad_norm_d"] = grad_norm([self.D])
        return terms.detach().sum() / B, real_out, fake_out  # the mean loss, as the plain GAN reports it

    def _generator_step(self, real_batch: Callable[[], Tensor], rng: torch.Generator, noise_std: float) -> Tensor:
        """G's step as usual, with D's per-row hooks off and D's weights frozen (G needs only its input gradient)."""
        self._per_row.disable_hooks()
        self.D.requires_grad_(False)
        try:
            return super()._generator_step(real_batch, rng, noise_std)
        finally:
            self.D.requires_grad_(True)
            self._per_row.enable_hooks()

    def _generator_conditions(self, real_batch: Callable[[], Tensor]) -> Tensor | None:
        """G's conditions from the released frequencies, without drawing real rows."""
        return real_batch.fake_conditions() if self.conditional else None

    # --- the trainer's hooks --------------------------------------------------------------

    def stop_reason(self) -> str | None:
        """Why training must stop now (the next round would pass the budget), or None."""
        if self.privacy.can_take(self.config.discriminator_steps):
            return None
        return self.privacy.spent_sentence()

    def diverged(self, record: dict[str, Any]) -> bool:
        """Divergence judged on the weights and the generated samples only (private outputs), never
        on a loss over real rows: what the run does next must not depend on the data outside DP."""
        weights = [p for module in (self.G, self.D) for p in module.parameters()]
        finite = all(bool(torch.isfinite(p).all()) for p in weights)
        return not finite or bool(record.get("nonfinite")) or not math.isfinite(record.get("loss_g", 0.0))

    def privacy_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """(tensors, JSON) a checkpoint keeps: the two DP generators and the ledger."""
        tensors = {"rng.dp_noise": self.noise_rng.get_state(), "rng.dp_sampling": self.sampling_rng.get_state()}
        return tensors, self.privacy.state()

    def restore_privacy(self, tensors: dict[str, Tensor]) -> None:
        self.noise_rng.set_state(tensors["rng.dp_noise"])
        self.sampling_rng.set_state(tensors["rng.dp_sampling"])
