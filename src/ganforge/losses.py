"""GAN objectives as pure functions of D's raw outputs (logits), plus the gradient regularisers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.registry import losses

# softplus(-l) = -log(sigmoid(l)) and softplus(l) = -log(1 - sigmoid(l)): stable for any logit l.


def bce(logits: Tensor, target: Tensor | float) -> Tensor:
    """Mean binary cross-entropy against a target probability t: t*softplus(-l) + (1-t)*softplus(l)."""
    if isinstance(target, float) and target in (0.0, 1.0):  # hard labels: one term is zero, skip it
        return F.softplus(-logits).mean() if target == 1.0 else F.softplus(logits).mean()
    return (target * F.softplus(-logits) + (1 - target) * F.softplus(logits)).mean()


def minimax_discriminator(real: Tensor, fake: Tensor, real_target, fake_target) -> Tensor:
    # L_D = -1/2 E log D(x) - 1/2 E log(1 - D(G(z)))
    return 0.5 * bce(real, real_target) + 0.5 * bce(fake, fake_target)


def minimax_generator(fake: Tensor) -> Tensor:
    # L_G = -L_D; the real term does not depend on G: L_G = 1/2 E log(1 - D(G(z))) = -1/2 E softplus(l)
    return -0.5 * F.softplus(fake).mean()


def non_saturating_generator(fake: Tensor) -> Tensor:
    # ganhacks: maximise log D(G(z)), i.e. minimise -E log D(G(z)) = E softplus(-l)
    return F.softplus(-fake).mean()


def least_squares_discriminator(real: Tensor, fake: Tensor, real_target, fake_target) -> Tensor:
    # LSGAN: L_D = 1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2  (targets 1 and 0 unless smoothed/flipped)
    return 0.5 * ((real - real_target) ** 2).mean() + 0.5 * ((fake - fake_target) ** 2).mean()


def least_squares_generator(fake: Tensor) -> Tensor:
    # L_G = 1/2 E (D(G(z)) - 1)^2
    return 0.5 * ((fake - 1) ** 2).mean()


def hinge_discriminator(real: Tensor, fake: Tensor, real_target=None, fake_target=None) -> Tensor:
    # L_D = E max(0, 1 - D(x)) + E max(0, 1 + D(G(z)))
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def critic_generator(fake: Tensor) -> Tensor:
    # hinge and Wasserstein: L_G = -E D(G(z))
    return -fake.mean()


def wasserstein_discriminator(real: Tensor, fake: Tensor, real_target=None, fake_target=None) -> Tensor:
    # WGAN critic: L_D = E D(G(z)) - E D(x)  (the gradient penalty is added by the trainer)
    return fake.mean() - real.mean()


# The same D losses row by row, (real terms (n,), fake terms (m,)): each loss above is the mean of
# its real terms plus the mean of its fake terms. DP-SGD needs them (privacy/, models/private_gan.py):
# it bounds each row's own gradient, so no term may depend on the batch's size or on another row.

def bce_rows(logits: Tensor, target: Tensor | float) -> Tensor:
    """Per-row binary cross-entropy: t*softplus(-l) + (1-t)*softplus(l)."""
    return target * F.softplus(-logits) + (1 - target) * F.softplus(logits)


def minimax_discriminator_rows(real: Tensor, fake: Tensor, real_target, fake_target) -> tuple[Tensor, Tensor]:
    return 0.5 * bce_rows(real, real_target), 0.5 * bce_rows(fake, fake_target)


def least_squares_discriminator_rows(real: Tensor, fake: Tensor, real_target, fake_target) -> tuple[Tensor, Tensor]:
    return 0.5 * (real - real_target) ** 2, 0.5 * (fake - fake_target) ** 2


def hinge_discriminator_rows(real: Tensor, fake: Tensor, real_target=None, fake_target=None) -> tuple[Tensor, Tensor]:
    return F.relu(1 - real), F.relu(1 + fake)


def wasserstein_discriminator_rows(real: Tensor, fake: Tensor, real_target=None,
                                   fake_target=None) -> tuple[Tensor, Tensor]:
    return -real, fake


@dataclass(frozen=True)
class Loss:
    """One GAN objective: D's and G's losses, and how D's output reads as a decision."""

    name: str
    discriminator: Callable[..., Tensor]
    generator: Callable[[Tensor], Tensor]
    uses_targets: bool  # label smoothing / noisy labels only make sense with probability targets
    output: str  # "logit" (D(x) = sigmoid(out)), "score" (LSGAN: real ~ 1, fake ~ 0) or "critic"
    needs_gradient_penalty: bool = False
    description: str = ""
    discriminator_rows: Callable[..., tuple[Tensor, Tensor]] | None = None  # D's loss row by row (DP-SGD)

    def real_probability(self, out: Tensor) -> Tensor:
        """D's output read as 'how real', for the monitoring figures mean D(x)."""
        if self.output == "logit":
            return torch.sigmoid(out)
        return out

    def says_real(self, real_out: Tensor, fake_out: Tensor) -> tuple[Tensor, Tensor]:
        """Boolean decisions 'is real' for a real and a generated batch (for D's accuracy)."""
        if self.output == "logit" or self.output == "hinge":
            threshold = 0.0
        elif self.output == "score":
            threshold = 0.5
        else:  # a critic has no absolute scale: split halfway between the two batch means
            threshold = 0.5 * (real_out.mean() + fake_out.mean())
        return real_out > threshold, fake_out > threshold


for _loss in (
    Loss("minimax", minimax_discriminator, minimax_generator, True, "logit",
         description="the source's zero-sum game, L_G = -L_D", discriminator_rows=minimax_discriminator_rows),
    Loss("non-saturating", minimax_discriminator, non_saturating_generator, True, "logit",
         description="G maximises log D(G(z)) (ganhacks)", discriminator_rows=minimax_discriminator_rows),
    Loss("least-squares", least_squares_discriminator, least_squares_generator, True, "score",
         description="LSGAN: squared distance to the real/fake targets",
         discriminator_rows=least_squares_discriminator_rows),
    Loss("hinge", hinge_discriminator, critic_generator, False, "hinge",
         description="hinge loss for D, -E D(G(z)) for G", discriminator_rows=hinge_discriminator_rows),
    Loss("wasserstein", wasserstein_discriminator, critic_generator, False, "critic",
         needs_gradient_penalty=True, description="WGAN-GP: critic with a gradient penalty",
         discriminator_rows=wasserstein_discriminator_rows),
):
    losses.register(_loss.name)(_loss)


def gradient_penalty(D: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     generator: torch.Generator | None = None) -> Tensor:
    """WGAN-GP: E (||grad D(x_hat)|| - 1)^2, x_hat on lines between real and generated samples."""
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), generator=generator,
                     device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(real_out: Tensor, real: Tensor) -> Tensor:
    """R1 (Mescheder 2018): 1/2 E ||grad D(x)||^2 on real data; `real` must require grad."""
    (grad,) = torch.autograd.grad(real_out.sum(), real, create_graph=True)
    return 0.5 * grad.flatten(1).pow(2).sum(dim=1).mean()
