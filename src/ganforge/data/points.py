"""Loads a user's file of numeric points (.npy or .csv) as a float32 tensor, with clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ganforge.errors import UserError

POINT_SUFFIXES = (".npy", ".csv")


def load_points(path: Path) -> torch.Tensor:
    """(n, d) float32 points from a .npy array or a CSV of numbers (a header row is allowed)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"data path {path} does not exist")
    if path.is_dir():
        raise UserError(f"data path {path} is a folder; expected a .npy or .csv file of points")
    if path.stat().st_size == 0:
        raise UserError(f"data file {path} is empty")
    if path.suffix.lower() == ".npy":
        array = _read_npy(path)
    elif path.suffix.lower() == ".csv":
        array = _read_csv(path)
    else:
        raise UserError(f"data file {path}: unsupported type {path.suffix!r}; use .npy or .csv")
    return check_points(array, f"data file {path}")


def check_points(array: np.ndarray, what: str) -> torch.Tensor:
    """A (n, d) float32 tensor of finite numbers, or a UserError naming `what` is wrong."""
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise UserError(f"{what} holds {array.dtype} values; expected real numbers")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise UserError(f"{what} must be a table of points (rows x columns), got shape {array.shape}")
    if array.shape[0] < 2:
        raise UserError(f"{what} has a single point; a distribution needs more")
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise UserError(f"{what} has a missing, NaN or infinite value (row {row + 1}, column {col + 1})")
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def _read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UserError(f"data file {path} is not a readable .npy array ({exc})") from None
    return array


def _read_csv(path: Path) -> np.ndarray:
    sep = _delimiter(path)
    try:
        frame = pd.read_csv(path, sep=sep, engine="python", header="infer")
        if _header_is_data(frame):
            frame = pd.read_csv(path, sep=sep, engine="python", header=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"data file {path} is not a readable CSV ({str(exc).splitlines()[0]})") from None
    if frame.empty:
        raise UserError(f"data file {path} has no rows")
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    text = numeric.isna() & frame.notna()
    if text.to_numpy().any():
        row, col = map(int, np.argwhere(text.to_numpy())[0])
        name = frame.columns[col]  # the header's name, or pandas' 0-based position without a header
        column = f"column {col + 1}" + (f" {name!r}" if isinstance(name, str) else "")
        raise UserError(f"data file {path} has a non-numeric value {frame.iat[row, col]!r} (row {row + 1}, {column})")
    return numeric.to_numpy(dtype=np.float64)


def _delimiter(path: Path) -> str:
    """The CSV's delimiter, guessed from its first lines; a comma when there is none (one column)."""
    with open(path, newline="", errors="replace") as handle:
        start = "".join(line for _, line in zip(range(50), handle))
    try:
        return csv.Sniffer().sniff(start, delimiters=",;\t| ").delimiter
    except csv.Error:
        return ","


def _header_is_data(frame: pd.DataFrame) -> bool:
    """True when pandas took a row of numbers as the header (a CSV written without one)."""
    try:
        [float(c) for c in frame.columns]
        return True
    except ValueError:
        return False
