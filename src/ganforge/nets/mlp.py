"""Multi-layer perceptron generator and discriminator for vector data (toy points, encoded tables)."""

from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),  # ganhacks: LeakyReLU avoids sparse gradients
    "tanh": lambda: nn.Tanh(),
}


class MLPGenerator(nn.Module):
    """G: z (B, noise_dim) -> x (B, data_dim); optional dropout in G (ganhacks tip 17)."""

    def __init__(self, noise_dim: int, data_dim: int, hidden: Sequence[int],
                 activation: str = "relu", dropout: float = 0.0, output: str = "linear"):
        super().__init__()
        layers: list[nn.Module] = []
        width = noise_dim
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

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """D: x (B, data_dim) -> one raw output per packed group, shape (B / pack,).

    Packing (PacGAN): D judges `pack` samples at once, all real or all generated, which
    makes a lack of diversity visible to it.
    """

    def __init__(self, data_dim: int, hidden: Sequence[int], activation: str = "leaky_relu",
                 spectral_norm: bool = False, pack: int = 1):
        super().__init__()
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        width = data_dim * pack
        for h in hidden:
            layers += [wrap(nn.Linear(width, h)), ACTIVATIONS[activation]()]
            width = h
        layers.append(wrap(nn.Linear(width, 1)))
        self.net = nn.Sequential(*layers)
        self.pack = pack

    def forward(self, x: Tensor) -> Tensor:
        x = x.reshape(x.shape[0] // self.pack, -1)  # (B, d) -> (B / pack, pack * d)
        return self.net(x).squeeze(-1)

