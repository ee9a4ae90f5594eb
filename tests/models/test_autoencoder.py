"""Autoencoders: code sizes, reconstruction error falling, and the Gaussian fitted to the codes."""

import pytest
import torch

FAST = dict(generator_hidden=[64, 64], lr_generator=1e-3, beta1=0.9, batch_size=128)


def train(kit, name, points, steps, **options):
    model = kit.build(name, **{**FAST, **options})
    next_batch, rng = kit.batches(points, model), torch.Generator().manual_seed(1)
    for step in range(steps):
        model.train_step(next_batch, rng, progress=step / steps)
    return model


@pytest.mark.parametrize("data_dim, latent_dim, expected", [(2, 0, 1), (1, 0, 1), (8, 0, 4), (2, 6, 6)])
def test_code_size_undercomplete_by_default_overcomplete_on_request(kit, data_dim, latent_dim, expected):
    model = kit.build("autoencoder", data_dim=data_dim, latent_dim=latent_dim)
    assert model.latent_dim == expected
    assert model.encoder(torch.zeros(3, data_dim)).shape == (3, expected)


@pytest.mark.parametrize("name", ["autoencoder", "denoising-autoencoder"])
def test_reconstruction_error_falls_on_held_out_points(kit, name, ring8):
    held_out = kit.standardised("ring8", 500, seed=9)[0]
    model = kit.build(name, **FAST)
    before = model.reconstruction_error(held_out)
    model = train(kit, name, ring8, 400)
    after = model.reconstruction_error(held_out)
    print(f"{name}: held-out squared error per column {before:.3f} -> {after:.4f}")
    assert after < 0.2 * before
    assert model.pop_stats()["reconstruction"] < before


def test_denoising_autoencoder_corrupts_its_inputs_by_the_configured_std(kit, ring8):
    assert kit.build("autoencoder").corruption_std == 0.0
    assert kit.build("denoising-autoencoder", corruption_std=0.3).corruption_std == 0.3


def test_samples_decode_the_gaussian_fitted_to_the_training_codes(kit, ring8):
    model = train(kit, "autoencoder", ring8, 300, latent_dim=2)
    with torch.no_grad():
        codes = model.encoder(ring8)
    # The moving moments follow the last ~100 batches of a moving encoder: close to the final codes'.
    assert model.codes.mean.tolist() == pytest.approx(codes.mean(0).tolist(), abs=0.15 * float(codes.std()))
    assert torch.allclose(model.codes.cov, torch.cov(codes.T), rtol=0.2, atol=0.05 * float(codes.var()))
    drawn = model.codes.sample(20_000, torch.Generator().manual_seed(0))
    assert torch.allclose(torch.cov(drawn.T), model.codes.cov, rtol=0.05, atol=0.02 * float(codes.var()))
    samples = model.sample(10, torch.Generator().manual_seed(0))
    assert torch.equal(samples, model.decoder(model.codes.sample(10, torch.Generator().manual_seed(0))).detach())
