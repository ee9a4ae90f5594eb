"""CTGAN's training-by-sampling for tables: which condition each row of a batch gets, and a real row that holds it."""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import UserError

# Conditions on point-mass columns' modes (CTAB-GAN's mixed columns) fix each spike's share in the
# rows they condition, but every draw they take is one a categorical column no longer gets. Half
# and half, measured against all columns alike (benchmarks/tabular.py, Pima 6 seeds): detection
# AUC 0.649 (0.636 alike, 0.715 without mode conditions), ML-efficacy F1 0.498 (0.481; 0.519).
CATEGORICAL_SHARE = 0.5


class ConditionSampler:
    """CTGAN's training-by-sampling: a conditioning column (uniformly, or by `column_weights`), one
    of its values with probability proportional to log(1 + count) (rare values are seen often
    enough to be learned), then a real row holding that value. Vectorised: no loop over the batch."""

    def __init__(self, codes: list[np.ndarray], widths: list[int], column_weights: torch.Tensor | None = None):
        self.widths = widths
        self.column_weights = column_weights
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
        column = _columns(n, len(self.widths), self.column_weights, generator)
        u = torch.rand(n, 1, generator=generator)
        value = (self.cdf[column] < u).sum(dim=1).clamp_(max=self.cdf.shape[1] - 1)  # inverse CDF
        offset = (torch.rand(n, generator=generator) * self.count[column, value]).long()
        index = self.rows[self.first[column, value] + offset]
        conditions = torch.zeros(n, sum(self.widths))
        conditions[torch.arange(n), self.starts[column] + value] = 1.0
        return index, conditions, conditions


def _columns(n: int, columns: int, weights: torch.Tensor | None, generator: torch.Generator) -> torch.Tensor:
    """n conditioning-column indices: uniform when weights is None, else in proportion to them."""
    if weights is None:
        return torch.randint(0, columns, (n,), generator=generator)
    return torch.multinomial(weights, n, replacement=True, generator=generator)


class TableConditions:
    """The encoder's side of conditioning (mixed into TableEncoder): which columns condition G,
    the conditions of training rows, conditions drawn as the data has them, and --where.

    Needs from the encoder: columns_, layout, encode(table), _width(spec), _modes(spec),
    _positions(spec, category index), value_index(name, value) and block_frequencies(spec)."""

    def _conditioning(self) -> list[int]:
        """Indices of the columns that condition G: the categorical ones with two values or more,
        and the continuous ones whose modes condition too (CTAB-GAN's mixed columns: point masses)."""
        return [i for i, spec in enumerate(self.columns_) if self._condition_width(spec) > 1]

    def _condition_width(self, spec: dict) -> int:
        """Width of the one-hot block a column conditions with: its categories, or its modes."""
        if spec["kind"] == "categorical":
            return self._width(spec)
        return self._modes(spec) if spec.get("condition_modes") else 0

    @staticmethod
    def _condition_offset(spec: dict) -> int:
        """Where that block starts within the column's encoding: a mode block follows the scalar."""
        return 0 if spec["kind"] == "categorical" else 1

    def training_conditions(self, dataset, encoded=None) -> ConditionSampler | None:
        """The sampler over the training rows; `encoded` (their CompactRows, when already made)
        gives each row's hot position in every block, modes included, as encoded for training."""
        conditioning = self._conditioning()
        if not conditioning:
            return None
        if encoded is None:
            encoded = self.encode(dataset.rows())
        codes = self.condition_codes(encoded).numpy()
        widths = [width for _, width in self.layout.condition_spans]
        return ConditionSampler([np.ascontiguousarray(c) for c in codes.T], widths, self._column_weights())

    def condition_codes(self, encoded) -> torch.Tensor:
        """(n, k) int64: each encoded row's hot position in the one-hot block of each of the k
        conditioning columns (a category, or a mode), read from its CompactRows codes."""
        block_of = {int(start): j for j, start in enumerate(encoded.block_starts.tolist())}
        return encoded.codes[:, [block_of[offset] for offset, _ in self.layout.condition_spans]].long()

    def _column_weights(self) -> torch.Tensor | None:
        """How often each conditioning column is the one a condition fixes, in training and when
        sampling: the categorical columns share CATEGORICAL_SHARE, the mode columns the rest
        (None, all alike, when only one kind conditions)."""
        categorical = np.array([self.columns_[i]["kind"] == "categorical" for i in self._conditioning()])
        if categorical.all() or not categorical.any():
            return None
        weights = np.where(categorical, CATEGORICAL_SHARE / categorical.sum(),
                           (1 - CATEGORICAL_SHARE) / (~categorical).sum())
        return torch.from_numpy(weights).float()

    def condition_frequencies(self) -> list[np.ndarray]:
        return [self.block_frequencies(self.columns_[i]) if self.columns_[i]["kind"] == "categorical"
                else np.asarray(self.columns_[i]["mode_frequencies"]) for i in self._conditioning()]

    def sample_conditions(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Conditions as the data has them: a conditioning column at random, then one of its values
        with its real frequency (so the rows follow the real joint distribution)."""
        freqs = self.condition_frequencies()
        widths = [len(f) for f in freqs]
        column = _columns(n, len(freqs), self._column_weights(), generator)
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
