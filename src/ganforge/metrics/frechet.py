"""The Frechet distance of two Gaussians fitted to feature rows: FID's formula, in any feature space."""

from __future__ import annotations

import numpy as np
from scipy import linalg


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)): the Frechet distance of two Gaussians (FID's formula).

    Tr (S1 S2)^(1/2) = sum sqrt(eig(S1^(1/2) S2 S1^(1/2))), a symmetric problem: stable when the
    covariances are singular (dead ReLU features), where sqrtm(S1 @ S2) is not.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64)), np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    w, v = linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # S1^(1/2)
    inner = root1 @ sigma2 @ root1
    trace_covmean = np.sqrt(np.clip(linalg.eigvalsh((inner + inner.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_covmean)


def fid(a: np.ndarray, b: np.ndarray | tuple[np.ndarray, np.ndarray]) -> float:
    """Frechet distance between Gaussians fitted to two sets of feature rows (b may be its (mean, cov))."""
    if len(a) < 2 or (not isinstance(b, tuple) and len(b) < 2):
        return float("nan")  # a covariance needs two rows (tiny data sets: the floor's test split)
    mu2, sigma2 = b if isinstance(b, tuple) else gaussian(b)
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), mu2, sigma2)


def gaussian(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, covariance) of feature rows."""
    return x.mean(0), np.cov(x, rowvar=False)
