"""The run report: one self-contained report.html (figures, diagnosis, curves, theory, story, samples, config)."""

from __future__ import annotations

import base64
import json
import math
import os
from html import escape
from pathlib import Path

import yaml

from ganforge.errors import UserError
from ganforge.report.privacy_section import privacy_section
from ganforge.report.timeline import diagnosis_section
from ganforge.report.refine_section import REFINE_FIGURES, refine_section
from ganforge.report.membership_section import MEMBERSHIP_FIGURES
from ganforge.report.tables import TABLE_FIGURES, evaluation_section

# The figures of each section, in the order a reader wants them, with their captions.
CURVES = {
    "losses.png": "Discriminator and generator loss at each logged step.",
    "d_accuracy.png": "Discriminator accuracy; at the game's equilibrium D = 1/2 and it is right one time in two.",
    "quality.png": "How well the generated samples match the real data as training went on.",
}
THEORY = {
    "theory_discriminator.png": "Learned D(x) against the optimal D*(x) = p_t/(p_t+p_g)",
    "theory_game.png": "Value of the game V(D,G) against its optimum -log 4, and the JS divergence",
}
STORY = {
    "story.gif": "The training story: D's output (in 2D the background, green where D says real and purple where "
                 "it says generated; in 1D the green curve; dashed at D = 1/2), real samples in grey, generated "
                 "ones in orange, and arrows showing where the same noise z moves by the next frame.",
    "story_strip.png": "The training story as a strip of frames; each frame's arrows point to the next one shown.",
}
SAMPLES = {
    "samples_grid.png": "Generated images at the last log, from the same fixed noise at every log "
                        "(plots/grids/ keeps the grid of each log, so frames compare).",
    "real_grid.png": "Real training images, for comparison.",
    "samples.png": "Real samples (grey) and generated samples (colour) at the start, middle and end of training.",
}
CAPTIONS = {**CURVES, **THEORY, **STORY, **SAMPLES, **TABLE_FIGURES, **MEMBERSHIP_FIGURES, **REFINE_FIGURES}
MIME = {".png": "image/png", ".gif": "image/gif"}

