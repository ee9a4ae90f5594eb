"""A training budget in epochs: passes over the rows, turned into steps for the table at hand."""

import numpy as np
import pandas as pd
import pytest

from ganforge.config import TrainConfig
from ganforge.data.tabular import table_dataset
from ganforge.defaults import EPOCH_STEP_BOUNDS
from ganforge.errors import UserError
from ganforge.training.state import new_run


def rows(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n).round(3), "kind": rng.choice(["a", "b"], n)})


def steps_of(options: dict, n: int) -> int:
    return new_run(TrainConfig.from_dict(options), table_dataset(rows(n), "t")).config.steps


def test_the_users_epochs_are_exact_passes_over_the_rows():
    assert steps_of({"epochs": 2, "batch_size": 200}, 1000) == 10
    assert steps_of({"epochs": 0.5, "batch_size": 64}, 1000) == 8  # ceil(500 / 64)


def test_a_tables_default_budget_follows_its_rows_within_bounds():
    low, high = EPOCH_STEP_BOUNDS
    assert steps_of({}, 500) == low  # a small table still trains long enough
    defaults = new_run(TrainConfig.from_dict({}), table_dataset(rows(50_000), "t")).config
    assert low < defaults.steps == int(np.ceil(defaults.epochs * 50_000 / defaults.batch_size)) <= high


def test_the_users_steps_win_over_the_default_epochs():
    assert steps_of({"steps": 7}, 1000) == 7


def test_steps_and_epochs_together_are_refused():
    with pytest.raises(UserError, match="--steps or --epochs"):
        steps_of({"steps": 7, "epochs": 3}, 1000)


def test_epochs_must_not_be_negative():
    with pytest.raises(UserError, match="--epochs"):
        TrainConfig.from_dict({"epochs": -1})
