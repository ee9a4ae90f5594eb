"""A mixture of generators with weights: what a co-evolution run samples from (the best cell's)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganforge.distributed.evolution import draw_components
from ganforge.models.catalog import build_model
from ganforge.training.state import SAVED_MODELS


def build_gan(config, encoder, device: torch.device):
    """A fresh GAN (G, D, loss) with the run's architecture, built like any other run's model."""
    return build_model(config, encoder, device)


def flat(module: nn.Module) -> Tensor:
    """Every floating tensor of the module's state (weights and buffers) in one float32 vector."""
    return torch.cat([t.detach().reshape(-1).float().cpu() for t in module.state_dict().values()
                      if t.dtype.is_floating_point])


@torch.no_grad()
def load_flat(module: nn.Module, vector: Tensor) -> nn.Module:
    """Copies a vector made by `flat` back into the module, in place."""
    offset = 0
    for t in module.state_dict().values():
        if t.dtype.is_floating_point:
            n = t.numel()
            t.copy_(vector[offset: offset + n].view_as(t))
            offset += n
    if offset != vector.numel():
        raise ValueError(f"state vector has {vector.numel()} numbers, the module {offset}")
    return module


class GeneratorMixture:
    """Samples from generator k with probability weights[k]; what `ganforge sample` uses for a --grid run."""

    def __init__(self, generators: list[nn.Module], weights: Tensor, noise_dim: int, device: torch.device,
                 cells: list[int] | None = None):
        self.generators = generators
        self.weights = weights.double().cpu()
        self.noise_dim = noise_dim
        self.device = device
        self.cells = cells or list(range(len(generators)))

    @classmethod
    def build(cls, config, encoder, device: torch.device, weights: list[float],
              cells: list[int] | None = None) -> "GeneratorMixture":
        generators = [build_gan(config.replace(ema=0.0), encoder, device).G.eval() for _ in weights]
        return cls(generators, torch.tensor(weights, dtype=torch.float64), config.noise_dim, device, cells)

    @classmethod
    def from_state(cls, config, encoder, device: torch.device, state: dict[str, Any]) -> "GeneratorMixture":
        """The empty mixture a checkpoint's state["mixture"] describes; restore_model fills its weights."""
        return cls.build(config, encoder, device, [float(w) for w in state["weights"]], state.get("cells"))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """(n, data_dim) samples in the encoded space: a component per sample, then its G(z), z ~ N(0, I)."""
        which = draw_components(self.weights, n, generator).to(self.device)  # (n,)
        z = torch.randn(n, self.noise_dim, generator=generator, device=self.device)  # (n, noise_dim)
        out = None
        for k, G in enumerate(self.generators):
            rows = (which == k).nonzero().squeeze(1)
            if rows.numel() == 0 and out is not None:
                continue
            x = G(z[rows])
            if out is None:
                out = torch.empty(n, x.shape[1], device=self.device, dtype=x.dtype)
            out[rows] = x
        return out

    def modules(self) -> dict[str, nn.Module]:
        return {f"mixture.{k}": G for k, G in enumerate(self.generators)}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {}

    def state(self) -> dict[str, Any]:
        return {"weights": self.weights.tolist(), "cells": self.cells}


SAVED_MODELS["mixture"] = GeneratorMixture.from_state  # load_run rebuilds a grid run's mixture
