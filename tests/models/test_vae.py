"""The VAE: -ELBO = reconstruction + KL checked by hand, and the held-out ELBO rising with training."""

import math

import pytest
import torch

from ganforge.registry import datasets

FAST = dict(generator_hidden=[64, 64], lr_generator=1e-3, beta1=0.9, batch_size=128)


def test_negative_elbo_by_hand_for_a_zeroed_network(kit):
    # Encoder outputs mu = 0, log sigma^2 = 0 (q = N(0, I): KL 0); decoder mean 0 with variance 1,
    # so the reconstruction is -log N(x; 0, 1) summed over columns: 1/2 sum_j (log 2 pi + x_j^2).
    model = kit.build("vae")
    for net in (model.encoder.net[-1], model.decoder.mean.net[-1]):
        torch.nn.init.zeros_(net.weight), torch.nn.init.zeros_(net.bias)
    torch.nn.init.zeros_(model.decoder.raw_log_var)
    x = torch.tensor([[0.0, 1.0], [2.0, -1.0]])
    with torch.no_grad():
        figures = model.negative_elbo(x, torch.Generator().manual_seed(0))
    expected = [0.5 * (2 * math.log(2 * math.pi) + 1.0), 0.5 * (2 * math.log(2 * math.pi) + 5.0)]
    assert float(figures["kl"]) == 0.0
    assert float(figures["reconstruction"]) == pytest.approx(sum(expected) / 2)
    assert float(figures["loss"]) == pytest.approx(float(figures["reconstruction"]) + float(figures["kl"]))


def test_reported_figures_are_reconstruction_kl_and_elbo(kit, ring8):
    model = kit.build("vae")
    model.train_step(kit.batches(ring8, model), torch.Generator().manual_seed(0), progress=1.0)
    figures = model.pop_stats()
    assert {"loss", "reconstruction", "kl", "elbo"} <= set(figures)
    assert figures["loss"] == pytest.approx(figures["reconstruction"] + figures["kl"])
    assert figures["elbo"] == pytest.approx(-figures["loss"])
    assert figures["kl"] >= 0


def test_held_out_elbo_improves_over_training_and_beats_the_gaussian_fit(kit):
    train_points, encoder = kit.standardised("ring8", 4000, seed=0)
    held_out = encoder.transform(datasets.get("ring8").sample(2000, torch.Generator().manual_seed(1)))
    model = kit.build("vae", **FAST)
    elbos = [model.elbo(held_out, torch.Generator().manual_seed(0))]
    next_batch, rng = kit.batches(train_points, model), torch.Generator().manual_seed(1)
    steps = 1500
    for step in range(steps):
        model.train_step(next_batch, rng, progress=step / steps)
        if (step + 1) % 500 == 0:
            elbos.append(model.elbo(held_out, torch.Generator().manual_seed(0)))
    # The floor: the per-column Gaussian's held-out log-likelihood (ring8's columns are not Gaussian).
    gaussian = kit.build("gaussian")
    gaussian.train_step(lambda: train_points.double(), None, progress=0.0)
    floor = float(gaussian.log_density(held_out.double()).mean())
    print(f"held-out ELBO per point at steps 0, 500, 1000, 1500: {[round(e, 3) for e in elbos]}; "
          f"Gaussian fit {floor:.3f}")
    assert elbos[-1] > elbos[1] > elbos[0]
    assert elbos[-1] > floor + 0.5  # a lower bound on the VAE's likelihood, above the Gaussian's
