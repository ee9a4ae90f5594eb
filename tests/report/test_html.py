"""Tests for report.html: self-contained, embedded valid PNGs, diagnosis, figures and configuration."""

import base64
import io
import json
import re
from html.parser import HTMLParser

import numpy as np
import yaml
from PIL import Image

from ganforge.report import build_report
from ganforge.report.html import write_report

SUMMARY = {
    "steps": 2000, "wall_seconds": 12.345, "steps_per_second": 162.0,
    "stopped_because": "reached the step budget", "data": "ring8", "model": "gan",
    "modes_covered": 7, "modes_total": 8, "high_quality_fraction": 0.9512,
    "reverse_kl": 0.01234, "js_divergence": 0.0523, "js_divergence_floor": 0.003,
    "diagnostics": [{"step": 1200, "kind": "mode_collapse", "message": "Only 3 of 8 modes <covered> & kept."}],
}


def make_run(run_dir, diagnostics=None):
    """A small finished 2D run: metrics (one NaN, one sparse record, a cut-off last line), summary, config, snapshots."""
    rng = np.random.default_rng(0)
    lines = []
    for i in range(20):
        record = {"step": 100 * (i + 1), "loss_d": 0.69, "loss_g": 0.7 - 0.01 * i, "d_acc_real": 0.55,
                  "d_acc_fake": 0.45, "d_acc": 0.5, "modes_covered": min(i, 8), "modes_total": 8,
                  "js_divergence": 0.5 / (i + 1)}
        if i == 3:
            record["loss_d"] = float("nan")
        if i == 9:
            record = {"step": 1000}
        lines.append(json.dumps(record))
    (run_dir / "metrics.jsonl").write_text("\n".join(lines) + '\n{"step": 2100, "lo')
    summary = dict(SUMMARY)
    if diagnostics is not None:
        summary["diagnostics"] = diagnostics
    (run_dir / "summary.json").write_text(json.dumps(summary))
    config = {"data": "ring8", "model": "gan", "steps": 2000, "batch_size": 128,
              "lr_generator": 0.0002, "lr_discriminator": 0.0003, "seed": 12345}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    real = rng.standard_normal((300, 2))
    np.savez(run_dir / "snapshots.npz", real=real, step_0=0.1 * real, step_2000=real + 0.01)
    return run_dir


class Images(HTMLParser):
    """Collects every <img>'s attributes."""

    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def section(page, section_id):
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def test_report_is_one_offline_file_with_every_plot_embedded_as_a_valid_png(tmp_path):
    path = build_report(make_run(tmp_path))
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    for external in ('src="http', "src='http", "href=", "<link", "<script", "@import", "url("):
        assert external not in page
    parser = Images()
    parser.feed(page)
    assert len(parser.images) == len(list((tmp_path / "plots").glob("*.png"))) == 4
    for image in parser.images:
        assert image["alt"].strip()
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        with Image.open(io.BytesIO(base64.b64decode(image["src"][len(prefix):], validate=True))) as png:
            assert png.format == "PNG" and png.width > 0 and png.height > 0
    assert not list(tmp_path.glob("*.tmp"))


def test_title_names_the_data_and_the_model(tmp_path):
    page = build_report(make_run(tmp_path)).read_text()
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert "ring8" in title and "gan" in title


def test_diagnostic_appears_escaped_in_the_diagnosis_section(tmp_path):
    page = build_report(make_run(tmp_path)).read_text()
    diagnosis = section(page, "diagnosis")
    assert "Only 3 of 8 modes &lt;covered&gt; &amp; kept." in diagnosis
    assert "mode_collapse" in diagnosis and "1,200" in diagnosis
    assert "<covered>" not in page
    assert "No problems were detected." not in page


def test_no_diagnostics_reads_as_a_plain_sentence(tmp_path):
    page = build_report(make_run(tmp_path, diagnostics=[])).read_text()
    assert "No problems were detected." in section(page, "diagnosis")


def test_final_figures_and_configuration_are_shown(tmp_path):
    page = build_report(make_run(tmp_path)).read_text()
    figures = section(page, "summary")
    for shown in ("2,000", "reached the step budget", "12.35", "162", "0.9512", "0.0523", "0.01234"):
        assert shown in figures
    assert re.search(r"Modes covered</th><td[^>]*>7<", figures)
    config = section(page, "configuration")
    assert "lr_discriminator" in config and "0.0003" in config
    assert "12345" in config  # a seed is shown as written, not as 12,345


def test_report_without_plots_or_summary_still_renders(tmp_path):
    (tmp_path / "config.yaml").write_text("data: ring8\nmodel: gan\n")
    page = write_report(tmp_path).read_text()
    assert "ring8" in page
    assert "<img" not in page
    assert "summary.json" in section(page, "summary")
