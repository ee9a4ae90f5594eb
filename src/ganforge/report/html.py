"""The run report: one self-contained report.html (figures, diagnosis, plots, configuration)."""

from __future__ import annotations

import base64
import json
import math
import os
from html import escape
from pathlib import Path

import yaml

from ganforge.errors import UserError

# Plots in the order a reader wants them, each with its caption; other PNGs follow, by name.
CAPTIONS = {
    "losses.png": "Discriminator and generator loss at each logged step.",
    "d_accuracy.png": "Discriminator accuracy; at the game's equilibrium D = 1/2 and it is right one time in two.",
    "quality.png": "How well the generated samples match the real data as training went on.",
    "samples.png": "Real samples (grey) and generated samples (colour) at the start, middle and end of training.",
}

# Summary rows shown first, with their labels; the rest follow in file order.
LABELS = {
    "data": "Data",
    "model": "Model",
    "steps": "Steps",
    "stopped_because": "Stopped because",
    "wall_seconds": "Wall time (s)",
    "steps_per_second": "Steps per second",
    "modes_covered": "Modes covered",
    "modes_total": "Modes in the data",
    "high_quality_fraction": "High-quality fraction",
    "reverse_kl": "Reverse KL",
    "js_divergence": "JS divergence",
    "js_divergence_floor": "JS divergence floor (real vs real)",
}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.95rem; }
td, th { padding: 0.25rem 0.9rem 0.25rem 0; text-align: left; vertical-align: top; }
tr + tr td, tr + tr th { border-top: 1px solid #eee; }
td.num { font-variant-numeric: tabular-nums; }
ol.timeline { list-style: none; padding-left: 0; border-left: 3px solid #d33; }
ol.timeline li { margin: 0 0 0.7rem 0; padding-left: 0.8rem; }
.step { font-weight: 600; font-variant-numeric: tabular-nums; }
.kind { display: inline-block; background: #fde8e8; color: #a11; border-radius: 3px;
        padding: 0 0.4rem; margin: 0 0.4rem; font-size: 0.85rem; }
.ok { color: #1a7a2e; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9rem; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; }
"""


def format_value(value) -> str:
    """A summary or config value as a reader wants to see it (not escaped)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN (not a number)"
        if math.isinf(value):
            return "infinite" if value > 0 else "minus infinite"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 1000:
            return f"{value:,.1f}"
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, allow_nan=True)
    return str(value)


def _read_summary(run_dir: Path) -> dict | None:
    path = run_dir / "summary.json"
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(summary, dict):
        raise UserError(f"{path}: expected a JSON object")
    return summary


def _read_config(run_dir: Path):
    path = run_dir / "config.yaml"
    if not path.is_file():
        return None
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return path.read_text()  # still worth showing as written


def _flatten(mapping: dict, prefix: str = "") -> list[tuple[str, object]]:
    """Nested mappings as dotted keys (`model.hidden`), so the config reads as one table."""
    rows = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(_flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


def _table(rows: list[tuple[str, object]], as_written: bool = False) -> str:
    """Label/value rows; `as_written` shows values verbatim (a seed of 12345 is not "12,345")."""
    cells = []
    for label, value in rows:
        cls = ' class="num"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
        text = json.dumps(value) if as_written and isinstance(value, (list, dict)) else value
        text = ("-" if value is None else str(text)) if as_written else format_value(value)
        cells.append(f"<tr><th>{escape(str(label))}</th><td{cls}>{escape(text)}</td></tr>")
    return "<table>\n" + "\n".join(cells) + "\n</table>"


def _summary_section(summary: dict | None) -> str:
    if summary is None:
        return '<p>There is no summary.json in this run directory; the run may not have finished.</p>'
    shown = {k: v for k, v in summary.items() if k != "diagnostics"}
    ordered = [k for k in LABELS if k in shown] + [k for k in shown if k not in LABELS]
    rows = [(LABELS.get(k, k.replace("_", " ").capitalize()), shown[k]) for k in ordered]
    return _table(rows)


def _diagnosis_section(summary: dict | None) -> str:
    if summary is None:
        return "<p>No diagnosis is available without summary.json.</p>"
    diagnostics = summary.get("diagnostics") or []
    if not diagnostics:
        return '<p class="ok">No problems were detected.</p>'

    def step_of(item):
        step = item.get("step") if isinstance(item, dict) else None
        return (0, step) if isinstance(step, (int, float)) and not isinstance(step, bool) else (1, 0)

    items = []
    for item in sorted(diagnostics, key=step_of):
        item = item if isinstance(item, dict) else {"message": str(item)}
        step = item.get("step")
        step_text = f"step {format_value(step)}" if step is not None else "step ?"
        items.append(
            f'<li><span class="step">{escape(step_text)}</span>'
            f'<span class="kind">{escape(str(item.get("kind", "note")))}</span>'
            f'{escape(str(item.get("message", "")))}</li>'
        )
    return '<ol class="timeline">\n' + "\n".join(items) + "\n</ol>"


def _plots_section(run_dir: Path) -> str:
    plots_dir = run_dir / "plots"
    pngs = sorted(plots_dir.glob("*.png")) if plots_dir.is_dir() else []
    pngs.sort(key=lambda p: (list(CAPTIONS).index(p.name) if p.name in CAPTIONS else len(CAPTIONS), p.name))
    if not pngs:
        return "<p>No plots were made for this run.</p>"
    figures = []
    for png in pngs:
        caption = CAPTIONS.get(png.name, png.stem.replace("_", " ").capitalize() + ".")
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        figures.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )
    return "\n".join(figures)


def _config_section(config) -> str:
    if config is None:
        return "<p>There is no config.yaml in this run directory.</p>"
    if isinstance(config, dict):
        return _table(_flatten(config), as_written=True)
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
    return f"<pre>{escape(text)}</pre>"


def _lead(summary: dict | None) -> str:
    """One sentence on what happened: how long the run went and why it stopped."""
    if not summary:
        return ""
    parts = []
    if summary.get("steps") is not None:
        parts.append(f"{format_value(summary['steps'])} steps")
    if isinstance(summary.get("wall_seconds"), (int, float)):
        parts.append(f"in {format_value(summary['wall_seconds'])} s")
    sentence = "Trained " + " ".join(parts) if parts else ""
    if summary.get("stopped_because"):
        sentence += ("; stopped because: " if sentence else "Stopped because: ") + str(summary["stopped_because"]).rstrip(".")
    return f'<p class="lead">{escape(sentence)}.</p>' if sentence else ""


def _name(value) -> str | None:
    """A data set or model name, also when the config holds it as a mapping with a `name`."""
    if isinstance(value, dict):
        value = value.get("name")
    return None if value is None else str(value)


def write_report(run_dir: str | Path) -> Path:
    """Write `run_dir/report.html`, readable offline with every plot embedded, and return its path."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"run directory not found: {run_dir}")
    summary = _read_summary(run_dir)
    config = _read_config(run_dir)
    source = config if isinstance(config, dict) else {}
    data = _name((summary or {}).get("data") or source.get("data")) or "unknown data"
    model = _name((summary or {}).get("model") or source.get("model")) or "unknown model"
    title = f"ganforge run: {model} on {data}"
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{escape(title)}</h1>
{_lead(summary)}
<section id="summary">
<h2>Final figures</h2>
{_summary_section(summary)}
</section>
<section id="diagnosis">
<h2>Diagnosis</h2>
{_diagnosis_section(summary)}
</section>
<section id="plots">
<h2>Plots</h2>
{_plots_section(run_dir)}
</section>
<section id="configuration">
<h2>Configuration</h2>
{_config_section(config)}
</section>
</body>
</html>
"""
    path = run_dir / "report.html"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees a half-written report
    return path
