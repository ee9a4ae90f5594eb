"""Table metrics: column shapes and pair trends (fast, and SDMetrics' own Quality Report), ML efficacy, privacy
(DCR, exact copies, a membership-inference audit).

Fast figures (every log interval) follow SDMetrics' definitions: a column's shape score is
1 - KS statistic (continuous) or 1 - total variation distance (categorical); a pair's trend score
is 1 - |r_real - r_synthetic| / 2 (two continuous columns, Pearson r) or 1 - TVD of the joint
frequencies (any other pair, continuous columns cut into 10 bins).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ganforge.data.tabular import _as_numbers, infer_columns
from ganforge.metrics.evaluators import EVALUATORS
from ganforge.metrics.figures import Figure, register_figures

PAIR_BINS = 10
FAST_ROWS = 2000  # rows of each side scored at a log interval
QUALITY_ROWS = 20_000  # rows of each side given to the SDMetrics report (its time grows with rows)
WORST_PAIRS = 5  # column pairs listed in evaluation.json, lowest trend score first


# --- column descriptions --------------------------------------------------------------------------

def table_columns(dataset) -> list[dict[str, Any]]:
    """The columns' kinds as the encoder saw them, or inferred from the data."""
    columns = dataset.meta.get("columns")
    if columns is None:
        columns = infer_columns(dataset.table)
        dataset.meta["columns"] = columns
    return columns


def _numbers(column: pd.Series, spec: dict[str, Any]) -> np.ndarray:
    present = column.dropna()
    return _as_numbers(present, spec["dtype"]) if len(present) else np.zeros(0)


def _codes(real: pd.Series, synthetic: pd.Series, spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    """Both columns as integer codes 0..k-1: categories (missing is one), or 10 bins of the real range."""
    if spec["kind"] == "categorical":
        keys_real, keys_syn = real.astype(str).to_numpy(), synthetic.astype(str).to_numpy()
        levels = {k: i for i, k in enumerate(np.unique(np.concatenate([keys_real, keys_syn])))}
        return (np.array([levels[k] for k in keys_real]), np.array([levels[k] for k in keys_syn]), len(levels))
    r = np.full(len(real), np.nan)
    s = np.full(len(synthetic), np.nan)
    r[real.notna().to_numpy()] = _numbers(real, spec)
    s[synthetic.notna().to_numpy()] = _numbers(synthetic, spec)
    edges = np.nanquantile(r, np.linspace(0, 1, PAIR_BINS + 1)[1:-1]) if np.isfinite(r).any() else np.zeros(0)
    edges = np.unique(edges)

    def cut(x):
        code = np.searchsorted(edges, x, side="right")
        return np.where(np.isnan(x), len(edges) + 1, code)  # missing: a bin of its own

    return cut(r), cut(s), len(edges) + 2


# --- fast figures ---------------------------------------------------------------------------------

def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: max |F_a(x) - F_b(x)| over the pooled values."""
    if len(a) == 0 or len(b) == 0:
        return 0.0 if len(a) == len(b) else 1.0
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, grid, side="right") / len(a)
                        - np.searchsorted(b, grid, side="right") / len(b)).max())


def tvd(p_codes: np.ndarray, q_codes: np.ndarray, k: int) -> float:
    """Total variation distance between the frequencies of two code arrays: 1/2 sum |p - q|."""
    p = np.bincount(p_codes, minlength=k) / max(len(p_codes), 1)
    q = np.bincount(q_codes, minlength=k) / max(len(q_codes), 1)
    return 0.5 * float(np.abs(p - q).sum())


def column_shape_scores(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict]) -> dict[str, float]:
    """{column: 1 - KS or 1 - TVD}."""
    scores = {}
    for spec in columns:
        name = spec["name"]
        if spec["kind"] == "continuous":
            scores[name] = 1.0 - ks_statistic(_numbers(real[name], spec), _numbers(synthetic[name], spec))
        else:
            r, s, k = _codes(real[name], synthetic[name], spec)
            scores[name] = 1.0 - tvd(r, s, k)
    return scores


def pair_trend_scores(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict]) -> list[dict[str, Any]]:
    """Each column pair's trend score with its figures: Pearson r of both sides ("correlation"), or
    the total variation distance of the joint frequencies ("contingency")."""
    codes = {spec["name"]: _codes(real[spec["name"]], synthetic[spec["name"]], spec) for spec in columns}
    numbers = {}
    for spec in columns:
        if spec["kind"] == "continuous" and real[spec["name"]].notna().all() and synthetic[spec["name"]].notna().all():
            numbers[spec["name"]] = (_numbers(real[spec["name"]], spec), _numbers(synthetic[spec["name"]], spec))
    pairs = []
    names = [spec["name"] for spec in columns]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a in numbers and b in numbers:
                (real_a, syn_a), (real_b, syn_b) = numbers[a], numbers[b]
                r_real, r_syn = _pearson(real_a, real_b), _pearson(syn_a, syn_b)
                pairs.append({"columns": [a, b], "score": 1.0 - abs(r_real - r_syn) / 2, "metric": "correlation",
                              "real": r_real, "synthetic": r_syn})
                continue
            (ra, sa, ka), (rb, sb, kb) = codes[a], codes[b]
            distance = tvd(ra * kb + rb, sa * kb + sb, ka * kb)
            pairs.append({"columns": [a, b], "score": 1.0 - distance, "metric": "contingency", "tvd": distance})
    return pairs


def pair_trend_score(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict]) -> float:
    """Mean over column pairs of the correlation or contingency similarity."""
    scores = [pair["score"] for pair in pair_trend_scores(real, synthetic, columns)]
    return float(np.mean(scores)) if scores else 1.0


def worst_pairs(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict], k: int = 5) -> list[dict[str, Any]]:
    """The k column pairs with the lowest trend scores, lowest first, each with its figure in words."""
    pairs = sorted(pair_trend_scores(real, synthetic, columns), key=lambda pair: pair["score"])[:k]
    return [{**pair, "figure": describe_pair(pair)} for pair in pairs]


def describe_pair(pair: dict[str, Any]) -> str:
    """A pair's figure in words: "r 0.62 real, 0.01 synthetic" or "joint frequencies differ by TVD 0.31"."""
    if pair["metric"] == "correlation":
        return f"correlation {pair['real']:.2f} real, {pair['synthetic']:.2f} synthetic"
    return f"joint frequencies differ by TVD {pair['tvd']:.2f}"


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def fast_quality(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict]) -> dict[str, float]:
    shapes = float(np.mean(list(column_shape_scores(real, synthetic, columns).values())))
    pairs = pair_trend_score(real, synthetic, columns)
    return {"quality": (shapes + pairs) / 2, "column_shapes": shapes, "column_pair_trends": pairs}


