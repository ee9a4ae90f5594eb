"""Options a user turns on show up where they should: TensorBoard logs, spectral norm, EMA, packing."""

import torch

from ganforge.config import TrainConfig
from ganforge.training.run import train

TINY = dict(generator_hidden=[16, 16], discriminator_hidden=[16, 16], batch_size=32,
            eval_samples=200, log_every=20, steps=40)


def test_tensorboard_writes_event_files(tmp_path):
    train(TrainConfig(**TINY, tensorboard=True), out=tmp_path / "run", progress=False)
    events = list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0


def test_spectral_norm_wraps_every_layer_of_d():
    run = train(TrainConfig(**TINY, spectral_norm=True), progress=False)
    linears = [m for m in run.model.D.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(hasattr(m, "parametrizations") for m in linears)
    # Spectral norm keeps each layer's largest singular value near 1.
    for m in linears:
        assert torch.linalg.matrix_norm(m.weight.detach(), ord=2) < 1.2


def test_ema_generator_is_what_samples_come_from():
    run = train(TrainConfig(**TINY, ema=0.9), progress=False)
    model = run.model
    assert model.G_ema is not None
    live = next(model.G.parameters())
    averaged = next(model.G_ema.parameters())
    assert not torch.equal(live, averaged)
    z = torch.Generator().manual_seed(5)
    expected = model.G_ema(torch.randn(10, model.config.noise_dim, generator=z))
    got = model.sample(10, torch.Generator().manual_seed(5))
    assert torch.allclose(got, expected)


def test_packing_makes_d_judge_groups_of_samples():
    run = train(TrainConfig(**TINY, pack=4), progress=False)
    first = next(m for m in run.model.D.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == 4 * 2  # four 2D points at once
    assert run.model.D(torch.zeros(32, 2)).shape == (8,)


def test_ganhacks_options_change_the_training():
    base = train(TrainConfig(**TINY), progress=False).sample(50, seed=1)
    for option in ({"label_smoothing": 0.1}, {"label_flip": 0.2}, {"instance_noise": 0.5},
                   {"generator_dropout": 0.3}, {"discriminator_activation": "relu"}):
        other = train(TrainConfig(**TINY, **option), progress=False).sample(50, seed=1)
        assert not (other == base).all(), option
