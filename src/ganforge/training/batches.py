"""How a training batch is drawn: encoded rows, and their conditions when the model is conditional."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np
import torch
from torch import Tensor


class Batch(NamedTuple):
    """A conditional batch: D judges real rows x under `condition`, G's samples under `fake_condition`."""

    x: Tensor
    condition: Tensor | None = None
    fake_condition: Tensor | None = None


def split_batch(batch: Tensor | Batch) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """(x, real conditions, fake conditions) of a batch; the conditions are None without any."""
    if isinstance(batch, Batch):
        return batch.x, batch.condition, batch.fake_condition
    return batch, None, None


def batch_source(run: Any, batch_size: int, whole: bool = False) -> Callable[[], Tensor | Batch]:
    """A function drawing one training batch from the run's data with run.data_rng.

    Finite data is encoded once; a toy distribution is sampled and encoded batch by batch.
    whole=True (closed-form fits) gives all the finite data at every call. When the run is one
    process of a data-parallel group that shards a table (run.shard = (rank, processes)), this
    process encodes only rows rank, rank + processes, ... and draws its own batch_size /
    processes of them; data_rng stays in step on every process (each draw consumes it alike).
    """
    dataset, encoder, device = run.dataset, run.encoder, run.model.device
    if getattr(run.model, "private", False) and not whole:  # DP-SGD: Poisson sampling (models/private_gan.py)
        return PoissonBatches(encoder.encode(dataset.rows()), encoder, batch_size,
                              run.model.privacy.plan.sample_rate, run.model.sampling_rng, device)
    if dataset.toy is not None:
        return lambda: encoder.transform(dataset.sample(batch_size, run.data_rng)).to(device)
    shard = getattr(run, "shard", None)
    if hasattr(encoder, "encode"):  # a table: held compactly, each batch made dense when drawn
        if shard is not None and not whole:
            rank, processes = shard
            dataset = dataset.subset(slice(rank, None, processes))
            batch_size //= processes
        compact = encoder.encode(dataset.rows())
        if whole:
            return lambda: compact.rows(device=device)
        rows = lambda index: compact.rows(index, device)  # noqa: E731
        n = len(compact)
    else:
        encoded = encoder.transform(dataset.rows()).to(device)
        if whole:
            return lambda: encoded
        rows = lambda index: encoded[index.to(device)]  # noqa: E731
        n = encoded.shape[0]
    conditions = None
    if getattr(run.model, "conditional", False):
        conditions = (encoder.training_conditions(dataset, compact) if hasattr(encoder, "encode")
                      else encoder.training_conditions(dataset))

    def draw() -> Tensor | Batch:
        if conditions is None:
            return rows(torch.randint(0, n, (batch_size,), generator=run.data_rng))
        index, real, fake = conditions.draw(batch_size, run.data_rng)
        return Batch(rows(index), real.to(device), fake.to(device))

    return draw


def shard_of(batch: Tensor | Batch, start: int, stop: int) -> Tensor | Batch:
    """Rows [start, stop) of a batch, conditions included (a copy: DDP must not see a view)."""
    if isinstance(batch, Batch):
        return Batch(*(None if part is None else part[start:stop].clone() for part in batch))
    return batch[start:stop].clone()


class PoissonBatches:
    """A DP run's batches (DP-SGD's sampling, as Opacus' UniformWithReplacementSampler draws it):
    each real row joins a batch independently with probability `rate`, so the batch's size varies
    around rate x rows = batch_size. A conditional table's real rows are judged under a condition
    drawn from the row itself (a conditioning column at random, the row's value of it): a function
    of the row, inside each row's clipped gradient. G's conditions follow the encoder's frequencies,
    which in a DP run are the released noisy counts (privacy/counts.py). All draws come from
    `generator`, which a divergence rollback does not rewind: no batch is ever drawn twice alike.
    """

    def __init__(self, compact, encoder, batch_size: int, rate: float, generator: torch.Generator,
                 device: torch.device):
        self.compact, self.encoder, self.batch_size, self.rate = compact, encoder, batch_size, rate
        self.generator, self.device = generator, device
        layout = encoder.layout
        self.condition_dim = layout.condition_dim
        if self.condition_dim:
            self.codes = encoder.condition_codes(compact)  # (n, k): each row's hot position per conditioning column
            widths = [width for _, width in layout.condition_spans]
            self.starts = torch.tensor(np.cumsum([0] + widths[:-1]), dtype=torch.long)

    def __call__(self) -> Tensor | Batch:
        chosen = torch.rand(len(self.compact), generator=self.generator) < self.rate
        index = chosen.nonzero().squeeze(1)
        x = self.compact.rows(index, self.device)
        if not self.condition_dim:
            return x
        # A private encoder conditions on categorical columns only, all alike (as G's conditions draw them)
        column = torch.randint(0, self.codes.shape[1], (len(index),), generator=self.generator)
        condition = torch.zeros(len(index), self.condition_dim)
        condition[torch.arange(len(index)), self.starts[column] + self.codes[index, column]] = 1.0
        return Batch(x, condition.to(self.device), self.fake_conditions())

    def fake_conditions(self) -> Tensor:
        """batch_size conditions for G, drawn as the (released) frequencies have them."""
        return self.encoder.sample_conditions(self.batch_size, self.generator).to(self.device)
