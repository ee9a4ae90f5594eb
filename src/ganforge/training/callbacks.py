"""What happens around the training steps: metrics log, progress bar, TensorBoard, checkpoints."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class Callback:
    """Hooks the loop calls; each does one thing."""

    def on_start(self, start_step: int, total_steps: int) -> None: ...
    def on_step(self, step: int) -> None: ...
    def on_log(self, record: dict[str, Any]) -> None: ...
    def on_end(self, step: int) -> None: ...


class MetricsLog(Callback):
    """Appends one JSON object per log interval to metrics.jsonl, flushed so a kill loses nothing."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, record):
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")


class ProgressBar(Callback):
    """A live bar with the figures that matter: losses and D's accuracy on real and generated."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.progress: Progress | None = None

    def on_start(self, start_step, total_steps):
        self.progress = Progress(
            TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[figures]}"), TimeRemainingColumn(),
            console=self.console, transient=False,
        )
        self.task = self.progress.add_task("train", total=total_steps, completed=start_step, figures="")
        self.progress.start()
        self.every = max(1, total_steps // 200)  # redrawing every step would cost more than the step

    def on_step(self, step):
        if step % self.every == 0:
            self.progress.update(self.task, completed=step)

    def on_log(self, record):
        self.progress.update(self.task, completed=record["step"], figures=describe(record))

    def on_end(self, step):
        if self.progress is not None:
            self.progress.update(self.task, completed=step)
            self.progress.stop()

    def note(self, message: str) -> None:
        """A line printed above the bar (diagnostics as they happen)."""
        self.console.print(message)


def describe(record: dict[str, Any]) -> str:
    """The one-line summary of a log record shown next to the progress bar."""
    parts = []
    if "loss_d" in record:
        parts += [f"D {record['loss_d']:.3f}", f"G {record['loss_g']:.3f}",
                  f"acc real {record['d_acc_real']:.2f} fake {record['d_acc_fake']:.2f}"]
    else:  # another kind of model: its own losses
        parts += [f"{key} {record[key]:.3f}" for key in ("loss", "reconstruction", "kl", "mmd", "log_likelihood")
                  if isinstance(record.get(key), (int, float))]
    if "modes_covered" in record:
        parts.append(f"modes {record['modes_covered']}/{record['modes_total']}")
    if "high_quality_fraction" in record:
        parts.append(f"HQ {record['high_quality_fraction']:.2f}")
    return " | ".join(parts)


class DiagnosticsLog(Callback):
    """Feeds each log record to the diagnostician and shows new findings as they happen."""

    def __init__(self, diagnostician, bar: ProgressBar | None):
        self.diagnostician, self.bar = diagnostician, bar

    def on_log(self, record):
        for finding in self.diagnostician.observe(record):
            self.show(finding)

    def report(self, finding: dict[str, Any]) -> None:
        """Adds a finding made outside the diagnostician (a rollback)."""
        self.diagnostician.findings.append(finding)
        self.show(finding)

    def show(self, finding: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.note(f"[yellow]step {finding['step']} {finding['kind']}:[/] {finding['message']}")


class TensorBoardLog(Callback):
    """Scalars to TensorBoard (the optional extra `ganforge[tensorboard]`)."""

    def __init__(self, log_dir: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # pragma: no cover - depends on the optional extra
            from ganforge.errors import UserError

            raise UserError("--tensorboard needs the tensorboard package: pip install 'ganforge[tensorboard]'") from None
        self.writer = SummaryWriter(str(log_dir))

    def on_log(self, record):
        for key, value in record.items():
            if key != "step" and isinstance(value, (int, float)) and math.isfinite(value):
                self.writer.add_scalar(key, value, record["step"])
        self.writer.flush()

    def on_end(self, step):
        self.writer.close()


class PeriodicCheckpoint(Callback):
    """Saves a checkpoint every `every` steps through the run's save function."""

    def __init__(self, every: int, save: Callable[[int], None]):
        self.every, self.save = every, save

    def on_step(self, step):
        if step % self.every == 0:
            self.save(step)
