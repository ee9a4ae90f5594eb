"""Picks the metrics that fit the data: mode metrics on toy distributions, JS on any points."""

from __future__ import annotations

from typing import Any

import numpy as np

from ganforge.data.dataset import Dataset
from ganforge.metrics.toy import js_divergence, toy_metrics


def evaluate_samples(dataset: Dataset, samples: np.ndarray, seed: int) -> dict[str, Any]:
    """Quality figures of generated samples (in the user's units) against the real data."""
    if dataset.toy is not None:
        return toy_metrics(samples, dataset.toy, seed=seed, n_reference=len(samples))
    reference = dataset.reference(len(samples), seed).numpy()
    half = len(reference) // 2
    return {
        "js_divergence": js_divergence(samples, reference),
        # The estimator's own noise: one half of the real data against the other.
        "js_divergence_floor": js_divergence(reference[:half], reference[half:]),
    }
