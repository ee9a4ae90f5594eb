"""One training run end to end: run directory, loop, diagnostics, rollback, summary and report."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ganforge.config import TrainConfig
from ganforge.data.dataset import Dataset
from ganforge.diagnostics import Diagnostician
from ganforge.errors import UserError
from ganforge.privacy.statement import privacy_summary
from ganforge.training import checkpoint as ckpt
from ganforge.training.callbacks import (DiagnosticsLog, MetricsLog, PeriodicCheckpoint, ProgressBar,
                                         TensorBoardLog)
from ganforge.training.batches import batch_source
from ganforge.training.loop import StopFlag, train_loop
from ganforge.training.monitor import Monitor, has_probability_discriminator
from ganforge.training.rollback import Rollback
from ganforge.training.state import TrainedRun, load_run, new_run
from ganforge.training.summary import read_summary  # noqa: F401  (re-exported for callers)

CLOSED_FORM_SAMPLES = 20_000  # sample size for fitting closed-form models to an endless toy sampler

# What a run writes; --overwrite removes exactly these, never other files of the user's.
RUN_FILES = ("config.yaml", "metrics.jsonl", "summary.json", "checkpoint", "plots", "report.html",
             "snapshots.npz", "story.npz", "tensorboard", "evaluation.json", "image_features.safetensors")


def holds_run(directory: Path) -> bool:
    return any((directory / name).exists() for name in RUN_FILES)


def check_run_dir(out: Path, resume: bool, overwrite: bool) -> None:
    """Checks the output directory before anything is read or written."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a directory")
    if resume:
        if not ckpt.checkpoint_path(out).exists():
            raise UserError(f"--resume: {out} has no checkpoint to continue from")
    elif out.exists() and holds_run(out) and not overwrite:
        raise UserError(f"{out} holds another run; use --resume to continue it or --overwrite to replace it")


