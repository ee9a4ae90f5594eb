"""The report's refinement section: figures plain vs refined (evaluation.json) and D's reliability curve."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from matplotlib.figure import Figure

REFINE_FIGURES = {"calibration.png": "D's reliability on rows it did not fit on: the share of real rows among "
                                     "those D gives each probability, before (grey) and after (orange) "
                                     "calibration; the diagonal is a perfectly calibrated D."}
COST_KEYS = ("acceptance_rate", "proposals_per_sample", "samples_per_second")


def plot_reliability(calibration: dict, path: Path) -> Path:
    """Observed share of real rows against D's probability, binned, before and after calibration."""
    fig = Figure(figsize=(4.2, 4.0))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="0.8", lw=1, ls="--")
    for key, colour, label in (("reliability_before", "0.45", "raw D"), ("reliability_after", "tab:orange",
                                                                       f"calibrated ({calibration['method']})")):
        curve = calibration.get(key) or []
        ece = calibration.get("ece_" + key.split("_")[1])
        ax.plot([c["predicted"] for c in curve], [c["observed"] for c in curve], "o-", color=colour,
                label=f"{label}, ECE {ece:.3f}")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="D's probability of real", ylabel="share of real rows")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def refine_section(run_dir: Path, figures_html: str, format_value) -> str:
    """The section, or "" when evaluation.json holds no refined figures."""
    path = Path(run_dir) / "evaluation.json"
    try:
        evaluation = json.loads(path.read_text())
    except (OSError, ValueError):
        return ""
    refined = evaluation.get("refined")
    if not isinstance(refined, dict):
        return ""
    rows = [f"<tr><td>{escape(k)}</td><td>{escape(format_value(v))}</td>"
            f"<td>{escape(format_value(refined.get(k)))}</td></tr>"
            for k, v in evaluation.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    cost = refined.get("cost", {})
    said = ", ".join(f"{k.replace('_', ' ')} {format_value(cost.get(k))}" for k in COST_KEYS)
    calibration = refined.get("calibration", {})
    note = (f"<p>Samples refined by <b>{escape(refined['method'])}</b> with the discriminator "
            f"(D's calibrated logit estimates log p_t/p_g): {escape(said)}. D was calibrated on "
            f"{escape(str(calibration.get('real_rows')))}, expected calibration error "
            f"{escape(format_value(calibration.get('ece_before')))} before and "
            f"{escape(format_value(calibration.get('ece_after')))} after."
            + (f" Against the optimal D* = p_t/(p_t + p_g), mean |D - D*| is "
               f"{escape(format_value(calibration['d_star_mae_before']))} before calibration and "
               f"{escape(format_value(calibration['d_star_mae_after']))} after." if "d_star_mae_after" in calibration
               else "") + "</p>")
    table = (f"<table><tr><th>figure</th><th>plain</th><th>{escape(refined['method'])}</th></tr>"
             + "".join(rows) + "</table>")
    return (f'<section id="refinement">\n<h2>Refined sampling</h2>\n{note}\n{table}\n{figures_html}\n</section>')
