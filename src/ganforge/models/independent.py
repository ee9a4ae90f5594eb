"""The independent baseline: each column drawn from its own empirical marginal, ignoring every other column."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout, as_layout
from ganforge.errors import UserError
from ganforge.models.parts import FittedOnceModel, FittedParameters
from ganforge.registry import models

MAX_ROWS = 200_000  # encoded training rows kept (a uniform subsample beyond): the checkpoint's size
PROBE_ROWS = 2000  # rows decoded to find which encoded spans make each column


@models.register("independent")
class IndependentModel(FittedOnceModel):
    """p(x) = prod_j p_j(x_j), each p_j the empirical law of column j (missing values included).

    The fit keeps the encoded training rows. A sample draws, for each column, its own training row
    index, and copies that row's encoded block for the column: the decoded column is then a draw
    of the column's own values, whatever the encoder does, while the columns are independent.
    Which encoded dimensions make a column is found from the encoder's public surface: a span
    belongs to the columns whose decoded values change when that span alone is shuffled across
    rows. Points (no table) have one column per coordinate.
    It is the floor a table model must clear: high column shapes, no pair trends.
    """

    closed_form = True
    independent_columns = True  # the diagnosis does not report its lost pairs: it keeps none by design

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        layout = as_layout(data)
        if layout.is_image:
            raise UserError("the independent model draws each column on its own; it is for tables and points, "
                            "not images (each pixel independent is noise)")
        self.layout, self.config, self.device = layout, config, device
        self.loss = None  # not adversarial
        self.encoder = None
        self.params = FittedParameters().to(device)
        self.params.register_buffer("rows", torch.zeros(1, layout.dim, device=device))  # (N, d)
        self.params.register_buffer("group", torch.arange(layout.dim, device=device))  # (d,) column of each dim
        self._figures: dict[str, float] = {}

    def train_step(self, next_batch: Callable[[], Tensor], rng: torch.Generator, progress: float) -> None:
        x = next_batch().detach().to("cpu", torch.float32)  # (N, d): all the data
        if len(x) > MAX_ROWS:
            keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(self.config.seed))[:MAX_ROWS]
            x = x[keep]
        self.params.rows = x.to(self.device)
        self.params.group = column_groups(self.encoder, self.layout, x, self.config.seed).to(self.device)
        self._figures = {"rows_kept": float(len(x)), "column_groups": float(len(self.params.group.unique()))}

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """(n, d): for each column group, the block of an independently drawn training row."""
        rows, group = self.params.rows, self.params.group
        out = torch.zeros(n, self.layout.dim, device=self.device)
        for g in group.unique().tolist():
            dims = (group == g).nonzero().squeeze(1)
            index = torch.randint(len(rows), (n,), generator=generator, device=self.device)  # (n,)
            out[:, dims] = rows[index][:, dims]
        return out


def column_groups(encoder, layout: DataLayout, x: Tensor, seed: int) -> Tensor:
    """(d,) int64: the column group of each encoded dimension.

    Shuffling one span's values across rows and decoding shows which columns that span feeds;
    spans feeding a common column join one group (union-find). A span that changes nothing seen
    (e.g. every probed row has the same value there) joins its left neighbour: an encoder writes
    a column's spans side by side. Without a table encoder each dimension is its own column.
    """
    dim = layout.dim
    if encoder is None or not hasattr(encoder, "column_names") or len(x) < 2:
        return torch.arange(dim)
    probe = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:PROBE_ROWS]]
    shuffle = torch.roll(torch.arange(len(probe)), 1)  # every row takes its neighbour's values
    base = _as_frame(encoder.inverse_transform(probe))
    starts = np.cumsum([0] + [width for width, _ in layout.spans])
    parent = list(range(len(layout.spans)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}  # column -> a span that feeds it
    for s, (begin, end) in enumerate(zip(starts[:-1], starts[1:])):
        moved = probe.clone()
        moved[:, begin:end] = probe[shuffle, begin:end]
        changed = _changed_columns(base, _as_frame(encoder.inverse_transform(moved)))
        if not changed and s > 0:
            parent[root(s)] = root(s - 1)
        for column in changed:
            if column in owner:
                parent[root(s)] = root(owner[column])
            else:
                owner[column] = s
    group = torch.empty(dim, dtype=torch.int64)
    for s, (begin, end) in enumerate(zip(starts[:-1], starts[1:])):
        group[begin:end] = root(s)
    return group


def _as_frame(decoded) -> pd.DataFrame:
    if isinstance(decoded, pd.DataFrame):
        return decoded
    array = decoded.cpu().numpy() if isinstance(decoded, Tensor) else np.asarray(decoded)
    return pd.DataFrame(array.reshape(len(array), -1))


def _changed_columns(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Columns whose decoded values differ in any row (missing equals missing)."""
    return [column for column in before.columns
            if (before[column].astype(str).to_numpy() != after[column].astype(str).to_numpy()).any()]
