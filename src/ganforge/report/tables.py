"""The report's table parts: each column real vs synthetic, and the evaluation section (evaluation.json)."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ganforge.data.tabular import _as_numbers

REAL_COLOUR, FAKE_COLOUR = "0.55", "tab:orange"
TOP_CATEGORIES = 12
TABLE_FIGURES = {"table_columns.png": "Each column of the table: real (grey) against synthetic (orange) rows; "
                                      "histograms for continuous columns, frequencies for categories."}

# evaluation.json rows shown in the report, with their labels.
EVALUATION_LABELS = {
    "quality_score": "SDMetrics quality score",
    "column_shapes": "Column Shapes",
    "column_pair_trends": "Column Pair Trends",
    "ml_target": "ML efficacy: target column",
    "ml_positive_class": "ML efficacy: class scored (the minority)",
    "ml_f1_synthetic": "ML efficacy F1, trained on synthetic rows",
    "ml_f1_real": "ML efficacy F1, trained on real rows",
    "dcr_synthetic_median": "DCR, synthetic rows (median)",
    "dcr_holdout_median": "DCR, real held-out rows (median)",
    "dcr_ratio": "DCR ratio, synthetic / held-out",
    "exact_copies": "Exact copies of training rows",
    "samples": "Synthetic rows scored",
}


def plot_columns(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict], path: Path) -> Path:
    """One panel per column: overlaid histograms (continuous) or side-by-side bars (categories)."""
    cols = min(4, len(columns))
    rows = math.ceil(len(columns) / cols)
    figure = Figure(figsize=(3.6 * cols, 2.8 * rows))
    axes = figure.subplots(rows, cols, squeeze=False).ravel()
    for ax, spec in zip(axes, columns):
        name = spec["name"]
        if spec["kind"] == "continuous":
            r = _as_numbers(real[name].dropna(), spec["dtype"])
            s = _as_numbers(synthetic[name].dropna(), spec["dtype"])
            bins = np.histogram_bin_edges(np.concatenate([r, s]) if len(s) else r, bins=30)
            ax.hist(r, bins=bins, density=True, color=REAL_COLOUR, alpha=0.6, label="real")
            ax.hist(s, bins=bins, density=True, color=FAKE_COLOUR, histtype="step", linewidth=1.5, label="synthetic")
            ax.set_yticks([])
        else:
            p = real[name].astype(str).value_counts(normalize=True)
            q = synthetic[name].astype(str).value_counts(normalize=True)
            keys = list(p.index[:TOP_CATEGORIES])
            x = np.arange(len(keys))
            ax.bar(x - 0.2, [p.get(k, 0) for k in keys], width=0.4, color=REAL_COLOUR, label="real")
            ax.bar(x + 0.2, [q.get(k, 0) for k in keys], width=0.4, color=FAKE_COLOUR, label="synthetic")
            ax.set_xticks(x, [k[:10] for k in keys], rotation=45 if len(keys) > 3 else 0, ha="right", fontsize=7)
        ax.set_title(name, fontsize=9)
    for ax in axes[len(columns):]:
        ax.axis("off")
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    return path


def evaluation_section(run_dir: Path, plots_html: str = "") -> str:
    """HTML of evaluation.json's table figures (`ganforge evaluate`) and the column plots, or ""."""
    path = Path(run_dir) / "evaluation.json"
    try:
        figures = json.loads(path.read_text())
    except (OSError, ValueError):
        figures = None
    if not isinstance(figures, dict) or "quality_score" not in figures:
        if not plots_html:
            return ""
        figures = {}
    rows = "\n".join(f"<tr><th>{escape(label)}</th><td class=\"num\">{escape(_show(figures[key]))}</td></tr>"
                     for key, label in EVALUATION_LABELS.items() if key in figures and figures[key] is not None)
    note = ("<p class=\"note\">Quality: SDMetrics' Quality Report (the mean of Column Shapes and Column Pair "
            "Trends, 1 = indistinguishable). ML efficacy: SDGym's protocol, F1 of the minority class averaged "
            "over a decision tree, AdaBoost, logistic regression and an MLP, tested on real held-out rows. "
            "DCR: distance to the closest training row; synthetic rows should be no closer than unseen real ones."
            "</p>")
    table = f"{note}\n<table>{rows}</table>" if rows else ""
    return f'<section id="table-evaluation">\n<h2>Table evaluation</h2>\n{table}\n{plots_html}\n</section>'


def _show(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def plot_table_snapshot(run, real: pd.DataFrame, samples: pd.DataFrame, out: Path) -> None:
    """At the end of training: plots/table_columns.png from the evaluation sample."""
    columns = getattr(run.encoder, "columns_", None)
    if out is not None and columns is not None:
        plot_columns(real, samples, columns, Path(out) / "plots" / "table_columns.png")
