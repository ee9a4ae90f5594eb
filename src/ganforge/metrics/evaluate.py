"""Picks the metrics that fit the data: mode metrics on toy distributions, JS on points, and
each other kind's own (tables, images) from the EVALUATORS table their modules fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganforge.data.base import Dataset
import ganforge.metrics.catalog  # noqa: F401  (registers every kind's evaluator)
from ganforge.metrics.evaluators import EVALUATORS
from ganforge.metrics.toy import js_divergence, toy_metrics



def evaluate_samples(dataset: Dataset, samples: Any, seed: int, run_dir: Path | None = None,
                     full: bool = False, **options: Any) -> dict[str, Any]:
    """Quality figures of generated samples (in the user's form) against the real data.
    `options` go to the kind's own evaluator (images: inception_weights)."""
    if dataset.kind in EVALUATORS:
        return EVALUATORS[dataset.kind](dataset, samples, seed, run_dir=run_dir, full=full, **options)
    if dataset.toy is not None:
        return toy_metrics(samples, dataset.toy, seed=seed, n_reference=len(samples))
    reference = dataset.reference(len(samples), seed).numpy()
    half = len(reference) // 2
    return {
        "js_divergence": js_divergence(samples, reference),
        # The estimator's own noise: one half of the real data against the other.
        "js_divergence_floor": js_divergence(reference[:half], reference[half:]),
    }
