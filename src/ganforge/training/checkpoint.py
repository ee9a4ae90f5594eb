"""Checkpoints without pickle: one safetensors file, tensors plus a JSON state, replaced atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ganforge.errors import UserError

CHECKPOINT_FILE = "checkpoint/last.safetensors"


def checkpoint_path(run_dir: Path) -> Path:
    return Path(run_dir) / CHECKPOINT_FILE


def model_tensors(model) -> dict[str, torch.Tensor]:
    """Every tensor needed to continue training: weights, buffers and optimiser moments."""
    tensors = {}
    for name, module in model.modules().items():
        for key, value in module.state_dict().items():
            tensors[f"{name}.{key}"] = value
    for name, optimizer in model.optimizers().items():
        for index, slots in optimizer.state_dict()["state"].items():
            for slot, value in slots.items():
                tensors[f"optimizer.{name}.{index}.{slot}"] = torch.as_tensor(value)
    return tensors


def optimizer_groups(model) -> dict[str, Any]:
    return {name: opt.state_dict()["param_groups"] for name, opt in model.optimizers().items()}


def torchrun_job() -> str | None:
    """The torchrun job this process belongs to (TORCHELASTIC_RUN_ID); None outside torchrun."""
    return os.environ.get("TORCHELASTIC_RUN_ID")


def save_checkpoint(run_dir: Path, tensors: dict[str, torch.Tensor], state: dict[str, Any]) -> bool:
    """Writes the checkpoint unless a tensor holds NaN/inf; returns whether it was written.

    Written to a temporary name and moved into place, so a kill at any moment leaves the
    previous checkpoint whole. Under torchrun the state names the job, so a restart of that
    job (and only of it) continues from here.
    """
    if torchrun_job() is not None:
        state = {**state, "torchrun_job": torchrun_job()}
    for value in tensors.values():
        if value.dtype.is_floating_point and not torch.isfinite(value).all():
            return False
    path = checkpoint_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    contiguous = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    save_file(contiguous, str(tmp), metadata={"state": json.dumps(state)})
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return True


def load_checkpoint(run_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors, state) from the run's checkpoint, or a UserError when it is missing or damaged."""
    path = checkpoint_path(run_dir)
    if not path.exists():
        raise UserError(f"{run_dir} has no checkpoint ({CHECKPOINT_FILE} is missing)")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        tensors = load_file(str(path))
        state = json.loads(metadata["state"])
    except (SafetensorError, OSError, KeyError, ValueError) as exc:
        raise UserError(f"checkpoint {path} is corrupted or unreadable ({str(exc).splitlines()[0][:120]})") from None
    return tensors, state


def restore_model(model, tensors: dict[str, torch.Tensor], state: dict[str, Any]) -> None:
    """Loads weights and optimiser state saved by model_tensors / optimizer_groups."""
    try:
        for name, module in model.modules().items():
            prefix = f"{name}."
            own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            module.load_state_dict(own, strict=True)
        for name, optimizer in model.optimizers().items():
            prefix = f"optimizer.{name}."
            slots: dict[int, dict[str, torch.Tensor]] = {}
            for key, value in tensors.items():
                if key.startswith(prefix):
                    index, slot = key[len(prefix):].split(".", 1)
                    slots.setdefault(int(index), {})[slot] = value
            optimizer.load_state_dict({"state": slots, "param_groups": state["optimizer_groups"][name]})
    except (RuntimeError, KeyError, ValueError) as exc:
        raise UserError(f"checkpoint does not match this model ({str(exc).splitlines()[0][:160]})") from None
