"""The table encoder: mode-specific normalisation with point masses, one-hot categories, missing indicators; reversible.

A continuous column x becomes [alpha, one-hot mode k] (CTGAN): a variational Gaussian mixture is
fitted to the column; a value picks a mode k from its posterior and alpha = (x - mu_k) / (4 sigma_k)
in [-1, 1]. A value that holds a large share of the rows (a point mass: zeros of a zero-inflated
amount, a cap) is a mode of its own that decodes to exactly that value (CTAB-GAN's mixed type);
the mixture is fitted to the other values. A column with missing values also gets a 2-way one-hot
[present, missing]. A categorical column (missing is one more category) is one-hot; past
MAX_CATEGORIES values, the rarest share one position (the tail) and decode to one of them drawn
with its frequency. Decoding inverts this, clips to the real range, rounds to the data's decimals
(integers stay integers), moves a column of few distinct values to the nearest of them, and
restores the dtype. Rows are held compactly (data/table_compact.py) and made dense per batch.
"""

from __future__ import annotations

import base64
import warnings
import zlib
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch

from ganforge.data.column_values import distinct, find_point_masses, own_values, snap
from ganforge.data.encoders import ENCODER_BUILDERS, ENCODER_KINDS
from ganforge.defaults import DATA_DEFAULTS
from ganforge.data.table_compact import CompactRows, compact_from_parts
from ganforge.data.table_conditions import TableConditions
from ganforge.data.table_layout import TableLayout
from ganforge.data.tabular import _as_numbers, column_options, discrete_names, infer_columns, read_metadata
from ganforge.errors import UserError

MAX_MODES = 10  # components of each column's mixture (CTGAN's)
MODE_WEIGHT_FLOOR = 0.005  # components lighter than this are dropped (CTGAN's)
MIXTURE_FIT_ROWS = 5000  # the mixture is fitted on at most this many rows: the time is O(rows)
ALPHA_LIMIT = 0.99
MAX_CATEGORIES = 100  # one-hot positions of a categorical column; rarer values share the tail's
REPEAT_SHARE_LIMIT = 0.1  # from this share of repeated real rows on, equal rows are not memorisation
ENCODE_CHUNK = 100_000  # rows encoded at a time: the mode posteriors are (rows, modes) floats


