"""Tests for the theory plots: learned D against D* (1D curves, 2D heatmaps) and V(D, G) over training."""

import math

import numpy as np
import torch
from PIL import Image

from ganforge.config import TrainConfig
from ganforge.data.encoders import StandardEncoder
from ganforge.registry import datasets, models
from ganforge.report.theory_plots import plot_discriminator_vs_optimal, plot_game_over_training
from ganforge.training.state import TrainedRun


def gan_run(data, loss="minimax"):
    torch.manual_seed(0)
    config = TrainConfig(data=data, loss=loss, discriminator_hidden=[16], generator_hidden=[8], device="cpu")
    dist = datasets.get(data)
    encoder = StandardEncoder().fit(dist.sample(5000, torch.Generator().manual_seed(0)))
    model = models.get("gan")(config, dist.dim, torch.device("cpu"))
    return TrainedRun(config, encoder, model, torch.Generator(), torch.Generator()), dist


def opens_as_png(path):
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.format == "PNG" and image.size[0] > 100 and image.size[1] > 100


def test_discriminator_plots_in_1d_and_2d(tmp_path):
    for data in ("bimodal", "ring8"):
        run, dist = gan_run(data)
        g = torch.Generator().manual_seed(1)
        real = dist.sample(1500, g).numpy()
        generated = 0.5 * dist.sample(1500, g).numpy()
        path = plot_discriminator_vs_optimal(run, dist, generated, real, tmp_path / "plots" / f"{data}.png")
        assert path == tmp_path / "plots" / f"{data}.png" and opens_as_png(path)


def test_discriminator_plot_is_none_where_theory_does_not_apply(tmp_path):
    x = np.random.default_rng(0).standard_normal((300, 2))
    run, _ = gan_run("moons")
    assert plot_discriminator_vs_optimal(run, datasets.get("moons"), x, x, tmp_path / "a.png") is None
    run, dist = gan_run("ring8", loss="wasserstein")
    assert plot_discriminator_vs_optimal(run, dist, x, x, tmp_path / "b.png") is None
    run, dist = gan_run("ring8")
    assert plot_discriminator_vs_optimal(run, dist, np.full((50, 2), np.nan), x, tmp_path / "c.png") is None
    assert not list(tmp_path.iterdir())


def test_game_over_training(tmp_path):
    records = [{"step": 100 * i, "game_value": -1.0 - 0.03 * i, "js_divergence": 0.3 / (i + 1),
                "js_divergence_floor": 0.003} for i in range(1, 12)]
    records[4]["game_value"] = math.nan  # a gap, not a crash
    assert opens_as_png(plot_game_over_training(records, tmp_path / "game.png"))
    only_js = [{"step": r["step"], "js_divergence": r["js_divergence"]} for r in records]
    assert opens_as_png(plot_game_over_training(only_js, tmp_path / "js.png"))
    assert plot_game_over_training([{"step": 1, "loss_d": 0.7}], tmp_path / "none.png") is None
    assert plot_game_over_training([], tmp_path / "empty.png") is None
    assert not (tmp_path / "none.png").exists()
