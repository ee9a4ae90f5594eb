"""What a numeric column's values say beyond their spread: point masses, and a small set of own values.

A point mass is one value held by a large share of the rows: the zeros of a zero-inflated amount
(capital-gain: 92% zeros), a zero standing for "not measured" (Pima's insulin), a cap at the top
of the range (99999). A mixture of Gaussians smears such a spike over its neighbourhood, so the
encoder gives each one a mode of its own that decodes to the exact value (CTAB-GAN's mixed type).

A column with few distinct values (counts, scores, codes stored as numbers) keeps them: decoded
values are moved to the nearest value the data holds, so 31 levels stay 31 levels.
"""

from __future__ import annotations

import numpy as np

POINT_MASS_SHARE = 0.02  # a value holding this share of the present rows or more ...
POINT_MASS_RATIO = 5.0  # ... and this many times the share of an average distinct value is a spike
EDGE_MASS_SHARE = 0.001  # the column's minimum or maximum needs only this share (a floor, a cap, an extreme level)
POINT_MASS_MIN_ROWS = 10  # never a spike on fewer rows than this: chance repeats in small tables
MAX_POINT_MASSES = 5
OWN_VALUES_MAX = 100  # a column with at most this many distinct values keeps them ...
OWN_VALUES_MIN_ROWS = 5  # ... when each is seen this many times on average (not an identifier-like float)


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, their counts): computed once, read by both rules below."""
    return np.unique(values, return_counts=True)


def find_point_masses(values: np.ndarray, levels_counts: tuple[np.ndarray, np.ndarray] | None = None) -> list[float]:
    """The spikes of a column's present values, heaviest first (at most MAX_POINT_MASSES)."""
    if len(values) == 0:
        return []
    levels, counts = levels_counts if levels_counts is not None else distinct(values)
    if len(levels) < 2:
        return []  # a constant is not a spike on top of anything
    share = counts / len(values)
    spike = (share >= POINT_MASS_SHARE) & (share >= POINT_MASS_RATIO / len(levels))
    edge = np.zeros(len(levels), dtype=bool)
    edge[[0, -1]] = share[[0, -1]] >= EDGE_MASS_SHARE
    spike = (spike | edge) & (counts >= POINT_MASS_MIN_ROWS)
    order = np.argsort(-counts[spike], kind="stable")[:MAX_POINT_MASSES]
    masses = [float(v) for v in levels[spike][order]]
    if len(masses) == len(levels):  # every value a spike: leave one to the continuous part
        masses = masses[:-1]
    return masses


def own_values(values: np.ndarray, levels_counts: tuple[np.ndarray, np.ndarray] | None = None) -> list[float] | None:
    """The column's distinct values when there are few enough to keep; else None."""
    levels = (levels_counts if levels_counts is not None else distinct(values))[0]
    if len(levels) <= OWN_VALUES_MAX and len(levels) * OWN_VALUES_MIN_ROWS <= len(values):
        return [float(v) for v in levels]
    return None


def snap(x: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Each x moved to the nearest of the sorted `levels`."""
    right = np.searchsorted(levels, x).clip(1, len(levels) - 1)
    left = right - 1
    nearer_left = np.abs(x - levels[left]) <= np.abs(levels[right] - x)
    return np.where(nearer_left, levels[left], levels[right]) if len(levels) > 1 else np.full_like(x, levels[0])
