"""benchmarks/robustness.py --smoke runs and reports, for the grid and the single GAN, the failed share and the median and worst figures."""

from bench_kit import run_smoke


def test_robustness_smoke_reports_both_sides_over_its_seeds():
    result = run_smoke("robustness.py", timeout=300)
    assert result["benchmark"] == "robustness" and result["smoke"] is True
    runs = result["runs"]
    assert sorted((r["kind"], r["seed"]) for r in runs) == [("grid", 0), ("grid", 1), ("single", 0), ("single", 1)]
    for kind in ("grid", "single"):
        verdict, own = result[kind], [r for r in runs if r["kind"] == kind]
        assert verdict["seeds"] == 2
        assert verdict["failed_seeds"] == sum(r["modes_covered"] < r["modes_total"] for r in own)
        assert verdict["failed_share"] == verdict["failed_seeds"] / 2
        assert verdict["modes_covered"]["worst"] == min(r["modes_covered"] for r in own)
        assert verdict["js_divergence"]["worst"] == max(r["js_divergence"] for r in own)
    assert result["grid_fails_less"] == (result["grid"]["failed_share"] < result["single"]["failed_share"])
    setting = result["setting"]
    assert setting["single_batch_size"] == setting["batch_size"] * setting["processes"]
