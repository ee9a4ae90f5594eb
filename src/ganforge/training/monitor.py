"""What is measured at each log: quality, diversity, the game's value, snapshots and story frames."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.diagnostics.theory import game_value
from ganforge.metrics.diversity import diversity_metrics
from ganforge.metrics.evaluate import evaluate_samples
from ganforge.training.state import TrainedRun

EVAL_NOISE_OFFSET = 2  # evaluation draws its fixed noise from seed + 2, apart from training's RNG
STORY_SAMPLES = 500  # generated points per story frame (the same z in every frame)
STORY_GRID = 64  # D's surface is drawn on a STORY_GRID (x STORY_GRID) grid
MAX_FRAMES = 200


class Monitor:
    """Scores the generator at each log step; keeps the frames for snapshots.npz and story.npz."""

    def __init__(self, run: TrainedRun, out: Path | None):
        config = run.config
        self.run, self.out, self.seed = run, out, config.seed
        real = run.dataset.reference(config.eval_samples, config.seed)  # the user's form
        self.real_encoded = run.encoder.transform(real).to(run.model.device)
        if getattr(run.encoder, "image_shape", None) is not None:  # images: real ones at G's size and channels
            real = run.encoder.inverse_transform(self.real_encoded.cpu())
        self.real = real.numpy() if isinstance(real, torch.Tensor) else real
        self.first_log = min(config.log_every, config.steps)
        self.middle_log = min(-(-(config.steps // 2) // config.log_every) * config.log_every, config.steps)
        self.snapshots: dict[str, np.ndarray] = {"real": self.real} if isinstance(self.real, np.ndarray) else {}
        self.story: dict[str, list] = {"steps": [], "samples": [], "surface": []}
        self.with_story = out is not None and run.encoder.output_dim <= 2 and config.pack == 1
        self.grid = _grid(self.real) if self.with_story else None
        if out is not None:
            self.snapshots.update(_read_npz(out / "snapshots.npz", keep=lambda k: k.startswith("step_")))
            old_story = _read_npz(out / "story.npz")
            if self.with_story and "steps" in old_story:
                keep = old_story["steps"] <= run.step  # frames after the checkpoint are recomputed
                self.story = {key: list(old_story[key][keep]) if key in old_story else []
                              for key in ("steps", "samples", "surface")}

    def generated(self) -> tuple[torch.Tensor, Any]:
        """The fixed-noise sample, encoded and in the user's form; the same z at every call."""
        encoded = self.run.sample_encoded(self.run.config.eval_samples, self.seed + EVAL_NOISE_OFFSET)
        return encoded, self.run.decode(encoded)

    def measure(self, step: int) -> dict[str, Any]:
        encoded, samples = self.generated()
        figures = evaluate_samples(self.run.dataset, samples, self.seed, run_dir=self.out)
        if "spread_ratio" not in figures:  # a modality may measure diversity in a better space (image features)
            figures.update(diversity_metrics(encoded.cpu().numpy(), self.real_encoded.cpu().numpy()))
        value = self._game_value(encoded)
        if value is not None:
            figures["game_value"] = value
        figures["nonfinite"] = not bool(torch.isfinite(encoded).all())
        if self.out is not None and isinstance(samples, np.ndarray):  # arrays of points or images
            if step in (self.first_log, self.middle_log):
                self.snapshot(step, samples)
            if self.with_story:
                self._add_frame(step, samples)
            if samples.ndim == 4:  # images: a grid from the fixed noise batch at every log
                from ganforge.report.images import write_training_grid

                write_training_grid(self.out, step, samples, self.real)
        return figures

    def snapshot(self, step: int, samples: np.ndarray | None = None) -> None:
        if samples is None:
            samples = self.generated()[1]
        if not isinstance(samples, np.ndarray):  # a table (DataFrame): its columns plotted against the real ones
            from ganforge.report.tables import plot_table_snapshot

            return plot_table_snapshot(self.run, self.real, samples, self.out)
        self.snapshots[f"step_{step}"] = samples
        _write_npz(self.out / "snapshots.npz", self.snapshots)

    @torch.no_grad()
    def _game_value(self, encoded: torch.Tensor) -> float | None:
        """V(D, G) on the evaluation samples, for losses whose D outputs a probability's logit."""
        model = self.run.model
        if not has_probability_discriminator(model):
            return None
        return game_value(model.D(self.real_encoded), model.D(encoded))

    @torch.no_grad()
    def _add_frame(self, step: int, samples: np.ndarray) -> None:
        model, encoder = self.run.model, self.run.encoder
        if getattr(model, "D", None) is not None:
            points = torch.from_numpy(self.grid["points"]).to(model.device)
            surface = model.loss.real_probability(model.D(encoder.transform(points))).cpu().numpy()
        else:  # a model without a discriminator: the story shows the samples moving only
            surface = None
        if step in self.story["steps"]:  # a rollback replays steps: keep the latest frame
            index = self.story["steps"].index(step)
            for key in self.story:
                del self.story[key][index:]
        self.story["steps"].append(step)
        self.story["samples"].append(samples[:STORY_SAMPLES])
        if surface is not None:
            self.story["surface"].append(surface.reshape(self.grid["shape"]))
        if len(self.story["steps"]) > MAX_FRAMES:  # long runs: keep every other frame
            for key in self.story:
                self.story[key] = self.story[key][::2]

    def flush(self) -> None:
        """Writes story.npz (at checkpoints and at the end, so it always matches the checkpoint)."""
        if not self.with_story or not self.story["steps"]:
            return
        model = self.run.model
        arrays = {key: np.stack(values) for key, values in self.story.items() if values}
        arrays.update(real=self.real, grid_x=self.grid["x"])
        if "surface" in arrays:
            arrays["surface_kind"] = np.array("probability" if model.loss.output == "logit" else "score")
        if "y" in self.grid:
            arrays["grid_y"] = self.grid["y"]
        _write_npz(self.out / "story.npz", arrays)


def has_probability_discriminator(model) -> bool:
    """True for a GAN whose D outputs the logit of a probability for one sample (not packed)."""
    loss = getattr(model, "loss", None)
    return (getattr(model, "D", None) is not None and loss is not None and loss.output == "logit"
            and model.config.pack == 1)


def _grid(real: np.ndarray) -> dict[str, Any]:
    """An evaluation grid over the real data's range plus a 15% margin (user units)."""
    low, high = real.min(axis=0), real.max(axis=0)
    margin = 0.15 * np.maximum(high - low, 1e-6)
    axes = [np.linspace(lo, hi, STORY_GRID, dtype=np.float32) for lo, hi in zip(low - margin, high + margin)]
    if len(axes) == 1:
        return {"x": axes[0], "points": axes[0][:, None], "shape": (STORY_GRID,)}
    xx, yy = np.meshgrid(axes[0], axes[1])  # indexed [iy, ix]
    return {"x": axes[0], "y": axes[1], "points": np.stack([xx.ravel(), yy.ravel()], axis=1),
            "shape": (STORY_GRID, STORY_GRID)}


def _read_npz(path: Path, keep=lambda key: True) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files if keep(name)}


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
