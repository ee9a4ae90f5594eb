"""The theory check: the learned D against the optimal D*(x) = p_t(x) / (p_t(x) + p_g(x)), and V(D, G)."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import torch
from scipy.special import expit
from scipy.stats import gaussian_kde

if TYPE_CHECKING:
    from ganforge.data.encoders import StandardEncoder
    from ganforge.data.toy import ToyDistribution

__all__ = [
    "grid_for",
    "points_for_mae",
    "estimate_generator_density",
    "optimal_discriminator",
    "learned_discriminator",
    "game_value",
    "theory_check",
]

LOG4 = math.log(4.0)
GRID_MARGIN = 0.25  # grid range = real range widened by this fraction of it on each side
KDE_MAX_POINTS = 4000  # generated points the KDE keeps (its cost is points x evaluations)
# Bandwidths tried, as multiples of Scott's factor; halving down to 1/128 reaches the sharp toy
# modes (ring8: std 0.01 on a radius-1 circle), which Scott's rule smooths away.
KDE_BANDWIDTH_SCALES = 2.0 ** -np.arange(8)
_BATCH = 8192


def _points(x, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{what} must have shape (n, dim), got {x.shape}")
    return x


def _finite(x: np.ndarray) -> np.ndarray:
    return x[np.isfinite(x).all(axis=1)]


def grid_for(dist: "ToyDistribution", real_samples, size: int = 200) -> np.ndarray:
    """Evaluation points over the real data's range plus a margin, in the user's units.

    1D: (size, 1) evenly spaced points; 2D: (size * size, 2), a size x size grid in row-major
    order (x1 varies fastest), so values reshape to (size, size) for an image with x1 across.
    """
    real = _finite(_points(real_samples, "real_samples"))
    if dist.dim not in (1, 2) or real.shape[1] != dist.dim:
        raise ValueError(f"grid_for needs 1D or 2D points of the distribution's dim {dist.dim}")
    if len(real) == 0:
        raise ValueError("grid_for needs finite real samples")
    lo, hi = real.min(axis=0), real.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - GRID_MARGIN * span, hi + GRID_MARGIN * span
    axes = [np.linspace(lo[j], hi[j], size) for j in range(dist.dim)]
    if dist.dim == 1:
        return axes[0][:, None]
    x1, x2 = np.meshgrid(axes[0], axes[1], indexing="xy")  # (size, size): rows follow x2
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def points_for_mae(real, generated, n: int = 2000, seed: int = 0) -> np.ndarray:
    """Up to n/2 real and n/2 generated points (finite rows, seeded subsample), stacked.

    A mean over these is an expectation under the mixture (p_t + p_g) / 2: D and D* are compared
    where the data are, not on a grid that misses sharp modes.
    """
    rng = np.random.default_rng(seed)
    parts = []
    for x, what in ((real, "real"), (generated, "generated")):
        x = _finite(_points(x, what))
        take = min(len(x), n // 2)
        parts.append(x[rng.choice(len(x), take, replace=False)])
    return np.concatenate(parts)


def estimate_generator_density(generated, seed: int = 0) -> Callable[[np.ndarray], np.ndarray] | None:
    """log p_g by a Gaussian KDE on the generated samples (user units): a function (m, d) -> (m,).

    The bandwidth is Scott's factor times the scale in KDE_BANDWIDTH_SCALES with the best held-out
    log-likelihood (one fifth held out). Samples that span no volume (all equal, or on a line in 2D)
    get a tiny jitter so the covariance is invertible. None when fewer than 2 finite samples remain.
    """
    x = _finite(_points(generated, "generated"))
    if len(x) < 2:
        return None
    rng = np.random.default_rng(seed)
    if len(x) > KDE_MAX_POINTS:
        x = x[rng.choice(len(x), KDE_MAX_POINTS, replace=False)]
    d = x.shape[1]
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    scale = float(np.sqrt(np.max(np.diag(cov))))
    if not scale > 0 or np.linalg.matrix_rank(cov, tol=1e-10 * scale**2) < d:
        # A point mass or a lower-dimensional sample: jitter by 1e-6 of its size (or of 1).
        size = scale if scale > 0 else max(float(np.abs(x).max()), 1.0)
        x = x + 1e-6 * size * rng.standard_normal(x.shape)

    perm = rng.permutation(len(x))
    held, fit = x[perm[: len(x) // 5]], x[perm[len(x) // 5:]]
    scott = len(x) ** (-1.0 / (d + 4))  # Scott's factor on the full sample
    best = scott
    if len(held) >= 1 and len(fit) >= d + 2:
        scores = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for s in KDE_BANDWIDTH_SCALES:
                try:
                    kde = gaussian_kde(fit.T, bw_method=float(s * len(fit) ** (-1.0 / (d + 4))))
                    scores.append(float(np.mean(kde.logpdf(held.T))))
                except (np.linalg.LinAlgError, ValueError):
                    scores.append(-np.inf)
        if np.isfinite(scores).any():
            best = float(KDE_BANDWIDTH_SCALES[int(np.nanargmax(scores))] * scott)
    try:
        kde = gaussian_kde(x.T, bw_method=best)
    except (np.linalg.LinAlgError, ValueError):
        return None

    def log_density(points: np.ndarray) -> np.ndarray:
        points = _points(points, "points")
        return kde.logpdf(points.T)

    return log_density


def optimal_discriminator(log_p_true, log_p_gen) -> np.ndarray:
    """D*(x) = p_t / (p_t + p_g) = sigmoid(log p_t - log p_g), from log densities (stable).

    Where both densities are 0 (both logs -inf), D* has no information and is 1/2.
    """
    a, b = np.asarray(log_p_true, dtype=np.float64), np.asarray(log_p_gen, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        diff = a - b  # -inf - -inf = nan
    return np.where(np.isnan(diff), 0.5, expit(diff))


def _probability_discriminator(model) -> torch.nn.Module | None:
    """D when its output reads as a probability (logit losses, no packing); else None."""
    loss, D = getattr(model, "loss", None), getattr(model, "D", None)
    if loss is None or D is None or getattr(loss, "output", None) != "logit":
        return None
    if getattr(D, "pack", 1) != 1:
        return None  # a packed D judges groups of samples, not a point x
    return D


@torch.no_grad()
def _logits(model, encoder: "StandardEncoder", points: np.ndarray) -> np.ndarray | None:
    D = _probability_discriminator(model)
    if D is None:
        return None
    points = _points(points, "points")
    device = getattr(model, "device", torch.device("cpu"))
    was_training = D.training
    D.eval()
    try:
        out = []
        for i in range(0, len(points), _BATCH):
            x = torch.as_tensor(points[i: i + _BATCH], dtype=torch.float32, device=device)
            # D works in the encoded space. D* is the same there: an affine encoding y = A x + b
            # divides both p_t and p_g by |det A|, and D* depends only on their ratio.
            out.append(D(encoder.transform(x)).double().cpu().numpy())
    finally:
        D.train(was_training)
    return np.concatenate(out) if out else np.empty(0)


def learned_discriminator(run_model, encoder: "StandardEncoder", points) -> np.ndarray | None:
    """D(x) = sigmoid(D's logit) at points in the user's units; None unless the loss's output is a
    logit (minimax, non-saturating) and pack == 1, since D is not a probability otherwise."""
    logits = _logits(run_model, encoder, points)
    return None if logits is None else expit(logits)


def _numpy(values) -> np.ndarray:
    """float64 numpy from an array, a list, or a torch tensor on any device (detached)."""
    if isinstance(values, torch.Tensor):
        return values.detach().double().cpu().numpy()
    return np.asarray(values, dtype=np.float64)


def game_value(real_logits, fake_logits) -> float:
    """V(D, G) = E log D(x) + E log(1 - D(G(z))) = -E softplus(-l_real) - E softplus(l_fake).

    Logits as numpy arrays or torch tensors (any device). Its optimum, at p_g = p_t and D = 1/2
    everywhere, is -log 4.
    """
    real_logits, fake_logits = _numpy(real_logits), _numpy(fake_logits)
    # softplus(l) = log(1 + e^l) = logaddexp(0, l); a diverged D gives NaN, which is the honest answer
    with np.errstate(invalid="ignore"):
        return float(-np.mean(np.logaddexp(0.0, -real_logits)) - np.mean(np.logaddexp(0.0, fake_logits)))


def theory_check(run, dist: "ToyDistribution", generated, real) -> dict[str, Any] | None:
    """Learned D against D* and the game's value, for a 1D/2D distribution with a known density.

    Returns {"d_star_mae": mean |D(x) - D*(x)| over points_for_mae (None when p_g cannot be
    estimated), "game_value": V(D, G) on real and generated, "game_value_optimum": -log 4,
    "js_divergence_from_value": (V + log 4) / 2}. Since V(D, G) <= max_D V = -log 4 + 2 JSD, the
    last is a lower bound on JSD(p_t || p_g) (in nats), tight when D = D*; it is None when
    V < -log 4 (D does worse than the constant 1/2 and bounds nothing). None when the check does
    not apply: no density, dim not 1 or 2, a loss whose D is no probability, or packing.
    """
    if not getattr(dist, "has_density", False) or dist.dim not in (1, 2):
        return None
    model, encoder = run.model, run.encoder
    if _probability_discriminator(model) is None:
        return None
    generated = _finite(_points(generated, "generated"))
    real = _finite(_points(real, "real"))
    if generated.shape[1] != dist.dim or real.shape[1] != dist.dim:
        raise ValueError(f"theory_check: samples must have {dist.dim} columns")
    if len(generated) == 0 or len(real) == 0:
        return None

    V = game_value(_logits(model, encoder, real), _logits(model, encoder, generated))
    js = (V + LOG4) / 2 if math.isfinite(V) and V >= -LOG4 else None

    mae = None
    log_p_gen = estimate_generator_density(generated)
    if log_p_gen is not None:
        points = points_for_mae(real, generated)
        d_star = optimal_discriminator(dist.log_density(points), log_p_gen(points))
        d_learned = learned_discriminator(model, encoder, points)
        mae = float(np.mean(np.abs(d_learned - d_star)))
        if not math.isfinite(mae):
            mae = None
    return {
        "d_star_mae": mae,
        "game_value": V if math.isfinite(V) else None,
        "game_value_optimum": -LOG4,
        "js_divergence_from_value": None if js is None else min(js, math.log(2.0)),
    }
