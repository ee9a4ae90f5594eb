"""benchmarks/tabular.py --smoke runs every synthesizer end to end and reports every promised figure."""

import math
from pathlib import Path

import pytest
from bench_kit import run_smoke

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("ganforge", "independent", "ctgan", "sdv-gaussiancopula", "sdv-ctgan", "sdv-tvae")
FIGURES = ("fit_seconds", "quality_score", "column_shapes", "column_pair_trends", "detection_auc",
           "detection_score", "ml_f1_synthetic", "ml_f1_real", "dcr_synthetic_median", "dcr_holdout_median",
           "dcr_ratio", "exact_copies")
PIMA = ROOT.parent / "shared" / "datasets" / "pima-diabetes.csv"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    pytest.importorskip("sdv", reason="the bench extra: pip install -c constraints.txt -e '.[bench]'")
    pytest.importorskip("ctgan", reason="the bench extra")
    if not PIMA.is_file():
        pytest.skip(f"the benchmark reads {PIMA}")
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    return run_smoke("tabular.py", out=out)


@pytest.mark.slow
def test_every_model_reports_every_figure(smoke):
    pima = smoke["pima"]
    assert smoke["smoke"] is True and smoke["threads"] == 1 and pima["seeds"] == 1
    assert set(pima["models"]) == set(MODELS)
    for model in MODELS:
        figures = pima["models"][model]
        for key in FIGURES:
            assert key in figures and math.isfinite(figures[key]["mean"]), (model, key)
        assert 0.4 <= figures["detection_auc"]["mean"] <= 1.0
        assert 0 < figures["quality_score"]["mean"] <= 1
        for column in pima["point_mass_columns"]:  # each point-mass column's shape score, per model
            assert 0 <= figures[f"shape:{column}"]["mean"] <= 1


@pytest.mark.slow
def test_the_floors_and_targets_read_as_expected(smoke):
    pima = smoke["pima"]
    assert "Insulin" in pima["point_mass_columns"]  # 49% zeros standing for a missing measurement
    # One split for all: the real rows' F1 is the same figure for every model.
    assert len({round(pima["models"][m]["ml_f1_real"]["mean"], 9) for m in MODELS}) == 1
    independent = pima["models"]["independent"]
    assert independent["column_shapes"]["mean"] > 0.85  # its marginals are the real ones
    assert independent["ml_f1_synthetic"]["mean"] < independent["ml_f1_real"]["mean"]  # no relation to the label
    targets = pima["targets"]
    assert {"quality_at_least_0.93", "f1_within_0.02_of_real", "beats_sdv-tvae", "fit_time_at_most_tvae",
            "shape_Insulin_at_least_0.98"} <= set(targets)
    assert all(isinstance(v, bool) for v in targets.values())
