"""Reversible encoders between the user's data and the rows of numbers the networks see.

Every encoder has: transform(user data) -> (n, dim) float tensor; inverse_transform(tensor) ->
user data (points array, DataFrame, images); `layout` (a DataLayout); state() -> plain JSON and
a classmethod from_state(state); and, for data with conditions (classes, a table's discrete
columns): training_conditions(dataset) -> a ConditionSampler or None, sample_conditions(n,
generator) -> (n, condition_dim) drawn as the data has them. data/catalog.py's `fit_encoder` picks
the encoder for a dataset; its `encoder_from_state` rebuilds one from a checkpoint.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import torch

from ganforge.data.layout import DataLayout

ENCODER_FIT_SAMPLES = 100_000  # points drawn from an endless toy sampler to fit the scaling


class ConditionSampler(Protocol):
    """Draws the conditions of a training batch and the real rows that go with them."""

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(row index (n,), conditions of those real rows (n, c), conditions for G's samples (n, c))."""


class StandardEncoder:
    """Per-column standardisation, x' = (x - mean) / std; describes its output as one continuous span.

    fit / transform / inverse_transform as in scikit-learn; its state is plain JSON for checkpoints.
    """

    def __init__(self):
        self.mean_: torch.Tensor | None = None
        self.std_: torch.Tensor | None = None

    def fit(self, x: torch.Tensor) -> "StandardEncoder":
        self.mean_ = x.mean(dim=0)
        # A constant column keeps std 1 so it stays constant instead of dividing by zero.
        std = x.std(dim=0)
        self.std_ = torch.where(std > 1e-12, std, torch.ones_like(std))
        return self

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean_.to(x.device)) / self.std_.to(x.device)

    def inverse_transform(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std_.to(x.device) + self.mean_.to(x.device)

    @property
    def output_dim(self) -> int:
        return int(self.mean_.shape[0])

    @property
    def spans(self) -> list[tuple[int, str]]:
        """(width, kind) of each block of the encoded vector; one continuous block here."""
        return [(self.output_dim, "continuous")]

    @property
    def layout(self) -> DataLayout:
        return DataLayout.vector(self.output_dim)

    def affine(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(shift, scale) with x_user = shift + scale * x_encoded, for fits that report in user units."""
        return self.mean_, self.std_

    def training_conditions(self, dataset) -> None:
        return None  # points carry no condition

    def state(self) -> dict:
        return {"kind": "standard", "mean": self.mean_.tolist(), "std": self.std_.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> "StandardEncoder":
        encoder = cls()
        encoder.mean_ = torch.tensor(state["mean"], dtype=torch.float32)
        encoder.std_ = torch.tensor(state["std"], dtype=torch.float32)
        return encoder


# Encoders by the `kind` their state() records; other modules add theirs (tables, images).
ENCODER_KINDS: dict[str, type] = {"standard": StandardEncoder}
# Builders by dataset kind: (dataset, config) -> fitted encoder.
ENCODER_BUILDERS: dict[str, Callable[[Any, Any], Any]] = {}