# --- SDMetrics' Quality Report ----------------------------------------------------------------------

def sdmetrics_metadata(columns: list[dict]) -> dict[str, Any]:
    sdtype = {"bool": "boolean", "datetime": "datetime"}
    return {"columns": {spec["name"]: {"sdtype": "categorical" if spec["kind"] == "categorical" and spec["dtype"] != "bool"
                                       else sdtype.get(spec["dtype"], "numerical")} for spec in columns}}


def sdmetrics_quality(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict], seed: int = 0) -> dict[str, float]:
    """SDMetrics' Quality Report (the package itself): overall score, Column Shapes, Column Pair Trends."""
    import warnings

    with warnings.catch_warnings():  # 0.32 flags its single-table report for a future move; same figures
        warnings.simplefilter("ignore", FutureWarning)
        from sdmetrics.reports.single_table import QualityReport

    real = real.sample(min(len(real), QUALITY_ROWS), random_state=seed) if len(real) > QUALITY_ROWS else real
    synthetic = synthetic.sample(QUALITY_ROWS, random_state=seed) if len(synthetic) > QUALITY_ROWS else synthetic
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(_for_sdmetrics(real, columns), _for_sdmetrics(synthetic, columns),
                        sdmetrics_metadata(columns), verbose=False)
    properties = report.get_properties().set_index("Property")["Score"]
    return {"quality_score": float(report.get_score()),
            "column_shapes": float(properties["Column Shapes"]),
            "column_pair_trends": float(properties["Column Pair Trends"])}


def _for_sdmetrics(frame: pd.DataFrame, columns: list[dict]) -> pd.DataFrame:
    """Nullable integer / boolean columns as plain floats / objects, which SDMetrics reads reliably."""
    out = frame[[spec["name"] for spec in columns]].copy()
    for spec in columns:
        name = spec["name"]
        if spec["kind"] == "categorical":
            out[name] = out[name].astype(object).where(out[name].notna(), None)
        elif spec["dtype"] != "datetime":
            out[name] = pd.to_numeric(out[name], errors="coerce").astype(float)
    return out


