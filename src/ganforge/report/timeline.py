"""The report's diagnosis: an inline SVG timeline of the findings over the run's steps, and their list."""

from __future__ import annotations

import math
from html import escape

# One colour per kind of finding (the kinds of ganforge.diagnostics); other kinds are grey.
KIND_COLOURS = {
    "equilibrium": "#1a9850",
    "mode_collapse": "#7b3294",
    "discriminator_wins": "#d73027",
    "divergence": "#a50026",
    "rollback": "#4575b4",
    "recovery": "#4575b4",
    "oscillation": "#e66101",
}
OTHER_COLOUR = "#666666"

# Geometry of the SVG, in its own units (it scales to the page's width).
WIDTH = 900
LABEL_WIDTH = 170  # lane labels on the left
RIGHT = 24
LANE = 28
AXIS = 34  # room under the lanes for the step axis


def colour(kind: str) -> str:
    return KIND_COLOURS.get(kind, OTHER_COLOUR)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _steps_text(step) -> str:
    value = _number(step)
    if value is None:
        return "step ?"
    return f"step {int(value):,}" if value.is_integer() else f"step {value:,.1f}"


def _findings(diagnostics) -> list[dict]:
    """The findings as dicts with a kind and a message, in step order (those without a step last)."""
    items = [d if isinstance(d, dict) else {"message": str(d)} for d in diagnostics or []]
    items = [{**d, "kind": str(d.get("kind") or "note"), "message": str(d.get("message", ""))} for d in items]
    return sorted(items, key=lambda d: (0, _number(d.get("step"))) if _number(d.get("step")) is not None else (1, 0))


def nice_ticks(top: float, target: int = 5) -> list[float]:
    """Round tick values from 0 to `top`: steps of 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return [0.0]
    raw = top / target
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(top // step) + 1)]


def timeline_svg(diagnostics, total_steps) -> str:
    """One lane per kind of finding, a marker at each finding's step (its message on hover), steps 0..total."""
    findings = [d for d in _findings(diagnostics) if _number(d.get("step")) is not None]
    if not findings:
        return ""
    kinds = list(dict.fromkeys(d["kind"] for d in findings))
    top = max([_number(total_steps) or 0.0] + [_number(d["step"]) for d in findings]) or 1.0
    span = WIDTH - LABEL_WIDTH - RIGHT
    height = LANE * len(kinds) + AXIS

    def x(step: float) -> float:
        return LABEL_WIDTH + span * step / top

    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="Timeline of the diagnosis: {len(findings)} finding(s) over {int(top):,} steps" '
        f'font-family="system-ui, sans-serif" font-size="13">'
    ]
    for lane, kind in enumerate(kinds):
        y = LANE * lane + LANE / 2
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y - 9:.1f}" width="{span}" height="18" rx="3" fill="#f4f4f4"/>')
        parts.append(f'<text x="{LABEL_WIDTH - 10}" y="{y + 4.5:.1f}" text-anchor="end" '
                     f'fill="{colour(kind)}" font-weight="600">{escape(kind)}</text>')
    axis_y = LANE * len(kinds) + 4
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{axis_y}" x2="{LABEL_WIDTH + span}" y2="{axis_y}" stroke="#888"/>')
    for tick in nice_ticks(top):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{axis_y}" x2="{tx:.1f}" y2="{axis_y + 5}" stroke="#888"/>')
        parts.append(f'<text x="{tx:.1f}" y="{axis_y + 19}" text-anchor="middle" fill="#555">{int(tick):,}</text>')
    parts.append(f'<text x="{LABEL_WIDTH - 10}" y="{axis_y + 19}" text-anchor="end" fill="#555">step</text>')
    for d in findings:
        lane = kinds.index(d["kind"])
        cx, cy = x(_number(d["step"])), LANE * lane + LANE / 2
        tip = f'{_steps_text(d["step"])} · {d["kind"]}: {d["message"]}'
        parts.append(
            f'<g class="finding"><title>{escape(tip)}</title>'
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{cx:.1f}" y2="{axis_y}" stroke="{colour(d["kind"])}" '
            f'stroke-opacity="0.35" stroke-dasharray="3 3"/>'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="7" fill="{colour(d["kind"])}" stroke="white" stroke-width="1.5"/>'
            f"</g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def diagnosis_section(summary: dict | None) -> str:
    """The timeline over 0..summary["steps"], then every finding in step order with its kind and message."""
    if summary is None:
        return "<p>No diagnosis is available without summary.json.</p>"
    findings = _findings(summary.get("diagnostics"))
    if not findings:
        return '<p class="ok">No problems were detected.</p>'
    items = []
    for d in findings:
        items.append(
            f'<li style="border-left-color: {colour(d["kind"])}">'
            f'<span class="step">{escape(_steps_text(d.get("step")))}</span>'
            f'<span class="kind" style="background: {colour(d["kind"])}">{escape(d["kind"])}</span>'
            f'{escape(d["message"])}</li>'
        )
    return timeline_svg(findings, summary.get("steps")) + '\n<ol class="findings">\n' + "\n".join(items) + "\n</ol>"
