"""What synthetic rows are worth and what they give away: ML efficacy (SDGym's binary protocol) and DCR.

ML efficacy: four classifiers (decision tree, AdaBoost, logistic regression, MLP, as SDGym) are
trained on the synthetic rows and, for reference, on the real training rows; both are tested on a
real held-out set. The score is the F1 of the minority class (macro F1 for more than two classes),
averaged over the classifiers.

Privacy: the distance from each synthetic row to its closest real training row (DCR), in a space
where continuous columns are scaled to [0, 1] and categories one-hot; compared with the same
distance for real held-out rows, which the model never saw. A DCR of 0 is an exact copy.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ganforge.data.tabular import _as_numbers

DCR_ROWS = 5000  # synthetic and holdout rows whose DCR is measured


class Features:
    """SDGym's features: continuous columns min-max scaled (log for wide non-negative ranges),
    categories one-hot, a missing value as its own indicator; fitted on the real training rows."""

    def __init__(self, real: pd.DataFrame, columns: list[dict], scale: float = 1.0):
        self.columns, self.scale, self.plan = columns, scale, []
        for spec in columns:
            values = real[spec["name"]]
            if spec["kind"] == "categorical":
                self.plan.append((spec, sorted(values.astype(str).unique())))
            else:
                fill = _mean(values, spec)
                x = _fill(values, spec, fill)
                log = x.min() >= 0 and x.max() >= 1e3
                x = np.log1p(x) if log else x
                # Decided here, not per frame: every frame gets the same width (a holdout may miss where these rows do not).
                indicator = bool(values.isna().any() or spec.get("missing", 0) > 0)
                self.plan.append((spec, (log, float(x.min()), float(x.max() - x.min()) or 1.0, fill, indicator)))

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for spec, how in self.plan:
            values = frame[spec["name"]]
            if spec["kind"] == "categorical":
                keys = values.astype(str).to_numpy()
                parts.append((keys[:, None] == np.array(how)[None, :]).astype(np.float32))
            else:
                log, low, width, fill, indicator = how
                x = _fill(values, spec, fill)
                x = np.log1p(np.maximum(x, 0)) if log else x
                parts.append(((x - low) / width * self.scale)[:, None].astype(np.float32))
                if indicator:
                    parts.append(values.isna().to_numpy(np.float32)[:, None])
        return np.concatenate(parts, axis=1)


def _mean(values: pd.Series, spec: dict) -> float:
    present = values.dropna()
    return float(_as_numbers(present, spec["dtype"]).mean()) if len(present) else 0.0


def _fill(values: pd.Series, spec: dict, fill: float) -> np.ndarray:
    """The column as numbers, a missing value as `fill` (the training rows' mean: a copy of a training
    row then sits at distance 0 from it, whatever frame it comes in)."""
    x = np.full(len(values), fill)
    present = values.notna().to_numpy()
    if present.any():
        x[present] = _as_numbers(values[present], spec["dtype"])
    return x


def classifiers(seed: int) -> dict[str, Any]:
    """SDGym's binary-classification models and settings."""
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.tree import DecisionTreeClassifier

    return {
        "decision_tree": DecisionTreeClassifier(max_depth=20, random_state=seed),
        "adaboost": AdaBoostClassifier(random_state=seed),
        "logistic_regression": LogisticRegression(solver="lbfgs", class_weight="balanced", max_iter=50),
        "mlp": MLPClassifier(hidden_layer_sizes=(50,), max_iter=50, random_state=seed),
    }


def efficacy_f1(train: pd.DataFrame, test: pd.DataFrame, features: Features, target: str,
                positive: str, binary: bool, seed: int) -> dict[str, float]:
    """F1 on `test` of each classifier trained on `train`, and their mean."""
    from sklearn.metrics import f1_score

    x_train, y_train = features(train), train[target].astype(str).to_numpy()
    x_test, y_test = features(test), test[target].astype(str).to_numpy()
    scores = {}
    for name, model in classifiers(seed).items():
        if len(np.unique(y_train)) < 2:  # a synthetic table with one class: nothing is learned
            predicted = np.full(len(y_test), y_train[0] if len(y_train) else "")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                predicted = model.fit(x_train, y_train).predict(x_test)
        scores[name] = float(f1_score(y_test, predicted, pos_label=positive, average="binary")) if binary \
            else float(f1_score(y_test, predicted, average="macro"))
    scores["mean"] = float(np.mean(list(scores.values())))
    return scores


def ml_efficacy(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, columns: list[dict],
                target: str, seed: int = 0) -> dict[str, Any]:
    """Flat figures: ml_target, ml_f1_synthetic, ml_f1_real (+ per classifier)."""
    inputs = [spec for spec in columns if spec["name"] != target]
    features = Features(real, inputs)
    labels = real[target].astype(str)
    binary = labels.nunique() == 2
    positive = labels.value_counts().idxmin()  # the minority class (SDGym's F1 is on it)
    on_synthetic = efficacy_f1(synthetic, holdout, features, target, positive, binary, seed)
    on_real = efficacy_f1(real, holdout, features, target, positive, binary, seed)
    figures: dict[str, Any] = {"ml_target": target, "ml_positive_class": positive if binary else None,
                               "ml_f1_synthetic": on_synthetic["mean"], "ml_f1_real": on_real["mean"]}
    for name in on_synthetic:
        if name != "mean":
            figures[f"ml_f1_synthetic_{name}"] = on_synthetic[name]
            figures[f"ml_f1_real_{name}"] = on_real[name]
    return figures


def privacy(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None, columns: list[dict],
            seed: int = 0) -> dict[str, Any]:
    """DCR of synthetic rows (and of real held-out rows, the yardstick) to the training rows;
    exact copies of training rows among the synthetic ones."""
    from sklearn.neighbors import NearestNeighbors

    features = Features(real, columns)
    index = NearestNeighbors(n_neighbors=1).fit(features(real))
    rng = np.random.default_rng(seed)

    def dcr(frame: pd.DataFrame) -> np.ndarray:
        frame = frame.iloc[rng.permutation(len(frame))[:DCR_ROWS]]
        return index.kneighbors(features(frame))[0][:, 0]

    synthetic_dcr = dcr(synthetic)
    figures = {"dcr_synthetic_median": float(np.median(synthetic_dcr)),
               "dcr_synthetic_p05": float(np.quantile(synthetic_dcr, 0.05)),
               "exact_copies": int(exact_copies(real, synthetic, columns))}
    if holdout is not None:
        holdout_dcr = dcr(holdout)
        figures.update({"dcr_holdout_median": float(np.median(holdout_dcr)),
                        "dcr_holdout_p05": float(np.quantile(holdout_dcr, 0.05)),
                        # > 1: synthetic rows sit farther from the training rows than unseen real rows do
                        "dcr_ratio": float(np.median(synthetic_dcr) / max(np.median(holdout_dcr), 1e-12))})
    return figures


def exact_copies(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict]) -> int:
    """Synthetic rows equal to some training row in every column (compared as text)."""
    names = [spec["name"] for spec in columns]

    def keys(frame: pd.DataFrame) -> np.ndarray:
        text = frame[names].copy()
        for spec in columns:
            if spec["kind"] == "continuous" and spec["dtype"] != "datetime":
                text[spec["name"]] = pd.to_numeric(text[spec["name"]], errors="coerce").astype(float)
        return pd.util.hash_pandas_object(text.astype(str), index=False).to_numpy()

    return int(np.isin(keys(synthetic), keys(real)).sum())
