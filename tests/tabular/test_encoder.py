"""The table encoder: transform then inverse_transform gives the table back, with its dtypes."""

import numpy as np
import pandas as pd
import pytest
import torch

from ganforge.data.catalog import encoder_from_state
from ganforge.data.table_encoder import TableEncoder
from ganforge.data.tabular import infer_columns, prepare_table


def mixed_table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame({
        "age": rng.integers(18, 90, n),
        "bmi": rng.normal(30, 5, n).round(1),
        "smoker": rng.random(n) < 0.3,
        "visit": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "city": rng.choice(["Lisboa", "Porto", "Évora"], n),
        "dose": rng.integers(0, 500, n).astype(float),
        "group": rng.choice([1, 2, 3], n),
        "constant": 7,
    })
    frame.loc[rng.random(n) < 0.1, "dose"] = np.nan  # an integer column with missing values
    frame.loc[rng.random(n) < 0.2, "city"] = np.nan
    return frame


def fitted(frame: pd.DataFrame) -> TableEncoder:
    table = prepare_table(frame)
    return TableEncoder(seed=0).fit(table, infer_columns(table))


def test_inferred_kinds():
    kinds = {c["name"]: (c["kind"], c["dtype"]) for c in infer_columns(prepare_table(mixed_table()))}
    assert kinds == {"age": ("continuous", "int"), "bmi": ("continuous", "float"), "smoker": ("categorical", "bool"),
                     "visit": ("continuous", "datetime"), "city": ("categorical", "text"),
                     "dose": ("continuous", "int"), "group": ("categorical", "int"),
                     "constant": ("categorical", "int")}


def test_round_trip_keeps_values_and_dtypes():
    frame = mixed_table()
    encoder = fitted(frame)
    encoded = encoder.transform(frame)
    assert encoded.shape == (len(frame), encoder.layout.dim) and encoded.dtype == torch.float32
    back = encoder.inverse_transform(encoded)
    assert list(back.columns) == list(frame.columns)
    assert back["age"].dtype == np.int64 and back["group"].dtype == np.int64 and back["constant"].dtype == np.int64
    assert back["smoker"].dtype == bool and back["bmi"].dtype == np.float64
    assert str(back["dose"].dtype) == "Int64"  # integers with missing values stay integers
    assert pd.api.types.is_datetime64_any_dtype(back["visit"])
    for name in ["age", "smoker", "group", "constant", "visit"]:
        pd.testing.assert_series_equal(back[name], frame[name].astype(back[name].dtype), check_names=False)
    assert (back["city"].isna() == frame["city"].isna()).all()
    assert (back["city"].dropna() == frame["city"].dropna()).all()
    assert np.allclose(back["bmi"], frame["bmi"], atol=0.051)  # one decimal, as the data
    assert (back["dose"].isna() == frame["dose"].isna()).all()
    assert np.allclose(back["dose"].dropna().astype(float), frame["dose"].dropna(), atol=0.5)


def test_decoding_clips_to_the_real_range_and_rounds():
    frame = mixed_table()
    encoder = fitted(frame)
    wild = encoder.transform(frame)
    scalars = [i for i, (w, kind) in enumerate(encoder.layout.spans) if kind == "tanh"]
    starts = np.cumsum([0] + [w for w, _ in encoder.layout.spans])
    for i in scalars:
        wild[:, starts[i]] = torch.where(torch.rand(len(frame)) < 0.5, 1.0, -1.0)  # extremes of every mode
    back = encoder.inverse_transform(wild)
    assert back["age"].between(18, 89).all() and back["bmi"].between(frame.bmi.min(), frame.bmi.max()).all()
    assert np.allclose(back["bmi"], back["bmi"].round(1))


def test_layout_spans_and_conditions():
    encoder = fitted(mixed_table())
    layout = encoder.layout
    assert layout.dim == sum(w for w, _ in layout.spans)
    assert {kind for _, kind in layout.spans} == {"tanh", "softmax"}
    # smoker (2), city (3 + missing), group (3); the constant column conditions nothing
    assert [w for _, w in layout.condition_spans] == [2, 4, 3] and layout.condition_dim == 9


def test_state_round_trip_is_plain_json():
    import json

    frame = mixed_table()
    encoder = fitted(frame)
    again = encoder_from_state(json.loads(json.dumps(encoder.state())))
    assert torch.equal(again.transform(frame), encoder.transform(frame))
    assert again.copies(frame).all() and not again.copies(frame.assign(age=999)).any()


def test_conditions_drawn_as_the_data_has_them():
    frame = mixed_table()
    encoder = fitted(frame)
    conditions = encoder.sample_conditions(30000, torch.Generator().manual_seed(0))
    assert torch.equal(conditions.sum(1), torch.ones(30000))
    smoker = conditions[:, :2].sum(0)  # the smoker block, chosen one time in three
    assert abs(smoker.sum().item() / 30000 - 1 / 3) < 0.02
    assert abs(smoker[1].item() / smoker.sum().item() - frame.smoker.mean()) < 0.03


def test_training_by_sampling_matches_rows_to_conditions():
    from ganforge.data.dataset import Dataset

    frame = prepare_table(mixed_table())
    encoder = TableEncoder(seed=0).fit(frame, infer_columns(frame))
    sampler = encoder.training_conditions(Dataset(name="t", dim=frame.shape[1], table=frame))
    index, real, fake = sampler.draw(5000, torch.Generator().manual_seed(0))
    encoded = encoder.transform(frame)[index]
    start = 0
    for (offset, width) in encoder.layout.condition_spans:
        block = real[:, start:start + width]
        on = block.sum(1) == 1
        assert torch.equal(encoded[on, offset:offset + width], block[on])  # the real row holds its condition
        start += width
    assert torch.equal(real, fake)
    # log-frequency sampling: the rarest value of a column is drawn more often than its frequency
    groups = real[:, 2:6].sum(0)
    assert groups.min() > 0
