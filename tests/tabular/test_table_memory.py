"""A table too large for memory even compactly: one line naming the size it needs, before an earlier run is
touched; and an identifier column of a million values is still refused, from one pass over it."""

import numpy as np
import pandas as pd
import pytest

import ganforge.data.table_memory as memory
from ganforge.data.tabular import infer_columns, prepare_table
from ganforge.errors import UserError
from cli_kit import assert_user_error, cli


def test_needed_bytes_counted_by_hand():
    # (1,000,000 rows + a batch of 500) x 20 columns x 8 bytes
    assert memory.needed_bytes(1_000_000, 20, 500) == 160_080_000
    assert memory.size_text(3 * 2**30) == "3.0 GB" and memory.size_text(25_536) == "24.9 KB"


def test_available_memory_is_read_on_this_machine():
    free = memory.available_bytes()
    assert free is not None and 2**20 < free < 2**50


def test_too_large_is_refused_before_an_earlier_run_is_touched(capsys, tmp_path, monkeypatch):
    (tmp_path / "t.csv").write_text("a,b,c\n" + "".join(f"{i},{i % 3},{i * 0.5}\n" for i in range(1000)))
    args = ["train", "--data", tmp_path / "t.csv", "--out", tmp_path / "run", "--steps", "4", "--log-every", "4",
            "--batch-size", "64", "--eval-samples", "200", "-q"]
    code, _, err = cli(capsys, *args)
    assert code == 0, err
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()}
    monkeypatch.setattr(memory, "available_bytes", lambda: 20_000)  # (1000 + 64) x 3 x 8 = 25,536 bytes needed
    err = assert_user_error(cli(capsys, *args, "--overwrite"), "needs about 24.9 KB", "1,000 rows x 3 columns",
                            "train on a sample of its rows")
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()} == before
    monkeypatch.setattr(memory, "available_bytes", lambda: 30_000)
    assert cli(capsys, *args, "--overwrite")[0] == 0


def test_a_million_distinct_strings_is_an_identifier():
    n = 1_000_000
    frame = pd.DataFrame({"customer": [f"C{i:07d}" for i in range(n)], "spend": np.arange(n) % 97 * 1.5})
    table = prepare_table(frame, copy=False)
    assert table["customer"].iloc[12] == "C0000012"  # kept as text (not mistaken for dates or booleans)
    with pytest.raises(UserError, match=r"'customer' looks like an identifier \(1000000 distinct.*drop it"):
        infer_columns(table)


def test_a_parquet_file_too_large_is_refused_from_its_footer(capsys, tmp_path, monkeypatch):
    pd.DataFrame({"a": np.arange(5000), "b": np.arange(5000) % 7}).to_parquet(tmp_path / "t.parquet")
    monkeypatch.setattr(memory, "available_bytes", lambda: 50_000)  # 5000 x 2 x 8 = 80,000 bytes needed
    assert_user_error(cli(capsys, "train", "--data", tmp_path / "t.parquet", "--out", tmp_path / "run"),
                      "needs about 78.1 KB", "5,000 rows x 2 columns")
    assert not (tmp_path / "run").exists()
