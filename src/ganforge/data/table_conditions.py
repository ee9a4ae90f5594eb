"""CTGAN's training-by-sampling for tables: which condition each row of a batch gets, and a real row that holds it."""

from __future__ import annotations

import numpy as np
import torch


class ConditionSampler:
    """CTGAN's training-by-sampling: a conditioning column uniformly, one of its values with
    probability proportional to log(1 + count) (rare values are seen often enough to be learned),
    then a real row holding that value. Fully vectorised: no Python loop over the batch."""

    def __init__(self, codes: list[np.ndarray], widths: list[int]):
        self.widths = widths
        self.starts = torch.tensor(np.cumsum([0] + widths[:-1]))
        counts = [np.bincount(c, minlength=w) for c, w in zip(codes, widths)]
        log_freq = torch.zeros(len(codes), max(widths))
        for j, count in enumerate(counts):
            log_freq[j, :len(count)] = torch.from_numpy(np.log1p(count)).float()
        # Cumulative probabilities per column: a value is drawn by comparing one uniform to them.
        self.cdf = (log_freq / log_freq.sum(dim=1, keepdim=True)).cumsum(dim=1)
        for j, width in enumerate(widths):
            self.cdf[j, width - 1:] = 1.0 + 1e-6  # rounding never draws past a column's last value
        # Rows sorted by (column j, value): the rows holding value v of column j are
        # rows[first[j, v] : first[j, v] + count[j, v]].
        self.rows = torch.from_numpy(np.concatenate([np.argsort(c, kind="stable") for c in codes]))
        first = np.zeros((len(codes), max(widths)), dtype=np.int64)
        count = np.zeros_like(first)
        base = 0
        for j, (c, n) in enumerate(zip(codes, counts)):
            count[j, :len(n)] = n
            first[j, :len(n)] = base + np.concatenate([[0], np.cumsum(n)[:-1]])
            base += len(c)
        self.first, self.count = torch.from_numpy(first), torch.from_numpy(count)

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        column = torch.randint(0, len(self.widths), (n,), generator=generator)
        u = torch.rand(n, 1, generator=generator)
        value = (self.cdf[column] < u).sum(dim=1).clamp_(max=self.cdf.shape[1] - 1)  # inverse CDF
        offset = (torch.rand(n, generator=generator) * self.count[column, value]).long()
        index = self.rows[self.first[column, value] + offset]
        conditions = torch.zeros(n, sum(self.widths))
        conditions[torch.arange(n), self.starts[column] + value] = 1.0
        return index, conditions, conditions
