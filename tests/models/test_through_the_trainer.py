"""Baselines through the trainer: a stopped and resumed run ends where an unbroken one does."""

import json

import pytest
import torch
from safetensors.torch import load_file

import ganforge.models.catalog  # noqa: F401  (registers every model)
from ganforge.config import TrainConfig
from ganforge.training.checkpoint import model_tensors
from ganforge.training.run import train

TINY = dict(generator_hidden=[16, 16], batch_size=32, eval_samples=200, log_every=10, checkpoint_every=20)


@pytest.mark.parametrize("name", ["vae", "denoising-autoencoder"])  # optimiser state; code moments + noise
def test_stopped_and_resumed_run_ends_with_the_same_weights(name, tmp_path):
    whole = train(TrainConfig(model=name, steps=40, **TINY), progress=False)  # no run directory needed
    train(TrainConfig(model=name, steps=20, **TINY), out=tmp_path, progress=False)
    run = train(None, out=tmp_path, resume=True, progress=False, steps=40)
    assert run.summary["stopped_because"] == "steps" and run.summary["steps"] == 40
    a = {k: v.cpu() for k, v in model_tensors(whole.model).items()}
    b = load_file(str(tmp_path / "checkpoint" / "last.safetensors"))
    b = {k: v for k, v in b.items() if not k.startswith("rng.")}
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_a_closed_form_fit_is_one_step_with_its_figures_in_the_summary(tmp_path):
    run = train(TrainConfig(data="gamma", model="gamma", **TINY), out=tmp_path, progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == 1 and summary["stopped_because"] == "steps"
    assert summary["shape_0"] == pytest.approx(2.0, rel=0.05)  # the toy law is Gamma(2, 2)
    assert summary["scale_0"] == pytest.approx(2.0, rel=0.05)
    assert summary["loc_0"] == pytest.approx(0.0, abs=1e-3)
    assert summary["js_divergence"] < 3 * summary["js_divergence_floor"] + 0.01
    samples = run.sample(1000, seed=0)
    assert samples.shape == (1000, 1) and (samples > 0).all()
