"""The quality score the mixture weights evolve on (lower is better); each data kind can bring its own."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from ganforge.metrics.toy import js_divergence

# quality(encoded samples) -> float, lower is better.
Quality = Callable[[torch.Tensor], float]
# Data kind -> factory(dataset, encoder, samples, seed, run_dir) -> Quality. Images: FID in
# ganforge's image feature space (below); a kind without an entry gets the JS divergence.
QUALITY_BY_KIND: dict[str, Callable[..., Quality]] = {}


def quality_function(dataset, encoder, samples: int, seed: int, run_dir=None) -> Quality:
    """The mixture's score: the data kind's registered quality, else a JS divergence (lower is better).

    Toy distributions and points: JS divergence, in the user's units, between the generated samples
    and a fixed reference sample of the real data (summary.json's js_divergence). Any other kind
    without its own entry: the same estimator in the encoded space (on its two leading principal
    components when it has more than two dimensions).
    """
    if dataset.kind in QUALITY_BY_KIND:
        return QUALITY_BY_KIND[dataset.kind](dataset, encoder, samples, seed, run_dir)
    user_units = dataset.kind in ("toy", "points")
    reference = dataset.reference(samples, seed)
    if not user_units:
        reference = encoder.transform(reference)
    reference = _numpy(reference)

    def js(encoded: torch.Tensor) -> float:
        generated = _numpy(encoder.inverse_transform(encoded) if user_units else encoded)
        if not np.isfinite(generated).all():
            return float("inf")
        return js_divergence(generated, reference)

    return js


def image_fid(dataset, encoder, samples: int, seed: int, run_dir=None) -> Quality:
    """Images: FID in the run's own image feature space (metrics/images.py) against its real reference.

    The feature extractor is the one the run's monitor uses (trained once on the real images and
    cached in run_dir), so the mixture evolves on the figure the run reports as `fid`.
    """
    from ganforge.metrics.images import _real_side, fid

    def score(encoded: torch.Tensor) -> float:
        images = encoder.inverse_transform(encoded)  # (n, C, H, W) in [0, 1]
        if not torch.isfinite(images).all():
            return float("inf")
        real = _real_side(dataset, tuple(images.shape[1:]), run_dir)
        return fid(real.extractor.features(images), real.reference(False))

    return score


QUALITY_BY_KIND["images"] = image_fid


def _numpy(x) -> np.ndarray:
    x = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)
    return x.reshape(len(x), -1)
