"""benchmarks/dp_tables.py --smoke trains Pima without DP and with DP at the same steps and reports every figure."""

import math
from pathlib import Path

import pytest
from bench_kit import run_smoke

ROOT = Path(__file__).resolve().parents[2]
PIMA = ROOT.parent / "shared" / "datasets" / "pima-diabetes.csv"


@pytest.mark.slow
def test_smoke_reports_speed_quality_and_the_epsilon_spent(tmp_path):
    if not PIMA.is_file():
        pytest.skip(f"the benchmark reads {PIMA}")
    result = run_smoke("dp_tables.py", out=tmp_path / "smoke.json")
    assert result["smoke"] is True and result["seeds"] == 1 and result["epsilons"] == [3.0]
    settings = result["settings"]
    assert set(settings) == {"no DP", "no DP, pack 1", "epsilon 3"}
    for name, figures in settings.items():
        for key in ("steps_per_second", "quality_score", "detection_auc", "ml_f1_synthetic"):
            assert math.isfinite(figures[key]["mean"]), (name, key)
        assert figures["steps"]["mean"] == result["steps"]
    assert 2.99 <= settings["epsilon 3"]["epsilon_spent"]["mean"] <= 3.0
