"""The table encoder: mode-specific normalisation, one-hot categories, missing indicators; reversible.

A continuous column x becomes [alpha, one-hot mode k] (CTGAN): a variational Gaussian mixture is
fitted to the column; a value picks a mode k from its posterior and alpha = (x - mu_k) / (4 sigma_k)
in [-1, 1]. A column with missing values also gets a 2-way one-hot [present, missing]. A
categorical column (missing is one more category) is one-hot. Decoding inverts this, then clips to
the real range, rounds to the data's decimals (integers stay integers) and restores the dtype.
"""

from __future__ import annotations

import base64
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ganforge.data.encoders import ENCODER_BUILDERS, ENCODER_KINDS
from ganforge.defaults import DATA_DEFAULTS
from ganforge.data.layout import DataLayout
from ganforge.data.table_conditions import ConditionSampler
from ganforge.data.tabular import _as_numbers, discrete_names, infer_columns, read_metadata
from ganforge.errors import UserError

MAX_MODES = 10  # components of each column's mixture (CTGAN's)
MODE_WEIGHT_FLOOR = 0.005  # components lighter than this are dropped (CTGAN's)
MIXTURE_FIT_ROWS = 5000  # the mixture is fitted on at most this many rows: the time is O(rows)
ALPHA_LIMIT = 0.99


@dataclass(frozen=True)
class TableLayout(DataLayout):
    """A DataLayout that also says where each conditioning column's one-hot sits in a row:
    condition_spans[j] = (offset in the row, width); its block in the condition vector follows
    the previous ones."""

    condition_spans: tuple[tuple[int, int], ...] = ()

    @property
    def is_table(self) -> bool:
        return True


