"""Reversible encoders between the user's units and the space the networks see."""

from __future__ import annotations

import torch


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

    def state(self) -> dict:
        return {"kind": "standard", "mean": self.mean_.tolist(), "std": self.std_.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> "StandardEncoder":
        encoder = cls()
        encoder.mean_ = torch.tensor(state["mean"], dtype=torch.float32)
        encoder.std_ = torch.tensor(state["std"], dtype=torch.float32)
        return encoder
