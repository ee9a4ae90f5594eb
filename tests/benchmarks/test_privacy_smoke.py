"""benchmarks/privacy.py --smoke trains ganforge without and with DP and reports every promised figure."""

import math
from pathlib import Path

import pytest
from bench_kit import run_smoke

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ("fit_seconds", "quality_score", "detection_auc", "ml_f1_synthetic", "ml_f1_real", "dcr_ratio",
           "membership_auc", "membership_auc_dcr", "membership_auc_domias", "membership_tpr_at_fpr_0.01")
PIMA = ROOT.parent / "shared" / "datasets" / "pima-diabetes.csv"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    if not PIMA.is_file():
        pytest.skip(f"the benchmark reads {PIMA}")
    return run_smoke("privacy.py", out=tmp_path_factory.mktemp("bench") / "privacy.json", timeout=300)


@pytest.mark.slow
def test_every_row_reports_every_figure(smoke):
    pima = smoke["pima"]
    assert smoke["smoke"] is True and pima["seeds"] == 1 and pima["epsilons"] == [3.0]
    assert set(pima["rows"]) == {"no_dp", "epsilon_3"}
    for row, figures in pima["rows"].items():
        for key in FIGURES:
            assert key in figures and math.isfinite(figures[key]["mean"]), (row, key)
        assert 0 <= figures["membership_auc"]["mean"] <= 1 and 0 < figures["quality_score"]["mean"] <= 1
        assert figures["membership_auc"]["mean"] == max(figures["membership_auc_dcr"]["mean"],
                                                        figures["membership_auc_domias"]["mean"])
    # One split for both rows: the real rows' F1 and the audit's sizes are the same figures.
    assert pima["rows"]["no_dp"]["ml_f1_real"] == pima["rows"]["epsilon_3"]["ml_f1_real"]
    assert pima["runs"]["no_dp"][0]["membership_members"] == pima["test_rows"]  # 154 held-out rows, fewer than 614
    assert "tells training rows from held-out ones" in pima["runs"]["epsilon_3"][0]["membership_verdict"]


@pytest.mark.slow
def test_the_private_row_states_its_budget_and_the_targets(smoke):
    pima = smoke["pima"]
    private = pima["rows"]["epsilon_3"]
    assert 0 < private["epsilon_spent"]["mean"] <= 3 + 1e-6 and 0 < private["delta"]["mean"] < 1
    assert "epsilon_spent" not in pima["rows"]["no_dp"]
    assert pima["targets"].keys() == {"membership_auc_at_most_0.55_at_epsilon_3"}  # Adult's F1 and quality: Adult only
    assert all(isinstance(v, bool) for v in pima["targets"].values())
