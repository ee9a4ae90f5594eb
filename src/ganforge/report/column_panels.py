"""What each table column's plot shows: point masses as shares, the rest of a continuous column on a readable scale."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ganforge.data.tabular import _as_numbers

SPIKE_SHARE = 0.02  # a single value holding at least 2% of the real rows is drawn as a bar
MOST_SPIKES = 8  # the largest point masses drawn; the rest go to the histogram
CLIP = (0.005, 0.995)  # the histogram's x range: these quantiles of the real values off the spikes
LOG_SPAN = 100.0  # positive values spanning over two decades within the clipped range: log x
BINS = 30
TOP_CATEGORIES = 12


def column_panels(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One or two panels per column, each a dict for the plotter:
    "categories" / "spikes": {"labels", "real", "synthetic"} shares of all rows side by side;
    "histogram": {"real", "synthetic"} values off the spikes, {"edges"}, {"log"}, {"share_real",
    "share_synthetic"} (the rows they are), {"clipped"} (whether the range was cut to CLIP)."""
    panels = []
    for spec in columns:
        name = spec["name"]
        if spec["kind"] != "continuous":
            p = real[name].astype(str).value_counts(normalize=True)
            q = synthetic[name].astype(str).value_counts(normalize=True)
            keys = list(p.index[:TOP_CATEGORIES])
            panels.append({"column": name, "kind": "categories", "labels": keys,
                           "real": [float(p.get(k, 0.0)) for k in keys],
                           "synthetic": [float(q.get(k, 0.0)) for k in keys]})
            continue
        r = _as_numbers(real[name].dropna(), spec["dtype"])
        s = _as_numbers(synthetic[name].dropna(), spec["dtype"])
        spikes = point_masses(r)
        on_real, on_syn = _near(r, spikes, r), _near(s, spikes, r)
        if spikes:
            panels.append({"column": name, "kind": "spikes", "labels": [f"{v:g}" for v in spikes],
                           "real": [float(np.mean(hit)) for hit in on_real] if len(r) else [0.0] * len(spikes),
                           "synthetic": [float(np.mean(hit)) for hit in on_syn] if len(s) else [0.0] * len(spikes)})
        rest_r = r[~np.any(on_real, axis=0)] if spikes else r
        rest_s = s[~np.any(on_syn, axis=0)] if spikes else s
        if len(rest_r) or not spikes:
            panels.append({"column": name, "kind": "histogram", **_histogram(rest_r, rest_s),
                           "share_real": len(rest_r) / max(len(r), 1), "share_synthetic": len(rest_s) / max(len(s), 1)})
    return panels


def point_masses(values: np.ndarray) -> list[float]:
    """The values holding at least SPIKE_SHARE of the rows, largest share first (MOST_SPIKES at most).
    A column of few distinct values is all spikes: its bars are its distribution."""
    if len(values) == 0:
        return []
    unique, counts = np.unique(values, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return [float(unique[i]) for i in order[:MOST_SPIKES] if counts[i] >= SPIKE_SHARE * len(values)]


def _near(values: np.ndarray, spikes: list[float], real: np.ndarray) -> np.ndarray:
    """(spikes, n) booleans: a value within half the real data's resolution of each spike."""
    if not spikes:
        return np.zeros((0, len(values)), dtype=bool)
    gaps = np.diff(np.unique(real))
    tolerance = gaps.min() / 2 if len(gaps) else 1e-9
    return np.abs(values[None, :] - np.asarray(spikes)[:, None]) <= tolerance


def _histogram(r: np.ndarray, s: np.ndarray) -> dict[str, Any]:
    """Bin edges over the real values' CLIP quantiles; log-spaced when positive and long-tailed."""
    if len(r) == 0:
        return {"real": r, "synthetic": s, "edges": np.histogram_bin_edges(s if len(s) else [0.0], BINS),
                "log": False, "clipped": False}
    low, high = np.quantile(r, CLIP)
    clipped = bool(low > r.min() or high < r.max())
    if high <= low:
        low, high = float(r.min()), float(r.max()) + 1e-9
    log = bool(low > 0 and high > LOG_SPAN * low)
    edges = np.geomspace(low, high, BINS + 1) if log else np.linspace(low, high, BINS + 1)
    return {"real": r, "synthetic": s, "edges": edges, "log": log, "clipped": clipped}
