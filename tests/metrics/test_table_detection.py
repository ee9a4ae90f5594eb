"""The detection metric: a classifier cannot tell two samples of one table apart, and tells a shifted column."""

import numpy as np
import pandas as pd
import pytest

from ganforge.data.tabular import infer_columns
from ganforge.metrics.table_detection import detection_auc, detection_score


def table(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n)
    income = np.where(rng.random(n) < 0.3, np.nan, rng.lognormal(10, 1, n))  # 30% missing
    job = rng.choice(["clerk", "nurse", "farmer", "teacher"], n, p=[0.4, 0.3, 0.2, 0.1])
    return pd.DataFrame({"age": age + shift * 10, "income": income, "job": job,
                         "married": rng.random(n) < 0.5 + 0.002 * (age - 40)})


COLUMNS = infer_columns(table(500, 0))


def test_two_samples_of_one_distribution_are_indistinguishable():
    auc = detection_auc(table(4000, 1), table(4000, 2), COLUMNS, seed=0)
    assert abs(auc - 0.5) <= 0.05, auc
    assert detection_score(auc) > 0.9


def test_a_shifted_column_is_told_apart():
    auc = detection_auc(table(4000, 1), table(4000, 2, shift=2.0), COLUMNS, seed=0)
    assert auc > 0.9, auc
    assert detection_score(auc) < 0.2


def test_a_category_drawn_at_other_frequencies_is_told_apart():
    synthetic = table(4000, 2)
    synthetic["job"] = np.random.default_rng(3).choice(["clerk", "nurse", "farmer", "teacher"], 4000,
                                                              p=[0.1, 0.1, 0.4, 0.4])  # the real: 0.4, 0.3, 0.2, 0.1
    auc = detection_auc(table(4000, 1), synthetic, COLUMNS, seed=0)
    assert auc > 0.65, auc


def test_score_formula_by_hand():
    assert detection_score(0.5) == 1.0 and detection_score(0.3) == 1.0  # below chance counts as chance
    assert detection_score(0.75) == pytest.approx(0.5) and detection_score(1.0) == 0.0


def test_same_seed_same_auc():
    real, synthetic = table(1000, 1), table(1000, 2, shift=0.3)
    assert detection_auc(real, synthetic, COLUMNS, seed=4) == detection_auc(real, synthetic, COLUMNS, seed=4)
