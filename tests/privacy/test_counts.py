"""The released category counts: noisy, non-negative, normalised; only conditioning columns change."""

import numpy as np

from ganforge.data.tabular import infer_columns
from ganforge.privacy.counts import conditioning_columns, release_counts


def test_noise_zero_gives_the_real_frequencies_back(table):
    columns = infer_columns(table)
    released = release_counts(columns, len(table), 0.0, np.random.default_rng(0))
    by_name = {spec["name"]: spec for spec in released}
    real = table["ward"].value_counts(normalize=False)
    assert np.allclose(by_name["ward"]["frequencies"], [real["A"] / 300, real["B"] / 300, real["C"] / 300])
    assert np.isclose(by_name["ward"]["missing"], table["ward"].isna().mean())


def test_noisy_counts_are_shares_that_sum_to_one_and_leave_other_columns_alone(table):
    columns = infer_columns(table)
    assert [columns[i]["name"] for i in conditioning_columns(columns)] == ["ward", "label"]
    released = release_counts(columns, len(table), 40.0, np.random.default_rng(1))
    for before, after in zip(columns, released):
        if before["name"] in ("ward", "label"):
            shares = after["frequencies"] + ([after["missing"]] if before["missing"] > 0 else [])
            assert np.isclose(sum(shares), 1.0) and min(shares) >= 0 and after["noisy_counts"]
            assert after["frequencies"] != before["frequencies"]  # noise of std 40 * sqrt(2) on counts of ~300
        else:
            assert after == before
    assert released[2]["missing"] > 0  # the missing position survives a count clipped to 0
