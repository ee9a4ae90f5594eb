"""Numeric options and too-small data through the CLI: one `error:` line, or one `warning:` line."""

import numpy as np
import pandas as pd
import pytest
import torch

from cli_kit import assert_user_error, cli
from ganforge.data.dataset import Dataset
from ganforge.data.small import MIN_IMAGES, MIN_TABLE_ROWS, small_data_message

TINY = ["--steps", "3", "--log-every", "3", "--eval-samples", "64", "--batch-size", "16", "-q"]


@pytest.mark.parametrize("args, needle", [
    (["--threads", "0"], "--threads must be > 0, got 0"),
    (["--threads", "-2"], "--threads must be > 0, got -2"),
    (["--seed", "-1"], "--seed must be in [0, 2**32), got -1"),
    (["--seed", str(2**32)], f"--seed must be in [0, 2**32), got {2**32}"),
    (["--checkpoint-every", "0"], "--checkpoint-every must be > 0"),
    (["--latent-dim", "-1"], "--latent-dim must be >= 0"),
    (["--batches-per-generation", "0"], "--batches-per-generation must be > 0"),
    (["--data-fraction", "0"], "--data-fraction must be in (0, 1]"),
    (["--lr-generator", "nan"], "--lr-generator must be a finite number"),
])
def test_train_rejects_a_bad_number_in_one_line(capsys, tmp_path, args, needle):
    assert_user_error(cli(capsys, "train", "--data", "ring8", "--out", tmp_path / "run", *args), needle)
    assert not (tmp_path / "run").exists()


def test_a_bad_number_in_a_config_file_is_one_line_too(capsys, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("threads: 0\n")
    assert_user_error(cli(capsys, "train", "--config", config, "--out", tmp_path / "run"), "--threads must be > 0")


@pytest.mark.parametrize("command", [
    ["sample", "RUN", "-n", "5", "-o", "OUT.csv", "--seed", "-3"],
    ["evaluate", "RUN", "--seed", "-3"],
    ["compare", "RUN", "RUN", "--seed", "-3"],
])
def test_sampling_seeds_are_checked_before_anything_is_read(capsys, tmp_path, command):
    args = [str(tmp_path / a) if a in ("RUN", "OUT.csv") else a for a in command]
    assert_user_error(cli(capsys, *args), "--seed must be in [0, 2**32), got -3")


def test_a_two_row_table_trains_with_one_warning(capsys, tmp_path):
    path = tmp_path / "two.csv"
    pd.DataFrame({"age": [31, 58], "group": ["a", "b"]}).to_csv(path, index=False)
    code, _, err = cli(capsys, "train", "--data", path, "--out", tmp_path / "run", *TINY)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, err
    assert "only 2 rows" in warnings[0] and "not how the columns vary together" in warnings[0]
    assert "Traceback" not in err and "DataWarning" not in err


def test_twenty_images_train_with_one_warning(capsys, tmp_path):
    path = tmp_path / "few.npz"
    np.savez(path, images=np.random.default_rng(0).random((20, 1, 8, 8)))
    code, _, err = cli(capsys, "train", "--data", path, "--out", tmp_path / "run", *TINY)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "only 20 images" in warnings[0], err


def test_the_size_limits_sit_where_the_messages_say():
    def table(n):
        return Dataset(name="t", dim=1, table=pd.DataFrame({"x": np.arange(n, dtype=float)}))

    def images(n):
        return Dataset(name="i", dim=64, images=torch.zeros(n, 1, 8, 8))

    assert f"only {MIN_TABLE_ROWS - 1} rows" in small_data_message(table(MIN_TABLE_ROWS - 1))
    assert small_data_message(table(MIN_TABLE_ROWS)) is None
    assert f"only {MIN_IMAGES - 1} images" in small_data_message(images(MIN_IMAGES - 1))
    assert small_data_message(images(MIN_IMAGES)) is None
    assert small_data_message(Dataset(name="p", dim=2, points=torch.zeros(3, 2))) is None
