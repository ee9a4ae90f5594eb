"""Recovery from divergence: keep the last good state in memory, restore it and halve the learning rates."""

from __future__ import annotations

from typing import Any, Callable

import torch

from ganforge.training import checkpoint as ckpt
from ganforge.training.state import TrainedRun

MAX_ROLLBACKS = 3  # after this many, the run stops with stopped_because "divergence"


class Rollback:
    """Remembers the state at every checkpoint step (if finite); `recover` goes back to it."""

    def __init__(self, run: TrainedRun, report: Callable[[dict[str, Any]], None]):
        self.run, self.report = run, report
        self.saved: dict[str, Any] | None = None
        self.count = 0

    def remember(self, step: int) -> bool:
        """Keeps a copy of the current state; False (nothing kept) when a weight is NaN or inf."""
        tensors = ckpt.model_tensors(self.run.model)
        if not all(torch.isfinite(t).all() for t in tensors.values() if t.dtype.is_floating_point):
            return False
        self.saved = {
            "step": step,
            "tensors": {k: v.detach().clone() for k, v in tensors.items()},
            "groups": ckpt.optimizer_groups(self.run.model),
            "rng": (torch.get_rng_state(), self.run.data_rng.get_state(), self.run.noise_rng.get_state()),
        }
        return True

    def recover(self, step: int) -> int | None:
        """Restores the last good state with halved learning rates; the step to go on from, or None."""
        config = self.run.config
        if not config.recover or self.saved is None or self.count >= MAX_ROLLBACKS:
            why = ("--no-recover was given" if not config.recover else
                   "no good state was kept yet" if self.saved is None else
                   f"it diverged again after {MAX_ROLLBACKS} rollbacks")
            self.report({"step": step, "kind": "divergence",
                         "message": f"Training stopped at step {step} because it diverged and {why}. "
                                    "Try lower learning rates (--lr-generator, --lr-discriminator), "
                                    "--spectral-norm or --loss wasserstein."})
            return None
        model = self.run.model
        ckpt.restore_model(model, self.saved["tensors"], {"optimizer_groups": self.saved["groups"]})
        torch_rng, data_rng, noise_rng = self.saved["rng"]
        torch.set_rng_state(torch_rng)
        self.run.data_rng.set_state(data_rng)
        self.run.noise_rng.set_state(noise_rng)
        rates = []
        for optimizer in model.optimizers().values():
            for group in optimizer.param_groups:
                group["lr"] *= 0.5
            rates.append(optimizer.param_groups[0]["lr"])
        self.saved["groups"] = ckpt.optimizer_groups(model)  # a second rollback halves again
        self.count += 1
        self.report({"step": step, "kind": "rollback",
                     "message": f"Training diverged (NaN or inf) by step {step}: rolled back to step "
                                f"{self.saved['step']} and halved the learning rates (now "
                                + ", ".join(f"{name} {lr:.3g}" for name, lr in zip(model.optimizers(), rates))
                                + "). If it keeps happening, try --spectral-norm or --r1 1.0."})
        return self.saved["step"]
