"""`ganforge compare` on a table: one split for every model, SDMetrics quality, ML efficacy, privacy."""

import json

import numpy as np
import pandas as pd
import pytest

import ganforge.api as api

TINY = dict(generator_hidden=[32, 32], discriminator_hidden=[32, 32], batch_size=64, steps=60, log_every=30,
            eval_samples=256)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, make_table):
    out = tmp_path_factory.mktemp("cmp-table")
    path = out / "table.csv"
    make_table(600, seed=2).to_csv(path, index=False)
    rows = api.compare(str(path), models=["gan", "vae", "gaussian", "gmm"], out=out / "cmp", **TINY)
    return out / "cmp", rows


def test_every_model_is_scored_on_the_same_holdout(comparison):
    out, rows = comparison
    for r in rows:
        assert 0.0 < r["quality_score"] <= 1.0 and 0.0 <= r["ml_f1_synthetic"] <= 1.0
        assert r["exact_copies"] >= 0 and r["dcr_ratio"] > 0 and 0 <= r["membership_auc"] <= 1
    assert len({r["ml_f1_real"] for r in rows}) == 1  # the same real rows trained and tested the reference
    evaluation = json.loads((out / "gan" / "evaluation.json").read_text())
    assert evaluation["ml_target"] == "label" and evaluation["samples"] == 2000
    assert json.loads((out / "gan" / "summary.json").read_text())["quality_score"] == rows[0]["quality_score"]
    table = (out / "comparison.md").read_text()
    assert "quality_score" in table and "ml_f1_synthetic" in table and "minority class" in table
    assert "membership_auc" in table and "membership-inference" in table


def test_the_gaussian_fit_is_one_gaussian_per_column_not_a_mixture(comparison):
    # The bimodal column has modes at -3 and 4 and nothing near 0.5; one Gaussian per column puts
    # about a fifth of its mass there, a mode-specific encoding would not.
    out, _ = comparison
    run = api.load(out / "gaussian")
    samples = run.sample(4000, seed=0)
    between = np.abs(samples["bimodal"].to_numpy(dtype=float) - 0.5) < 1.0
    assert between.mean() > 0.1
    assert set(samples["colour"]) <= {"red", "green", "blue", "violet"}
    assert pd.api.types.is_integer_dtype(samples["count"])


def test_report_shows_each_models_columns(comparison):
    out, _ = comparison
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64") == 4


def test_a_label_is_refused_for_a_table(comparison):
    from ganforge.errors import UserError

    out, _ = comparison
    with pytest.raises(UserError, match="where="):
        api.load(out / "gan").sample(10, label=1)
