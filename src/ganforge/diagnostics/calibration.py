"""Calibrating D's logit into a density ratio: logistic (Platt) or isotonic, with ECE and reliability curves.

Fitted on balanced real (label 1) and generated (label 0) logits, the calibrated probability
q(x) estimates p_t / (p_t + p_g), so logit(q) estimates log p_t(x)/p_g(x), what the samplers use.
Half the rows fit the map, the other half measure it (ECE before and after), so the figures are
honest; the map is plain JSON (no pickle).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

METHODS = ("logistic", "isotonic")
BINS = 10  # reliability curve and ECE: equal-width bins of the predicted probability
CLIP = 0.01  # isotonic probabilities kept in [0.01, 0.99]: a few thousand rows cannot tell a ratio beyond ~100


def sigmoid(l: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * l))  # = 1 / (1 + e^-l), without overflow


def reliability(prob: np.ndarray, label: np.ndarray, bins: int = BINS) -> tuple[float, list[dict[str, float]]]:
    """(ECE, curve): ECE = sum_b (n_b / n) |mean label_b - mean prob_b| over probability bins."""
    which = np.minimum((prob * bins).astype(int), bins - 1)
    curve, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        if not inside.any():
            continue
        predicted, observed = float(prob[inside].mean()), float(label[inside].mean())
        ece += inside.mean() * abs(observed - predicted)
        curve.append({"predicted": predicted, "observed": observed, "count": int(inside.sum())})
    return float(ece), curve


class Calibration:
    """A monotone map of D's raw logit to a calibrated one; `apply` works on NumPy or torch."""

    def __init__(self, method: str, params: dict[str, Any], figures: dict[str, Any] | None = None):
        self.method, self.params, self.figures = method, params, dict(figures or {})

    @classmethod
    def fit(cls, real_logits: np.ndarray, fake_logits: np.ndarray, method: str = "logistic",
            seed: int = 0) -> "Calibration":
        real, fake = np.asarray(real_logits, float).ravel(), np.asarray(fake_logits, float).ravel()
        m = min(len(real), len(fake))  # balanced classes: the calibrated odds are then p_t / p_g
        rng = np.random.default_rng(seed)
        real, fake = rng.permutation(real)[:m], rng.permutation(fake)[:m]
        half = m // 2
        fit_l = np.concatenate([real[:half], fake[:half]])
        fit_y = np.concatenate([np.ones(half), np.zeros(half)])
        test_l = np.concatenate([real[half:], fake[half:]])
        test_y = np.concatenate([np.ones(m - half), np.zeros(m - half)])
        if method == "logistic":  # q = sigmoid(a l + b); a = 1, b = 0 when D is already calibrated
            from sklearn.linear_model import LogisticRegression

            # Fitted on the standardised logit u = (l - m) / s: a near-1/2 D has logits ~0.01 wide, whose
            # gradients fall under the solver's tolerance at once. a u + b = (a / s) l + (b - a m / s).
            m, s = float(fit_l.mean()), float(fit_l.std()) or 1.0
            model = LogisticRegression(C=1e6, max_iter=1000).fit(((fit_l - m) / s)[:, None], fit_y)
            a, b = float(model.coef_[0, 0]), float(model.intercept_[0])
            params = {"slope": a / s, "intercept": b - a * m / s}
        elif method == "isotonic":  # q = a non-decreasing step function of l, read by interpolation
            from sklearn.isotonic import IsotonicRegression

            model = IsotonicRegression(y_min=CLIP, y_max=1 - CLIP, out_of_bounds="clip").fit(fit_l, fit_y)
            params = {"x": model.X_thresholds_.tolist(), "y": model.y_thresholds_.tolist()}
        else:
            raise ValueError(f"unknown calibration method {method!r}; known: {', '.join(METHODS)}")
        calibration = cls(method, params)
        ece_before, curve_before = reliability(sigmoid(test_l), test_y)
        ece_after, curve_after = reliability(sigmoid(calibration.apply(test_l)), test_y)
        calibration.figures = {"ece_before": ece_before, "ece_after": ece_after,
                               "reliability_before": curve_before, "reliability_after": curve_after,
                               "rows_fit": int(2 * half), "rows_measured": int(2 * (m - half))}
        return calibration

    def apply(self, logits):
        """Calibrated logits, same type and shape as `logits` (np.ndarray or torch.Tensor)."""
        if self.method == "logistic":  # a l + b
            return self.params["slope"] * logits + self.params["intercept"]
        import torch

        is_tensor = isinstance(logits, torch.Tensor)
        values = logits.detach().cpu().double().numpy() if is_tensor else np.asarray(logits, float)
        q = np.clip(np.interp(values, self.params["x"], self.params["y"]), CLIP, 1 - CLIP)
        out = np.log(q) - np.log1p(-q)  # logit(q)
        return torch.from_numpy(out).to(logits.device) if is_tensor else out

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": self.params, **self.figures}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Calibration":
        figures = {k: v for k, v in data.items() if k not in ("method", "params")}
        return cls(data["method"], data["params"], figures)

    def save(self, path: Path) -> None:
        """Written to a temporary name then moved into place: a kill leaves the old file or the new."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        os.replace(tmp, path)
