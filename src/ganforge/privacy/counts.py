"""The category counts a DP run releases: the Gaussian mechanism on each conditioning column's counts.

G's conditions (in training and at sampling time) follow the categories' frequencies, and a long
tail's values are drawn by them: in a DP run these are noisy counts, released once before training.
Each row adds 1 to one bin (a category, or missing) of each of the k conditioning columns, so
adding or removing a row moves the vector of all their counts by sqrt(k) in L2 norm: noise of std
sigma sqrt(k) on every count is the Gaussian mechanism with noise multiplier sigma, charged to the
run's accountant as one step at sample rate 1 (privacy/budget.py). Noisy counts are clipped at 0;
the encoder keeps and uses only these afterwards.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MISSING_FLOOR = 1e-9  # a column with missing values keeps its missing position even if its noisy count is 0


def conditioning_columns(columns: list[dict[str, Any]]) -> list[int]:
    """The categorical columns with two positions or more (values, or a value and missing): those
    that condition G (TableConditions._conditioning, before the encoder is fitted)."""
    return [i for i, spec in enumerate(columns)
            if spec["kind"] == "categorical" and len(spec["categories"]) + (spec["missing"] > 0) > 1]


def release_counts(columns: list[dict[str, Any]], rows: int, noise_multiplier: float,
                   rng: np.random.Generator) -> list[dict[str, Any]]:
    """The column descriptions with each conditioning column's frequencies (and missing share)
    replaced by noisy ones: count + N(0, (sigma sqrt(k))^2), clipped at 0, over their sum."""
    chosen = conditioning_columns(columns)
    std = noise_multiplier * np.sqrt(len(chosen))
    released = []
    for i, spec in enumerate(columns):
        spec = dict(spec)
        if i in chosen:
            has_missing = spec["missing"] > 0
            shares = np.array(spec["frequencies"] + ([spec["missing"]] if has_missing else []))
            counts = np.rint(shares * rows)  # the frequencies are counts / rows
            noisy = np.maximum(counts + rng.normal(0.0, std, len(counts)), 0.0)
            if noisy.sum() <= 0:  # all noise: nothing is known, every value equally likely
                noisy = np.ones(len(counts))
            noisy = noisy / noisy.sum()
            spec["frequencies"] = [float(f) for f in noisy[:len(spec["categories"])]]
            if has_missing:
                spec["missing"] = max(float(noisy[-1]), MISSING_FLOOR)
            spec["noisy_counts"] = True
        released.append(spec)
    return released
