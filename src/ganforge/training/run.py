"""One training run end to end: run directory, loop, snapshots, summary and report."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from ganforge.config import TrainConfig
from ganforge.data.dataset import Dataset
from ganforge.errors import UserError
from ganforge.metrics.evaluate import evaluate_samples
from ganforge.training import checkpoint as ckpt
from ganforge.training.callbacks import MetricsLog, PeriodicCheckpoint, ProgressBar, TensorBoardLog
from ganforge.training.loop import StopFlag, train_loop
from ganforge.training.state import TrainedRun, load_run, new_run

# What a run writes; --overwrite removes exactly these, never other files of the user's.
RUN_FILES = ("config.yaml", "metrics.jsonl", "summary.json", "checkpoint", "plots", "report.html",
             "snapshots.npz", "tensorboard", "evaluation.json")
EVAL_NOISE_OFFSET = 2  # evaluation draws its fixed noise from seed + 2, apart from training's RNG


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
          **resume_overrides: Any) -> TrainedRun:
    """Trains per `config`; with `out`, writes the run directory. With resume, config comes from
    the checkpoint in `out` (resume_overrides may change steps or device)."""
    if out is not None:
        out = Path(out)
        check_run_dir(out, resume, overwrite)
    if resume:
        run = load_run(out, **resume_overrides)
        run.dataset = dataset
        run.load_dataset()
        run.records = _read_records(out / "metrics.jsonl", up_to=run.step)
        _atomic_write(out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in run.records))
        snapshots = _read_snapshots(out / "snapshots.npz")
    else:
        run = new_run(config, dataset)  # validates data and options before the old run is touched
        snapshots = {}
        if out is not None:
            clear_run_dir(out)
    config, model, seed = run.config, run.model, run.config.seed
    if out is not None:
        config.to_yaml(out / "config.yaml")

    start_step, wall_offset = run.step, run.wall_seconds
    snapshots.setdefault("real", run.dataset.reference(config.eval_samples, seed).numpy())
    first_log = min(config.log_every, config.steps)
    middle_log = min(-(-(config.steps // 2) // config.log_every) * config.log_every, config.steps)
    started = time.perf_counter()

    def clock() -> float:
        return wall_offset + time.perf_counter() - started

    def next_batch():
        return run.encoder.transform(run.dataset.sample(config.batch_size, run.data_rng)).to(model.device)

    def evaluate(step: int) -> dict[str, Any]:
        samples = run.sample(config.eval_samples, seed + EVAL_NOISE_OFFSET)  # fixed noise: frames compare
        if out is not None and step in (first_log, middle_log):
            snapshots[f"step_{step}"] = samples
            _write_snapshots(out / "snapshots.npz", snapshots)
        return evaluate_samples(run.dataset, samples, seed)

    def save(step: int) -> bool:
        run.step, run.wall_seconds = step, clock()
        return run.save(out)

    callbacks = []
    if out is not None:
        callbacks += [MetricsLog(out / "metrics.jsonl"), PeriodicCheckpoint(config.checkpoint_every, save)]
        if config.tensorboard:
            callbacks.append(TensorBoardLog(out / "tensorboard"))
    if progress:
        callbacks.append(ProgressBar())

    stop = StopFlag()
    with stop.catching_interrupt():
        step, stopped_because = train_loop(model, next_batch, run.noise_rng, config, start_step,
                                           run.records, evaluate, callbacks, stop, clock)
    run.step, run.wall_seconds = step, clock()

    last = run.records[-1] if run.records and run.records[-1]["step"] == step else None
    final = dict(last) if last else evaluate(step)
    if not np.isfinite(run.sample(256, seed + EVAL_NOISE_OFFSET)).all():
        stopped_because = "divergence"
    run.summary = {
        "steps": step, "wall_seconds": run.wall_seconds,
        "steps_per_second": (step - start_step) / max(run.wall_seconds - wall_offset, 1e-9),
        "stopped_because": stopped_because, "diagnostics": [],
        "data": config.data, "model": config.model, "loss": config.loss, "seed": seed,
        "device": str(model.device),
        **{k: v for k, v in final.items() if k not in ("step", "wall_seconds")},
    }
    if out is not None:
        save(step)  # refuses NaN weights, so the last good checkpoint survives a divergence
        if f"step_{step}" not in snapshots:
            snapshots[f"step_{step}"] = run.sample(config.eval_samples, seed + EVAL_NOISE_OFFSET)
            _write_snapshots(out / "snapshots.npz", snapshots)
        _atomic_write(out / "summary.json", json.dumps(run.summary, indent=2) + "\n")
        from ganforge.report import build_report

        build_report(out)
    return run


def _read_records(path: Path, up_to: int) -> list[dict[str, Any]]:
    from ganforge.report.plots import read_metrics

    return [r for r in read_metrics(path.parent) if r.get("step", 0) <= up_to] if path.exists() else []


def _read_snapshots(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


def _write_snapshots(path: Path, snapshots: dict[str, np.ndarray]) -> None:
    tmp = path.with_name("snapshots.tmp.npz")
    np.savez(tmp, **snapshots)
    os.replace(tmp, path)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
