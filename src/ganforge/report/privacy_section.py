"""The report's differential-privacy section: summary.json's `privacy` block, the guarantee first."""

from __future__ import annotations

from html import escape
from typing import Any, Callable

from ganforge.privacy.statement import epsilon_text

# The block's figures shown in the table, with their labels, in this order.
FIGURES = {
    "epsilon": "Epsilon spent (accountant)",
    "epsilon_target": "Epsilon asked for",
    "delta": "Delta",
    "delta_rule": "Delta chosen by",
    "neighbouring_tables": "Neighbouring tables",
    "accountant": "Accountant",
    "noise_multiplier": "DP-SGD noise multiplier",
    "max_grad_norm": "Per-row gradient clip (L2)",
    "sample_rate": "Poisson sample rate",
    "discriminator_steps": "Discriminator steps taken",
    "discriminator_steps_planned": "Discriminator steps planned",
}


def privacy_section(summary: dict[str, Any] | None, table: Callable[[list[tuple[str, Any]]], str]) -> str:
    """The section, or "" for a run without differential privacy; `table` renders (label, value) rows."""
    privacy = (summary or {}).get("privacy")
    if not isinstance(privacy, dict):
        return ""
    rows = [(label, privacy[key]) for key, label in FIGURES.items() if key in privacy]
    if isinstance(privacy.get("epsilon"), (int, float)):  # to 3 decimals, rounded up (a bound)
        rows[0] = (FIGURES["epsilon"], epsilon_text(privacy["epsilon"]))
    counts = privacy.get("released_counts")
    if isinstance(counts, dict):
        rows.append(("Noisy counts released for", ", ".join(counts.get("columns", []))))
        rows.append(("Counts' noise std", counts.get("noise_std")))

    def items(key: str) -> str:
        return "\n".join(f"<li>{escape(str(item))}</li>" for item in privacy.get(key) or [])

    return (f'<section id="privacy">\n<h2>Differential privacy</h2>\n'
            f"<p>{escape(str(privacy.get('statement', '')))}</p>\n{table(rows)}\n"
            f"<h3>What the guarantee covers</h3>\n<ul>\n{items('covers')}\n</ul>\n"
            f"<h3>What it does not cover</h3>\n<ul>\n{items('does_not_cover')}\n</ul>\n"
            f"<p>{escape(str(privacy.get('sampling', '')))}</p>\n</section>")
