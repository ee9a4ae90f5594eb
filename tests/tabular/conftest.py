"""Small constructed tables with known column laws, shared by the table tests."""

import numpy as np
import pandas as pd
import pytest


def constructed_table(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """A bimodal continuous column, a skewed integer, a 5% rare category, a label, a constant."""
    rng = np.random.default_rng(seed)
    left = rng.random(n) < 0.5
    bimodal = np.where(left, rng.normal(-3.0, 0.5, n), rng.normal(4.0, 0.8, n)).round(2)
    skewed = np.minimum(rng.geometric(0.3, n) - 1, 20)  # 0, 1, 2, ... with a long right tail
    colour = rng.choice(["red", "green", "blue", "violet"], size=n, p=[0.55, 0.25, 0.15, 0.05])
    label = (bimodal > 0).astype(int) ^ (rng.random(n) < 0.1)
    return pd.DataFrame({"bimodal": bimodal, "count": skewed, "colour": colour, "label": label.astype(int),
                         "site": "north"})


@pytest.fixture(scope="session")
def table() -> pd.DataFrame:
    return constructed_table()


@pytest.fixture(scope="session")
def make_table():
    """The constructor itself, for tests that need other sizes or seeds."""
    return constructed_table
