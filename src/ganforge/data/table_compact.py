"""An encoded table held compactly: one small integer per one-hot block, float32 scalars; rows built per batch.

A table of n rows whose encoded width is d takes n x d floats as dense rows, and d grows with
every category and mode. Held as codes it takes n x (blocks x 4 + scalars x 4) bytes whatever the
categories, and a batch's dense rows are built when drawn: memory follows the batch, not the table.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


class CompactRows:
    """scalars (n, s) float32 at dense positions `scalar_positions`; codes (n, k) int32, code j of
    row i being the hot position within the j-th one-hot block, which starts at `block_starts[j]`."""

    def __init__(self, scalars: Tensor, codes: Tensor, scalar_positions: Tensor, block_starts: Tensor, dim: int):
        self.scalars, self.codes = scalars, codes
        self.scalar_positions, self.block_starts, self.dim = scalar_positions, block_starts, dim

    def __len__(self) -> int:
        return self.codes.shape[0]  # scalars and codes always have the same rows, possibly 0 columns

    @property
    def nbytes(self) -> int:
        return self.scalars.numel() * self.scalars.element_size() + self.codes.numel() * self.codes.element_size()

    def rows(self, index: Tensor | None = None, device: torch.device | str = "cpu") -> Tensor:
        """Dense encoded rows (B, dim) float32 for `index` (all rows when None), built on `device`."""
        scalars = self.scalars if index is None else self.scalars[index]
        codes = self.codes if index is None else self.codes[index]
        pinned = torch.device(device).type == "cuda"
        if pinned:  # page-locked host memory: the copy to the GPU overlaps with work already queued
            scalars, codes = scalars.pin_memory(), codes.pin_memory()
        scalars = scalars.to(device, non_blocking=pinned)
        codes = codes.to(device, non_blocking=pinned)
        out = torch.zeros(codes.shape[0], self.dim, device=device)
        if self.scalar_positions.numel():
            out[:, self.scalar_positions.to(device)] = scalars
        if self.block_starts.numel():
            out.scatter_(1, codes.long() + self.block_starts.to(device), 1.0)
        return out


def compact_from_parts(scalars: list[np.ndarray], codes: list[np.ndarray], spans: tuple[tuple[int, str], ...],
                       n: int) -> CompactRows:
    """CompactRows from per-block arrays given in span order: each tanh span one scalar column,
    each softmax span one code column."""
    starts = np.cumsum([0] + [w for w, _ in spans])[:-1]
    scalar_positions = [int(s) for s, (_, kind) in zip(starts, spans) if kind == "tanh"]
    block_starts = [int(s) for s, (_, kind) in zip(starts, spans) if kind == "softmax"]
    dim = int(sum(w for w, _ in spans))
    s = np.stack(scalars, axis=1).astype(np.float32) if scalars else np.zeros((n, 0), np.float32)
    c = np.stack(codes, axis=1).astype(np.int32) if codes else np.zeros((n, 0), np.int32)
    return CompactRows(torch.from_numpy(s), torch.from_numpy(c), torch.tensor(scalar_positions, dtype=torch.long),
                       torch.tensor(block_starts, dtype=torch.long), dim)
