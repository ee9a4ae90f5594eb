"""The launch layer: ganforge.launch.train routes a grid to co-evolution and a plain config to the trainer."""

import pytest

from ganforge.config import TrainConfig
from ganforge.launch import train
from ganforge.training import run as engine

TINY = {"steps": 4, "log_every": 2, "eval_samples": 100, "batch_size": 16, "generator_hidden": [8],
        "discriminator_hidden": [8]}


def test_a_grid_config_trains_a_grid_and_a_plain_one_a_single_model():
    grid = train(TrainConfig.from_dict({**TINY, "grid": "2x2", "generations": 1, "batches_per_generation": 2}),
                 progress=False)
    assert grid.summary["generations"] == 1 and len(grid.summary["mixture"]["weights"]) >= 1
    single = train(TrainConfig.from_dict(TINY), progress=False)
    assert single.summary["steps"] == 4 and "generations" not in single.summary


def test_the_engine_refuses_a_grid_rather_than_train_one_model_silently():
    with pytest.raises(ValueError, match="ganforge.launch.train"):
        engine.train(TrainConfig.from_dict({**TINY, "grid": "2x2"}), progress=False)
