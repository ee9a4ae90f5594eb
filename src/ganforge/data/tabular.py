"""Tables: reading a CSV, Parquet file or DataFrame with clear errors, and inferring each column's type."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ganforge.config import read_yaml
from ganforge.data.base import Dataset
from ganforge.data.table_memory import check_table_fits
from ganforge.errors import UserError

# A numeric column with at most this many distinct values is a category (e.g. Outcome 0/1);
# more, and it is a continuous quantity (rounded back to integers when it holds integers).
DISCRETE_LEVELS = 10
# A text column is an identifier when it has more than ID_MIN_LEVELS distinct values and they
# make up more than ID_FRACTION of its rows: one-hot encoding it would only memorise rows.
ID_MIN_LEVELS = 50
ID_FRACTION = 0.5
MAX_DECIMALS = 6
COLUMN_KINDS = ("categorical", "continuous")
TYPE_PROBE = 1000  # leading values that must look like booleans or dates before all are checked
DATE_PATTERN = r"^\d{4}-\d{1,2}-\d{1,2}|^\d{1,2}/\d{1,2}/\d{2,4}"


def looks_like_table(path: Path) -> bool:
    """True for a .csv file whose first row holds a name (a header), not only numbers."""
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file() or path.stat().st_size == 0:
        return False
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            first = next((line for line in handle if line.strip()), "")
    except (OSError, UnicodeDecodeError):
        return False
    fields = next(csv.reader([first], delimiter=_delimiter(path)), [])
    return any(field.strip() and not _is_number(field) for field in fields)


def load_table(path: Path) -> Dataset:
    """A CSV file with a header row as a table Dataset: any delimiter, quoted fields, UTF-8 names."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise UserError(f"data file {path} is empty")
    try:
        # The C parser (every sniffed delimiter is one character): ~10x faster than the python
        # engine and one copy; low_memory=False types each column once, over all its rows.
        frame = pd.read_csv(path, sep=_delimiter(path), engine="c", encoding="utf-8-sig",
                            skipinitialspace=True, low_memory=False)
    except pd.errors.EmptyDataError:
        raise UserError(f"data file {path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"data file {path} is not a readable CSV ({str(exc).splitlines()[0]})") from None
    return table_dataset(frame, name=str(path), what=f"data file {path}", copy=False)


def load_parquet(path: Path) -> Dataset:
    """A .parquet file as a table Dataset, its columns' types as stored."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise UserError(f"data file {path} does not exist" if not path.exists() else
                        f"data path {path} is a folder; expected a .parquet file")
    if path.stat().st_size == 0:
        raise UserError(f"data file {path} is empty")
    def unreadable(exc: Exception) -> UserError:
        return UserError(f"data file {path} is not a readable Parquet file ({str(exc).splitlines()[0]})")

    try:
        footer = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise unreadable(exc) from None
    check_table_fits(footer.num_rows, footer.num_columns, 0)  # from the footer, before reading any row
    try:
        arrow = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise unreadable(exc) from None
    # self_destruct frees each Arrow column once converted, so the two copies never coexist whole.
    frame = arrow.to_pandas(split_blocks=True, self_destruct=True)
    del arrow
    return table_dataset(frame, name=str(path), what=f"data file {path}", copy=False)


def table_dataset(frame: pd.DataFrame, name: str, what: str = "the table", copy: bool = True) -> Dataset:
    """A checked, typed Dataset of kind "table"; `frame` is copied unless copy=False (a frame we read)."""
    table = prepare_table(frame, what, copy)
    return Dataset(name=name, dim=table.shape[1], table=table)


def prepare_table(frame: pd.DataFrame, what: str = "the table", copy: bool = True) -> pd.DataFrame:
    """Checks the table and gives text columns of dates or true/false their real types; the
    caller's frame is left as it was unless copy=False."""
    if frame.shape[1] == 0:
        raise UserError(f"{what} has no columns")
    if len(frame) == 0:
        raise UserError(f"{what} has a header but no rows")
    if len(frame) == 1:
        raise UserError(f"{what} has a single row; a distribution needs more")
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise UserError(f"{what} has two columns named {twice!r}")
    table = frame.copy() if copy else frame
    table.columns = names
    for name in names:
        column = table[name]
        if column.isna().all():
            raise UserError(f"{what}: column {name!r} is entirely missing; drop it")
        if column.dtype == object:
            table[name] = _typed_text(column)
    if table.index.equals(pd.RangeIndex(len(table))):
        return table  # reset_index would copy every column
    return table.reset_index(drop=True)


def infer_columns(table: pd.DataFrame, discrete: list[str] | tuple[str, ...] = (),
                  overrides: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One description per column: name, kind (categorical / continuous), dtype, range, missing rate.

    `discrete` names columns to treat as categories whatever their values; `overrides` maps a
    column to "categorical" or "continuous" (a metadata file).
    """
    overrides = dict(overrides or {})
    for name in discrete:
        overrides[name] = "categorical"
    unknown = [name for name in overrides if name not in table.columns]
    if unknown:
        raise UserError(f"column {unknown[0]!r} (in --discrete or --metadata) is not in the table; "
                        f"its columns are: {', '.join(map(str, table.columns))}")
    return [_describe(table[name], overrides.get(name)) for name in table.columns]


def read_metadata(path: str) -> dict[str, str]:
    """A metadata file: a YAML/JSON mapping {column: categorical | continuous} (or under `columns:`);
    a column may also map to {kind: ..., point_masses: [...]} (see column_options)."""
    kinds = {}
    for name, entry in _metadata_entries(path).items():
        kind = entry.get("kind")
        if kind is None:
            continue
        kind = str(kind).lower().replace("discrete", "categorical").replace("numerical", "continuous")
        if kind not in COLUMN_KINDS:
            raise UserError(f"metadata file {path}: column {name!r} must be categorical or continuous, got {kind!r}")
        kinds[name] = kind
    return kinds


def column_options(path: str) -> dict[str, dict[str, Any]]:
    """The metadata file's per-column options beyond the kind: `point_masses` (a list of values
    that each hold a share of the rows; [] for none)."""
    options = {}
    for name, entry in _metadata_entries(path).items():
        if "point_masses" in entry:
            masses = entry["point_masses"]
            if not isinstance(masses, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                         for v in masses):
                raise UserError(f"metadata file {path}: column {name!r}: point_masses must be a list of numbers")
            options[name] = {"point_masses": [float(v) for v in masses]}
    return options


def _metadata_entries(path: str) -> dict[str, dict[str, Any]]:
    values = read_yaml(Path(path))
    values = values.get("columns", values) if isinstance(values.get("columns"), dict) else values
    entries = {}
    for name, entry in values.items():
        if not isinstance(entry, dict):
            entry = {"kind": entry}
        unknown = set(entry) - {"kind", "point_masses"}
        if unknown:
            raise UserError(f"metadata file {path}: column {name!r} has unknown option {sorted(unknown)[0]!r} "
                            f"(known: kind, point_masses)")
        entries[str(name)] = entry
    return entries


def discrete_names(option: str) -> list[str]:
    """--discrete "a,b" -> ["a", "b"]."""
    return [name.strip() for name in option.split(",") if name.strip()]


def _describe(column: pd.Series, forced: str | None) -> dict[str, Any]:
    name, present = str(column.name), column.dropna()
    spec: dict[str, Any] = {"name": name, "missing": float(column.isna().mean())}
    if pd.api.types.is_bool_dtype(present.dtype):
        spec["dtype"] = "bool"
    elif pd.api.types.is_datetime64_any_dtype(present.dtype):
        spec["dtype"] = "datetime"
    elif pd.api.types.is_numeric_dtype(present.dtype):
        values = present.to_numpy(dtype=float)
        spec["dtype"] = "int" if np.all(values == np.round(values)) else "float"
    else:
        spec["dtype"] = "text"
    levels = present.nunique()
    if forced is None:
        forced = "categorical" if spec["dtype"] in ("bool", "text") or (
            spec["dtype"] in ("int", "float") and levels <= DISCRETE_LEVELS) else "continuous"
        if spec["dtype"] == "text" and levels > ID_MIN_LEVELS and levels > ID_FRACTION * len(present):
            raise UserError(f"column {name!r} looks like an identifier ({levels} distinct text values in "
                            f"{len(present)} rows): drop it before training, or pass --discrete {name} "
                            f"to one-hot encode it anyway")
    if forced == "continuous" and spec["dtype"] in ("bool", "text"):
        raise UserError(f"column {name!r} holds {spec['dtype']} values; it cannot be continuous")
    spec["kind"] = forced
    if forced == "categorical":
        counts = present.value_counts(sort=False)
        order = sorted(counts.index, key=_sort_key)
        spec["categories"] = [_plain(v) for v in order]
        spec["frequencies"] = [float(counts[v]) / len(column) for v in order]
    else:
        values = _as_numbers(present, spec["dtype"])
        spec["min"], spec["max"] = float(values.min()), float(values.max())
        spec["decimals"] = 0 if spec["dtype"] in ("int", "datetime") else _decimals(values)
    return spec


def _as_numbers(values: pd.Series, dtype: str) -> np.ndarray:
    """Numbers of a continuous column; dates as seconds since 1970."""
    if dtype == "datetime":
        return values.astype("datetime64[ns]").astype("int64").to_numpy(dtype=float) / 1e9
    return values.to_numpy(dtype=float)


def _decimals(values: np.ndarray) -> int:
    """Fewest decimals (up to MAX_DECIMALS) that represent every value, so samples look like the data."""
    sample = values[:5000]
    for decimals in range(MAX_DECIMALS + 1):
        if np.allclose(np.round(sample, decimals), sample, rtol=0, atol=1e-9 * max(1.0, np.abs(sample).max())):
            return decimals
    return MAX_DECIMALS


def _typed_text(column: pd.Series) -> pd.Series:
    """A text column of true/false as booleans, of dates as datetimes; other text stripped.

    The full checks run only when the first TYPE_PROBE values pass them: a column of a million
    names costs one pass, not four."""
    present = column.dropna()
    text = present.astype(str).str.strip()
    head = text.iloc[:TYPE_PROBE]
    if head.str.lower().isin(["true", "false"]).all() and text.str.lower().isin(["true", "false"]).all():
        values = column.map(lambda v: None if pd.isna(v) else str(v).strip().lower() == "true")
        return values.astype("boolean" if column.isna().any() else bool)
    if head.str.contains(DATE_PATTERN, regex=True).all() and text.str.contains(DATE_PATTERN, regex=True).all():
        parsed = pd.to_datetime(column, errors="coerce", format="mixed")
        if parsed.notna().sum() == len(present):
            return parsed
    if len(present) == len(column):
        return text
    return column.where(column.isna(), text)  # the missing values kept as they were (None or NaN)


def _plain(value: Any) -> Any:
    """A category as a JSON value: numpy numbers as Python numbers."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return int(value) if float(value).is_integer() else float(value)
    return str(value)


def _sort_key(value: Any) -> tuple:
    return (0, float(value), "") if isinstance(value, (int, float, np.number, bool, np.bool_)) else (1, 0.0, str(value))


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _delimiter(path: Path) -> str:
    from ganforge.data.points import _delimiter as sniff

    return sniff(path)
