"""The report's table parts: each column real vs synthetic, and the evaluation section (evaluation.json)."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ganforge.report.column_panels import column_panels
from ganforge.report.membership_section import membership_section

REAL_COLOUR, FAKE_COLOUR = "0.55", "tab:orange"
TABLE_FIGURES = {"table_columns.png": "Each column of the table: real (grey) against synthetic (orange) rows. "
                                      "Bars: the share of rows in each category, and at each value holding 2% of "
                                      "the real rows or more (a point mass, e.g. zeros). Histograms: the rest of "
                                      "a continuous column, on a log x for a long tail, or cut to the real "
                                      "values' 0.5-99.5% range."}

WEAKEST = 5  # columns listed under the lowest shape scores

# evaluation.json rows shown in the report, with their labels.
EVALUATION_LABELS = {
    "quality_score": "SDMetrics quality score",
    "column_shapes": "Column Shapes",
    "column_pair_trends": "Column Pair Trends",
    "detection_auc": "Detection AUC (0.5: a classifier cannot tell synthetic rows from real ones)",
    "detection_score": "Detection score, 1 - (2 max(AUC, 0.5) - 1)",
    "ml_target": "ML efficacy: target column",
    "ml_positive_class": "ML efficacy: class scored (the minority)",
    "ml_f1_synthetic": "ML efficacy F1, trained on synthetic rows",
    "ml_f1_real": "ML efficacy F1, trained on real rows",
    "dcr_synthetic_median": "DCR, synthetic rows (median)",
    "dcr_holdout_median": "DCR, real held-out rows (median)",
    "dcr_ratio": "DCR ratio, synthetic / held-out",
    "exact_copies": "Exact copies of training rows",
    "membership_auc": "Membership-inference AUC, the stronger attack (0.5: guessing)",
    "samples": "Synthetic rows scored",
}


def plot_columns(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict], path: Path) -> Path:
    """One panel per column, two for a continuous column with point masses: the share at each point
    mass (and each category) as bars side by side, the rest as histograms on a clipped or log x."""
    panels = column_panels(real, synthetic, columns)
    cols = min(4, len(panels))
    rows = math.ceil(len(panels) / cols)
    figure = Figure(figsize=(3.6 * cols, 2.8 * rows))
    axes = figure.subplots(rows, cols, squeeze=False).ravel()
    for ax, panel in zip(axes, panels):
        if panel["kind"] == "histogram":
            _draw_histogram(ax, panel)
        else:
            _draw_shares(ax, panel)
    for ax in axes[len(panels):]:
        ax.axis("off")
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    return path


def _draw_shares(ax, panel: dict) -> None:
    x = np.arange(len(panel["labels"]))
    ax.bar(x - 0.2, panel["real"], width=0.4, color=REAL_COLOUR, label="real")
    ax.bar(x + 0.2, panel["synthetic"], width=0.4, color=FAKE_COLOUR, label="synthetic")
    labels = [str(k)[:10] for k in panel["labels"]]
    ax.set_xticks(x, labels, rotation=45 if len(labels) > 3 else 0, ha="right" if len(labels) > 3 else "center",
                  fontsize=7)
    ax.set_ylabel("share of rows", fontsize=7)
    title = panel["column"] + (": point masses" if panel["kind"] == "spikes" else "")
    ax.set_title(title, fontsize=9)


def _draw_histogram(ax, panel: dict) -> None:
    edges = panel["edges"]
    r, s = panel["real"], panel["synthetic"]
    inside = lambda v: v[(v >= edges[0]) & (v <= edges[-1])]  # noqa: E731  (clipped away: counted below)
    if len(r):
        ax.hist(inside(r), bins=edges, density=True, color=REAL_COLOUR, alpha=0.6, label="real")
    if len(s):
        ax.hist(inside(s), bins=edges, density=True, color=FAKE_COLOUR, histtype="step", linewidth=1.5,
                label="synthetic")
    if panel["log"]:
        ax.set_xscale("log")
    ax.set_yticks([])
    notes = []
    if panel["share_real"] < 1:
        notes.append(f"the rest: {100 * panel['share_real']:.0f}% real, {100 * panel['share_synthetic']:.0f}% synth.")
    if panel["clipped"]:
        notes.append("x: 0.5-99.5% of real")
    if notes:
        ax.set_xlabel("; ".join(notes), fontsize=7)
    ax.set_title(panel["column"] + (": the rest" if panel["share_real"] < 1 else ""), fontsize=9)


def evaluation_section(run_dir: Path, plots_html: str = "", membership_html: str = "") -> str:
    """HTML of evaluation.json's table figures (`ganforge evaluate`), the column plots and the
    membership-inference audit with its ROC curves (`membership_html`), or ""."""
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
            "DCR: distance to the closest training row; synthetic rows should be no closer than unseen real ones. "
            "Detection: a gradient-boosted classifier trained to tell real training rows from synthetic ones; "
            "an AUC near 0.5 means it cannot, which quality alone does not show (columns drawn independently "
            "score high on column shapes)."
            "</p>")
    table = f"{note}\n<table>{rows}</table>" if rows else ""
    table += _weakest(figures) + membership_section(figures, membership_html)
    return f'<section id="table-evaluation">\n<h2>Table evaluation</h2>\n{table}\n{plots_html}\n</section>'


def _weakest(figures: dict) -> str:
    """The lowest column shape scores and the worst column pairs, when evaluation.json has them."""
    html = ""
    shapes = figures.get("column_shape_scores")
    if isinstance(shapes, dict) and shapes:
        lowest = sorted(shapes.items(), key=lambda item: item[1])[:WEAKEST]
        rows = "".join(f"<tr><th>{escape(str(name))}</th><td class=\"num\">{escape(_show(score))}</td></tr>"
                       for name, score in lowest)
        html += f"\n<h3>Lowest column shape scores</h3>\n<table>{rows}</table>"
    pairs = figures.get("worst_column_pairs")
    if isinstance(pairs, list) and pairs:
        rows = "".join(f"<tr><th>{escape(' x '.join(map(str, p.get('columns', []))))}</th>"
                       f"<td class=\"num\">{escape(_show(p.get('score')))}</td><td>{escape(str(p.get('figure', '')))}</td></tr>"
                       for p in pairs if isinstance(p, dict))
        html += f"\n<h3>Worst column pairs (trend score)</h3>\n<table>{rows}</table>"
    return html


def _show(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def plot_table_snapshot(run, real: pd.DataFrame, samples: pd.DataFrame, out: Path) -> None:
    """At the end of training: plots/table_columns.png from the evaluation sample."""
    columns = getattr(run.encoder, "columns_", None)
    if out is not None and columns is not None:
        plot_columns(real, samples, columns, Path(out) / "plots" / "table_columns.png")
