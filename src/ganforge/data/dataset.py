"""A training source, built-in toy distribution or user's points, behind one small interface."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ganforge.data.toy import ToyDistribution  # importing it registers the toy distributions
from ganforge.data.points import POINT_SUFFIXES, load_points
from ganforge.errors import UserError
from ganforge.registry import datasets


IN_MEMORY = "array"  # the data name of a run fitted on an array from Python


@dataclass
class Dataset:
    """Points in the user's own units: an endless toy sampler, or a finite array drawn with replacement."""

    name: str
    dim: int
    toy: ToyDistribution | None = None
    points: torch.Tensor | None = None

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n, dim) real points; uses only `generator`, so a seeded run reproduces exactly."""
        if self.toy is not None:
            return self.toy.sample(n, generator)
        index = torch.randint(0, self.points.shape[0], (n,), generator=generator)
        return self.points[index]

    def reference(self, n: int, seed: int) -> torch.Tensor:
        """A fixed sample of real points for evaluation, independent of the training RNG."""
        generator = torch.Generator().manual_seed(seed)
        if self.toy is None and self.points.shape[0] <= n:
            return self.points
        return self.sample(n, generator)


def load_dataset(source: str) -> Dataset:
    """A built-in name (see `ganforge datasets`) or a path to a .npy / .csv file of points."""
    if source == IN_MEMORY:
        raise UserError("this run was trained on an in-memory array; evaluate or resume it from Python")
    if source in datasets:
        distribution = datasets.get(source)
        return Dataset(name=source, dim=distribution.dim, toy=distribution)
    path = Path(source)
    if path.suffix.lower() in POINT_SUFFIXES or path.exists():
        points = load_points(path)
        return Dataset(name=str(path), dim=points.shape[1], points=points)
    known = ", ".join(datasets.names())
    raise UserError(f"unknown dataset {source!r}: not a built-in name ({known}) nor an existing file")
