"""Report test fixtures: a finished run directory, and story.npz files shaped like the trainer's (1D and 2D)."""

import json

import numpy as np
import pytest
import yaml

SUMMARY = {
    "steps": 2000, "wall_seconds": 12.345, "steps_per_second": 162.0,
    "stopped_because": "reached the step budget", "data": "ring8", "model": "gan",
    "modes_covered": 7, "modes_total": 8, "high_quality_fraction": 0.9512,
    "reverse_kl": 0.01234, "js_divergence": 0.0523, "js_divergence_floor": 0.003,
    "diagnostics": [{"step": 1200, "kind": "mode_collapse", "message": "Only 3 of 8 modes <covered> & kept."}],
}


def finished_run(run_dir, diagnostics=None):
    """A finished 2D run: metrics (one NaN, one sparse record, a cut-off last line), summary, config, snapshots."""
    rng = np.random.default_rng(0)
    lines = []
    for i in range(20):
        record = {"step": 100 * (i + 1), "loss_d": 0.69, "loss_g": 0.7 - 0.01 * i, "d_acc_real": 0.55,
                  "d_acc_fake": 0.45, "d_acc": 0.5, "modes_covered": min(i, 8), "modes_total": 8,
                  "js_divergence": 0.5 / (i + 1)}
        if i == 3:
            record["loss_d"] = float("nan")
        if i == 9:
            record = {"step": 1000}
        lines.append(json.dumps(record))
    (run_dir / "metrics.jsonl").write_text("\n".join(lines) + '\n{"step": 2100, "lo')
    summary = dict(SUMMARY)
    if diagnostics is not None:
        summary["diagnostics"] = diagnostics
    (run_dir / "summary.json").write_text(json.dumps(summary))
    config = {"data": "ring8", "model": "gan", "steps": 2000, "batch_size": 128,
              "lr_generator": 0.0002, "lr_discriminator": 0.0003, "seed": 12345}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    real = rng.standard_normal((300, 2))
    np.savez(run_dir / "snapshots.npz", real=real, step_0=0.1 * real, step_2000=real + 0.01)
    return run_dir


def ring_story(frames=12, m=256, n=800, grid=41, kind="probability", seed=0):
    """A 2D story: samples start in a blob at the origin and move out onto a ring of 8 modes.

    D's surface is a probability that is high on the ring and low where the samples are.
    """
    rng = np.random.default_rng(seed)
    angles = rng.integers(0, 8, n) * (2 * np.pi / 8)
    real = np.stack([2 * np.cos(angles), 2 * np.sin(angles)], axis=1) + 0.05 * rng.standard_normal((n, 2))
    z = rng.standard_normal((m, 2))
    target = 2 * z / np.linalg.norm(z, axis=1, keepdims=True)  # where each z ends up
    t = np.linspace(0, 1, frames)[:, None, None]  # (F, 1, 1)
    samples = (1 - t) * 0.2 * z + t * target  # (F, m, 2)
    axis = np.linspace(-3, 3, grid)
    xx, yy = np.meshgrid(axis, axis)  # (G, G) indexed [iy, ix]
    radius = np.sqrt(xx**2 + yy**2)
    surface = np.stack([1 / (1 + np.exp(-(3 - 2.5 * s) * (1.2 - np.abs(radius - 2)) + 2 * (1 - s) * (radius < 0.6)))
                        for s in np.linspace(0, 1, frames)])  # (F, G, G)
    if kind == "score":
        surface = 4 * surface - 2
    return {"steps": np.arange(frames) * 100, "real": real, "samples": samples, "grid_x": axis, "grid_y": axis,
            "surface": surface, "surface_kind": np.array(kind)}


def gaussian_story(frames=10, m=300, n=600, grid=200, seed=0):
    """A 1D story: a narrow generator at 0 spreads out towards a real N(1.5, 0.5^2)."""
    rng = np.random.default_rng(seed)
    real = rng.normal(1.5, 0.5, (n, 1))
    z = rng.standard_normal((m, 1))
    t = np.linspace(0, 1, frames)[:, None, None]
    samples = (1 - t) * 0.1 * z + t * (1.5 + 0.5 * z)  # (F, m, 1)
    x = np.linspace(-2, 4, grid)
    centre = np.linspace(0, 1.5, frames)[:, None]
    surface = 1 / (1 + np.exp(-(2.0 * (1 - np.linspace(0, 1, frames)[:, None]) + 0.05) * (x - centre)))  # (F, G)
    return {"steps": np.arange(frames) * 50, "real": real, "samples": samples, "grid_x": x,
            "surface": surface, "surface_kind": np.array("probability")}


@pytest.fixture(scope="session")
def write_story_file():
    """write_story_file(run_dir, arrays) saves arrays as run_dir/story.npz, as the trainer does."""

    def write(run_dir, arrays):
        np.savez(run_dir / "story.npz", **arrays)
        return run_dir / "story.npz"

    return write


@pytest.fixture(scope="session")
def ring_story_arrays():
    return ring_story


@pytest.fixture(scope="session")
def gaussian_story_arrays():
    return gaussian_story


@pytest.fixture(scope="session")
def make_run():
    """make_run(run_dir, diagnostics=None) writes a finished 2D run (no story) into run_dir."""
    return finished_run
