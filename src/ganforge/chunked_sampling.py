"""Draws a table's samples in seeded chunks straight into a .csv or .parquet file, memory bounded by the chunk."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ganforge.data.table_sampling import sample_table
from ganforge.io import TableWriter

MAX_CHUNK_ROWS = 65_536
MIN_CHUNK_ROWS = 1_024
CHUNK_BYTES = 256 * 2**20  # encoded rows of a chunk: float32 from G, float64 while decoding


def chunk_rows(width: int) -> int:
    """Rows per chunk for encoded rows `width` numbers wide: about CHUNK_BYTES of them, so a
    thousands-wide one-hot draws smaller chunks. Fixed by the model, so a seed's output is too."""
    return int(np.clip(CHUNK_BYTES // (12 * max(width, 1)), MIN_CHUNK_ROWS, MAX_CHUNK_ROWS))


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk `index`: the user's own for the first (so n <= one chunk equals sample(n, seed)),
    then independent streams spawned from it (62 bits: sample_table adds small offsets)."""
    if index == 0:
        return seed
    return int(np.random.SeedSequence([seed % 2**64, index]).generate_state(1, np.uint64)[0] >> 2)


def write_table_samples(run, path: Path, n: int, seed: int, where: dict[str, Any] | None = None,
                        allow_copies: bool = False, progress: bool = False, rows: int | None = None) -> int:
    """Writes exactly n rows of `run`'s table to `path` (.csv or .parquet), chunk by chunk, each
    drawn by sample_table (so --where and the no-copies rule hold in every row); returns n.

    The file appears only when complete (see TableWriter). `rows` overrides the chunk size.
    """
    size = rows or chunk_rows(run.encoder.layout.dim)
    with TableWriter(Path(path)) as writer, _progress(n, progress and n > size) as advance:
        for index, start in enumerate(range(0, n, size)):
            count = min(size, n - start)
            writer.write(sample_table(run, count, chunk_seed(seed, index), where, allow_copies))
            advance(count)
    return writer.rows


@contextmanager
def _progress(total: int, show: bool) -> Iterator[Callable[[int], None]]:
    """advance(rows) for a bar on stderr when `show`; a no-op otherwise."""
    if not show:
        yield lambda rows: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]sampling"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True)) as bar:
        task = bar.add_task("sample", total=total)
        yield lambda rows: bar.advance(task, rows)
