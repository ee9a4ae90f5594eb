"""Tests for checkpoints: safetensors without pickle, atomic replacement, and clear errors."""

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ganforge import GAN
from ganforge.errors import UserError
from ganforge.training.checkpoint import CHECKPOINT_FILE, load_checkpoint, save_checkpoint
from ganforge.training.state import load_run

TINY = dict(steps=20, log_every=10, eval_samples=200, generator_hidden=[16], discriminator_hidden=[16],
            batch_size=32)


def tensors() -> dict[str, torch.Tensor]:
    return {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "step": torch.tensor([7]),
            "rng": torch.zeros(4, dtype=torch.uint8)}


def test_round_trip_of_tensors_and_state(tmp_path):
    state = {"step": 7, "config": {"loss": "hinge"}, "nested": [1, 2.5, None]}
    assert save_checkpoint(tmp_path, tensors(), state)
    loaded, loaded_state = load_checkpoint(tmp_path)
    assert loaded_state == state
    assert loaded.keys() == tensors().keys()
    assert all(torch.equal(loaded[k], v) for k, v in tensors().items())
    assert [p.name for p in (tmp_path / "checkpoint").iterdir()] == ["last.safetensors"]  # no .tmp left


def test_checkpoint_is_plain_safetensors_with_json_state(tmp_path):
    save_checkpoint(tmp_path, tensors(), {"step": 7})
    path = tmp_path / CHECKPOINT_FILE
    header_size = int.from_bytes(path.read_bytes()[:8], "little")
    json.loads(path.read_bytes()[8:8 + header_size])  # the header is JSON: nothing to unpickle
    with safe_open(str(path), framework="pt") as handle:
        assert json.loads(handle.metadata()["state"]) == {"step": 7}


def test_non_finite_weights_are_refused_and_the_last_good_checkpoint_survives(tmp_path):
    assert save_checkpoint(tmp_path, tensors(), {"step": 1})
    before = (tmp_path / CHECKPOINT_FILE).read_bytes()
    for bad in (float("nan"), float("inf")):
        diverged = {**tensors(), "w": torch.full((2, 3), bad)}
        assert save_checkpoint(tmp_path, diverged, {"step": 2}) is False
        assert (tmp_path / CHECKPOINT_FILE).read_bytes() == before
    assert load_checkpoint(tmp_path)[1] == {"step": 1}


def test_missing_checkpoint(tmp_path):
    with pytest.raises(UserError, match="has no checkpoint"):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize("damage", ["truncate", "garble", "empty", "no_state"])
def test_damaged_checkpoint_is_a_user_error(tmp_path, damage):
    save_checkpoint(tmp_path, tensors(), {"step": 1})
    path = tmp_path / CHECKPOINT_FILE
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) - 10])
    elif damage == "garble":
        path.write_bytes(data[:8] + b"\x00" * 32 + data[40:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        save_file(tensors(), str(path))  # valid safetensors, but no state
    with pytest.raises(UserError, match="corrupted or unreadable"):
        load_checkpoint(tmp_path)


# --- a run's checkpoint -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A tiny fitted model written by GAN.save (config.yaml + checkpoint, no report)."""
    return GAN(**TINY, seed=4).fit("ring8", progress=False).save(tmp_path_factory.mktemp("saved") / "model")


def rewrite(run_dir: Path, tensors=None, state=None) -> None:
    """Rewrites the run's checkpoint with some of its tensors or state changed."""
    path = run_dir / CHECKPOINT_FILE
    with safe_open(str(path), framework="pt") as handle:
        old_state = json.loads(handle.metadata()["state"])
    save_file(tensors if tensors is not None else load_file(str(path)), str(path),
              metadata={"state": json.dumps(state if state is not None else old_state)})


def test_checkpoint_of_another_architecture_is_a_user_error(saved, tmp_path):
    other = tmp_path / "other"
    GAN(**{**TINY, "generator_hidden": [8]}, seed=4).fit("ring8", progress=False).save(other)
    weights = load_file(str(other / CHECKPOINT_FILE))
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "checkpoint").mkdir()
    (copy / CHECKPOINT_FILE).write_bytes((saved / CHECKPOINT_FILE).read_bytes())
    rewrite(copy, tensors={**load_file(str(copy / CHECKPOINT_FILE)),
                           **{k: v for k, v in weights.items() if k.startswith("generator.")}})
    with pytest.raises(UserError, match="does not match this model"):
        load_run(copy)


@pytest.mark.parametrize("damage", ["no_step", "no_rng", "bad_rng"])
def test_checkpoint_missing_its_bookkeeping_is_a_user_error(saved, tmp_path, damage):
    copy = tmp_path / "copy"
    (copy / "checkpoint").mkdir(parents=True)
    (copy / CHECKPOINT_FILE).write_bytes((saved / CHECKPOINT_FILE).read_bytes())
    weights = load_file(str(copy / CHECKPOINT_FILE))
    with safe_open(str(copy / CHECKPOINT_FILE), framework="pt") as handle:
        state = json.loads(handle.metadata()["state"])
    if damage == "no_step":
        rewrite(copy, state={k: v for k, v in state.items() if k != "step"})
    elif damage == "no_rng":
        rewrite(copy, tensors={k: v for k, v in weights.items() if k != "rng.torch"})
    else:
        rewrite(copy, tensors={**weights, "rng.torch": torch.zeros(3, dtype=torch.uint8)})
    with pytest.raises(UserError):
        load_run(copy)

