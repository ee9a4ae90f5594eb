"""Divergence: roll back to the last good state with halved learning rates, or stop and keep it."""

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from ganforge.config import TrainConfig
from ganforge.models.gan import GANModel
from ganforge.training.run import train

TINY = dict(generator_hidden=[32, 32], discriminator_hidden=[32, 32], batch_size=64,
            eval_samples=400, log_every=50, checkpoint_every=100, steps=300)


@pytest.fixture
def blow_up_once(monkeypatch):
    """Turns G's weights to NaN after the 140th training step, once; the log at step 150 sees it."""
    calls = {"n": 0}
    original = GANModel.train_step

    def train_step(self, *args, **kwargs):
        original(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 140:
            with torch.no_grad():
                next(self.G.parameters()).fill_(float("nan"))

    monkeypatch.setattr(GANModel, "train_step", train_step)


def state_of(run_dir):
    path = run_dir / "checkpoint" / "last.safetensors"
    with safe_open(str(path), framework="pt") as handle:
        return json.loads(handle.metadata()["state"]), load_file(str(path))


def finite(tensors):
    return all(torch.isfinite(t).all() for t in tensors.values() if t.dtype.is_floating_point)


def test_rollback_recovers_with_halved_learning_rates(tmp_path, blow_up_once):
    run = train(TrainConfig(**TINY), out=tmp_path / "run", progress=False)
    assert run.summary["stopped_because"] == "steps"
    kinds = [(f["step"], f["kind"]) for f in run.summary["diagnostics"]]
    assert (150, "divergence") in kinds and (150, "rollback") in kinds
    rollback = next(f for f in run.summary["diagnostics"] if f["kind"] == "rollback")
    assert "step 100" in rollback["message"]
    state, tensors = state_of(tmp_path / "run")
    assert state["step"] == 300 and finite(tensors)
    lrs = [group[0]["lr"] for group in state["optimizer_groups"].values()]
    assert lrs == [pytest.approx(TrainConfig().lr_generator / 2), pytest.approx(TrainConfig().lr_discriminator / 2)]


def test_without_recovery_the_run_stops_and_the_last_good_checkpoint_stays(tmp_path, blow_up_once):
    run = train(TrainConfig(**TINY, recover=False), out=tmp_path / "run", progress=False)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["stopped_because"] == "divergence" == run.summary["stopped_because"]
    assert summary["steps"] == 150
    state, tensors = state_of(tmp_path / "run")
    assert state["step"] == 100 and finite(tensors)


def test_absurd_learning_rate_never_leaves_a_nan_checkpoint(tmp_path):
    config = TrainConfig(**{**TINY, "checkpoint_every": 50}, lr_generator=1e6, lr_discriminator=1e6)
    run = train(config, out=tmp_path / "run", progress=False)
    kinds = [f["kind"] for f in run.summary["diagnostics"]]
    assert "divergence" in kinds and "rollback" in kinds
    path = tmp_path / "run" / "checkpoint" / "last.safetensors"
    if path.exists():
        assert finite(state_of(tmp_path / "run")[1])