# The theory figures of summary["theory"], with their labels; the rest follow in file order.
THEORY_LABELS = {
    "d_star_mae": "Mean |D(x) - D*(x)| over the grid",
    "game_value": "Value of the game V(D, G)",
    "game_value_optimum": "Optimum of the game, -log 4",
    "js_divergence": "JS divergence, estimated",
    "js_divergence_from_value": "JS divergence from the game's value, (V + log 4) / 2",
}
LOG4 = math.log(4)

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
svg.timeline { display: block; margin: 0.8rem 0 1rem 0; max-width: 100%; }
svg.timeline .finding { cursor: help; }
ol.findings { list-style: none; padding-left: 0; }
ol.findings li { margin: 0 0 0.7rem 0; padding-left: 0.8rem; border-left: 4px solid #999; }
.step { font-weight: 600; font-variant-numeric: tabular-nums; }
.kind { display: inline-block; color: white; border-radius: 3px;
        padding: 0 0.4rem; margin: 0 0.4rem; font-size: 0.85rem; }
.ok { color: #1a7a2e; }
.note { color: #555; }
.broken { color: #a11; font-weight: 600; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9rem; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; }
"""

# Runs once the page has loaded: says so beside any figure that could not be shown, and records on
# <body> how many images loaded, how many did not, and whether the diagnosis is on screen (the
# browser test reads these from the rendered page).
SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images), broken = 0;
  images.forEach(function (img) {
    if (img.complete && img.naturalWidth > 0) { return; }
    broken += 1;
    var note = document.createElement("p");
    note.className = "broken";
    note.textContent = "This figure could not be displayed.";
    img.insertAdjacentElement("afterend", note);
  });
  var diagnosis = document.getElementById("diagnosis");
  var shown = diagnosis && diagnosis.offsetHeight > 0 && getComputedStyle(diagnosis).visibility === "visible";
  document.body.dataset.imagesLoaded = images.length - broken;
  document.body.dataset.imagesBroken = broken;
  document.body.dataset.diagnosisVisible = shown ? "yes" : "no";
});
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
    shown = {k: v for k, v in summary.items() if k not in ("diagnostics", "theory", "privacy")}
    ordered = [k for k in LABELS if k in shown] + [k for k in shown if k not in LABELS]
    rows = [(LABELS.get(k, k.replace("_", " ").capitalize()), shown[k]) for k in ordered]
    return _table(rows)


def _figure(path: Path, caption: str) -> str:
    """One embedded image (PNG or GIF as a data: URI) with its caption."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:{MIME[path.suffix.lower()]};base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _figures(run_dir: Path, captions: dict[str, str]) -> str:
    """The figures of `captions` that exist under plots/, in that order; "" when there are none."""
    plots = run_dir / "plots"
    return "\n".join(_figure(plots / name, caption) for name, caption in captions.items() if (plots / name).is_file())


def _other_figures(run_dir: Path) -> str:
    """Images under plots/ that no section claims, by name, so a new plot is never silently left out."""
    plots = run_dir / "plots"
    others = sorted(p for p in plots.glob("*") if p.suffix.lower() in MIME and p.name not in CAPTIONS) \
        if plots.is_dir() else []
    return "\n".join(_figure(p, p.stem.replace("_", " ").capitalize() + ".") for p in others)


def _theory_table(theory) -> str:
    """summary["theory"] as a table, with the game's optimum beside its value."""
    if not isinstance(theory, dict) or not theory:
        return ""
    rows = dict(theory)
    if "game_value" in rows and "game_value_optimum" not in rows:
        rows["game_value_optimum"] = -LOG4
    ordered = [k for k in THEORY_LABELS if k in rows] + [k for k in rows if k not in THEORY_LABELS]
    return _table([(THEORY_LABELS.get(k, k.replace("_", " ").capitalize()), rows[k]) for k in ordered])


def _theory_section(run_dir: Path, summary: dict | None) -> str:
    table = _theory_table((summary or {}).get("theory"))
    figures = _figures(run_dir, THEORY)
    if not table and not figures:
        return ""
    note = ("<p class=\"note\">For a fixed generator the best discriminator is D*(x) = p_t(x) / (p_t(x) + p_g(x)); "
            "at the game's optimum p_g = p_t, D = 1/2 everywhere and V(D, G) = -log 4 &asymp; -1.386.</p>")
    return _section("theory", "Theory check", note + "\n" + table + "\n" + figures)


def _section(section_id: str, title: str, body: str) -> str:
    return f'<section id="{section_id}">\n<h2>{escape(title)}</h2>\n{body}\n</section>'


def _figure_sections(run_dir: Path, summary: dict | None) -> str:
    """Curves, theory, story, samples and any other plot: each section only when it has something to show."""
    sections = []
    curves = _figures(run_dir, CURVES)
    sections.append(_section("curves", "Training curves", curves or "<p>No curves were logged for this run.</p>"))
    sections.append(_theory_section(run_dir, summary))
    story = _figures(run_dir, STORY)
    if story:
        sections.append(_section("story", "The training story", story))
    samples = _figures(run_dir, SAMPLES)
    if samples:
        sections.append(_section("samples", "Samples", samples))
    others = _other_figures(run_dir)
    if others:
        sections.append(_section("other-plots", "More plots", others))
    return "\n".join(s for s in sections if s)


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
{privacy_section(summary, _table)}
<section id="diagnosis">
<h2>Diagnosis</h2>
{diagnosis_section(summary)}
</section>
{evaluation_section(run_dir, _figures(run_dir, TABLE_FIGURES), _figures(run_dir, MEMBERSHIP_FIGURES))}
{refine_section(run_dir, _figures(run_dir, REFINE_FIGURES), format_value)}
{_figure_sections(run_dir, summary)}
<section id="configuration">
<h2>Configuration</h2>
{_config_section(config)}
</section>
<script>{SCRIPT}</script>
</body>
</html>
"""
    path = run_dir / "report.html"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees a half-written report
    return path
