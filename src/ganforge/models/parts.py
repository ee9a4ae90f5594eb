"""Shared pieces of the baseline models: running figures, Adam, gradient norms, resizable buffers."""

from __future__ import annotations

from typing import Iterable

import torch
from torch import Tensor, nn

from ganforge.config import TrainConfig


class RunningStats:
    """Sums named scalar tensors step by step; pop() gives their means since the last pop()."""

    def __init__(self):
        self._sums: dict[str, Tensor] = {}
        self._count = 0

    def add(self, **figures: Tensor) -> None:
        for key, value in figures.items():
            value = value.detach().float()
            self._sums[key] = self._sums[key] + value if key in self._sums else value.clone()
        self._count += 1

    def pop(self) -> dict[str, float]:
        means = {key: float(total) / max(self._count, 1) for key, total in self._sums.items()}
        self._sums, self._count = {}, 0
        return means


class SteppedModel:
    """The trainer's bookkeeping hooks shared by the baselines trained step by step."""

    stats: RunningStats
    _measure_grads: bool

    def measure_gradients(self, on: bool) -> None:
        self._measure_grads = on

    def pop_stats(self) -> dict[str, float]:
        return self.stats.pop()


class FittedOnceModel:
    """The trainer's bookkeeping hooks shared by the models fitted in one step (no gradient, no
    optimiser): the fit lives in `params`, its figures in `_figures`."""

    encoder: object
    params: "FittedParameters"
    _figures: dict[str, float]

    def attach_encoder(self, encoder) -> None:
        """The trainer's encoder, so that fits and figures can speak in the user's units."""
        self.encoder = encoder

    def measure_gradients(self, on: bool) -> None:
        pass  # nothing is trained by gradient

    def pop_stats(self) -> dict[str, float]:
        """The fit's figures (the same at every call: the fit does not change between logs)."""
        return dict(self._figures)

    def modules(self) -> dict[str, nn.Module]:
        return {"fit": self.params}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {}


def adam(parameters: Iterable[nn.Parameter], config: TrainConfig) -> torch.optim.Adam:
    """Adam at the generator's learning rate and the run's betas: the baselines have one network to train."""
    return torch.optim.Adam(parameters, lr=config.lr_generator, betas=(config.beta1, config.beta2))


def grad_norm(modules: Iterable[nn.Module]) -> float:
    """The L2 norm of all gradients together (ganhacks: watch for norms over 100)."""
    grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
    if not grads:
        return float("nan")
    return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))


class FittedParameters(nn.Module):
    """Buffers holding a closed-form fit; loading a checkpoint gives them the checkpoint's shapes.

    A Gaussian mixture's number of components is only known after the fit, so a freshly built
    model (as load_run makes) must accept buffers of another size than its initial ones.
    """

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in list(self._buffers):
            incoming = state_dict.get(prefix + name)
            if incoming is not None and incoming.shape != self._buffers[name].shape:
                self._buffers[name] = torch.empty(incoming.shape, dtype=incoming.dtype,
                                                  device=self._buffers[name].device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def user_affine(encoder, data_dim: int) -> tuple[Tensor, Tensor]:
    """(shift, scale) with x_user = shift + scale * x_encoded, float64; the identity without an
    encoder or with one that is not affine (a table's mode-specific normalisation)."""
    if encoder is None or not hasattr(encoder, "affine"):  # no encoder, or not an affine one
        return torch.zeros(data_dim, dtype=torch.float64), torch.ones(data_dim, dtype=torch.float64)
    shift, scale = encoder.affine()
    return shift.double().cpu(), scale.double().cpu()
