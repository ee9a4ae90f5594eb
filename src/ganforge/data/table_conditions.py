"""CTGAN's training-by-sampling for tables: which condition each row of a batch gets, and a real row that holds it."""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import UserError


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


class TableConditions:
    """The encoder's side of conditioning (mixed into TableEncoder): which columns condition G,
    the conditions of training rows, conditions drawn as the data has them, and --where.

    Needs from the encoder: columns_, layout, _width(spec), _positions(spec, category index),
    _category_index(spec, column), value_index(name, value) and block_frequencies(spec)."""

    def _conditioning(self) -> list[int]:
        """Indices of the columns that condition G: the categorical ones with two values or more."""
        return [i for i, spec in enumerate(self.columns_) if spec["kind"] == "categorical" and self._width(spec) > 1]

    def training_conditions(self, dataset) -> ConditionSampler | None:
        conditioning = self._conditioning()
        if not conditioning:
            return None
        table = dataset.rows()
        codes = [self._positions(self.columns_[i], self._category_index(self.columns_[i], table[self.columns_[i]["name"]]))
                 for i in conditioning]
        return ConditionSampler(codes, [self._width(self.columns_[i]) for i in conditioning])

    def condition_frequencies(self) -> list[np.ndarray]:
        return [self.block_frequencies(self.columns_[i]) for i in self._conditioning()]

    def sample_conditions(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Conditions as the data has them: a conditioning column at random, then one of its values
        with its real frequency (so the rows follow the real joint distribution)."""
        freqs = self.condition_frequencies()
        widths = [len(f) for f in freqs]
        column = torch.randint(0, len(freqs), (n,), generator=generator)
        table = torch.zeros(len(freqs), max(widths))
        for j, f in enumerate(freqs):
            table[j, :len(f)] = torch.from_numpy(f).float()
        value = torch.multinomial(table[column], 1, generator=generator).squeeze(1)
        starts = torch.tensor(np.cumsum([0] + widths[:-1]))
        conditions = torch.zeros(n, sum(widths))
        conditions[torch.arange(n), starts[column] + value] = 1.0
        return conditions

    def condition_for(self, where: dict, n: int) -> tuple[torch.Tensor, dict[int, tuple[int, int]], dict[str, int]]:
        """(n, c) conditions fixing the first `where` column; {row block offset: (width, hot position)}
        of every `where` column, to check and enforce on the samples; {column: category index} to
        set on decoding (a value in a column's long tail shares its position with the tail)."""
        by_name = {spec["name"]: i for i, spec in enumerate(self.columns_)}
        conditioning = self._conditioning()
        layout = self.layout
        enforce, fixed, conditions = {}, {}, torch.zeros(n, layout.condition_dim)
        for name, value in where.items():
            index = self.value_index(name, value)
            i = by_name[name]
            if i not in conditioning:
                raise UserError(f"--where {name}=...: {name!r} takes a single value; nothing to choose")
            j = conditioning.index(i)
            offset, width = layout.condition_spans[j]
            position = int(self._positions(self.columns_[i], np.array([index]))[0])
            enforce[offset] = (width, position)
            fixed[name] = index
            if len(enforce) == 1:
                start = sum(w for _, w in layout.condition_spans[:j])
                conditions[:, start + position] = 1.0
        return conditions, enforce, fixed
