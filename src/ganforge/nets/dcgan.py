"""DCGAN generator and discriminator (Radford et al. 2016) for flat image rows, with class conditioning.

G: z -> transposed convolutions (stride 2, batch norm, ReLU) -> tanh image. D: strided convolutions
with LeakyReLU (batch norm after the first, or spectral norm instead) -> one raw output. Conditioned,
G concatenates a class embedding to z (ganhacks tip 16) and D adds the projection term
<embed(y), h(x)> (Miyato & Koyama 2018). Both read and write rows of C*H*W numbers in [-1, 1].
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from ganforge.errors import UserError
from ganforge.nets.mlp import ACTIVATIONS

MAX_WIDTH = 512  # channel widths stop doubling here


def stages(size: int) -> tuple[int, int]:
    """(base side, number of stride-2 stages): 8 = 4*2, 16 = 4*4, 28 = 7*4, 32 = 4*8, 64 = 4*16."""
    for base in (4, 7):
        n, side = 0, base
        while side < size:
            side, n = side * 2, n + 1
        if side == size and n >= 1:
            return base, n
    raise UserError(f"the DCGAN nets take square images of side 8, 16, 28, 32 or 64, not {size}")


def stage_widths(widths: Sequence[int], n: int, flag: str) -> list[int]:
    """Channels per stage, from the finest stage to the coarsest. One number w gives w, 2w, 4w...
    (capped at MAX_WIDTH), and at least 2w at the coarsest, so an 8x8 net (one stage) gets 2w;
    n numbers are used as given."""
    widths = list(widths)
    if len(widths) == 1:
        out = [min(widths[0] * 2 ** i, max(MAX_WIDTH, widths[0])) for i in range(n)]
        out[-1] = max(out[-1], 2 * widths[0])
        return out
    if len(widths) != n:
        raise UserError(f"{flag}: give one width (doubled at each coarser stage) or {n} widths for this image size")
    return widths


class DCGANGenerator(nn.Module):
    """G: z (B, noise_dim) [, one-hot c (B, K)] -> rows (B, C*H*W) in [-1, 1]."""

    def __init__(self, noise_dim: int, image_shape: tuple[int, int, int], widths: Sequence[int],
                 condition_dim: int = 0, dropout: float = 0.0):
        super().__init__()
        channels, size, _ = image_shape
        base, n = stages(size)
        coarse_to_fine = stage_widths(widths, n, "--generator-hidden")[::-1]
        # one-hot c @ W is an embedding lookup: a learned vector per class, concatenated to z
        self.embed = nn.Linear(condition_dim, min(50, 4 * condition_dim), bias=False) if condition_dim else None
        width_in = noise_dim + (self.embed.out_features if self.embed is not None else 0)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(width_in, coarse_to_fine[0], base, 1, 0, bias=False),  # (B, z, 1, 1) -> (B, w, base, base)
            nn.BatchNorm2d(coarse_to_fine[0]), nn.ReLU(True)]
        for w_in, w_out in zip(coarse_to_fine, coarse_to_fine[1:]):
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers += [nn.ConvTranspose2d(w_in, w_out, 4, 2, 1, bias=False), nn.BatchNorm2d(w_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(coarse_to_fine[-1], channels, 4, 2, 1), nn.Tanh()]  # side doubles each stage
        self.net = nn.Sequential(*layers)
        self.noise_dim = noise_dim
        self.apply(_dcgan_init)

    def forward(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        if self.embed is not None and condition is not None:
            z = torch.cat([z, self.embed(condition)], dim=1)
        x = self.net(z[:, :, None, None])  # (B, C, H, W)
        return x.flatten(1)


class DCGANDiscriminator(nn.Module):
    """D: rows (B, C*H*W) [, one-hot c (B, K)] -> (B / pack,) raw outputs.

    Packing (PacGAN) stacks `pack` images along the channels. Spectral norm replaces batch norm.
    """

    def __init__(self, image_shape: tuple[int, int, int], widths: Sequence[int], activation: str = "leaky_relu",
                 spectral_norm: bool = False, pack: int = 1, condition_dim: int = 0):
        super().__init__()
        channels, size, _ = image_shape
        base, n = stages(size)
        fine_to_coarse = stage_widths(widths, n, "--discriminator-hidden")
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = [wrap(nn.Conv2d(channels * pack, fine_to_coarse[0], 4, 2, 1)), ACTIVATIONS[activation]()]
        for w_in, w_out in zip(fine_to_coarse, fine_to_coarse[1:]):
            layers.append(wrap(nn.Conv2d(w_in, w_out, 4, 2, 1, bias=spectral_norm)))
            if not spectral_norm:
                layers.append(nn.BatchNorm2d(w_out))
            layers.append(ACTIVATIONS[activation]())
        self.features = nn.Sequential(*layers, nn.Flatten())  # (B/pack, w * base * base)
        feature_dim = fine_to_coarse[-1] * base * base
        self.out = wrap(nn.Linear(feature_dim, 1))
        # projection discriminator: D(x, y) = out(h) + <embed(y), h>, with h = features(x)
        self.embed = wrap(nn.Linear(condition_dim, feature_dim, bias=False)) if condition_dim else None
        self.image_shape, self.pack = tuple(image_shape), pack
        self.apply(_dcgan_init)

    def forward(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        c, h, w = self.image_shape
        groups = x.shape[0] // self.pack
        features = self.features(x.reshape(groups, self.pack * c, h, w))  # (B/pack, F)
        out = self.out(features).squeeze(-1)
        if self.embed is not None and condition is not None:
            class_vectors = self.embed(condition).reshape(groups, self.pack, -1).sum(1)  # (B/pack, F)
            out = out + (class_vectors * features).sum(1)
        return out


def _dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation: conv weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)) and not hasattr(module, "parametrizations"):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_dcgan(config, layout) -> tuple[nn.Module, nn.Module]:
    """(G, D) for a layout with image_shape, from the run's options."""
    G = DCGANGenerator(config.noise_dim, layout.image_shape, config.generator_hidden,
                       condition_dim=layout.condition_dim, dropout=config.generator_dropout)
    D = DCGANDiscriminator(layout.image_shape, config.discriminator_hidden, config.discriminator_activation,
                           config.spectral_norm, config.pack, condition_dim=layout.condition_dim)
    return G, D
