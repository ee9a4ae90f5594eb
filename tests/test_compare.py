"""`ganforge compare`: every model trained on the same data and seed, one table, one report."""

import json

import numpy as np
import pytest
import yaml

import ganforge.api as api
from ganforge.cli import main
from ganforge.config import TrainConfig
from ganforge.errors import UserError
from ganforge.registry import models

TINY = dict(generator_hidden=[16, 16], discriminator_hidden=[16, 16], batch_size=64, eval_samples=500,
            log_every=10)
TOY_COLUMNS = ("modes_covered", "modes_total", "high_quality_fraction", "reverse_kl", "js_divergence",
               "js_divergence_floor")


@pytest.fixture(scope="module")
def ring8_comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    rows = api.compare("ring8", models=models.names(), out=out, steps=20, seed=3, **TINY)
    return out, rows


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_ring8_table_lists_modes_and_quality_for_every_model(ring8_comparison):
    out, rows = ring8_comparison
    assert [r["model"] for r in rows] == models.names()
    for r in rows:
        for key in (*TOY_COLUMNS, "wall_seconds", "steps"):
            assert key in r, (r["model"], key)
        assert r["modes_total"] == 8 and 0 <= r["modes_covered"] <= 8
        assert 0.0 <= r["high_quality_fraction"] <= 1.0
        assert r["steps"] == (1 if getattr(models.get(r["model"]), "closed_form", False) else 20)
    assert json.loads((out / "comparison.json").read_text()) == rows
    table = (out / "comparison.md").read_text()
    assert "| model | modes_covered | modes_total | high_quality_fraction" in table
    assert all(f"| {name} |" in table for name in models.names())
    assert "autoencoder reconstructs its inputs" in table and "for the VAE" in table  # the two side by side


def test_each_model_has_its_run_directory_with_the_same_data_and_seed(ring8_comparison):
    out, rows = ring8_comparison
    for name in models.names():
        config = yaml.safe_load((out / name / "config.yaml").read_text())
        assert (config["data"], config["model"], config["seed"]) == ("ring8", name, 3)
        assert config["generator_hidden"] == [16, 16]  # options reach every model
        assert (out / name / "summary.json").is_file() and (out / name / "checkpoint").is_dir()
    # Models without a game train with their suggested Adam settings unless told otherwise.
    assert yaml.safe_load((out / "vae" / "config.yaml").read_text())["lr_generator"] == 1e-3
    gan = yaml.safe_load((out / "gan" / "config.yaml").read_text())
    assert (gan["lr_generator"], gan["beta1"]) == (TrainConfig().lr_generator, TrainConfig().beta1)


def test_report_shows_the_table_and_every_models_samples(ring8_comparison):
    out, rows = ring8_comparison
    page = (out / "report.html").read_text()
    assert page.count("<tr>") == len(rows) + 1
    assert page.count('src="data:image/png;base64,') == len(rows)
    assert all(f"<figcaption>{name}</figcaption>" in page for name in models.names())


def test_compare_existing_runs_prints_or_writes_the_same_table(ring8_comparison, tmp_path, capsys):
    out, rows = ring8_comparison
    renamed = tmp_path / "vae-run"
    renamed.mkdir()
    (renamed / "summary.json").write_text((out / "vae" / "summary.json").read_text())
    code, printed, _ = run_cli(["compare", str(out / "gmm"), str(renamed)], capsys)
    assert code == 0
    assert printed.startswith("| model | run | modes_covered |")  # the run column, as names differ
    assert printed.splitlines()[2].startswith("| gmm | gmm | ")
    assert printed.splitlines()[3].startswith("| vae | vae-run | ")
    code, _, _ = run_cli(["compare", str(out / "gmm"), str(out / "vae"), "--out", str(tmp_path / "t")], capsys)
    assert code == 0
    again = json.loads((tmp_path / "t" / "comparison.json").read_text())
    assert [r["modes_covered"] for r in again] == [r["modes_covered"] for r in rows if r["model"] in ("gmm", "vae")]
    assert (tmp_path / "t" / "report.html").read_text().count("data:image/png;base64,") == 2


@pytest.mark.parametrize("argv, message", [
    (["compare", "--data", "ring8", "--models", "gan,nope", "--out", "X"], "unknown model 'nope'"),
    (["compare", "--data", "ring8", "--models", "gmm,gmm", "--out", "X"], "lists 'gmm' twice"),
    (["compare", "--data", "ring8"], "--out DIR is required"),
    (["compare"], "give --data DATA"),
    (["compare", "RUNDIR", "--data", "ring8"], "--data trains new runs"),
    (["compare", "RUNDIR"], "has no summary.json"),
])
def test_user_mistakes_are_one_line_and_exit_2(argv, message, tmp_path, capsys):
    argv = [str(tmp_path / a) if a in ("X", "RUNDIR") else a for a in argv]
    code, _, err = run_cli(argv, capsys)
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "X").exists()  # nothing trained


def test_an_existing_run_stops_the_comparison_before_anything_trains(tmp_path):
    api.compare("gaussian", models=["gaussian"], out=tmp_path, **TINY)
    with pytest.raises(UserError, match="holds another run"):
        api.compare("gaussian", models=["gmm", "gaussian"], out=tmp_path, **TINY)
    assert not (tmp_path / "gmm").exists()
    rows = api.compare("gaussian", models=["gaussian"], out=tmp_path, overwrite=True, **TINY)
    assert rows[0]["model"] == "gaussian"


def test_points_from_a_file_are_compared_on_the_js_divergence(tmp_path):
    points = np.random.default_rng(0).normal(size=(400, 3)) * [1.0, 2.0, 0.5]
    np.save(tmp_path / "points.npy", points)
    rows = api.compare(str(tmp_path / "points.npy"), models=["gaussian", "gmm"], out=tmp_path / "cmp", **TINY)
    for r in rows:
        assert "js_divergence" in r and "js_divergence_floor" in r and "modes_covered" not in r
        assert "log_likelihood" in r
    assert rows[0]["log_likelihood"] >= rows[1]["log_likelihood"] - 0.05  # one Gaussian is the right law
    table = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "| model | js_divergence | js_divergence_floor | log_likelihood |" in table


def test_python_compare_without_out_returns_the_table_only():
    rows = api.compare(np.random.default_rng(1).normal(size=(300, 2)), models="gaussian,gmm", **TINY)
    assert [r["model"] for r in rows] == ["gaussian", "gmm"] and all(r["run"] is None for r in rows)


def test_images_are_compared_on_fid_and_class_coverage(tmp_path):
    rows = api.compare("digits", models=["gan", "gaussian"], out=tmp_path / "cmp", steps=20, log_every=10,
                       eval_samples=300)
    for r in rows:
        assert r["fid"] > 0 and 0.0 <= r["class_tvd"] <= 1.0 and 1 <= r["classes_present"] <= 10
        assert r["fid_floor"] < r["fid"]  # held-out real digits are closer to the training ones
    table = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "| model | fid | fid_floor | kid | class_tvd | classes_present |" in table
    assert (tmp_path / "cmp" / "report.html").read_text().count("data:image/png;base64") == 2
