"""The toroidal grid of Lipizzaner: cell indices, von Neumann neighbourhoods, cells per process."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ganforge.errors import UserError

_SHAPE = re.compile(r"^\s*(\d+)\s*[xX*]\s*(\d+)\s*$")
MAX_CELLS = 1024


@dataclass(frozen=True)
class Grid:
    """rows x cols cells on a torus; cell c sits at (c // cols, c % cols), row-major."""

    rows: int
    cols: int

    @classmethod
    def parse(cls, text: str) -> "Grid":
        """'3x3' (or '3X3', '3*3') -> Grid(3, 3); anything else is a UserError."""
        match = _SHAPE.match(str(text))
        if not match:
            raise UserError(f"--grid must look like ROWSxCOLS (e.g. 3x3), got {text!r}")
        rows, cols = int(match.group(1)), int(match.group(2))
        if rows < 1 or cols < 1:
            raise UserError(f"--grid needs at least one row and one column, got {text!r}")
        if rows * cols > MAX_CELLS:
            raise UserError(f"--grid {text} has {rows * cols} cells; at most {MAX_CELLS} are supported")
        return cls(rows, cols)

    @property
    def size(self) -> int:
        return self.rows * self.cols

    def __str__(self) -> str:
        return f"{self.rows}x{self.cols}"

    def position(self, cell: int) -> tuple[int, int]:
        return divmod(cell, self.cols)

    def index(self, row: int, col: int) -> int:
        return (row % self.rows) * self.cols + (col % self.cols)  # the torus wraps both ways

    def neighbourhood(self, cell: int) -> list[int]:
        """The cell itself, then N, S, W, E on the torus, without repeats.

        On a 1x1 grid that is [cell]; on a 2x2 grid N = S and W = E, so three cells; from 3x3 on, five.
        """
        row, col = self.position(cell)
        around = [cell, self.index(row - 1, col), self.index(row + 1, col),
                  self.index(row, col - 1), self.index(row, col + 1)]
        return list(dict.fromkeys(around))  # keeps the first occurrence, in this order


def cells_of_rank(cells: int, rank: int, world: int) -> list[int]:
    """The cells process `rank` of `world` runs: contiguous blocks, sizes differing by at most one.

    A cell's work depends only on the seed, its index and what it gathers, never on which
    process runs it, so any split gives the same result.
    """
    base, extra = divmod(cells, world)
    start = rank * base + min(rank, extra)
    return list(range(start, start + base + (1 if rank < extra else 0)))
