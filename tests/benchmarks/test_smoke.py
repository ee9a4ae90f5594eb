"""Every benchmark script (tabular.py's smoke belongs to its owner) runs in its --smoke mode and prints the JSON figures it promises."""

from pathlib import Path

import pytest
from bench_kit import run_smoke

ROOT = Path(__file__).resolve().parents[2]


def smoke(script: str, *args, cwd: Path = ROOT) -> dict:
    """The JSON that `python benchmarks/SCRIPT --smoke ARGS` prints (run from the repository root)."""
    return run_smoke(script, *args, cwd=cwd, timeout=300)


def finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) < 1e300


def test_toy_smoke_carries_the_mode_figures():
    result = smoke("toy.py")
    assert result["benchmark"] == "toy" and result["smoke"] is True
    (run,) = result["runs"]
    assert run["dataset"] == "ring8" and run["steps"] == 40
    ring8 = result["datasets"]["ring8"]
    for key in ("modes_covered", "high_quality_fraction", "reverse_kl", "js_divergence", "wall_seconds"):
        assert finite(ring8[key]["mean"]), key
    assert ring8["modes_total"]["mean"] == 8
    assert isinstance(ring8["targets_met"], bool) and isinstance(result["all_targets_met"], bool)


def test_overhead_smoke_carries_the_ratio():
    result = smoke("overhead.py")
    assert result["benchmark"] == "overhead" and result["steps"] == 40 and result["rounds"] == 1
    for side in ("ours", "bare"):
        for key in ("steps_per_second_end_to_end", "steps_per_second_loop"):
            assert result[side][key]["median"] > 0, (side, key)
    ratio = result["ratio"]
    assert ratio["end_to_end"] > 0 and ratio["loop"] > 0 and ratio["target"] == 0.95
    assert ratio["target_met"] == (ratio["end_to_end"] >= 0.95)


@pytest.mark.slow
def test_images_smoke_scores_both_models(tmp_path):
    result = smoke("images.py", "--work", tmp_path)
    assert result["benchmark"] == "images" and result["eval_samples"] == 256
    for side in ("ganforge", "reference"):
        (run,) = result[side]["runs"]
        assert run["steps"] >= 1 and run["images_per_second"] > 0
        for key in ("fid", "kid", "precision", "recall", "density", "coverage", "class_tvd"):
            assert finite(run[key]), (side, key)
        assert 1 <= run["classes_present"] <= 10
    assert finite(result["ratios"]["fid"]) and finite(result["ratios"]["images_per_second"])
    assert set(result["target_met"]) == {"fid_ratio", "class_tvd", "images_per_second_ratio"}


@pytest.mark.slow
def test_coevolution_smoke_has_quality_mnist_and_scaling():
    result = smoke("coevolution.py")
    assert result["benchmark"] == "coevolution"
    mean = result["quality"]["mean"]
    assert set(mean) == {"single", "equal_total", "equal_per_lineage"}
    for setting in mean.values():
        for figures in setting.values():
            for key in ("modes_covered", "high_quality_fraction", "reverse_kl", "js_divergence"):
                assert finite(figures[key]), key
    mnist = result["mnist"]["mean"]
    assert set(mnist) == {"single", "equal_total"}
    assert all(finite(figures["fid"]) and finite(figures["class_tvd"]) for s in mnist.values() for figures in s.values())
    scaling = result["scaling"]
    assert scaling["generations_per_second"]["1"] > 0 and scaling["generations_per_second"]["2"] > 0
    assert finite(scaling["speedup"]) and scaling["target_met"] == (scaling["speedup"] >= 1.7)


def test_startup_smoke_times_the_commands_against_bare_python():
    result = smoke("startup.py")
    assert result["benchmark"] == "startup" and result["rounds"] == 2
    commands = result["commands"]
    assert set(commands) == {"python -c pass", "ganforge --help", "ganforge datasets"}
    for name, figures in commands.items():
        assert len(figures["rounds"]) == 2 and all(t > 0 for t in figures["rounds"]), name
        assert figures["over_bare_python"] == figures["median_seconds"] - commands["python -c pass"]["median_seconds"]
    assert set(result["target_met"]) == {"ganforge --help", "ganforge datasets"} and result["target_seconds"] == 0.5
