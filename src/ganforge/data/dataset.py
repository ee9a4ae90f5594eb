"""Loads a dataset by built-in name or path: asks the dataset registry, or the loader that knows the file."""

from __future__ import annotations

from pathlib import Path

import ganforge.data.catalog  # noqa: F401  (registers every built-in dataset)
from ganforge.data.base import IN_MEMORY, BuiltinData, Dataset  # noqa: F401  (re-exported for callers)
from ganforge.data.images import is_image_source, load_images
from ganforge.data.points import POINT_SUFFIXES, load_points
from ganforge.data.tabular import load_parquet, load_table, looks_like_table
from ganforge.data.toy import ToyDistribution
from ganforge.errors import UserError
from ganforge.registry import datasets


def load_dataset(source: str) -> Dataset:
    """A built-in name (see `ganforge datasets`), or a path: a .npy / .csv / .parquet file, images, a table."""
    if source == IN_MEMORY:
        raise UserError("this run was trained on in-memory data; evaluate or resume it from Python")
    if source in datasets:
        member = datasets.get(source)
        if isinstance(member, ToyDistribution):
            return Dataset(name=source, dim=member.dim, toy=member)
        return member.load()
    path = Path(source)
    if is_image_source(path):  # a folder, IDX files or a .npz
        return load_images(path)
    if path.suffix.lower() == ".parquet":  # a table with its types stored
        return load_parquet(path)
    if looks_like_table(path):  # a .csv whose first row is a header of names
        return load_table(path)
    if path.suffix.lower() in POINT_SUFFIXES or path.exists():
        points = load_points(path)
        return Dataset(name=str(path), dim=points.shape[1], points=points)
    known = ", ".join(datasets.names())
    raise UserError(f"unknown dataset {source!r}: not a built-in name ({known}) nor an existing file")
