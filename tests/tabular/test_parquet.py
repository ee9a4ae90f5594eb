"""Parquet tables: a round trip keeps every dtype; training from a .parquet and sampling into one; a file that is not Parquet."""

import numpy as np
import pandas as pd
import pytest

from ganforge.api import GAN, load
from ganforge.data.dataset import load_dataset
from ganforge.io import write_samples
from cli_kit import assert_user_error, cli

TINY = {"steps": 20, "batch_size": 64, "generator_hidden": [32, 32], "discriminator_hidden": [32, 32],
        "log_every": 10, "eval_samples": 200}


def typed_table(n: int = 300) -> pd.DataFrame:
    """One column of each dtype a table holds, most with missing values."""
    rng = np.random.default_rng(0)
    every = np.arange(n)
    return pd.DataFrame({
        "count": rng.integers(0, 50, n),
        "count_missing": pd.array(np.where(every % 9 == 0, None, every % 40), dtype="Int64"),
        "amount": np.where(every % 7 == 0, np.nan, rng.normal(10, 3, n).round(3)),
        "flag": every % 3 == 0,
        "flag_missing": pd.array(np.where(every % 11 == 0, None, every % 2 == 0), dtype="boolean"),
        "colour": np.where(every % 5 == 0, None, rng.choice(["red", "green", "blue"], n)).astype(object),
        "day": pd.to_datetime("2024-01-01") + pd.to_timedelta(every % 60, unit="D"),
        "day_missing": (pd.to_datetime("2024-01-01") + pd.to_timedelta(every % 30, unit="h")).where(every % 13 != 0),
    })


def test_parquet_round_trip_keeps_dtypes_and_missing_values(tmp_path):
    table = typed_table()
    write_samples(table, tmp_path / "t.parquet")
    back = load_dataset(str(tmp_path / "t.parquet")).table
    assert back.dtypes.to_dict() == table.dtypes.to_dict()
    assert back.isna().sum().to_dict() == table.isna().sum().to_dict() and back["colour"].isna().sum() == 60
    pd.testing.assert_frame_equal(back, table)
    assert not list(tmp_path.glob(".*partial"))  # the temporary file was moved into place


@pytest.fixture(scope="module")
def parquet_run(tmp_path_factory, make_table):
    root = tmp_path_factory.mktemp("parquet")
    table = make_table(400, seed=2)
    table["day"] = pd.to_datetime("2024-03-01") + pd.to_timedelta(np.arange(400) % 90, unit="D")
    table.loc[::6, "bimodal"] = np.nan
    table.to_parquet(root / "train.parquet")
    GAN(**TINY, seed=0).fit(str(root / "train.parquet"), out=root / "run", progress=False)
    return root


def test_fit_on_a_parquet_file_samples_its_dtypes(parquet_run):
    gan = load(parquet_run / "run")
    real = pd.read_parquet(parquet_run / "train.parquet")
    rows = gan.sample(500, seed=1)
    assert list(rows.columns) == list(real.columns) and rows.dtypes.to_dict() == real.dtypes.to_dict()
    assert rows["bimodal"].isna().any() and rows["colour"].isin(real["colour"].unique()).all()


def test_sample_to_parquet_equals_the_samples(capsys, parquet_run, tmp_path):
    code, out, err = cli(capsys, "sample", parquet_run / "run", "-n", "700", "--seed", "4", "-o", tmp_path / "s.parquet")
    assert code == 0, err
    written = pd.read_parquet(tmp_path / "s.parquet")
    pd.testing.assert_frame_equal(written, load(parquet_run / "run").sample(700, seed=4))


def test_train_from_parquet_on_the_command_line(capsys, parquet_run, tmp_path):
    code, out, err = cli(capsys, "train", "--data", parquet_run / "train.parquet", "--out", tmp_path / "run",
                         "--steps", "10", "--batch-size", "64", "--log-every", "5", "--eval-samples", "200", "-q")
    assert code == 0, err
    assert (tmp_path / "run" / "summary.json").is_file()


def test_a_parquet_name_that_is_not_parquet_is_one_line_error(capsys, parquet_run, tmp_path):
    (tmp_path / "fake.parquet").write_text("a,b\n1,2\n3,4\n")
    before = (parquet_run / "run" / "summary.json").read_bytes()
    result = cli(capsys, "train", "--data", tmp_path / "fake.parquet", "--out", parquet_run / "run", "--overwrite",
                 "--steps", "5")
    assert_user_error(result, "fake.parquet", "not a readable Parquet file")
    assert (parquet_run / "run" / "summary.json").read_bytes() == before  # the earlier run untouched
    assert_user_error(cli(capsys, "train", "--data", tmp_path / "none.parquet", "--out", tmp_path / "r"),
                      "does not exist")
