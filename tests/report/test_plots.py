"""Tests for the run plots: metrics reading, and PNGs a user can open for 1D, 2D and wider data."""

import json
import math

import numpy as np
import pytest
from PIL import Image

from ganforge.errors import UserError
from ganforge.report.plots import make_plots, plot_quality, plot_snapshots, read_metrics


def write_metrics(run_dir, n=20, partial_tail=True):
    """n records like the trainer's, one NaN loss, one record missing most keys, a cut-off last line."""
    lines = []
    for i in range(n):
        step = (i + 1) * 100
        record = {
            "step": step, "wall_seconds": 0.1 * i, "loss_d": 0.69 + 0.01 * math.sin(i),
            "loss_g": 0.71 - 0.01 * i, "d_acc_real": 0.5 + 0.01 * i, "d_acc_fake": 0.5 - 0.01 * i,
            "d_acc": 0.5, "modes_covered": min(8, i), "modes_total": 8,
            "high_quality_fraction": i / n, "reverse_kl": 1.0 / (i + 1), "js_divergence": 0.5 / (i + 1),
        }
        if i == 7:
            record["loss_g"] = float("nan")
        if i == 12:
            record = {"step": step, "loss_d": None}
        lines.append(json.dumps(record))
    text = "\n".join(lines) + "\n"
    if partial_tail:
        text += '{"step": 2100, "loss_d": 0.6'
    (run_dir / "metrics.jsonl").write_text(text)


def ring(n, rng):
    angles = rng.integers(0, 8, n) * (2 * np.pi / 8)
    return np.stack([2 * np.cos(angles), 2 * np.sin(angles)], axis=1) + 0.05 * rng.standard_normal((n, 2))


def assert_png(path):
    assert path.is_file() and path.stat().st_size > 0
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width > 0 and image.height > 0
        image.verify()


def test_read_metrics_drops_a_cut_off_last_line_and_keeps_nan(tmp_path):
    write_metrics(tmp_path)
    records = read_metrics(tmp_path)
    assert len(records) == 20
    assert records[-1]["step"] == 2000
    assert math.isnan(records[7]["loss_g"])
    assert records[12] == {"step": 1300, "loss_d": None}


def test_read_metrics_is_empty_without_a_file_and_rejects_a_damaged_middle_line(tmp_path):
    assert read_metrics(tmp_path) == []
    (tmp_path / "metrics.jsonl").write_text('{"step": 1}\n{"step": 2,\n{"step": 3}\n')
    with pytest.raises(UserError, match="line 2"):
        read_metrics(tmp_path)


def test_make_plots_writes_every_plot_for_a_2d_run(tmp_path):
    rng = np.random.default_rng(0)
    write_metrics(tmp_path)
    diverged = ring(300, rng)
    diverged[:10] = 1e6  # far outside the real data: must not blow up the scale or the plot
    diverged[10] = np.nan
    np.savez(tmp_path / "snapshots.npz", real=ring(500, rng), step_0=rng.standard_normal((300, 2)) * 0.1,
             step_1000=ring(300, rng)[:, ::-1], step_2000=diverged)
    paths = make_plots(tmp_path)
    assert [p.name for p in paths] == ["losses.png", "d_accuracy.png", "quality.png", "samples.png"]
    for path in paths:
        assert path.parent == tmp_path / "plots"
        assert_png(path)


def test_make_plots_draws_histograms_for_1d_data_even_when_a_snapshot_is_degenerate(tmp_path):
    rng = np.random.default_rng(1)
    write_metrics(tmp_path, partial_tail=False)
    real = np.concatenate([rng.normal(-2, 0.3, 300), rng.normal(2, 0.3, 300)])
    np.savez(tmp_path / "snapshots.npz", real=real.reshape(-1, 1),
             step_0=np.zeros((200, 1)),  # all equal: no KDE possible, histogram still drawn
             step_2000=rng.normal(2, 0.3, (200, 1)))
    paths = make_plots(tmp_path)
    assert (tmp_path / "plots" / "samples.png") in paths
    assert_png(tmp_path / "plots" / "samples.png")


def test_plot_snapshots_projects_wide_data_onto_two_components(tmp_path):
    rng = np.random.default_rng(2)
    real = rng.standard_normal((200, 5))
    path = plot_snapshots(real, {0: rng.standard_normal((100, 5)), 50: real[:100]}, tmp_path / "s.png")
    assert_png(path)
    with pytest.raises(ValueError, match="dimension"):
        plot_snapshots(real, {0: rng.standard_normal((100, 3))}, tmp_path / "bad.png")


def test_only_the_plots_that_apply_are_made(tmp_path):
    lines = [json.dumps({"step": s, "loss_d": 0.7, "loss_g": 0.7}) for s in (10, 20, 30)]
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    assert plot_quality(read_metrics(tmp_path), tmp_path / "q.png") is None
    paths = make_plots(tmp_path)
    assert [p.name for p in paths] == ["losses.png"]
    assert not (tmp_path / "plots" / "samples.png").exists()
