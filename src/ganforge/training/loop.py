"""The training engine: steps, log intervals, callbacks and the stopping rules; nothing else."""

from __future__ import annotations

import math
import signal
from contextlib import contextmanager
from typing import Any, Callable, Sequence

import torch

from ganforge.config import TrainConfig
from ganforge.training.callbacks import Callback


class StopFlag:
    """Set by Ctrl-C: the loop finishes the current step, then stops cleanly and checkpoints."""

    def __init__(self):
        self.raised = False

    @contextmanager
    def catching_interrupt(self):
        try:
            previous = signal.signal(signal.SIGINT, lambda *_: setattr(self, "raised", True))
        except ValueError:  # not the main thread: Ctrl-C stays the default
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def equilibrium_reached(records: Sequence[dict[str, Any]], config: TrainConfig) -> bool:
    """The source's stopping rule: D's accuracy within 0.5 +- tolerance for the last `window` logs."""
    window = records[-config.equilibrium_window:]
    return len(window) == config.equilibrium_window and all(
        r.get("d_acc") is not None and abs(r["d_acc"] - 0.5) <= config.equilibrium_tolerance for r in window)


def is_diverged(record: dict[str, Any]) -> bool:
    """NaN/inf in a loss, a weight or the generated samples during the last interval."""
    losses = [record.get(key) for key in ("loss_d", "loss_g", "loss") if key in record]
    return bool(record.get("nonfinite")) or any(v is None or not math.isfinite(v) for v in losses)


def train_loop(model, next_batch: Callable[[], torch.Tensor], noise_rng: torch.Generator,
               config: TrainConfig, start_step: int, records: list[dict[str, Any]],
               measure: Callable[[int], dict[str, Any]], callbacks: Sequence[Callback],
               stop: StopFlag, clock: Callable[[], float],
               recover: Callable[[int], int | None]) -> tuple[int, str]:
    """Runs steps start_step+1 .. config.steps; returns (last completed step, why it stopped).

    On divergence, `recover(step)` rolls the model back and returns the step to go on from,
    or None to stop. A model may end the run itself: `model.stop_reason()` (a DP run's spent
    budget) is asked before the first step and after each one, and `model.diverged(record)`
    replaces the plain divergence test.
    """
    step = start_step
    stop_reason = getattr(model, "stop_reason", lambda: None)
    diverged = getattr(model, "diverged", is_diverged)
    for callback in callbacks:
        callback.on_start(start_step, config.steps)
    try:
        reason = stop_reason()
        if reason:
            return step, reason
        while step < config.steps:
            step += 1
            log_now = step % config.log_every == 0 or step == config.steps
            model.measure_gradients(log_now)
            model.train_step(next_batch, noise_rng, progress=(step - 1) / config.steps)
            if log_now:
                record = {"step": step, "wall_seconds": clock()}
                record.update(model.pop_stats())
                record.update(measure(step))
                records.append(record)
                for callback in callbacks:
                    callback.on_log(record)
                if diverged(record):
                    resumed = recover(step)
                    if resumed is None:
                        return step, "divergence"
                    step = resumed
                    continue
            for callback in callbacks:
                callback.on_step(step)
            if stop.raised:
                return step, "interrupted"
            if log_now and config.stop_at_equilibrium and equilibrium_reached(records, config):
                return step, "equilibrium"
            reason = stop_reason()
            if reason:
                return step, reason
        return step, "steps"
    finally:
        for callback in callbacks:
            callback.on_end(step)
