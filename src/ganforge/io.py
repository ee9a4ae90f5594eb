"""Writes generated samples to the file type its name asks for: .csv, .npy or .png."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ganforge.errors import UserError

SAMPLE_SUFFIXES = (".csv", ".npy", ".png")


def write_samples(samples: np.ndarray, path: Path) -> None:
    path = Path(path)
    if isinstance(samples, np.ndarray) and samples.ndim == 4:  # images: a grid .png, a .npy, or a folder of PNGs
        from ganforge.report.images import write_images

        return write_images(samples, path)
    if isinstance(samples, pd.DataFrame):  # a table: its own columns and dtypes, as CSV
        if path.suffix.lower() != ".csv":
            raise UserError(f"cannot write {path}: a table's samples go to a .csv file")
        if not path.parent.exists():
            raise UserError(f"cannot write {path}: folder {path.parent} does not exist")
        return samples.to_csv(path, index=False)
    suffix = path.suffix.lower()
    if suffix not in SAMPLE_SUFFIXES:
        raise UserError(f"cannot write {path}: use a .csv, .npy or .png file name")
    if not path.parent.exists():
        raise UserError(f"cannot write {path}: folder {path.parent} does not exist")
    if suffix == ".csv":
        columns = [f"x{i}" for i in range(samples.shape[1])]
        pd.DataFrame(samples, columns=columns).to_csv(path, index=False)
    elif suffix == ".npy":
        np.save(path, samples)
    else:
        _plot_points(samples, path)


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
