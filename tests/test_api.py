"""Tests for the Python facade: GAN(...).fit(data) -> self, sample, save / load, errors, reproducibility."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import ganforge
from ganforge import GAN, UserError

TINY = dict(steps=20, log_every=10, eval_samples=200, generator_hidden=[16], discriminator_hidden=[16],
            batch_size=32)


@pytest.fixture(scope="module")
def fitted() -> GAN:
    return GAN(**TINY, seed=0).fit("ring8", progress=False)


def test_fit_returns_the_same_object_and_learns_attributes():
    gan = GAN(**TINY)
    assert gan.fit("ring8", progress=False) is gan
    assert isinstance(gan.generator_, torch.nn.Module) and isinstance(gan.discriminator_, torch.nn.Module)
    assert gan.config_.steps == 20 and gan.summary_["steps"] == 20
    assert [r["step"] for r in gan.history_] == [10, 20]


def test_constructor_stores_options_as_given():
    options = {"steps": 5, "loss": "hinge", "whatever": object()}
    assert GAN(**options).get_params() == options  # no checks until fit


def test_sample_shape_and_seeding(fitted):
    points = fitted.sample(123)
    assert isinstance(points, np.ndarray) and points.shape == (123, 2) and np.isfinite(points).all()
    assert np.array_equal(fitted.sample(50, seed=1), fitted.sample(50, seed=1))
    assert not np.array_equal(fitted.sample(50, seed=1), fitted.sample(50, seed=2))
    assert not np.array_equal(fitted.sample(50), fitted.sample(50))  # successive calls: new samples


def test_sample_rejects_a_non_positive_count(fitted):
    with pytest.raises(UserError, match="must be > 0"):
        fitted.sample(0)


def test_fit_on_a_numpy_array_samples_in_the_data_units():
    rng = np.random.default_rng(0)
    data = rng.normal([100.0, -50.0, 3.0], [0.5, 2.0, 0.1], size=(500, 3))
    points = GAN(**TINY).fit(data, progress=False).sample(400, seed=0)
    assert points.shape == (400, 3)
    # whatever G learned in 20 steps, the encoder maps it back near the data, not near 0
    assert np.all(np.abs(points.mean(axis=0) - data.mean(axis=0)) < 5 * data.std(axis=0))


def test_fit_on_a_dataframe_and_a_tensor():
    frame = pd.DataFrame({"a": np.linspace(0, 1, 64), "b": np.linspace(5, 6, 64)})
    assert GAN(**TINY).fit(frame, progress=False).sample(10).shape == (10, 2)
    tensor = torch.linspace(-1, 1, 64).unsqueeze(1)
    assert GAN(**TINY).fit(tensor, progress=False).sample(10).shape == (10, 1)


def test_fit_on_a_points_file_remembers_where_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("points.csv").write_text("x\n" + "\n".join(str(v) for v in np.linspace(0, 1, 40)) + "\n")
    gan = GAN(**TINY).fit("points.csv", progress=False)
    assert gan.sample(5).shape == (5, 1)
    assert gan.config_.data == str(tmp_path.resolve() / "points.csv")  # usable from any directory later


@pytest.mark.parametrize("data, match", [
    (pd.DataFrame({"a": [1.0], "b": ["x"]}), "single row"),  # a DataFrame is a table (tests/tabular/)
    (np.array([[1.0, np.nan], [2.0, 3.0]]), "NaN"),
    (np.array([[1.0, 2.0]]), "single point"),
    ([[1.0, 2.0], [3.0, 4.0]], "not list"),
    ("ring9", "unknown dataset 'ring9'"),
])
def test_fit_rejects_bad_data(data, match):
    with pytest.raises(UserError, match=match):
        GAN(**TINY).fit(data, progress=False)


def test_unknown_or_invalid_option_raises_at_fit():
    gan = GAN(steps=20, learning_rate=0.1)  # accepted here, scikit-learn style
    with pytest.raises(UserError, match="unknown key 'learning_rate'"):
        gan.fit("ring8", progress=False)
    with pytest.raises(UserError, match="--steps must be > 0"):
        GAN(steps=0).fit("ring8", progress=False)
    with pytest.raises(UserError, match="unknown loss"):
        GAN(**TINY, loss="l2").fit("ring8", progress=False)


def test_using_an_unfitted_gan_is_a_user_error(tmp_path):
    gan = GAN(**TINY)
    with pytest.raises(UserError, match="not fitted yet"):
        gan.sample(10)
    with pytest.raises(UserError, match="not fitted yet"):
        gan.save(tmp_path / "model")
    with pytest.raises(UserError, match="not fitted yet"):
        gan.generator_


def test_save_then_load_gives_the_same_samples(fitted, tmp_path):
    directory = fitted.save(tmp_path / "model")
    assert (directory / "config.yaml").exists() and (directory / "checkpoint" / "last.safetensors").exists()
    again = ganforge.load(directory)
    assert np.array_equal(again.sample(200, seed=1), fitted.sample(200, seed=1))
    assert again.config_ == fitted.config_
    for key, value in fitted.generator_.state_dict().items():
        assert torch.equal(value, again.generator_.state_dict()[key])


def test_load_from_a_folder_without_a_model(tmp_path):
    with pytest.raises(UserError, match="no checkpoint"):
        ganforge.load(tmp_path)


# --- reproducibility ----------------------------------------------------------------------------

def weights(gan: GAN) -> dict[str, torch.Tensor]:
    return {**{f"G.{k}": v for k, v in gan.generator_.state_dict().items()},
            **{f"D.{k}": v for k, v in gan.discriminator_.state_dict().items()}}


@pytest.mark.parametrize("options", [
    {},
    # every source of randomness at once: dropout, noisy labels, instance noise, EMA, gradient penalty
    {"loss": "wasserstein", "generator_dropout": 0.2, "instance_noise": 0.1, "ema": 0.9},
    {"loss": "minimax", "label_flip": 0.1, "label_smoothing": 0.1, "r1": 1.0, "pack": 2},
])
def test_same_seed_same_weights_other_seed_other_weights(options):
    a = GAN(**TINY, **options, seed=11).fit("ring8", progress=False)
    b = GAN(**TINY, **options, seed=11).fit("ring8", progress=False)
    c = GAN(**TINY, **options, seed=12).fit("ring8", progress=False)
    wa, wb, wc = weights(a), weights(b), weights(c)
    assert wa.keys() == wb.keys() == wc.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)
    assert np.array_equal(a.sample(100, seed=0), b.sample(100, seed=0))
    assert [r["loss_d"] for r in a.history_] == [r["loss_d"] for r in b.history_]
