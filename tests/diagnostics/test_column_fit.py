"""The table diagnosis: a broken column or a lost relation is named with its figure; a healthy table is silent."""

import numpy as np
import pandas as pd

from ganforge.data.tabular import infer_columns
from ganforge.diagnostics.column_fit import column_fit_findings
from ganforge.diagnostics.explain import explain


def census(n: int, seed: int) -> pd.DataFrame:
    """92% zeros then a long tail (capital-gain), a correlated pair, a category, 10% missing hours."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 12, n).round()
    gain = np.where(rng.random(n) < 0.92, 0.0, rng.lognormal(8, 1, n).round())
    hours = np.where(rng.random(n) < 0.1, np.nan, (20 + 0.5 * age + rng.normal(0, 3, n)).round())
    return pd.DataFrame({"age": age, "capital-gain": gain, "hours": hours,
                         "sex": rng.choice(["Female", "Male"], n, p=[0.33, 0.67])})


REAL = census(5000, 0)
COLUMNS = infer_columns(REAL)


def test_silent_on_a_healthy_table():
    assert column_fit_findings(REAL, census(2000, 1), COLUMNS, step=3000) == []


def test_a_lost_point_mass_is_named_with_its_shares():
    broken = census(2000, 1)
    spread = broken["capital-gain"].to_numpy().copy()
    zeros = np.flatnonzero(spread == 0)
    spread[zeros[: len(zeros) // 2]] = np.random.default_rng(2).uniform(1, 400, len(zeros) // 2)  # half the zeros smeared
    broken["capital-gain"] = spread
    findings = column_fit_findings(REAL, broken, COLUMNS, step=3000, steps=3000)
    assert [f["kind"] for f in findings] == ["column_fit"]
    message = findings[0]["message"]
    assert "1 column of 4 fits badly: capital-gain:" in message
    share = (broken["capital-gain"] == 0).mean()
    assert f"{100 * share:.0f}% zeros generated against {100 * (REAL['capital-gain'] == 0).mean():.0f}% real" in message
    assert "age" not in message and "--steps 6000" in message


def test_a_shifted_column_a_wrong_category_and_missing_values_are_each_said():
    broken = census(2000, 1)
    broken["age"] = broken["age"] + 15
    broken["sex"] = "Male"
    broken["hours"] = broken["hours"].fillna(40.0)
    message = column_fit_findings(REAL, broken, COLUMNS, step=10)[0]["message"]
    assert "3 columns of 4 fit badly" in message
    assert "age: shape score" in message and "median 40 real, 55 generated" in message
    assert "sex: 0% 'Female' generated against 33% real (shape score 0.67)" in message
    assert "hours: 0% missing generated against 10% real" in message


def test_a_lost_correlation_is_a_pair_finding_and_explain_says_it():
    broken = census(2000, 1)
    broken["hours"] = broken["hours"].sample(frac=1.0, random_state=3).to_numpy()  # same marginal, no relation
    findings = column_fit_findings(REAL, broken, COLUMNS, step=3000)
    assert [f["kind"] for f in findings] == ["pair_fit"]
    assert "age x hours" in findings[0]["message"] and "real" in findings[0]["message"]
    text = explain({"steps": 3000, "diagnostics": findings})
    assert "column pairs whose relation was lost" in text and "age x hours" in text
    assert "nothing pressing" not in text and "What to try next: Try a longer run" in text
