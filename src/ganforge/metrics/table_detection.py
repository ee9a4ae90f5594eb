"""Detection: how well a gradient-boosted classifier tells real training rows from synthetic ones (ROC AUC)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ganforge.data.tabular import _as_numbers
from ganforge.errors import UserError

DETECTION_ROWS = 20_000  # rows of each side at most: the classifier's time grows with them
MIN_DETECTION_ROWS = 10  # of each side: the held-out part must hold both classes
HELD_OUT = 0.3  # share of the balanced rows (both sides alike) the AUC is measured on
MAX_CATEGORIES = 250  # HistGradientBoosting takes at most max_bins (255) categories per feature
OTHER = "\x00other"  # the rarest categories beyond MAX_CATEGORIES, lumped together
MISSING = "\x00missing"  # a missing category is a category of its own


def detection_features(real: pd.DataFrame, synthetic: pd.DataFrame,
                       columns: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame, list[bool]]:
    """Both tables as the classifier's inputs: numbers (datetimes as numbers, missing as NaN) and
    categorical codes 0..k-1 over the real and synthetic values together; the categorical mask."""
    out_real, out_syn, categorical = {}, {}, []
    for spec in columns:
        name = spec["name"]
        if spec["kind"] == "categorical":
            keys_real = real[name].astype(object).where(real[name].notna(), MISSING).astype(str)
            keys_syn = synthetic[name].astype(object).where(synthetic[name].notna(), MISSING).astype(str)
            frequent = pd.concat([keys_real, keys_syn]).value_counts().index[:MAX_CATEGORIES]
            levels = {key: code for code, key in enumerate([*frequent, OTHER])}
            out_real[name] = keys_real.map(levels).fillna(levels[OTHER]).to_numpy(float)
            out_syn[name] = keys_syn.map(levels).fillna(levels[OTHER]).to_numpy(float)
            categorical.append(True)
        else:
            out_real[name] = _with_missing(real[name], spec)
            out_syn[name] = _with_missing(synthetic[name], spec)
            categorical.append(False)
    return pd.DataFrame(out_real), pd.DataFrame(out_syn), categorical


def _with_missing(column: pd.Series, spec: dict[str, Any]) -> np.ndarray:
    x = np.full(len(column), np.nan)
    present = column.notna().to_numpy()
    if present.any():
        x[present] = _as_numbers(column[present], spec["dtype"])
    return x


def detection_auc(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict[str, Any]],
                  seed: int = 0, max_rows: int = DETECTION_ROWS) -> float:
    """ROC AUC of a HistGradientBoostingClassifier (native categories) trained to tell real rows (1)
    from synthetic rows (0), on a held-out part of both. Balanced: n = min(len(real), len(synthetic),
    max_rows) rows of each side, drawn with `seed`. 0.5: indistinguishable; 1: told apart every time."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    n = min(len(real), len(synthetic), max_rows)
    if n < MIN_DETECTION_ROWS:
        raise ValueError(f"detection needs at least {MIN_DETECTION_ROWS} rows of each side, got {n}")
    rng = np.random.default_rng(seed)
    real = real.iloc[rng.permutation(len(real))[:n]].reset_index(drop=True)
    synthetic = synthetic.iloc[rng.permutation(len(synthetic))[:n]].reset_index(drop=True)
    x_real, x_syn, categorical = detection_features(real, synthetic, columns)
    x = pd.concat([x_real, x_syn], ignore_index=True).to_numpy()
    y = np.concatenate([np.ones(n, dtype=int), np.zeros(n, dtype=int)])
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=HELD_OUT, random_state=seed, stratify=y)
    classifier = HistGradientBoostingClassifier(categorical_features=np.array(categorical), random_state=seed)
    classifier.fit(x_fit, y_fit)
    return float(roc_auc_score(y_test, classifier.predict_proba(x_test)[:, 1]))


def detection_score(auc: float) -> float:
    """1 - (2 max(AUC, 0.5) - 1): 1 when the detector does no better than chance, 0 when it is perfect."""
    return 1.0 - (2.0 * max(auc, 0.5) - 1.0)


def detection_figures(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict[str, Any]],
                      seed: int = 0) -> dict[str, float]:
    if min(len(real), len(synthetic)) < MIN_DETECTION_ROWS:
        raise UserError(f"too few rows to score a table: the detector needs {MIN_DETECTION_ROWS} real and "
                        f"{MIN_DETECTION_ROWS} generated rows or more, got {len(real)} and {len(synthetic)} (raise -n)")
    auc = detection_auc(real, synthetic, columns, seed)
    return {"detection_auc": auc, "detection_score": detection_score(auc)}
