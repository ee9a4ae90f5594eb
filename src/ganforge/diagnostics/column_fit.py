"""A table run's worst-fitting columns and column pairs, said in plain words with the figure that shows it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ganforge.diagnostics.detectors import Finding
from ganforge.metrics.tabular import _numbers, column_shape_scores, describe_pair, pair_trend_scores

SHAPE_FLOOR = 0.90  # a column whose shape score (1 - KS or 1 - TVD) is lower fits badly
SHARE_GAP = 0.05  # a point mass, category or missing share off by more than 5 points is worth saying
POINT_MASS = 0.02  # a single value holding at least 2% of a continuous column's real rows
PAIR_FLOOR = 0.80  # a pair whose trend score is lower than this, and than real-vs-real less PAIR_MARGIN
PAIR_MARGIN = 0.10
MOST = 3  # columns (and pairs) named in a finding; the rest are counted
ROWS = 20_000  # real rows compared at most


def column_fit_findings(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict[str, Any]],
                        step: int, seed: int = 0, steps: int | None = None, pairs: bool = True) -> list[Finding]:
    """At most two findings: `column_fit` naming the columns that fit badly (shape score under
    SHAPE_FLOOR, or a point mass or missing share off by over SHARE_GAP), `pair_fit` naming the
    pairs whose trend is lost beyond what two halves of the real rows differ by (unless not `pairs`)."""
    if len(real) > ROWS:
        real = real.sample(ROWS, random_state=seed)
    if len(real) < 20 or len(synthetic) < 20:
        return []
    longer = f" --steps {2 * steps}" if steps else ""
    findings = []
    shapes = column_shape_scores(real, synthetic, columns)
    bad = sorted((score, spec["name"]) for spec in columns
                 if (score := shapes[spec["name"]]) < SHAPE_FLOOR or _share_gap(real[spec["name"]],
                                                                              synthetic[spec["name"]], spec))
    if bad:
        specs = {spec["name"]: spec for spec in columns}
        said = [describe_column(real[name], synthetic[name], specs[name], score) for score, name in bad[:MOST]]
        more = f"; and {len(bad) - MOST} more" if len(bad) > MOST else ""
        findings.append({"step": step, "kind": "column_fit", "message": (
            f"{_count(len(bad), 'column')} of {len(columns)} {'fits' if len(bad) == 1 else 'fit'} badly: "
            + "; ".join(said) + more + f". Try a longer run (`ganforge train --out DIR --resume{longer}`).")})
    lost = _lost_pairs(real, synthetic, columns, seed) if pairs else []
    if lost:
        said = [f"{' x '.join(p['columns'])}: {describe_pair(p)} (trend score {p['score']:.2f})" for p in lost[:MOST]]
        more = f"; and {len(lost) - MOST} more" if len(lost) > MOST else ""
        findings.append({"step": step, "kind": "pair_fit", "message": (
            f"{_count(len(lost), 'column pair')} lost the relation the real rows show: " + "; ".join(said) + more
            + ". Try a longer run, and compare with the independent baseline (`ganforge compare --data DATA "
              "--models gan,independent --out DIR`): a model no better on these pairs learnt no relation "
              "between the columns.")})
    return findings


def describe_column(real: pd.Series, synthetic: pd.Series, spec: dict[str, Any], score: float) -> str:
    """The clearest figure of a badly fitting column: a missing share, a category's share, the share
    at the real's most frequent value (a point mass), else the shape score with the medians."""
    name = spec["name"]
    missing_real, missing_syn = float(real.isna().mean()), float(synthetic.isna().mean())
    if abs(missing_real - missing_syn) > SHARE_GAP:
        return f"{name}: {_pct(missing_syn)} missing generated against {_pct(missing_real)} real"
    if spec["kind"] == "categorical":
        p = real.astype(str).value_counts(normalize=True)
        q = synthetic.astype(str).value_counts(normalize=True)
        gap = (p.reindex(p.index.union(q.index), fill_value=0) - q.reindex(p.index.union(q.index), fill_value=0))
        key = gap.abs().idxmax()
        return (f"{name}: {_pct(q.get(key, 0.0))} '{key}' generated against {_pct(p.get(key, 0.0))} real "
                f"(shape score {score:.2f})")
    r, s = _numbers(real, spec), _numbers(synthetic, spec)
    mass = point_mass(r)
    if mass is not None:
        value, share_real = mass
        share_syn = float(np.mean(np.abs(s - value) <= _tolerance(r, value))) if len(s) else 0.0
        if abs(share_real - share_syn) > SHARE_GAP:
            what = "zeros" if value == 0 else f"at {value:g}"
            return f"{name}: {_pct(share_syn)} {what} generated against {_pct(share_real)} real"
    medians = (f"; median {np.median(r):.4g} real, {np.median(s):.4g} generated" if len(r) and len(s) else "")
    return f"{name}: shape score {score:.2f} (the distributions differ by KS {1 - score:.2f}{medians})"


def _share_gap(real: pd.Series, synthetic: pd.Series, spec: dict[str, Any]) -> bool:
    """A continuous column's missing share or point-mass share off by more than SHARE_GAP."""
    if spec["kind"] != "continuous":
        return False
    if abs(float(real.isna().mean()) - float(synthetic.isna().mean())) > SHARE_GAP:
        return True
    r, s = _numbers(real, spec), _numbers(synthetic, spec)
    mass = point_mass(r)
    if mass is None or not len(s):
        return False
    value, share = mass
    return abs(share - float(np.mean(np.abs(s - value) <= _tolerance(r, value)))) > SHARE_GAP


def point_mass(values: np.ndarray) -> tuple[float, float] | None:
    """(value, share) of the most frequent value when it holds at least POINT_MASS of the rows."""
    if len(values) == 0:
        return None
    unique, counts = np.unique(values, return_counts=True)
    top = int(counts.argmax())
    share = counts[top] / len(values)
    return (float(unique[top]), float(share)) if share >= POINT_MASS else None


def _tolerance(real: np.ndarray, value: float) -> float:
    """Half the real data's resolution (the smallest gap between two distinct real values): a
    generated value this close to `value` reads as `value` at the real data's precision."""
    gaps = np.diff(np.unique(real))
    return float(gaps.min() / 2) if len(gaps) else 1e-9


def _lost_pairs(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict[str, Any]],
                seed: int) -> list[dict[str, Any]]:
    """Pairs under PAIR_FLOOR and under their real-vs-real score (two halves) less PAIR_MARGIN, worst first.
    The halves set each pair's noise floor: a pair of many-valued columns scores low on noise alone."""
    order = np.random.default_rng(seed).permutation(len(real))
    half_a, half_b = real.iloc[order[: len(real) // 2]], real.iloc[order[len(real) // 2:]]
    floor = {tuple(p["columns"]): p["score"] for p in pair_trend_scores(half_a, half_b, columns)}
    lost = [p for p in pair_trend_scores(real, synthetic, columns)
            if p["score"] < PAIR_FLOOR and p["score"] < floor[tuple(p["columns"])] - PAIR_MARGIN]
    return sorted(lost, key=lambda p: p["score"])


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
