"""A seeded short fit on a constructed table: marginals within stated bounds, exact conditions, no copies."""

import numpy as np
import pandas as pd
import pytest

from ganforge import GAN, UserError
from ganforge.metrics.tabular import ks_statistic

# Small networks and few steps keep this under ~10 s; the bounds are what such a fit reaches
# (measured at seed 0), loose enough for any seed, tight enough to fail a broken encoder or head.
OPTIONS = dict(steps=400, batch_size=128, generator_hidden=[64, 64], discriminator_hidden=[64, 64],
               lr_generator=1e-3, lr_discriminator=1e-3, log_every=200, eval_samples=400, seed=0)


@pytest.fixture(scope="module")
def gan(table) -> GAN:
    return GAN(**OPTIONS).fit(table, progress=False)


@pytest.fixture(scope="module")
def synthetic(gan) -> pd.DataFrame:
    return gan.sample(3000, seed=1)


def test_columns_dtypes_and_ranges(table, synthetic):
    assert list(synthetic.columns) == list(table.columns)
    assert synthetic.dtypes.to_dict() == table.dtypes.to_dict()
    assert synthetic["bimodal"].between(table.bimodal.min(), table.bimodal.max()).all()
    assert synthetic["count"].between(0, table["count"].max()).all()
    assert set(synthetic["colour"]) <= set(table["colour"]) and set(synthetic["label"]) <= {0, 1}
    assert (synthetic["site"] == "north").all()  # a constant column stays constant
    assert np.allclose(synthetic["bimodal"], synthetic["bimodal"].round(2))  # the data's two decimals


def test_marginals_within_bounds(table, synthetic):
    assert ks_statistic(table.bimodal.to_numpy(), synthetic.bimodal.to_numpy()) < 0.25
    assert ks_statistic(table["count"].to_numpy(float), synthetic["count"].to_numpy(float)) < 0.25
    # both modes are there: about half the rows on each side of 0
    assert 0.3 < (synthetic.bimodal > 0).mean() < 0.7
    real, fake = table.colour.value_counts(normalize=True), synthetic.colour.value_counts(normalize=True)
    assert 0.02 < fake.get("violet", 0) < 0.15  # the rare 5% category is learned, not lost nor inflated
    assert (real - fake).abs().max() < 0.12
    assert abs(synthetic.label.mean() - table.label.mean()) < 0.1


def test_conditional_sampling_is_exact(gan, table):
    rows = gan.sample(500, seed=3, where={"colour": "violet"})
    assert len(rows) == 500 and (rows["colour"] == "violet").all()
    both = gan.sample(300, seed=4, where={"colour": "blue", "label": 1})
    assert (both["colour"] == "blue").all() and (both["label"] == 1).all()
    assert (gan.sample(200, seed=5, where={"label": "0"})["label"] == 0).all()  # values given as text


@pytest.mark.parametrize("where, needle", [
    ({"nope": 1}, "'nope' is not a column"),
    ({"colour": "purple"}, "'purple' is not a value of column 'colour'"),
    ({"bimodal": 1}, "'bimodal' is continuous"),
])
def test_bad_conditions(gan, where, needle):
    with pytest.raises(UserError, match=needle):
        gan.sample(10, seed=0, where=where)


def test_no_copies_of_training_rows(table, synthetic):
    assert len(synthetic.merge(table.drop_duplicates(), how="inner")) == 0
    # Distinct rows, and every possible row is one of them: nothing can be drawn without copying.
    grid = pd.DataFrame({"a": [f"a{i}" for i in range(10)] * 10, "b": [f"b{i // 10}" for i in range(100)]})
    gan = GAN(**{**OPTIONS, "steps": 20}).fit(grid, progress=False)
    with pytest.raises(UserError, match="could not draw 20 rows that copy no training row"):
        gan.sample(20, seed=0)
    assert len(gan.sample(20, seed=0, allow_copies=True)) == 20


def test_rows_that_repeat_in_the_data_are_not_redrawn():
    # 96% of these rows repeat another: an equal row is the distribution, not memorisation, and
    # redrawing it would starve the commonest rows. The samples keep the real frequencies.
    small = pd.DataFrame({"a": ["x", "x", "y", "y"] * 25 + ["x"] * 100, "b": [1, 2, 1, 2] * 25 + [1] * 100})
    gan = GAN(**{**OPTIONS, "steps": 200}).fit(small, progress=False)
    rows = gan.sample(2000, seed=0)
    assert abs((rows["a"] == "x").mean() - 0.75) < 0.1


def test_same_seed_same_rows(gan):
    pd.testing.assert_frame_equal(gan.sample(200, seed=9), gan.sample(200, seed=9))
    assert not gan.sample(200, seed=9).equals(gan.sample(200, seed=10))


def test_save_and_load_samples_the_same(gan, tmp_path):
    import ganforge

    gan.save(tmp_path / "model")
    again = ganforge.load(tmp_path / "model")
    pd.testing.assert_frame_equal(again.sample(100, seed=2), gan.sample(100, seed=2))
    pd.testing.assert_frame_equal(again.sample(50, seed=2, where={"colour": "red"}),
                                  gan.sample(50, seed=2, where={"colour": "red"}))
