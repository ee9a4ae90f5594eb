"""Plots of a training run (losses, discriminator accuracy, quality, samples) written as PNG files."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

# The object-oriented Figure API renders through Agg when saving a PNG and never touches
# pyplot's global backend, so a library call cannot change a notebook user's plotting setup.
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ganforge.errors import UserError

REAL_COLOUR = "0.6"
FAKE_COLOUR = "tab:blue"
# Margin added around the real data's range, as a fraction of that range.
VIEW_MARGIN = 0.25

# (panel title, keys plotted on it, y label); a panel is drawn only when one of its keys has data.
QUALITY_PANELS = (
    ("Modes covered", ("modes_covered",), "modes"),
    ("High-quality samples", ("high_quality_fraction",), "fraction of samples"),
    ("Divergence from the real data", ("reverse_kl", "js_divergence"), "divergence"),
    ("Match to the real table", ("quality", "column_shapes", "column_pair_trends"), "score (1 = same)"),
    ("Frechet distance in the image features", ("fid", "fid_floor"), "FID (lower is better)"),
    ("Class histogram vs the real one", ("class_tvd", "class_tvd_floor"), "total variation distance"),
)
QUALITY_LABELS = {"reverse_kl": "reverse KL", "js_divergence": "JS divergence", "fid": "FID",
                  "fid_floor": "floor: real test vs real", "class_tvd": "class TVD", "class_tvd_floor": "floor: real test"}


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The records of `run_dir/metrics.jsonl`; [] when the file is absent.

    A killed run may leave a half-written last line: it is dropped. A bad line anywhere else
    means the file is damaged and raises UserError.
    """
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return []
    lines = [(i, line) for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    records = []
    for pos, (number, line) in enumerate(lines):
        try:
            record = json.loads(line)  # accepts the NaN / Infinity literals of a diverged run
        except json.JSONDecodeError:
            if pos == len(lines) - 1:
                break
            raise UserError(f"{path}: line {number} is not valid JSON") from None
        if not isinstance(record, dict):
            raise UserError(f"{path}: line {number} is not a JSON object")
        records.append(record)
    return records


def _number(value) -> float:
    """A float, with missing, null and non-numeric values as NaN so lines show a gap there."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def _by_step(records: list[dict]) -> list[dict]:
    """Records sorted by step; after a resume the later record for a repeated step wins."""
    latest = {}
    for record in records:
        step = record.get("step")
        if isinstance(step, (int, float)) and not isinstance(step, bool) and math.isfinite(step):
            latest[step] = record
    return [latest[step] for step in sorted(latest)]


def _series(records: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of one key; non-finite values become NaN so they show as gaps."""
    rows = _by_step(records)
    steps = np.array([r["step"] for r in rows], dtype=float)
    values = np.array([_number(r.get(key)) for r in rows], dtype=float)
    values[~np.isfinite(values)] = np.nan
    return steps, values


def _has_data(records: list[dict], keys) -> bool:
    return any(np.isfinite(_series(records, key)[1]).any() for key in keys)


def _first_non_finite_step(records: list[dict], keys) -> float | None:
    """The first step where one of `keys` holds NaN or infinity (the run diverged), else None."""
    for record in _by_step(records):
        for key in keys:
            value = record.get(key)
            if isinstance(value, float) and not math.isfinite(value):
                return record["step"]
    return None


def _line(ax, steps, values, label):
    # Markers keep isolated points (neighbours are gaps) visible on short runs.
    marker = "o" if len(steps) <= 50 else None
    ax.plot(steps, values, label=label, marker=marker, markersize=3, linewidth=1.5)


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def plot_losses(records: list[dict], path: str | Path) -> Path:
    """Discriminator and generator loss against step."""
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for key, label in (("loss_d", "discriminator loss"), ("loss_g", "generator loss")):
        steps, values = _series(records, key)
        _line(ax, steps, values, label)
    diverged = _first_non_finite_step(records, ("loss_d", "loss_g"))
    if diverged is not None:
        ax.axvline(diverged, color="tab:red", linestyle=":", label=f"first non-finite loss (step {diverged:g})")
    ax.set(xlabel="step", ylabel="loss", title="Losses")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_discriminator_accuracy(records: list[dict], path: str | Path) -> Path:
    """Discriminator accuracy on real, fake and both, against the 50% of the game's equilibrium."""
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for key, label in (("d_acc_real", "on real"), ("d_acc_fake", "on generated"), ("d_acc", "overall")):
        steps, values = _series(records, key)
        _line(ax, steps, values, label)
    # At the optimum p_g = p_t, so D* = 1/2 everywhere and D is right one time in two.
    ax.axhline(0.5, color="black", linestyle="--", linewidth=1, label="theoretical equilibrium (D = 1/2)")
    ax.set(xlabel="step", ylabel="accuracy", title="Discriminator accuracy", ylim=(-0.02, 1.02))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_quality(records: list[dict], path: str | Path) -> Path | None:
    """The quality metrics present in the records against step; None when there are none."""
    panels = [p for p in QUALITY_PANELS if _has_data(records, p[1])]
    if not panels:
        return None
    fig = Figure(figsize=(4.5 * len(panels), 4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, keys, ylabel) in zip(axes, panels):
        for key in keys:
            steps, values = _series(records, key)
            _line(ax, steps, values, QUALITY_LABELS.get(key, key.replace("_", " ")))
        if "modes_covered" in keys:
            steps, total = _series(records, "modes_total")
            if np.isfinite(total).any():
                ax.axhline(np.nanmax(total), color="black", linestyle="--", linewidth=1, label="modes in the data")
            ax.set_ylim(bottom=-0.3)  # keeps points at zero modes visible
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if "high_quality_fraction" in keys:
            ax.set_ylim(-0.02, 1.02)
        ax.set(xlabel="step", ylabel=ylabel, title=title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def _as_2d(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array, dtype=float)
    if array.ndim == 1:
        return array.reshape(-1, 1)
    return array.reshape(len(array), -1) if array.ndim > 2 else array  # images (n, c, h, w) -> (n, c*h*w)


def _project(real: np.ndarray, snapshots: dict[int, np.ndarray]):
    """Real and generated in at most two dimensions: the first two principal components of real."""
    if real.shape[1] <= 2:
        return real, snapshots, ("x",) if real.shape[1] == 1 else ("x1", "x2")
    finite = real[np.isfinite(real).all(axis=1)]
    mean = finite.mean(axis=0)
    _, _, vt = np.linalg.svd(finite - mean, full_matrices=False)
    basis = vt[:2].T  # (dim, 2)
    with np.errstate(invalid="ignore", over="ignore"):
        projected = {step: (x - mean) @ basis for step, x in snapshots.items()}
    return (real - mean) @ basis, projected, ("PC1", "PC2")


def _view(real: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis limits from the finite real data plus a margin, so diverged samples cannot set the scale."""
    finite = real[np.isfinite(real).all(axis=1)]
    if len(finite) == 0:
        return np.full(real.shape[1], -1.0), np.full(real.shape[1], 1.0)
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return lo - VIEW_MARGIN * span, hi + VIEW_MARGIN * span


def _in_view(x: np.ndarray, lo, hi) -> tuple[np.ndarray, np.ndarray, int]:
    """(finite samples inside the view, those outside moved onto its edge, count of non-finite ones)."""
    finite = np.isfinite(x).all(axis=1)
    x = x[finite]
    inside = ((x >= lo) & (x <= hi)).all(axis=1)
    inset = 0.01 * (hi - lo)  # just inside the edge, so the axes do not cut the markers in half
    return x[inside], np.clip(x[~inside], lo + inset, hi - inset), int((~finite).sum())


def _kde(ax, x: np.ndarray, lo: float, hi: float) -> None:
    """A KDE curve of the generated values; skipped when the sample is too small or degenerate."""
    if len(x) < 2 or np.ptp(x) == 0:
        return
    from scipy.stats import gaussian_kde

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            density = gaussian_kde(x)
            grid = np.linspace(lo, hi, 300)
            ax.plot(grid, density(grid), color=FAKE_COLOUR, linewidth=1.5, label="generated (KDE)")
    except (np.linalg.LinAlgError, ValueError):
        return


def plot_snapshots(real: np.ndarray, snapshots: dict[int, np.ndarray], path: str | Path) -> Path:
    """One panel per snapshot step: real samples in grey, generated in colour, on shared limits."""
    if not snapshots:
        raise ValueError("plot_snapshots needs at least one snapshot")
    real = _as_2d(real)
    snapshots = {int(step): _as_2d(x) for step, x in sorted(snapshots.items())}
    for step, x in snapshots.items():
        if x.shape[1] != real.shape[1]:
            raise ValueError(f"snapshot at step {step} has dimension {x.shape[1]}, real has {real.shape[1]}")
    real, snapshots, labels = _project(real, snapshots)
    lo, hi = _view(real)
    ncols = min(len(snapshots), 4)
    nrows = math.ceil(len(snapshots) / ncols)
    fig = Figure(figsize=(4 * ncols, 4 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(snapshots):]:
        ax.set_visible(False)
    for ax, (step, generated) in zip(axes, snapshots.items()):
        inside, edge, not_finite = _in_view(generated, lo, hi)
        notes = [f"{len(edge)} beyond the view"] if len(edge) else []
        notes += [f"{not_finite} not finite"] if not_finite else []
        title = f"step {step}" + (f" ({', '.join(notes)})" if notes else "")
        if len(labels) == 1:
            bins = np.linspace(lo[0], hi[0], 41)
            real_1d = real[np.isfinite(real[:, 0]), 0]
            ax.hist(real_1d, bins=bins, density=True, color=REAL_COLOUR, alpha=0.6, label="real")
            shown = np.concatenate([inside, edge])[:, 0]  # outliers land in the edge bins
            ax.hist(shown, bins=bins, density=True, color=FAKE_COLOUR, alpha=0.4, label="generated")
            _kde(ax, shown, lo[0], hi[0])
            ax.set(xlim=(lo[0], hi[0]), xlabel=labels[0], ylabel="density")
        else:
            ax.scatter(real[:, 0], real[:, 1], s=4, color=REAL_COLOUR, alpha=0.5, label="real", linewidths=0)
            ax.scatter(inside[:, 0], inside[:, 1], s=4, color=FAKE_COLOUR, alpha=0.7, label="generated", linewidths=0)
            if len(edge):
                ax.scatter(edge[:, 0], edge[:, 1], s=16, marker="x", color="tab:red", label="generated, beyond the view")
            ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel=labels[0], ylabel=labels[1])
            spans = hi - lo
            if max(spans) / min(spans) < 3:  # equal axes only where they do not squash the picture
                ax.set_aspect("equal", adjustable="box")
        ax.set_title(title, fontsize=10)
    # One legend under the panels, so it never hides samples (diverged ones sit in the corners).
    legend = {}
    for ax in axes[: len(snapshots)]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.tight_layout(rect=(0, 0.08 / nrows, 1, 1))
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=len(legend), frameon=False, markerscale=3)
    return _save(fig, path)


def read_snapshots(run_dir: str | Path) -> tuple[np.ndarray | None, dict[int, np.ndarray]]:
    """(real, {step: generated}) from `run_dir/snapshots.npz`; (None, {}) when the file is absent."""
    path = Path(run_dir) / "snapshots.npz"
    if not path.is_file():
        return None, {}
    with np.load(path, allow_pickle=False) as npz:
        real = npz["real"] if "real" in npz.files else None
        snapshots = {}
        for name in npz.files:
            if name.startswith("step_") and name[5:].isdigit():
                snapshots[int(name[5:])] = npz[name]
    return real, snapshots


def make_plots(run_dir: str | Path) -> list[Path]:
    """Write the plots that apply to this run under `run_dir/plots/` and return their paths."""
    run_dir = Path(run_dir)
    out = run_dir / "plots"
    records = read_metrics(run_dir)
    written = []
    if _has_data(records, ("loss_d", "loss_g")):
        written.append(plot_losses(records, out / "losses.png"))
    if _has_data(records, ("d_acc_real", "d_acc_fake", "d_acc")):
        written.append(plot_discriminator_accuracy(records, out / "d_accuracy.png"))
    quality = plot_quality(records, out / "quality.png")
    if quality is not None:
        written.append(quality)
    real, snapshots = read_snapshots(run_dir)
    if real is not None and snapshots:
        written.append(plot_snapshots(real, snapshots, out / "samples.png"))
    return written
