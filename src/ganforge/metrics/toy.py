"""Toy-distribution metrics: mode coverage/quality (VEEGAN, PacGAN) and histogram JS divergence."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy.spatial.distance import cdist

if TYPE_CHECKING:
    from ganforge.data.toy import ToyDistribution

__all__ = ["mode_metrics", "js_divergence", "toy_metrics"]

# Grid cells per axis. Measured with two independent samples of 2,500 points (10 seed pairs),
# JS floor in nats: ring8 0.002, grid25 0.009, gaussian/gamma/bimodal 0.003, moons 0.036,
# spiral 0.039. A generator putting all its mass on half the modes gets ~0.21 (ring8 4 of 8:
# 0.216; grid25 13 of 25: 0.210), one with 3x the mode std ~0.09 (ring8) and 0.16 (grid25).
# More cells sharpen the eye for blur but raise the floor on spread-out sets (50: moons 0.085).
DEFAULT_BINS = 30

# Grid limits: the union's range, but never beyond the reference's range widened by this many
# reference spans on each side, so a few far-out generated points cannot stretch the grid until
# every reference point falls into one cell. Points beyond it count as mass outside the grid.
_MAX_WIDENING = 0.5


def _as_points(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]  # a 1D array is n points in one dimension
    if x.ndim != 2:
        raise ValueError(f"{what} must have shape (n, dim), got {x.shape}")
    return x


def mode_metrics(samples: np.ndarray, modes: np.ndarray, std: float) -> dict:
    """Mode coverage and quality as in VEEGAN and PacGAN.

    Each sample goes to its nearest mode; it is high quality when within 3 * std of it. A mode is
    covered when it is the nearest mode of at least one high-quality sample. reverse_kl is
    KL(q || uniform over K modes), q the histogram of high-quality samples over modes; log K when
    there are none. Rows with NaN or inf are never high quality.
    """
    x = _as_points(samples, "samples")
    modes = _as_points(modes, "modes")
    if x.shape[1] != modes.shape[1]:
        raise ValueError(f"samples have dim {x.shape[1]} but modes have dim {modes.shape[1]}")
    if len(modes) == 0:
        raise ValueError("modes is empty")
    if not std > 0:
        raise ValueError(f"std must be positive, got {std}")
    K = len(modes)

    finite = np.isfinite(x).all(axis=1)
    distances = cdist(x[finite], modes)  # (n_finite, K)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(nearest)), nearest] <= 3 * std
    counts = np.bincount(nearest[good], minlength=K)  # (K,) high-quality samples per mode

    n_good = int(counts.sum())
    if n_good == 0:
        reverse_kl = math.log(K)
    else:
        q = counts[counts > 0] / n_good  # 0 log 0 = 0
        reverse_kl = float(np.sum(q * np.log(q * K)))  # sum_k q_k log(q_k / (1/K))
    return {
        "modes_covered": int(np.count_nonzero(counts)),
        "modes_total": K,
        "high_quality_fraction": n_good / len(x) if len(x) else 0.0,
        "reverse_kl": max(reverse_kl, 0.0),  # clip rounding below 0
    }


def _project_2d(x: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both point sets on the first two principal components of the (finite) reference."""
    ref = reference[np.isfinite(reference).all(axis=1)]
    centre = ref.mean(axis=0)
    _, _, vt = np.linalg.svd(ref - centre, full_matrices=False)
    axes = vt[:2].T  # (dim, 2)
    with np.errstate(invalid="ignore", over="ignore"):
        return (x - centre) @ axes, (reference - centre) @ axes  # non-finite rows stay non-finite


def _limits(x: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """Grid limits along one axis: the union's range, clipped near the reference's range."""
    x, ref = x[np.isfinite(x)], ref[np.isfinite(ref)]
    r_lo, r_hi = ref.min(), ref.max()
    pad = _MAX_WIDENING * (r_hi - r_lo)
    lo = max(min(r_lo, x.min(initial=r_lo)), r_lo - pad)
    hi = min(max(r_hi, x.max(initial=r_hi)), r_hi + pad)
    if hi <= lo:  # every point equal: give the single cell some width
        lo, hi = lo - 0.5, hi + 0.5
    return float(lo), float(hi)


def _histogram(points: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    """Cell probabilities on the grid, plus one last entry for mass outside it (or non-finite)."""
    inside = np.isfinite(points).all(axis=1)
    for axis, e in enumerate(edges):
        with np.errstate(invalid="ignore"):
            inside &= (points[:, axis] >= e[0]) & (points[:, axis] <= e[-1])
    counts, _ = np.histogramdd(points[inside], bins=edges)
    counts = np.append(counts.ravel(), len(points) - inside.sum())
    return counts / len(points)


def js_divergence(samples: np.ndarray, reference: np.ndarray, bins: int = DEFAULT_BINS) -> float:
    """Jensen-Shannon divergence in nats (0 to log 2) between histograms on a shared grid.

    1D: `bins` cells over the union's range; 2D: a bins x bins grid. For dim > 2 both sets are
    first projected on the reference's two leading principal components. Rows with NaN/inf, and
    points beyond the grid, count as one extra "outside" cell, so they raise the divergence.
    """
    x = _as_points(samples, "samples")
    ref = _as_points(reference, "reference")
    if x.shape[1] != ref.shape[1]:
        raise ValueError(f"samples have dim {x.shape[1]} but reference has dim {ref.shape[1]}")
    if len(x) == 0 or not np.isfinite(ref).all(axis=1).any():
        raise ValueError("js_divergence needs samples and at least one finite reference point")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    if x.shape[1] > 2:
        x, ref = _project_2d(x, ref)

    edges = [np.linspace(*_limits(x[:, a], ref[:, a]), bins + 1) for a in range(x.shape[1])]
    p, q = _histogram(x, edges), _histogram(ref, edges)
    m = 0.5 * (p + q)
    # JS = 1/2 KL(p || m) + 1/2 KL(q || m), with 0 log 0 = 0
    js = 0.5 * np.sum(p[p > 0] * np.log(p[p > 0] / m[p > 0]))
    js += 0.5 * np.sum(q[q > 0] * np.log(q[q > 0] / m[q > 0]))
    return float(min(max(js, 0.0), math.log(2)))


def toy_metrics(
    samples: np.ndarray, dist: ToyDistribution, seed: int = 0, n_reference: int = 2500
) -> dict:
    """All toy metrics of generated `samples` against fresh draws from `dist`.

    Returns the mode metrics (when dist has modes), "js_divergence" against a reference sample of
    n_reference points, and "js_divergence_floor": the same estimator between that reference and a
    second independent draw of len(samples) points, i.e. the value a perfect generator would get.
    """
    x = _as_points(samples, "samples")
    if x.shape[1] != dist.dim:
        raise ValueError(f"{dist.name} has dim {dist.dim}, samples have dim {x.shape[1]}")
    generator = torch.Generator().manual_seed(seed)
    reference = dist.sample(n_reference, generator).double().numpy()
    second = dist.sample(len(x), generator).double().numpy()

    out: dict = {}
    if dist.modes is not None:
        out.update(mode_metrics(x, dist.modes, dist.mode_std))
    out["js_divergence"] = js_divergence(x, reference)
    out["js_divergence_floor"] = js_divergence(second, reference)
    return out