# --- the evaluator ---------------------------------------------------------------------------------

def evaluate_table(dataset, samples: pd.DataFrame, seed: int, run_dir: Path | None = None,
                   full: bool = False) -> dict[str, Any]:
    """Fast: column shapes and pair trends on FAST_ROWS rows. Full: SDMetrics' Quality Report, detection, each
    column's shape score and the worst pairs; with a holdout (dataset.meta["holdout"], `ganforge evaluate --real`): ML efficacy,
    DCR against it and the membership-inference audit (without one, the audit's one-line reason); plots per column."""
    columns = table_columns(dataset)
    real = dataset.table
    if not full:
        rng = np.random.default_rng(seed)
        pick = lambda frame: frame.iloc[rng.permutation(len(frame))[:FAST_ROWS]]  # noqa: E731
        return fast_quality(pick(real), pick(samples), columns)
    from ganforge.metrics.membership import membership_figures
    from ganforge.metrics.table_detection import detection_figures
    from ganforge.metrics.table_utility import ml_efficacy, privacy

    figures = sdmetrics_quality(real, samples, columns, seed)
    figures.update(detection_figures(real, samples, columns, seed))
    capped_real, capped_syn = _capped(real, seed), _capped(samples, seed)
    shapes = column_shape_scores(capped_real, capped_syn, columns)
    figures["column_shape_scores"] = {name: round(score, 4) for name, score in shapes.items()}
    figures["worst_column_pairs"] = worst_pairs(capped_real, capped_syn, columns, WORST_PAIRS)
    holdout = dataset.meta.get("holdout")
    target = dataset.meta.get("target") or default_target(columns)
    if holdout is not None and target is not None:
        figures.update(ml_efficacy(real, samples, holdout, columns, target, seed))
    figures.update(privacy(real, samples, holdout, columns, seed))
    audit_figures, audit = membership_figures(real, samples, holdout, columns, seed)
    figures.update(audit_figures)
    if run_dir is not None:
        from ganforge.report.membership_section import plot_membership_roc
        from ganforge.report.tables import plot_columns

        plot_columns(real, samples, columns, Path(run_dir) / "plots" / "table_columns.png")
        roc = Path(run_dir) / "plots" / "membership_roc.png"
        if audit is not None:
            plot_membership_roc(audit.labels, audit.scores, roc)
        else:
            roc.unlink(missing_ok=True)  # an earlier audit's curves would no longer match evaluation.json
    return figures


def _capped(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.sample(QUALITY_ROWS, random_state=seed) if len(frame) > QUALITY_ROWS else frame


def default_target(columns: list[dict]) -> str | None:
    """SDGym's convention: the label is the last column; here the last categorical one with two values or more."""
    labels = [spec["name"] for spec in columns if spec["kind"] == "categorical" and len(spec["categories"]) > 1]
    return labels[-1] if labels else None


EVALUATORS["table"] = evaluate_table


# The table figures as columns of `ganforge compare`.
register_figures({
    "quality_score": Figure("higher", "SDMetrics Quality Report score (mean of column shapes and pair trends)"),
    "quality": Figure("higher", "ganforge's fast estimate of the same, on a subsample (every log)"),
    "detection_auc": Figure("lower", "ROC AUC of a gradient-boosted classifier telling real training rows from "
                                     "synthetic ones on held-out rows (0.5: indistinguishable)"),
    "detection_score": Figure("higher", "1 - (2 max(detection_auc, 0.5) - 1): 1 when the detector is at chance"),
    "ml_f1_synthetic": Figure("higher", "F1 of the minority class, classifiers trained on synthetic rows, "
                                        "tested on real held-out rows (SDGym's binary protocol)"),
    "ml_f1_real": Figure("higher", "the same classifiers trained on the real training rows"),
    "dcr_ratio": Figure("", "median distance to the closest training row, synthetic / real held-out"),
    "exact_copies": Figure("lower", "synthetic rows equal to a training row"),
    "membership_auc": Figure("lower", "ROC AUC of the stronger membership-inference attack (distance to the closest "
                                      "synthetic row, or DOMIAS's density ratio) telling training rows from "
                                      "held-out ones (0.5: guessing)"),
})
