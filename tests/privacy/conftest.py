"""A small table for the DP tests: two continuous columns, a 3-valued category with missing values, a label."""

import numpy as np
import pandas as pd
import pytest


def small_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(50, 12, n).round(1)
    dose = np.where(rng.random(n) < 0.3, 0.0, rng.gamma(2.0, 3.0, n)).round(2)
    ward = rng.choice(["A", "B", "C"], size=n, p=[0.6, 0.3, 0.1]).astype(object)
    ward[rng.random(n) < 0.05] = None
    label = (age + rng.normal(0, 10, n) > 50).astype(int)
    return pd.DataFrame({"age": age, "dose": dose, "ward": ward, "label": label})


@pytest.fixture(scope="session")
def table() -> pd.DataFrame:
    return small_table()


@pytest.fixture(scope="session")
def table_csv(tmp_path_factory, table):
    path = tmp_path_factory.mktemp("dp") / "patients.csv"
    table.to_csv(path, index=False)
    return path