class TableEncoder:
    """fit(table, columns) / transform(DataFrame) -> (n, dim) tensor / inverse_transform -> DataFrame."""

    def __init__(self, seed: int = 0, max_modes: int = MAX_MODES):
        self.seed = seed
        self.max_modes = max_modes  # 1: plain standardisation of each continuous column (one "mode")

    # --- fitting ----------------------------------------------------------------------------

    def fit(self, table: pd.DataFrame, columns: list[dict[str, Any]]) -> "TableEncoder":
        from sklearn.mixture import BayesianGaussianMixture

        rng = np.random.default_rng(self.seed)
        self.columns_ = []
        for spec in columns:
            spec = dict(spec)
            if spec["kind"] == "continuous":
                values = _as_numbers(table[spec["name"]].dropna(), spec["dtype"])
                center, scale = float(values.mean()), float(values.std()) or 1.0
                if self.max_modes == 1:
                    spec.update(means=[center], stds=[scale], weights=[1.0])
                    self.columns_.append(spec)
                    continue
                fit_on = values if len(values) <= MIXTURE_FIT_ROWS else rng.choice(values, MIXTURE_FIT_ROWS, replace=False)
                fit_on = (fit_on - center) / scale
                # CTGAN's variational mixture: a Dirichlet process prior switches unneeded modes off.
                mixture = BayesianGaussianMixture(
                    n_components=min(self.max_modes, len(np.unique(fit_on))), weight_concentration_prior_type="dirichlet_process",
                    weight_concentration_prior=0.001, max_iter=100, n_init=1, random_state=self.seed)
                with warnings.catch_warnings():  # a spike of equal values rarely "converges"; the fit is still good
                    warnings.simplefilter("ignore")
                    mixture.fit(fit_on[:, None])
                keep = mixture.weights_ > MODE_WEIGHT_FLOOR
                if not keep.any():
                    keep = mixture.weights_ == mixture.weights_.max()
                spec["means"] = (center + scale * mixture.means_[keep, 0]).tolist()
                spec["stds"] = (scale * np.sqrt(mixture.covariances_[keep].reshape(-1))).tolist()
                spec["weights"] = (mixture.weights_[keep] / mixture.weights_[keep].sum()).tolist()
            self.columns_.append(spec)
        self.row_hashes_ = np.unique(self.row_hashes(table))
        return self

    # --- layout -----------------------------------------------------------------------------

    def _blocks(self, spec: dict[str, Any]) -> list[tuple[int, str]]:
        if spec["kind"] == "categorical":
            return [(self._width(spec), "softmax")]
        blocks = [(1, "tanh"), (len(spec["means"]), "softmax")]
        return blocks + ([(2, "softmax")] if spec["missing"] > 0 else [])

    @staticmethod
    def _width(spec: dict[str, Any]) -> int:
        return len(spec["categories"]) + (spec["missing"] > 0)

    def _conditioning(self) -> list[int]:
        """Indices of the columns that condition G: the categorical ones with two values or more."""
        return [i for i, spec in enumerate(self.columns_) if spec["kind"] == "categorical" and self._width(spec) > 1]

    @property
    def layout(self) -> TableLayout:
        spans, starts, offset = [], [], 0
        for spec in self.columns_:
            starts.append(offset)
            for width, kind in self._blocks(spec):
                spans.append((width, kind))
                offset += width
        condition = tuple((starts[i], self._width(self.columns_[i])) for i in self._conditioning())
        return TableLayout(dim=offset, spans=tuple(spans), condition_dim=sum(w for _, w in condition),
                           condition_spans=condition)

    @property
    def output_dim(self) -> int:
        return self.layout.dim

    @property
    def column_names(self) -> list[str]:
        return [spec["name"] for spec in self.columns_]

    # --- transform --------------------------------------------------------------------------

    def transform(self, table: pd.DataFrame) -> torch.Tensor:
        """(n, dim) float32 rows; a value's mode is drawn from its posterior with a fixed seed."""
        rng = np.random.default_rng(self.seed + 1)
        parts = []
        for spec in self.columns_:
            column = table[spec["name"]]
            if spec["kind"] == "categorical":
                parts.append(self._one_hot(self._category_index(spec, column), self._width(spec)))
                continue
            missing = column.isna().to_numpy()
            x = np.zeros(len(column))
            x[~missing] = _as_numbers(column[~missing], spec["dtype"])
            means, stds, weights = (np.array(spec[k]) for k in ("means", "stds", "weights"))
            stds = np.maximum(stds, 1e-9)
            log_p = np.log(weights) - np.log(stds) - 0.5 * ((x[:, None] - means) / stds) ** 2  # (n, modes)
            p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            mode = (p.cumsum(axis=1) < rng.random((len(x), 1))).sum(axis=1).clip(0, len(means) - 1)
            mode[missing] = int(np.argmax(weights))
            alpha = np.clip((x - means[mode]) / (4 * stds[mode]), -ALPHA_LIMIT, ALPHA_LIMIT)
            alpha[missing] = 0.0
            parts += [alpha[:, None], self._one_hot(mode, len(means))]
            if spec["missing"] > 0:
                parts.append(self._one_hot(missing.astype(int), 2))
        return torch.from_numpy(np.concatenate(parts, axis=1).astype(np.float32))

    def _category_index(self, spec: dict[str, Any], column: pd.Series) -> np.ndarray:
        lookup = {_key(v): i for i, v in enumerate(spec["categories"])}
        missing_index = len(spec["categories"])
        # Keys are computed once per distinct value, then spread over the rows (fast on large tables).
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        per_unique = np.array([lookup.get(_key(v), -1) for v in uniques] + [missing_index], dtype=np.int64)
        index = per_unique[codes]  # the sentinel -1 picks the last entry: missing
        if (index < 0).any():
            bad = column.iloc[int(np.argmax(index < 0))]
            raise UserError(f"column {spec['name']!r} has a value {bad!r} the model never saw")
        if (index == missing_index).any() and spec["missing"] == 0:
            raise UserError(f"column {spec['name']!r} has missing values; the model was trained without any")
        return index

    @staticmethod
    def _one_hot(index: np.ndarray, width: int) -> np.ndarray:
        out = np.zeros((len(index), width))
        out[np.arange(len(index)), index] = 1.0
        return out

    # --- inverse ----------------------------------------------------------------------------

    def inverse_transform(self, rows: torch.Tensor) -> pd.DataFrame:
        """Encoded rows -> a DataFrame with the real columns, order, dtypes and ranges."""
        data = rows.detach().cpu().double().numpy()
        out, offset = {}, 0
        for spec in self.columns_:
            if spec["kind"] == "categorical":
                width = self._width(spec)
                index = data[:, offset:offset + width].argmax(axis=1)
                offset += width
                out[spec["name"]] = self._categories(spec, index)
                continue
            means, stds = np.array(spec["means"]), np.array(spec["stds"])
            alpha = np.clip(data[:, offset], -1, 1)
            mode = data[:, offset + 1:offset + 1 + len(means)].argmax(axis=1)
            offset += 1 + len(means)
            x = np.clip(means[mode] + 4 * stds[mode] * alpha, spec["min"], spec["max"])
            x = np.round(x, spec["decimals"])
            missing = np.zeros(len(x), dtype=bool)
            if spec["missing"] > 0:
                missing = data[:, offset + 1] > data[:, offset]
                offset += 2
            out[spec["name"]] = self._numbers(spec, x, missing)
        return pd.DataFrame(out, columns=self.column_names)

    @staticmethod
    def _categories(spec: dict[str, Any], index: np.ndarray) -> pd.Series:
        values = np.array(spec["categories"] + [None], dtype=object)[index]
        missing = index == len(spec["categories"])
        dtype = spec["dtype"]
        if dtype == "bool":
            return pd.Series(values, dtype="boolean" if spec["missing"] > 0 else bool)
        if dtype in ("int", "float"):
            series = pd.Series(np.where(missing, np.nan, values).astype(float))
            if dtype == "int":
                return series.astype("Int64") if spec["missing"] > 0 else series.astype(np.int64)
            return series
        if dtype == "datetime":
            return pd.to_datetime(pd.Series(values))
        return pd.Series(values, dtype=object)

    @staticmethod
    def _numbers(spec: dict[str, Any], x: np.ndarray, missing: np.ndarray) -> pd.Series:
        if spec["dtype"] == "datetime":
            stamps = pd.to_datetime(np.round(x * 1e9).astype("int64"), unit="ns")
            return pd.Series(stamps).mask(missing)
        series = pd.Series(np.where(missing, np.nan, x))
        if spec["dtype"] == "int":
            return series.astype("Int64") if spec["missing"] > 0 else series.astype(np.int64)
        return series

    # --- copies of training rows ------------------------------------------------------------

    def conform(self, table: pd.DataFrame) -> pd.DataFrame:
        """Real rows in exactly the form decoding gives (dtypes, rounding), to compare with samples."""
        out = {}
        for spec in self.columns_:
            column = table[spec["name"]]
            if spec["kind"] == "categorical":
                out[spec["name"]] = self._categories(spec, self._category_index(spec, column))
            else:
                missing = column.isna().to_numpy()
                x = np.zeros(len(column))
                x[~missing] = _as_numbers(column[~missing], spec["dtype"])
                out[spec["name"]] = self._numbers(spec, np.round(x, spec["decimals"]), missing)
        return pd.DataFrame(out, columns=self.column_names)

    def row_hashes(self, table: pd.DataFrame) -> np.ndarray:
        """A 64-bit hash per row of `table` (in the decoded form): equal rows, equal hashes."""
        return pd.util.hash_pandas_object(self.conform(table).astype(str), index=False).to_numpy(np.uint64)

    def copies(self, samples: pd.DataFrame) -> np.ndarray:
        """True for each generated row that equals a training row."""
        return np.isin(self.row_hashes(samples), self.row_hashes_)

    # --- conditions -------------------------------------------------------------------------

    def training_conditions(self, dataset) -> ConditionSampler | None:
        conditioning = self._conditioning()
        if not conditioning:
            return None
        table = dataset.rows()
        codes = [self._category_index(self.columns_[i], table[self.columns_[i]["name"]]) for i in conditioning]
        return ConditionSampler(codes, [self._width(self.columns_[i]) for i in conditioning])

    def condition_frequencies(self) -> list[np.ndarray]:
        freqs = []
        for i in self._conditioning():
            spec = self.columns_[i]
            f = np.array(spec["frequencies"] + ([spec["missing"]] if spec["missing"] > 0 else []))
            freqs.append(f / f.sum())
        return freqs

    def sample_conditions(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Conditions as the data has them: a conditioning column at random, then one of its values
        with its real frequency (so the rows follow the real joint distribution)."""
        freqs = self.condition_frequencies()
        widths = [len(f) for f in freqs]
        column = torch.randint(0, len(freqs), (n,), generator=generator)
        table = torch.zeros(len(freqs), max(widths))
        for j, f in enumerate(freqs):
            table[j, :len(f)] = torch.from_numpy(f).float()
        value = torch.multinomial(table[column], 1, generator=generator).squeeze(1)
        starts = torch.tensor(np.cumsum([0] + widths[:-1]))
        conditions = torch.zeros(n, sum(widths))
        conditions[torch.arange(n), starts[column] + value] = 1.0
        return conditions

    def condition_for(self, where: dict[str, Any], n: int) -> tuple[torch.Tensor, dict[int, int]]:
        """(n, c) conditions fixing the first `where` column, and {row block offset: value index}
        of every `where` column, to check and enforce on the samples."""
        by_name = {spec["name"]: i for i, spec in enumerate(self.columns_)}
        conditioning = self._conditioning()
        layout = self.layout
        enforce, conditions = {}, torch.zeros(n, layout.condition_dim)
        for name, value in where.items():
            i = by_name[name]
            if i not in conditioning:
                raise UserError(f"--where {name}=...: {name!r} takes a single value; nothing to choose")
            j = conditioning.index(i)
            offset, width = layout.condition_spans[j]
            index = self.value_index(name, value)
            enforce[offset] = (width, index)
            if len(enforce) == 1:
                start = sum(w for _, w in layout.condition_spans[:j])
                conditions[:, start + index] = 1.0
        return conditions, enforce

    def value_index(self, name: str, value: Any) -> int:
        """The position of `value` (given as text or a value) among column `name`'s categories."""
        specs = {spec["name"]: spec for spec in self.columns_}
        if name not in specs:
            raise UserError(f"--where: {name!r} is not a column; the columns are: {', '.join(specs)}")
        spec = specs[name]
        if spec["kind"] != "categorical":
            raise UserError(f"--where: column {name!r} is continuous; conditions take a discrete column "
                            f"({', '.join(s['name'] for s in self.columns_ if s['kind'] == 'categorical') or 'none here'})")
        wanted = _key(value)
        for i, category in enumerate(spec["categories"]):
            if _key(category) == wanted:
                return i
        known = ", ".join(str(c) for c in spec["categories"][:20]) + (" ..." if len(spec["categories"]) > 20 else "")
        raise UserError(f"--where: {value!r} is not a value of column {name!r} (known: {known})")

    # --- state ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        hashes = base64.b64encode(self.row_hashes_.astype("<u8").tobytes()).decode("ascii")
        return {"kind": "table", "seed": self.seed, "columns": self.columns_, "row_hashes": hashes}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "TableEncoder":
        encoder = cls(seed=int(state["seed"]))
        encoder.columns_ = state["columns"]
        encoder.row_hashes_ = np.frombuffer(base64.b64decode(state["row_hashes"]), dtype="<u8").astype(np.uint64)
        return encoder


def _key(value: Any) -> str:
    """A category's identity across text and numbers: "1", 1 and 1.0 are the same value."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower()
    try:
        number = float(value)
        return repr(int(number)) if number.is_integer() else repr(number)
    except (TypeError, ValueError):
        return str(value).strip()


def build_table_encoder(dataset, config) -> TableEncoder:
    """The table's columns inferred (with --discrete / --metadata overrides), then the encoder fitted."""
    overrides = read_metadata(config.metadata) if config.metadata else {}
    columns = infer_columns(dataset.table, discrete_names(config.discrete), overrides)
    # A maximum-likelihood fit of a named law per column (Gaussian, Gamma) must see each column as
    # it is: mode-specific normalisation would make its "Gaussian" a mixture. One mode = standardised.
    from ganforge.registry import models

    closed_form = config.model in models and getattr(models.get(config.model), "closed_form", False)
    encoder = TableEncoder(seed=config.seed, max_modes=1 if closed_form else MAX_MODES).fit(dataset.table, columns)
    dataset.meta["columns"] = encoder.columns_  # the evaluator scores each column by its kind
    return encoder


ENCODER_KINDS["table"] = TableEncoder
ENCODER_BUILDERS["table"] = build_table_encoder


def table_defaults(model: str) -> dict[str, Any]:
    """CTGAN's architecture (residual G 256x2, D 256x2 with dropout and packing, Adam 2e-4 with betas
    (0.5, 0.9)) with what measured better on Pima at equal epochs (benchmarks/tabular.py, one seed):
    batch 256 instead of 500 (twice the updates for the same rows: quality 0.83 vs 0.79), an EMA of
    G's weights (0.86 vs 0.83), the non-saturating loss without gradient penalty (no double backward:
    a step costs about a third of CTGAN's), pack 8 (divides the usual power-of-two batch sizes)."""
    common = {"batch_size": 256, "eval_samples": 2000, "log_every": 200, "checkpoint_every": 1000}
    if model != "gan":
        return common
    return {**common, "steps": 3000, "noise_dim": 128, "generator_hidden": [256, 256],
            "discriminator_hidden": [256, 256], "pack": 8, "lr_generator": 2e-4, "lr_discriminator": 2e-4,
            "beta1": 0.5, "beta2": 0.9, "r1": 0.0, "ema": 0.995}


DATA_DEFAULTS["table"] = table_defaults
