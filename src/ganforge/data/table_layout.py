"""The layout of an encoded table: a DataLayout that also says where each conditioning column sits."""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.data.layout import DataLayout


@dataclass(frozen=True)
class TableLayout(DataLayout):
    """condition_spans[j] = (offset in the row, width) of the j-th conditioning column's one-hot;
    its block in the condition vector follows the previous ones."""

    condition_spans: tuple[tuple[int, int], ...] = ()

    @property
    def is_table(self) -> bool:
        return True
