"""The independent baseline: every column keeps its own marginal, and no relation between columns survives."""

import json

import numpy as np
import pandas as pd
import pytest

import ganforge
from cli_kit import assert_user_error, cli
from ganforge.metrics.tabular import ks_statistic


def correlated_table(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """y = 2x + small noise (r about 0.99); the band follows x's sign; 20% of z missing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    z = np.where(rng.random(n) < 0.2, np.nan, rng.exponential(3.0, n))
    return pd.DataFrame({"x": x.round(3), "y": (2 * x + rng.normal(0, 0.1, n)).round(3),
                         "band": np.where(x > 0, "high", "low"), "z": z.round(2),
                         "colour": rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1])})


@pytest.fixture(scope="module")
def fitted():
    real = correlated_table()
    model = ganforge.GAN(model="independent", seed=0).fit(real, progress=False)
    return real, model, model.sample(4000, seed=1, allow_copies=True)


def test_each_column_keeps_its_marginal(fitted):
    real, _, synthetic = fitted
    for name in ("x", "y"):
        assert ks_statistic(real[name].to_numpy(), synthetic[name].to_numpy()) < 0.05, name
    assert ks_statistic(real["z"].dropna().to_numpy(), synthetic["z"].dropna().to_numpy()) < 0.05
    assert abs(synthetic["z"].isna().mean() - real["z"].isna().mean()) < 0.03  # missing values included
    for name in ("band", "colour"):
        p = real[name].value_counts(normalize=True)
        q = synthetic[name].value_counts(normalize=True).reindex(p.index, fill_value=0)
        assert (p - q).abs().max() < 0.03, name


def test_a_planted_correlation_is_broken(fitted):
    real, _, synthetic = fitted
    assert real["x"].corr(real["y"]) > 0.98
    assert abs(synthetic["x"].corr(synthetic["y"])) < 0.1
    high = synthetic["x"] > 0
    assert (real["band"][real["x"] > 0] == "high").all()
    assert 0.4 < (synthetic["band"][high] == "high").mean() < 0.6  # the band no longer follows x


def test_saved_and_loaded_it_draws_the_same_rows(fitted, tmp_path):
    _, model, _ = fitted
    model.save(tmp_path / "independent")
    assert not list((tmp_path / "independent").rglob("*.pkl"))
    again = ganforge.load(tmp_path / "independent")
    pd.testing.assert_frame_equal(model.sample(200, seed=5, allow_copies=True),
                                  again.sample(200, seed=5, allow_copies=True))


def test_points_draw_each_coordinate_independently():
    model = ganforge.GAN(model="independent", seed=0).fit("ring8", progress=False)
    points = model.sample(4000, seed=0)
    radius = np.hypot(points[:, 0], points[:, 1])
    assert points.shape == (4000, 2)
    assert (np.abs(points) < 1.1).all()  # each coordinate keeps its range
    assert (np.abs(radius - 1) > 0.1).mean() > 0.3  # but the ring is gone: coordinates combine freely


def test_images_are_refused_in_one_line(capsys, tmp_path):
    assert_user_error(cli(capsys, "train", "--data", "digits", "--model", "independent", "--out", tmp_path / "r"),
                      "independent", "tables and points")


def test_compare_on_a_table_shows_it_failing_detection_where_shapes_pass(capsys, tmp_path):
    path = tmp_path / "correlated.csv"
    correlated_table(1500, seed=3).to_csv(path, index=False)
    code, out, err = cli(capsys, "compare", "--data", path, "--models", "independent,gaussian",
                         "--out", tmp_path / "cmp", "--quiet")
    assert code in (0, None), err
    assert "detection_auc" in out and "independent draws each column" in out
    rows = {r["model"]: r for r in json.loads((tmp_path / "cmp" / "comparison.json").read_text())}
    independent = rows["independent"]
    summary = json.loads((tmp_path / "cmp" / "independent" / "summary.json").read_text())
    assert independent["steps"] == 1 and summary["column_groups"] == 5  # one draw per column
    assert independent["detection_auc"] > 0.8  # y = 2x is lost: a detector sees it at once
    assert independent["detection_score"] == pytest.approx(1 - (2 * independent["detection_auc"] - 1))
    evaluation = json.loads((tmp_path / "cmp" / "independent" / "evaluation.json").read_text())
    assert min(evaluation["column_shape_scores"].values()) > 0.9  # every marginal is right
    pairs = {frozenset(pair["columns"]): pair for pair in evaluation["worst_column_pairs"]}
    assert frozenset({"x", "band"}) in pairs  # the band is x's sign: their joint frequencies are lost
    worst = pairs[frozenset({"x", "y"})]
    assert worst["metric"] == "correlation"
    assert worst["real"] > 0.98 and abs(worst["synthetic"]) < 0.15


def test_evaluate_then_compare_runs_shows_the_detection_figures(capsys, tmp_path):
    path = tmp_path / "correlated.csv"
    correlated_table(800, seed=4).to_csv(path, index=False)
    run = tmp_path / "run"
    assert cli(capsys, "train", "--data", path, "--model", "independent", "--out", run)[0] in (0, None)
    code, out, err = cli(capsys, "evaluate", run, "-n", "800")
    assert code in (0, None), err
    assert "detection_auc" in out and "worst column pairs" in out and "x x y" in out
    evaluation = json.loads((run / "evaluation.json").read_text())
    code, out, err = cli(capsys, "compare", run)
    header, _, first = out.splitlines()[:3]
    cells = dict(zip(header.strip("| ").split(" | "), first.strip("| ").split(" | ")))
    assert float(cells["detection_auc"]) == pytest.approx(evaluation["detection_auc"], rel=1e-3)
