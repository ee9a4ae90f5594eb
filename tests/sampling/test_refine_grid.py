"""Refining a --grid run: its generator mixture's samples judged by the best cell's saved D."""

import json

import pytest

from cli_kit import assert_user_error, cli
from ganforge.config import TrainConfig
from ganforge.launch import train

TINY = {"data": "ring8", "grid": "2x2", "generations": 8, "batches_per_generation": 2, "batch_size": 32,
        "generator_hidden": [16, 16], "discriminator_hidden": [16, 16], "eval_samples": 200, "seed": 3}


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("grid") / "run"
    train(TrainConfig.from_dict(TINY), out=out, progress=False)
    return out


@pytest.mark.parametrize("method", ["drs", "mh"])
def test_a_grid_run_is_refined_with_its_best_cells_discriminator(capsys, grid_run, tmp_path, method):
    code, out, err = cli(capsys, "sample", grid_run, "-n", "300", "-o", tmp_path / "s.csv", "--refine", method)
    assert code == 0, err
    assert f"{method}: acceptance rate" in out
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 301
    assert json.loads((grid_run / "calibration.json").read_text())["step"] >= 1


def test_langevin_on_a_mixture_is_refused(capsys, grid_run, tmp_path):
    result = cli(capsys, "sample", grid_run, "-n", "10", "-o", tmp_path / "s.csv", "--refine", "langevin")
    assert_user_error(result, "a --grid run samples a mixture (use drs or mh)")