def clear_run_dir(out: Path) -> None:
    """Removes a previous run's files (only those ganforge writes) once the new run is known to start."""
    for name in RUN_FILES:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def train(config: TrainConfig | None, dataset: Dataset | None = None, out: Path | None = None,
          resume: bool = False, overwrite: bool = False, progress: bool = True,
          prepare_model: Callable[[TrainedRun], Any] | None = None, **resume_overrides: Any) -> TrainedRun:
    """Trains one model per `config` in this process; with `out`, writes the run directory. With
    resume, config comes from the checkpoint in `out` (resume_overrides may change steps or device).
    `prepare_model(run)` may wrap the model before the loop (data-parallel training does).
    ganforge.launch.train is the entry point that also runs grids and torchrun groups."""
    if config is not None and config.grid:  # a programming slip, not a user's: say where grids train
        raise ValueError("training.run.train trains one model; a --grid run goes through ganforge.launch.train")
    if out is not None:
        out = Path(out)
        check_run_dir(out, resume, overwrite)
    if resume:
        run = load_run(out, **resume_overrides)
        run.dataset = dataset
        run.load_dataset()
        run.records = _read_records(out, up_to=run.step)
        _atomic_write(out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in run.records))
    else:
        run = new_run(config, dataset, progress)  # validates data and options before the old run is touched
        if out is not None:
            clear_run_dir(out)
    if prepare_model is not None:
        run.model = prepare_model(run)  # e.g. DistributedDataParallel inside torchrun's group
    config, model = run.config, run.model
    if out is not None:
        config.to_yaml(out / "config.yaml")

    start_step, wall_offset = run.step, run.wall_seconds
    started = time.perf_counter()

    def clock() -> float:
        return wall_offset + time.perf_counter() - started

    if getattr(model, "closed_form", False):  # fitted in one go, on all the data (or a large sample)
        next_batch = batch_source(run, CLOSED_FORM_SAMPLES, whole=run.dataset.toy is None)
    else:
        next_batch = batch_source(run, config.batch_size)

    monitor = Monitor(run, out)
    diagnostician = Diagnostician(config)
    for record in run.records:  # a resumed run's findings so far
        diagnostician.observe(record)
    bar = ProgressBar() if progress else None
    diagnostics_log = DiagnosticsLog(diagnostician, bar)
    rollback = Rollback(run, diagnostics_log.report)

    def save(step: int) -> None:
        run.step, run.wall_seconds = step, clock()
        if rollback.remember(step) and out is not None:
            run.save(out)
            monitor.flush()

    callbacks = [MetricsLog(out / "metrics.jsonl")] if out is not None else []
    callbacks += [diagnostics_log, PeriodicCheckpoint(config.checkpoint_every, save)]
    if out is not None and config.tensorboard:
        callbacks.append(TensorBoardLog(out / "tensorboard"))
    if bar is not None:
        callbacks.append(bar)

    rollback.remember(start_step)
    stop = StopFlag()
    with stop.catching_interrupt():
        step, stopped_because = train_loop(model, next_batch, run.noise_rng, config, start_step, run.records,
                                           monitor.measure, callbacks, stop, clock, rollback.recover)
    run.step, run.wall_seconds = step, clock()
    diagnostician.finish(run.records)
    diagnostician.findings.extend(_table_fit(run, monitor, step))

    last = run.records[-1] if run.records and run.records[-1]["step"] == step else None
    final = dict(last) if last else monitor.measure(step)
    run.summary = {
        "steps": step, "wall_seconds": run.wall_seconds,
        "steps_per_second": (step - start_step) / max(run.wall_seconds - wall_offset, 1e-9),
        "encoder_fit_seconds": run.encoder_fit_seconds,
        "stopped_because": stopped_because, "diagnostics": diagnostician.findings,
        "data": config.data, "model": config.model, "loss": config.loss, "seed": config.seed,
        "device": str(model.device),
        **({"epochs": step * config.batch_size / len(run.dataset)} if run.dataset.toy is None and len(run.dataset) else {}),
        **{k: v for k, v in final.items() if k not in ("step", "wall_seconds", "nonfinite")},
    }
    if hasattr(model, "privacy"):  # a DP run: the guarantee, and what it covers
        ledger = model.privacy
        run.summary["privacy"] = privacy_summary(ledger.plan, ledger.epsilon(), ledger.steps_taken,
                                                 run.encoder.columns_, delta_is_default=not config.dp_delta)
    if out is not None:
        theory = _theory(run, monitor, out)  # ~1 s of kernel density: only for runs that keep a summary
        if theory is not None:
            run.summary["theory"] = theory
        save(step)  # refuses NaN weights, so the last good checkpoint survives a divergence
        if f"step_{step}" not in monitor.snapshots:
            monitor.snapshot(step)
        _atomic_write(out / "summary.json", json.dumps(run.summary, indent=2) + "\n")
        from ganforge.report import build_report

        build_report(out)
    return run


def _table_fit(run: TrainedRun, monitor: Monitor, step: int) -> list[dict[str, Any]]:
    """A table's badly fitting columns and lost pairs, from the final evaluation sample."""
    from ganforge.diagnostics.column_fit import column_fit_findings

    columns, table = getattr(run.encoder, "columns_", None), run.dataset.table
    samples = monitor.generated()[1] if columns is not None and table is not None else None
    if not isinstance(samples, pd.DataFrame):
        return []
    pairs = not getattr(run.model, "independent_columns", False)  # by design it keeps no pair
    return column_fit_findings(table, samples, columns, step, run.config.seed, run.config.steps, pairs=pairs)


def _theory(run: TrainedRun, monitor: Monitor, out: Path) -> dict[str, Any] | None:
    """The source's theory check (1D/2D data with a known density) and its plots."""
    from ganforge.diagnostics.theory import theory_check
    from ganforge.report.theory_plots import plot_discriminator_vs_optimal, plot_game_over_training

    toy = run.dataset.toy
    generated = monitor.generated()[1]
    (out / "plots").mkdir(exist_ok=True)
    plot_game_over_training(run.records, out / "plots" / "theory_game.png")
    if toy is None or not has_probability_discriminator(run.model) or not np.isfinite(generated).all():
        return None
    result = theory_check(run, toy, generated, monitor.real)
    if result is not None:
        plot_discriminator_vs_optimal(run, toy, generated, monitor.real, out / "plots" / "theory_discriminator.png")
    return result


def _read_records(out: Path, up_to: int) -> list[dict[str, Any]]:
    from ganforge.report.plots import read_metrics

    return [r for r in read_metrics(out) if r.get("step", 0) <= up_to]


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
