"""Multi-layer perceptron generator and discriminator for vector data (toy points, encoded tables)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),  # ganhacks: LeakyReLU avoids sparse gradients
    "tanh": lambda: nn.Tanh(),
}


class MLPGenerator(nn.Module):
    """G: z (B, noise_dim) [, c (B, condition_dim)] -> x (B, data_dim); optional dropout in G (ganhacks tip 17).

    A condition (one-hot class, a table's condition vector) is concatenated to z.
    """

    def __init__(self, noise_dim: int, data_dim: int, hidden: Sequence[int],
                 activation: str = "relu", dropout: float = 0.0, output: str = "linear",
                 condition_dim: int = 0):
        super().__init__()
        layers: list[nn.Module] = []
        width = noise_dim + condition_dim
        for h in hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, data_dim))
        if output == "tanh":  # data scaled to [-1, 1]
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)
        self.noise_dim = noise_dim

    def forward(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        if condition is not None:
            z = torch.cat([z, condition], dim=1)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """D: x (B, data_dim) -> one raw output per packed group, shape (B / pack,).

    Packing (PacGAN): D judges `pack` samples at once, all real or all generated, which
    makes a lack of diversity visible to it. A condition is concatenated to each sample.
    """

    def __init__(self, data_dim: int, hidden: Sequence[int], activation: str = "leaky_relu",
                 spectral_norm: bool = False, pack: int = 1, condition_dim: int = 0):
        super().__init__()
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        width = (data_dim + condition_dim) * pack
        for h in hidden:
            layers += [wrap(nn.Linear(width, h)), ACTIVATIONS[activation]()]
            width = h
        layers.append(wrap(nn.Linear(width, 1)))
        self.net = nn.Sequential(*layers)
        self.pack = pack

    def forward(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        if condition is not None:
            x = torch.cat([x, condition], dim=1)
        x = x.reshape(x.shape[0] // self.pack, -1)  # (B, d) -> (B / pack, pack * d)
        return self.net(x).squeeze(-1)

