"""benchmarks/refine.py --smoke trains ring8 and Pima briefly and reports every sampler's figures and cost."""

import math
from pathlib import Path

import pytest
from bench_kit import run_smoke

ROOT = Path(__file__).resolve().parents[2]
PIMA = ROOT.parent / "shared" / "datasets" / "pima-diabetes.csv"
METHODS = ("drs", "mh", "langevin")
COST = ("acceptance_rate", "proposals_per_sample", "samples_per_second")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    if not PIMA.is_file():
        pytest.skip(f"the benchmark reads {PIMA}")
    out = tmp_path_factory.mktemp("bench") / "refine.json"
    return run_smoke("refine.py", out=out)


@pytest.mark.slow
def test_every_sampler_reports_its_figures_and_cost_beside_plain_sampling(smoke):
    assert smoke["smoke"] is True and smoke["threads"] == 1 and smoke["methods"] == list(METHODS)
    expected = {"ring8": ("toy", ("modes_covered", "high_quality_fraction", "reverse_kl")),
                "pima": ("table", ("quality_score", "detection_auc", "ml_f1_synthetic"))}
    assert set(smoke["datasets"]) == set(expected)
    for name, (kind, figures) in expected.items():
        entry = smoke["datasets"][name]
        assert entry["kind"] == kind and entry["seeds"] == [1]
        run = entry["runs"][0]
        for method in METHODS:
            for key in figures:
                assert math.isfinite(run["plain"][key]) and math.isfinite(run[method][key]), (name, method, key)
            assert 0 < run[method]["acceptance_rate"] <= 1 and run[method]["samples_per_second"] > 0
            assert set(COST) <= set(run[method]) and "ece_after" in run[method]
            assert set(entry["summary"][method]) >= set(figures)
        assert all(isinstance(v, bool) for v in entry["targets"].values()) and entry["targets"]
