"""Compact storage of an encoded table and columns of thousands of categories."""

import numpy as np
import pandas as pd
import pytest
import torch

from ganforge.data.dataset import Dataset
from ganforge.data.table_encoder import MAX_CATEGORIES, TableEncoder
from ganforge.data.tabular import infer_columns, prepare_table


def postcode_table(n: int = 20_000, categories: int = 2000, seed: int = 0) -> pd.DataFrame:
    """A Zipf-distributed column of `categories` postcodes, an amount with missing values, a flag."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, categories + 1) ** 1.1
    postcode = rng.choice([f"P{i:04d}" for i in range(categories)], n, p=weights / weights.sum())
    amount = np.where(rng.random(n) < 0.5, 0.0, rng.gamma(2.0, 50.0, n).round(2))
    amount[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"postcode": postcode, "amount": amount, "flag": rng.random(n) < 0.2})


@pytest.fixture(scope="module")
def fitted():
    table = prepare_table(postcode_table())
    columns = infer_columns(table, discrete=["postcode"])
    return table, TableEncoder(seed=0).fit(table, columns)


def test_compact_rows_round_trip_codes_modes_and_missing(fitted):
    table, encoder = fitted
    compact = encoder.encode(table)
    dense = compact.rows()
    assert dense.shape == (len(table), encoder.layout.dim)
    index = torch.tensor([5, 0, 17, 19_999])
    assert torch.equal(compact.rows(index), dense[index])  # a batch is the same rows, made dense
    back = encoder.inverse_transform(dense)
    kept = encoder.columns_[0]["categories"][:encoder.columns_[0]["kept"]]
    head = table["postcode"].isin(kept)
    assert (back["postcode"][head] == table["postcode"][head]).all()
    assert (back["amount"].isna() == table["amount"].isna()).all()
    assert ((back["amount"] == 0) == (table["amount"] == 0)).all()
    # codes and float32 scalars, not the one-hot: a few bytes per column and row
    assert compact.nbytes <= len(table) * 4 * 6 < dense.numel() * 4 / 10


def test_a_long_tail_shares_one_position_and_decodes_by_frequency(fitted):
    table, encoder = fitted
    spec = encoder.columns_[0]
    assert spec["kept"] == MAX_CATEGORIES - 1 and len(spec["categories"]) == table["postcode"].nunique() > 1000
    assert encoder._width(spec) == MAX_CATEGORIES  # bounded, whatever the categories
    tail = ~table["postcode"].isin(spec["categories"][:spec["kept"]])
    back = encoder.inverse_transform(encoder.transform(table))
    real_tail, drawn_tail = table["postcode"][tail], back["postcode"][tail]
    assert (drawn_tail.isin(spec["categories"][spec["kept"]:])).all()
    # the tail's values come back with their frequencies: the commonest tail value as often
    top = real_tail.value_counts().index[0]
    assert abs((drawn_tail == top).mean() - (real_tail == top).mean()) < 0.01


def test_training_by_sampling_draws_at_the_log_frequency_rate(fitted):
    table, encoder = fitted
    sampler = encoder.training_conditions(Dataset(name="t", dim=3, table=table))
    n = 60_000
    index, real, _ = sampler.draw(n, torch.Generator().manual_seed(0))
    width = encoder._width(encoder.columns_[0])
    on_postcode = real[:, :width].sum(1) == 1
    drawn = real[on_postcode, :width].sum(0) / on_postcode.sum()
    counts = np.bincount(encoder._positions(encoder.columns_[0], encoder._category_index(
        encoder.columns_[0], table["postcode"])), minlength=width)
    expected = np.log1p(counts) / np.log1p(counts).sum()
    assert np.abs(drawn.numpy() - expected).max() < 0.005
    codes = encoder.encode(table).codes[index[on_postcode], 0].numpy()
    assert (codes == real[on_postcode, :width].argmax(1).numpy()).all()  # the row holds its condition


def test_where_on_a_tail_value_is_exact():
    from ganforge import GAN

    frame = postcode_table(n=3000, categories=400, seed=1)
    gan = GAN(steps=30, seed=0, discrete="postcode").fit(frame, progress=False)
    rare = frame["postcode"].value_counts().index[-1]
    rows = gan.sample(50, seed=0, where={"postcode": rare}, allow_copies=True)
    assert (rows["postcode"] == rare).all()
    common = frame["postcode"].value_counts().index[0]
    assert (gan.sample(50, seed=0, where={"postcode": common}, allow_copies=True)["postcode"] == common).all()
