"""The report's membership-inference part: the audit's verdict, each attack's figures and ROC curves."""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

MEMBERSHIP_FIGURES = {"membership_roc.png": "ROC curves of the membership-inference attacks: the share of training "
                                            "rows flagged (TPR) against the share of held-out rows wrongly flagged "
                                            "(FPR), on linear axes and on log axes, where the low false-positive "
                                            "rates that matter for a single person show. The diagonal is guessing."}
ATTACK_LABELS = {"dcr": "distance to the closest synthetic row", "domias": "density ratio (DOMIAS)"}
COLOURS = {"dcr": "tab:blue", "domias": "tab:orange"}


def plot_membership_roc(labels: np.ndarray, scores: dict[str, np.ndarray], path: Path) -> Path:
    """Each attack's ROC curve (1: a member, the higher score the likelier), linear and log-log."""
    from sklearn.metrics import roc_auc_score, roc_curve

    figure = Figure(figsize=(8.4, 3.8))
    linear, logarithmic = figure.subplots(1, 2)
    floor = 1 / max(int((1 - labels).sum()), 1)  # the smallest FPR the held-out rows can show
    linear.plot([0, 1], [0, 1], color="0.75", lw=1, ls="--")
    logarithmic.plot([floor, 1], [floor, 1], color="0.75", lw=1, ls="--")
    for name, score in scores.items():
        fpr, tpr, _ = roc_curve(labels, score)
        label = f"{ATTACK_LABELS.get(name, name)}, AUC {roc_auc_score(labels, score):.3f}"
        linear.plot(fpr, tpr, color=COLOURS.get(name), label=label)
        logarithmic.plot(np.maximum(fpr, floor), np.maximum(tpr, floor), color=COLOURS.get(name))
    linear.set(xlim=(0, 1), ylim=(0, 1), xlabel="false-positive rate", ylabel="true-positive rate")
    logarithmic.set(xscale="log", yscale="log", xlim=(floor, 1), ylim=(floor, 1), xlabel="false-positive rate")
    linear.legend(loc="lower right", fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    return path


def membership_section(figures: dict, figures_html: str = "") -> str:
    """evaluation.json's `membership_inference` as HTML, or "" when it has none."""
    audit = figures.get("membership_inference")
    if not isinstance(audit, dict):
        return ""
    said = str(audit.get("verdict", ""))
    verdict = f"<p>{escape(said[:1].upper() + said[1:])}.</p>"
    attacks = audit.get("attacks")
    if not isinstance(attacks, dict):
        return f"\n<h3>Membership inference</h3>\n{verdict}"
    head = "<tr><th>attack</th><th>AUC</th><th>TPR at FPR 1%</th><th>TPR at FPR 10%</th></tr>"
    rows = "".join(f"<tr><th>{escape(ATTACK_LABELS.get(name, name))}</th>"
                   f"<td class=\"num\">{_number(a.get('auc'))} ± {_number(a.get('auc_standard_error'))}</td>"
                   f"<td class=\"num\">{_number(a.get('tpr_at_fpr_0.01'))}</td>"
                   f"<td class=\"num\">{_number(a.get('tpr_at_fpr_0.1'))}</td></tr>"
                   for name, a in attacks.items() if isinstance(a, dict))
    sizes = (f"<p class=\"note\">{audit.get('members')} training rows against {audit.get('non_members')} held-out "
             f"ones, with {audit.get('synthetic_rows')} synthetic rows in view (densities fitted on at most "
             f"{audit.get('density_rows')} of them, and on {audit.get('reference_rows')} held-out rows that are "
             "never scored). An AUC of 0.5 is guessing, ± one standard error (Hanley and McNeil); a TPR at a "
             "low FPR above that FPR means some training rows are singled out with few false alarms.</p>")
    return f"\n<h3>Membership inference</h3>\n{verdict}\n<table>{head}{rows}</table>\n{sizes}\n{figures_html}"


def _number(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else escape(str(value))
