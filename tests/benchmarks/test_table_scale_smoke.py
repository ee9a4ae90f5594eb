"""benchmarks/table_scale.py --smoke runs end to end and its JSON carries every figure it promises, per size."""

import sys
from pathlib import Path

import pytest
from bench_kit import run_smoke

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ["rows", "columns", "encoder_fit_seconds", "fit_seconds", "steps", "steps_per_second", "rows_per_second",
           "steps_per_second_vs_reference", "rows_per_second_vs_reference", "peak_rss_fit_mb", "sample_rows",
           "sampling_seconds", "peak_rss_sampling_mb"]


@pytest.mark.slow
def test_smoke_mode_reports_every_figure(tmp_path):
    result = run_smoke("table_scale.py", out=tmp_path / "scale.json")
    assert result["smoke"] and result["reference_rows"] == 1_000
    assert [size["rows"] for size in result["sizes"]] == [1_000, 2_000]
    for size in result["sizes"]:
        assert "error" not in size, size
        assert [key for key in FIGURES if key not in size] == []
        assert size["columns"] == 20 and size["steps"] == result["steps"] and size["sample_rows"] == result["sample_rows"]
        assert size["encoder_fit_seconds"] > 0 and size["sampling_seconds"] > 0 and size["peak_rss_fit_mb"] > 50
        assert size["rows_per_second"] == pytest.approx(size["steps_per_second"] * size["batch_size"])
    reference = result["sizes"][0]
    assert reference["steps_per_second_vs_reference"] == 1.0
    assert result["sizes"][1]["steps_per_second_vs_reference"] == pytest.approx(
        result["sizes"][1]["steps_per_second"] / reference["steps_per_second"])


def test_the_table_is_seeded_with_twenty_mixed_columns():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from table_scale import make_table

    table = make_table(3_000, seed=4, zipf_levels=5_000)
    assert table.shape == (3_000, 20) and table.equals(make_table(3_000, seed=4, zipf_levels=5_000))
    assert 0.75 < (table["gain"] == 0).mean() < 0.85  # the point mass at zero
    assert table["score"].isna().any() and table["opted_in"].isna().any() and table["device"].isna().any()
    assert str(table["member"].dtype) == "bool" and str(table["joined"].dtype).startswith("datetime64")
    counts = table["postcode"].value_counts()
    assert counts.index[0] == "Z00000" and 200 < len(counts) < 3_000  # Zipf: a heavy head, a long tail
