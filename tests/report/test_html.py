"""Tests for report.html: self-contained, embedded images, the diagnosis and its timeline, theory, configuration."""

import base64
import io
import json
import re
from html.parser import HTMLParser

from PIL import Image

from ganforge.report import build_report
from ganforge.report.html import write_report

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


def test_report_is_one_offline_file_with_every_plot_embedded_as_a_valid_image(tmp_path, make_run, write_story_file,
                                                                              ring_story_arrays):
    run_dir = make_run(tmp_path)
    write_story_file(run_dir, ring_story_arrays(frames=6))
    path = build_report(run_dir)
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    for external in ('src="http', "src='http", "href=", "<link", "<script src", "@import", "url("):
        assert external not in page
    assert page.count("<script") == 1  # the inline load check, nothing fetched
    parser = Images()
    parser.feed(page)
    plots = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert plots == ["d_accuracy.png", "losses.png", "quality.png", "samples.png", "story.gif", "story_strip.png"]
    assert len(parser.images) == len(plots)
    formats = []
    for image in parser.images:
        assert image["alt"].strip()
        match = re.fullmatch(r"data:image/(png|gif);base64,(.+)", image["src"], re.S)
        assert match
        with Image.open(io.BytesIO(base64.b64decode(match.group(2), validate=True))) as embedded:
            assert embedded.format == match.group(1).upper() and embedded.width > 0 and embedded.height > 0
            formats.append(embedded.format)
    assert formats.count("GIF") == 1
    assert not list(tmp_path.glob("*.tmp")) and not list((tmp_path / "plots").glob("*.tmp"))


def test_sections_come_in_reading_order_and_each_figure_in_its_section(tmp_path, make_run, write_story_file,
                                                                       gaussian_story_arrays):
    run_dir = make_run(tmp_path)
    write_story_file(run_dir, gaussian_story_arrays(frames=4))
    page = build_report(run_dir).read_text()
    order = [m.group(1) for m in re.finditer(r'<section id="([^"]+)">', page)]
    assert order == ["summary", "diagnosis", "curves", "story", "samples", "configuration"]
    assert section(page, "curves").count("<img") == 3
    story = section(page, "story")
    assert 'src="data:image/gif;base64,' in story and "strip of frames" in story
    assert section(page, "samples").count("<img") == 1


def test_title_names_the_data_and_the_model(tmp_path, make_run):
    page = build_report(make_run(tmp_path)).read_text()
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert "ring8" in title and "gan" in title


def test_diagnostic_appears_escaped_in_the_diagnosis_section(tmp_path, make_run):
    page = build_report(make_run(tmp_path)).read_text()
    diagnosis = section(page, "diagnosis")
    assert "Only 3 of 8 modes &lt;covered&gt; &amp; kept." in diagnosis
    assert "mode_collapse" in diagnosis and "1,200" in diagnosis
    assert "<covered>" not in page
    assert "No problems were detected." not in page


def test_timeline_places_each_finding_on_the_step_axis_with_its_message_on_hover(tmp_path, make_run):
    findings = [
        {"step": 1500, "kind": "equilibrium", "message": "D held 50% for 400 steps."},
        {"step": 500, "kind": "mode_collapse", "message": "Collapsed onto 2 modes."},
        {"step": 0, "kind": "mode_collapse", "message": "Started narrow."},
        {"kind": "note", "message": "A finding without a step."},
    ]
    diagnosis = section(build_report(make_run(tmp_path, diagnostics=findings)).read_text(), "diagnosis")
    svg = re.search(r'<svg class="timeline" viewBox="0 0 (\d+) \d+".*?</svg>', diagnosis, re.S)
    assert svg
    markers = re.findall(r'<title>(.*?)</title>.*?<circle cx="([\d.]+)" cy="([\d.]+)" r="7" fill="(#\w+)"',
                         svg.group(0), re.S)
    assert len(markers) == 3  # the finding without a step is listed but has no place on the axis
    by_step = {title.split(" · ")[0]: (float(cx), float(cy), fill) for title, cx, cy, fill in markers}
    # Steps 0..2000 span x = 170..876: step 500 is a quarter of the way, step 1500 three quarters.
    assert by_step["step 0"][0] == 170.0
    assert abs(by_step["step 500"][0] - (170 + 706 * 0.25)) < 0.1
    assert abs(by_step["step 1,500"][0] - (170 + 706 * 0.75)) < 0.1
    # One lane per kind, one colour per kind.
    assert by_step["step 0"][1:] == by_step["step 500"][1:] != by_step["step 1,500"][1:]
    assert any("Collapsed onto 2 modes." in title for title, *_ in markers)
    assert ">2,000<" in svg.group(0)  # the axis ends at the run's last step
    listed = re.findall(r'<span class="step">(.*?)</span>', diagnosis)
    assert listed == ["step 0", "step 500", "step 1,500", "step ?"]


def test_theory_figures_and_plots_appear_with_their_captions(tmp_path, make_run):
    run_dir = make_run(tmp_path)
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["theory"] = {"d_star_mae": 0.0312, "game_value": -1.35, "js_divergence": 0.021}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    (run_dir / "plots").mkdir()
    for name in ("theory_discriminator.png", "theory_game.png"):
        Image.new("RGB", (40, 30), "white").save(run_dir / "plots" / name)
    page = build_report(run_dir).read_text()
    theory = section(page, "theory")
    assert re.search(r"Mean \|D\(x\) - D\*\(x\)\| over the grid</th><td[^>]*>0.0312<", theory)
    assert re.search(r"Optimum of the game, -log 4</th><td[^>]*>-1.386<", theory)  # -log 4 = -1.3863
    assert "Learned D(x) against the optimal D*(x) = p_t/(p_t+p_g)" in theory
    assert "Value of the game V(D,G) against its optimum -log 4, and the JS divergence" in theory
    assert theory.count("<img") == 2
    assert "d_star_mae" not in section(page, "summary")  # shown once, in its own block


def test_no_diagnostics_reads_as_a_plain_sentence(tmp_path, make_run):
    page = build_report(make_run(tmp_path, diagnostics=[])).read_text()
    assert "No problems were detected." in section(page, "diagnosis")


def test_final_figures_and_configuration_are_shown(tmp_path, make_run):
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
    assert 'id="theory"' not in page and 'id="story"' not in page


def test_an_unknown_plot_is_still_shown(tmp_path):
    (tmp_path / "plots").mkdir()
    Image.new("RGB", (20, 20), "white").save(tmp_path / "plots" / "gradient_norms.png")
    page = write_report(tmp_path).read_text()
    assert "Gradient norms." in section(page, "other-plots")