class TableEncoder(TableConditions):
    """fit(table, columns) / encode(DataFrame) -> CompactRows / transform -> (n, dim) tensor /
    inverse_transform -> DataFrame."""

    def __init__(self, seed: int = 0, max_modes: int = MAX_MODES, max_categories: int = MAX_CATEGORIES,
                 private: bool = False):
        self.seed = seed
        self.max_modes = max_modes  # 1: plain standardisation of each continuous column (one "mode")
        self.max_categories = max_categories
        # A DP run's encoder (privacy/): it keeps no hash of any training row, so sampling never compares
        # with them, and only categorical columns condition G (their counts are released with noise;
        # a point-mass column's mode shares would be exact counts of the rows)
        self.private = private

    # --- fitting ----------------------------------------------------------------------------

    def fit(self, table: pd.DataFrame, columns: list[dict[str, Any]]) -> "TableEncoder":
        rng = np.random.default_rng(self.seed)
        self.columns_ = []
        for spec in columns:
            spec = dict(spec)
            if spec["kind"] == "continuous":
                values = _as_numbers(table[spec["name"]].dropna(), spec["dtype"])
                self._fit_continuous(spec, values, rng)
                if spec["point_masses"] and len(values) and not self.private:
                    spec["condition_modes"] = True
                    spec["mode_frequencies"] = _mode_frequencies(spec, values, len(table))
            else:
                self._fit_categorical(spec)
            self.columns_.append(spec)
        if self.private:
            self.row_hashes_, self.repeat_share_ = np.zeros(0, dtype=np.uint64), 0.0
            return self
        hashes = self.row_hashes(table)
        self.row_hashes_ = np.unique(hashes)
        self.repeat_share_ = 1.0 - len(self.row_hashes_) / max(len(hashes), 1)
        return self

    @property
    def copies_are_telling(self) -> bool:
        """True when the real rows are nearly all distinct (fewer than REPEAT_SHARE_LIMIT repeats):
        only then does a generated row equal to a training row point at memorisation. Where real
        rows repeat (few columns of few values), equal rows are the distribution itself, and
        drawing them again would bias the samples against the commonest rows. Always False for a
        private encoder (a DP run: the rule would read the training rows at sampling)."""
        return not self.private and self.repeat_share_ < REPEAT_SHARE_LIMIT

    def _fit_continuous(self, spec: dict[str, Any], values: np.ndarray, rng: np.random.Generator) -> None:
        from sklearn.mixture import BayesianGaussianMixture

        if self.max_modes == 1:  # a closed-form law sees the column as it is: no spikes, no snapping
            spec.update(point_masses=[], values=None)
            spec.update(means=[float(values.mean())], stds=[float(values.std()) or 1.0], weights=[1.0])
            return
        levels_counts = distinct(values)
        if "point_masses" not in spec:  # given by the user's metadata, or inferred here
            spec["point_masses"] = find_point_masses(values, levels_counts)
        if "values" not in spec:  # None when the user declared the column continuous: precision only
            spec["values"] = own_values(values, levels_counts)
        rest = values[~np.isin(values, spec["point_masses"])]
        if len(rest) == 0:
            rest = values
        center, scale = float(rest.mean()), float(rest.std()) or 1.0
        fit_on = rest if len(rest) <= MIXTURE_FIT_ROWS else rng.choice(rest, MIXTURE_FIT_ROWS, replace=False)
        fit_on = (fit_on - center) / scale
        components = min(self.max_modes, len(np.unique(fit_on)))
        if components < 2:
            spec.update(means=[center], stds=[scale], weights=[1.0])
            return
        # CTGAN's variational mixture: a Dirichlet process prior switches unneeded modes off.
        mixture = BayesianGaussianMixture(
            n_components=components, weight_concentration_prior_type="dirichlet_process",
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

    def _fit_categorical(self, spec: dict[str, Any]) -> None:
        """Past max_categories values, the most frequent keep a position each (in their order) and
        the rest (most frequent first) share one: spec["kept"] of them come first."""
        if len(spec["categories"]) <= self.max_categories:
            return
        frequencies = np.array(spec["frequencies"])
        by_count = np.argsort(-frequencies, kind="stable")
        kept = np.sort(by_count[:self.max_categories - 1])
        order = np.concatenate([kept, by_count[self.max_categories - 1:]])
        spec["categories"] = [spec["categories"][i] for i in order]
        spec["frequencies"] = [spec["frequencies"][i] for i in order]
        spec["kept"] = len(kept)

    # --- layout -----------------------------------------------------------------------------

    def _blocks(self, spec: dict[str, Any]) -> list[tuple[int, str]]:
        if spec["kind"] == "categorical":
            return [(self._width(spec), "softmax")]
        blocks = [(1, "tanh"), (self._modes(spec), "softmax")]
        return blocks + ([(2, "softmax")] if spec["missing"] > 0 else [])

    @staticmethod
    def _modes(spec: dict[str, Any]) -> int:
        """Positions of a continuous column's mode block: its point masses, then its Gaussian modes."""
        return len(spec.get("point_masses", [])) + len(spec["means"])

    @staticmethod
    def _kept(spec: dict[str, Any]) -> int:
        return spec.get("kept", len(spec["categories"]))

    def _width(self, spec: dict[str, Any]) -> int:
        tail = self._kept(spec) < len(spec["categories"])
        return self._kept(spec) + tail + (spec["missing"] > 0)

    def _positions(self, spec: dict[str, Any], index: np.ndarray) -> np.ndarray:
        """Category indices (missing = len(categories)) -> one-hot positions: kept values their own,
        the tail one shared position, missing the last."""
        kept, total = self._kept(spec), len(spec["categories"])
        tail = int(kept < total)
        return np.where(index < kept, index, np.where(index == total, kept + tail, kept))

    def block_frequencies(self, spec: dict[str, Any]) -> np.ndarray:
        """A categorical column's real frequency at each one-hot position."""
        kept, f = self._kept(spec), spec["frequencies"]
        shares = f[:kept] + ([sum(f[kept:])] if kept < len(f) else []) + ([spec["missing"]] if spec["missing"] > 0 else [])
        shares = np.array(shares)
        return shares / shares.sum()

    @property
    def layout(self) -> TableLayout:
        spans, starts, offset = [], [], 0
        for spec in self.columns_:
            starts.append(offset)
            for width, kind in self._blocks(spec):
                spans.append((width, kind))
                offset += width
        condition = tuple((starts[i] + self._condition_offset(self.columns_[i]), self._condition_width(self.columns_[i]))
                          for i in self._conditioning())
        return TableLayout(dim=offset, spans=tuple(spans), condition_dim=sum(w for _, w in condition),
                           condition_spans=condition)

    @property
    def output_dim(self) -> int:
        return self.layout.dim

    @property
    def column_names(self) -> list[str]:
        return [spec["name"] for spec in self.columns_]

    # --- transform --------------------------------------------------------------------------

    def encode(self, table: pd.DataFrame) -> CompactRows:
        """The rows held compactly; a value's mode is drawn from its posterior with a fixed seed."""
        rng = np.random.default_rng(self.seed + 1)
        scalars, codes = [], []
        for spec in self.columns_:
            column = table[spec["name"]]
            if spec["kind"] == "categorical":
                codes.append(self._positions(spec, self._category_index(spec, column)))
                continue
            missing = column.isna().to_numpy()
            x = np.zeros(len(column))
            x[~missing] = _as_numbers(column[~missing], spec["dtype"])
            alpha, mode = np.empty(len(x)), np.empty(len(x), dtype=np.int64)
            for i in range(0, len(x), ENCODE_CHUNK):
                part = slice(i, i + ENCODE_CHUNK)
                alpha[part], mode[part] = self._alpha_and_mode(spec, x[part], missing[part], rng)
            scalars.append(alpha)
            codes.append(mode)
            if spec["missing"] > 0:
                codes.append(missing.astype(np.int64))
        return compact_from_parts(scalars, codes, self.layout.spans, len(table))

    def _alpha_and_mode(self, spec: dict[str, Any], x: np.ndarray, missing: np.ndarray,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        masses = np.array(spec.get("point_masses", []), dtype=float)
        means, stds, weights = (np.array(spec[k]) for k in ("means", "stds", "weights"))
        stds = np.maximum(stds, 1e-9)
        log_p = np.log(weights) - np.log(stds) - 0.5 * ((x[:, None] - means) / stds) ** 2  # (n, modes)
        p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        mode = (p.cumsum(axis=1) < rng.random((len(x), 1))).sum(axis=1).clip(0, len(means) - 1)
        mode[missing] = int(np.argmax(weights))
        alpha = np.clip((x - means[mode]) / (4 * stds[mode]), -ALPHA_LIMIT, ALPHA_LIMIT)
        mode = mode + len(masses)
        if len(masses):
            spike = (x[:, None] == masses).argmax(axis=1)
            on_spike = (x[:, None] == masses).any(axis=1) & ~missing
            mode[on_spike], alpha[on_spike] = spike[on_spike], 0.0
        alpha[missing] = 0.0
        return alpha, mode

    def transform(self, table: pd.DataFrame) -> torch.Tensor:
        """(n, dim) float32 dense rows."""
        return self.encode(table).rows()

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

    # --- inverse ----------------------------------------------------------------------------

    def inverse_transform(self, rows: torch.Tensor, fixed: dict[str, int] | None = None) -> pd.DataFrame:
        """Encoded rows -> a DataFrame with the real columns, order, dtypes and ranges. `fixed` maps
        a categorical column to the category index every row takes (conditions in a long tail)."""
        data = rows.detach().cpu().float().numpy()
        fixed = fixed or {}
        out, offset = {}, 0
        for spec in self.columns_:
            if spec["kind"] == "categorical":
                width = self._width(spec)
                position = data[:, offset:offset + width].argmax(axis=1)
                offset += width
                index = self._category_of(spec, position, data)
                if spec["name"] in fixed:
                    index[:] = fixed[spec["name"]]
                out[spec["name"]] = self._categories(spec, index)
                continue
            masses = np.array(spec.get("point_masses", []), dtype=float)
            means, stds = np.array(spec["means"]), np.array(spec["stds"])
            alpha = np.clip(data[:, offset].astype(np.float64), -1, 1)
            mode = data[:, offset + 1:offset + 1 + self._modes(spec)].argmax(axis=1)
            offset += 1 + self._modes(spec)
            gaussian = np.maximum(mode - len(masses), 0)
            x = np.clip(means[gaussian] + 4 * stds[gaussian] * alpha, spec["min"], spec["max"])
            x = np.round(x, spec["decimals"])
            if spec.get("values"):
                x = snap(x, np.array(spec["values"]))
            if len(masses):
                x = np.where(mode < len(masses), masses[np.minimum(mode, len(masses) - 1)], x)
            missing = np.zeros(len(x), dtype=bool)
            if spec["missing"] > 0:
                missing = data[:, offset + 1] > data[:, offset]
                offset += 2
            out[spec["name"]] = self._numbers(spec, x, missing)
        return pd.DataFrame(out, columns=self.column_names)

    def _category_of(self, spec: dict[str, Any], position: np.ndarray, data: np.ndarray) -> np.ndarray:
        """One-hot positions -> category indices; the tail's position draws one of its values with
        its frequency, seeded by the rows themselves (decoding the same rows gives the same table)."""
        kept, total = self._kept(spec), len(spec["categories"])
        index = position.astype(np.int64)
        if kept < total:
            in_tail = position == kept
            index[position == kept + 1] = total  # missing
            if in_tail.any():
                weights = np.array(spec["frequencies"][kept:])
                rng = np.random.default_rng(zlib.crc32(np.ascontiguousarray(data).tobytes()))
                index[in_tail] = kept + rng.choice(total - kept, int(in_tail.sum()), p=weights / weights.sum())
        return index

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
        # conform() gives real and generated rows the same dtypes, so values hash as they are (no
        # text copy of the table: 30 s on a million rows); + 0.0 makes -0.0 and 0.0 one value.
        frame = self.conform(table)
        for name in frame.columns:
            if pd.api.types.is_float_dtype(frame[name].dtype):
                frame[name] = frame[name] + 0.0
        return pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)

    def copies(self, samples: pd.DataFrame) -> np.ndarray:
        """True for each generated row that equals a training row."""
        return np.isin(self.row_hashes(samples), self.row_hashes_)

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
        state = {"kind": "table", "seed": self.seed, "columns": self.columns_}
        if not self.private:
            hashes = base64.b64encode(self.row_hashes_.astype("<u8").tobytes()).decode("ascii")
            state.update(row_hashes=hashes, repeat_share=self.repeat_share_)
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "TableEncoder":
        encoder = cls(seed=int(state["seed"]), private="row_hashes" not in state)
        encoder.columns_ = state["columns"]
        hashes = base64.b64decode(state.get("row_hashes", ""))
        encoder.row_hashes_ = np.frombuffer(hashes, dtype="<u8").astype(np.uint64)
        encoder.repeat_share_ = float(state.get("repeat_share", 0.0))
        return encoder


def _mode_frequencies(spec: dict[str, Any], values: np.ndarray, rows: int) -> list[float]:
    """The share of rows in each position of a continuous column's mode block: each point mass its
    count, the Gaussian modes the rest by their mixture weights; a missing value is encoded in the
    heaviest mode (see _alpha_and_mode), so the missing rows count there."""
    masses = [float(np.count_nonzero(values == m)) for m in spec["point_masses"]]
    weights = np.array(spec["weights"])
    gaussian = weights * (len(values) - sum(masses))
    gaussian[int(np.argmax(weights))] += rows - len(values)
    shares = np.concatenate([masses, gaussian])
    return (shares / shares.sum()).tolist()


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


def build_table_encoder(dataset, config, release_counts: Callable[[list[dict]], list[dict]] | None = None) -> TableEncoder:
    """The table's columns inferred (with --discrete / --metadata overrides), then the encoder fitted.
    A DP run passes `release_counts`, which swaps the categories' counts for noisy ones before the
    fit (privacy/counts.py), and its encoder is private (see TableEncoder)."""
    overrides = read_metadata(config.metadata) if config.metadata else {}
    columns = infer_columns(dataset.table, discrete_names(config.discrete), overrides)
    options = column_options(config.metadata) if config.metadata else {}
    for spec in columns:
        if spec["kind"] != "continuous":
            continue
        spec.update(options.get(spec["name"], {}))
        if overrides.get(spec["name"]) == "continuous":  # declared continuous: its precision, not its values
            spec["values"] = None
    # A maximum-likelihood fit of a named law per column (Gaussian, Gamma) must see each column as
    # it is: mode-specific normalisation would make its "Gaussian" a mixture. One mode = standardised.
    from ganforge.registry import models

    closed_form = config.model in models and getattr(models.get(config.model), "closed_form", False)
    if release_counts is not None:
        columns = release_counts(columns)
    encoder = TableEncoder(seed=config.seed, max_modes=1 if closed_form else MAX_MODES,
                           private=release_counts is not None).fit(dataset.table, columns)
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
    return {**common, "epochs": 80, "noise_dim": 128, "generator_hidden": [256, 256],
            "discriminator_hidden": [256, 256], "pack": 8, "lr_generator": 2e-4, "lr_discriminator": 2e-4,
            "beta1": 0.5, "beta2": 0.9, "r1": 0.0, "ema": 0.995}


DATA_DEFAULTS["table"] = table_defaults
