"""Modality-free mode-collapse signals: spread and nearest-neighbour distance of generated vs real."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["spread_ratio", "nn_distance_ratio", "diversity_metrics"]


def _finite_rows(x, what: str) -> np.ndarray:
    """x as (n, features) float64 without its rows holding NaN or inf; images are flattened."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]  # n points in one dimension
    elif x.ndim > 2:
        x = x.reshape(len(x), -1)  # images (n, c, h, w) -> (n, c*h*w)
    if x.ndim != 2:
        raise ValueError(f"{what} must have shape (n, dim), got {x.shape}")
    return x[np.isfinite(x).all(axis=1)]


def _mean_std(x: np.ndarray) -> float:
    # Shifting by one row first makes a constant column's std exactly 0 (no rounding in its mean).
    return float((x - x[0]).std(axis=0).mean()) if len(x) else 0.0


def spread_ratio(generated, real) -> float:
    """mean_j std(generated[:, j]) / mean_j std(real[:, j]): ~1 when healthy, -> 0 when collapsed.

    Rows of generated with NaN or inf are dropped; 0.0 when none remain. NaN when the real data
    have no spread at all (the ratio is undefined).
    """
    x_g, x_r = _finite_rows(generated, "generated"), _finite_rows(real, "real")
    if x_g.shape[1] != x_r.shape[1]:
        raise ValueError(f"generated has {x_g.shape[1]} features, real has {x_r.shape[1]}")
    if len(x_g) == 0:
        return 0.0
    real_spread = _mean_std(x_r)
    if not real_spread > 0:
        return math.nan
    return _mean_std(x_g) / real_spread


def _mean_nn_distance(x: np.ndarray) -> float:
    """Mean over points of the distance to the nearest other point (k=2: the first is itself)."""
    distances, _ = cKDTree(x).query(x, k=2)
    return float(distances[:, 1].mean())


def nn_distance_ratio(generated, real, n: int = 1000, seed: int = 0) -> float:
    """Mean nearest-neighbour distance among generated samples over the same among real samples.

    ~1 when healthy, << 1 when generated samples pile up. Both sets are subsampled (seeded) to the
    same size m = min(n, finite generated, finite real), since the NN distance shrinks as m grows.
    0.0 when fewer than 2 finite generated rows remain; NaN when the real rows all coincide.
    """
    x_g, x_r = _finite_rows(generated, "generated"), _finite_rows(real, "real")
    if x_g.shape[1] != x_r.shape[1]:
        raise ValueError(f"generated has {x_g.shape[1]} features, real has {x_r.shape[1]}")
    m = min(int(n), len(x_g), len(x_r))
    if len(x_g) < 2:
        return 0.0
    if m < 2:
        return math.nan
    rng = np.random.default_rng(seed)
    x_g = x_g[rng.choice(len(x_g), m, replace=False)]
    x_r = x_r[rng.choice(len(x_r), m, replace=False)]
    real_nn = _mean_nn_distance(x_r)
    if not real_nn > 0:
        return math.nan
    return _mean_nn_distance(x_g) / real_nn


def diversity_metrics(generated, real) -> dict[str, float]:
    """{"spread_ratio", "nn_distance_ratio"} of generated against real, in the space given."""
    return {"spread_ratio": spread_ratio(generated, real), "nn_distance_ratio": nn_distance_ratio(generated, real)}
