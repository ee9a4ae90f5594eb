"""Writes generated samples to the file type its name asks for: .csv, .parquet, .npy or .png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ganforge.errors import UserError

SAMPLE_SUFFIXES = (".csv", ".parquet", ".npy", ".png")
TABLE_SUFFIXES = (".csv", ".parquet")


def write_samples(samples: np.ndarray, path: Path) -> None:
    path = Path(path)
    if isinstance(samples, np.ndarray) and samples.ndim == 4:  # images: a grid .png, a .npy, or a folder of PNGs
        from ganforge.report.images import write_images

        return write_images(samples, path)
    if isinstance(samples, pd.DataFrame):  # a table: its own columns and dtypes
        with TableWriter(path) as writer:
            writer.write(samples)
        return None
    suffix = path.suffix.lower()
    if suffix not in SAMPLE_SUFFIXES:
        raise UserError(f"cannot write {path}: use a .csv, .parquet, .npy or .png file name")
    check_folder(path)
    if suffix in TABLE_SUFFIXES:
        with TableWriter(path) as writer:
            writer.write(pd.DataFrame(samples, columns=[f"x{i}" for i in range(samples.shape[1])]))
    elif suffix == ".npy":
        np.save(path, samples)
    else:
        _plot_points(samples, path)


def check_folder(path: Path) -> None:
    if not path.parent.exists():
        raise UserError(f"cannot write {path}: folder {path.parent} does not exist")


class TableWriter:
    """Appends DataFrame chunks to a .csv or .parquet file under a temporary name beside it; on a
    clean exit the file is moved into place, on an error the partial file is removed, so an
    earlier file of that name is never left half overwritten.

        with TableWriter(path) as writer:
            for chunk in chunks:
                writer.write(chunk)
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in TABLE_SUFFIXES:
            raise UserError(f"cannot write {self.path}: a table's samples go to a .csv or .parquet file")
        check_folder(self.path)
        self.partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        self.rows = 0
        self._parquet: Any = None
        self._schema: Any = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.suffix == ".csv":
            frame.to_csv(self.partial, index=False, mode="w" if self.rows == 0 else "a", header=self.rows == 0)
        else:
            self._write_parquet(frame)
        self.rows += len(frame)

    def _write_parquet(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            schema = pa.Schema.from_pandas(frame, preserve_index=False)
            # A text column missing in every row of the first chunk has no type yet: it is text.
            for i, field in enumerate(schema):
                if pa.types.is_null(field.type):
                    schema = schema.set(i, field.with_type(pa.string()))
            self._schema = schema
            self._parquet = pq.ParquetWriter(self.partial, schema)
        self._parquet.write_table(pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False))

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if kind is None and self.rows > 0:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def _plot_points(samples: np.ndarray, path: Path) -> None:
    """A scatter plot (2D, or the first two columns) or a histogram (1D) of the samples."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 5), dpi=100)
    axes = figure.add_subplot()
    if samples.shape[1] == 1:
        axes.hist(samples[:, 0], bins=60, color="tab:blue")
        axes.set_xlabel("x")
    else:
        axes.scatter(samples[:, 0], samples[:, 1], s=3, alpha=0.5, color="tab:blue")
        axes.set_aspect("equal", adjustable="datalim")
        axes.set_xlabel("x0")
        axes.set_ylabel("x1")
    axes.set_title(f"{len(samples)} generated samples")
    figure.tight_layout()
    figure.savefig(path)
