"""The training story: D's surface, real and generated samples, and G's movement, frame by frame (GIF and strip)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from ganforge.errors import UserError

REAL_COLOUR = "0.35"
FAKE_COLOUR = "#d95f02"  # orange: stands out on both ends of the diverging surface
CURVE_COLOUR = "#1b7837"
PROBABILITY_MAP = "PRGn"  # purple where D says "generated" (0), white at 1/2, green where it says "real" (1)
SCORE_MAP = "viridis"
ARROWS = 150  # movement arrows drawn per frame
REAL_SHOWN = 1500  # real samples drawn per frame; more only slow the rendering
MOVEMENT = "movement of G(z)"
GIF_FRAMES = 24
STRIP_FRAMES = 5
GIF_MS = 250  # 4 frames per second
LAST_FRAME_MS = 1500  # the final state stays on screen a little longer


@dataclass
class Story:
    """What story.npz holds, checked and reshaped: samples are (F, m, d), surfaces (F, G) or (F, G, G)."""

    steps: np.ndarray  # (F,)
    real: np.ndarray  # (n, d)
    samples: np.ndarray  # (F, m, d), the same noise z at every frame
    grid_x: np.ndarray | None  # (G,)
    grid_y: np.ndarray | None  # (G,) in 2D
    surface: np.ndarray | None  # (F, G) in 1D, (F, G, G) indexed [f, iy, ix] in 2D
    surface_kind: str  # "probability" (D(x) in [0, 1]) or "score" (no fixed boundary)

    @property
    def dim(self) -> int:
        return self.real.shape[1]

    @property
    def frames(self) -> int:
        return len(self.steps)


def _points(array: np.ndarray, name: str, path: Path) -> np.ndarray:
    """Samples as (..., d): a 1D story may store (n,) and (F, m) arrays."""
    array = np.asarray(array, dtype=float)
    if (name == "real" and array.ndim == 1) or (name == "samples" and array.ndim == 2):
        array = array[..., None]
    if array.ndim != (2 if name == "real" else 3):
        raise UserError(f"{path}: '{name}' has shape {array.shape}, expected (n, d) for real and (F, m, d) for samples")
    return array


def _ascending(grid: np.ndarray, surface: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid sorted ascending, with the surface reordered along `axis` to match."""
    order = np.argsort(grid)
    return grid[order], np.take(surface, order, axis=axis)


def read_story(run_dir: str | Path) -> Story | None:
    """The story of `run_dir/story.npz`; None when there is no file. Inconsistent shapes raise UserError."""
    path = Path(run_dir) / "story.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: not a readable .npz file ({err})") from None
    missing = [name for name in ("steps", "real", "samples") if name not in arrays]
    if missing:
        raise UserError(f"{path}: missing {', '.join(missing)}")
    steps = np.asarray(arrays["steps"]).reshape(-1).astype(np.int64)
    real, samples = _points(arrays["real"], "real", path), _points(arrays["samples"], "samples", path)
    if samples.shape[0] != len(steps) or samples.shape[2] != real.shape[1]:
        raise UserError(f"{path}: samples {samples.shape} do not match {len(steps)} steps and real {real.shape}")
    kind = str(arrays.get("surface_kind", np.array("probability"))[()])
    if kind not in ("probability", "score"):
        raise UserError(f"{path}: surface_kind is {kind!r}, expected 'probability' or 'score'")
    story = Story(steps, real, samples, None, None, None, kind)
    if "surface" not in arrays or real.shape[1] > 2:
        return story  # no discriminator surface (a model without D): samples and movement only
    d = real.shape[1]
    surface = np.asarray(arrays["surface"], dtype=float)
    grid_x = np.asarray(arrays.get("grid_x", np.empty(0)), dtype=float).reshape(-1)
    grid_y = np.asarray(arrays.get("grid_y", np.empty(0)), dtype=float).reshape(-1) if d == 2 else None
    expected = (len(steps), len(grid_x)) if d == 1 else (len(steps), len(grid_y), len(grid_x))
    if surface.shape != expected or len(grid_x) < 2 or (d == 2 and len(grid_y) < 2):
        raise UserError(f"{path}: surface has shape {surface.shape}, expected {expected} from steps and the grid")
    grid_x, surface = _ascending(grid_x, surface, axis=-1)
    if d == 2:
        grid_y, surface = _ascending(grid_y, surface, axis=1)
    story.grid_x, story.grid_y, story.surface = grid_x, grid_y, surface
    return story


def _view(story: Story) -> tuple[np.ndarray, np.ndarray]:
    """Axis limits: the evaluation grid when there is one, else the real data plus a quarter of its range."""
    if story.grid_x is not None:
        grids = [story.grid_x] + ([story.grid_y] if story.dim == 2 else [])
        return np.array([g[0] for g in grids]), np.array([g[-1] for g in grids])
    finite = story.real[np.isfinite(story.real).all(axis=1)]
    if len(finite) == 0:
        return np.full(story.dim, -1.0), np.full(story.dim, 1.0)
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return lo - 0.25 * span, hi + 0.25 * span


def _subset(n: int, k: int) -> np.ndarray:
    """k indices spread evenly over range(n), the same at every frame (so one arrow follows one z)."""
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(int)) if n else np.zeros(0, int)


def choose_frames(total: int, k: int) -> list[int]:
    """At most k frame indices spread evenly from the first frame to the last, both included."""
    return [int(i) for i in _subset(total, k)]


def _movement(story: Story, frame: int, next_frame: int | None, arrows: int):
    """(start points, displacements) of a fixed subset of z from `frame` to `next_frame`, finite ones only."""
    if next_frame is None or not 0 <= next_frame < story.frames:
        return None
    pick = _subset(story.samples.shape[1], arrows)
    start, end = story.samples[frame, pick], story.samples[next_frame, pick]
    keep = np.isfinite(start).all(axis=1) & np.isfinite(end).all(axis=1)
    return start[keep], (end - start)[keep]


def _split_view(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(finite samples inside the view, those outside moved just inside its edge, so they stay visible)."""
    x = x[np.isfinite(x).all(axis=1)]
    inside = ((x >= lo) & (x <= hi)).all(axis=1)
    inset = 0.01 * (hi - lo)
    return x[inside], np.clip(x[~inside], lo + inset, hi - inset)


def _title(story: Story, frame: int) -> str:
    """"step N", with how many generated samples lie outside the view or are not finite."""
    lo, hi = _view(story)
    x = story.samples[frame]
    finite = np.isfinite(x).all(axis=1)
    beyond = int((~((x[finite] >= lo) & (x[finite] <= hi)).all(axis=1)).sum())
    notes = [f"{beyond} beyond the view"] if beyond else []
    notes += [f"{int((~finite).sum())} not finite"] if not finite.all() else []
    return f"step {int(story.steps[frame]):,}" + (f" ({', '.join(notes)})" if notes else "")


def _surface_norm(story: Story, frame: int) -> tuple[float, float]:
    if story.surface_kind == "probability":
        return 0.0, 1.0  # symmetric about the decision boundary D = 1/2
    values = story.surface[frame][np.isfinite(story.surface[frame])]
    if len(values) == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(values, [2, 98])
    return (float(lo), float(hi)) if hi > lo else (float(lo) - 0.5, float(lo) + 0.5)


def _draw_2d(ax, story: Story, frame: int, next_frame: int | None, arrows: int):
    lo, hi = _view(story)
    image = None
    if story.surface is not None:
        vmin, vmax = _surface_norm(story, frame)
        surface = story.surface[frame]  # (G, G) indexed [iy, ix]
        # Ten flat bands read as levels of D and keep the GIF small (smooth gradients compress badly).
        probability = story.surface_kind == "probability"
        image = ax.contourf(story.grid_x, story.grid_y, np.ma.masked_invalid(surface), alpha=0.85,
                            levels=np.linspace(vmin, vmax, 11), extend="neither" if probability else "both",
                            cmap=PROBABILITY_MAP if probability else SCORE_MAP)
        finite = surface[np.isfinite(surface)]
        if probability and len(finite) and finite.min() < 0.5 < finite.max():
            ax.contour(story.grid_x, story.grid_y, surface, levels=[0.5], colors="black",
                       linewidths=0.8, linestyles="--")
    real = story.real[_subset(len(story.real), REAL_SHOWN)]
    ax.scatter(real[:, 0], real[:, 1], s=5, color=REAL_COLOUR, alpha=0.6, linewidths=0, label="real")
    inside, edge = _split_view(story.samples[frame], lo, hi)
    ax.scatter(inside[:, 0], inside[:, 1], s=7, color=FAKE_COLOUR, alpha=0.9, linewidths=0, label="generated")
    if len(edge):
        ax.scatter(edge[:, 0], edge[:, 1], s=16, marker="x", color="tab:red", linewidths=1,
                   label="generated, beyond the view")
    moved = _movement(story, frame, next_frame, arrows)
    if moved is not None and len(moved[0]):
        (x, y), (dx, dy) = moved[0].T, moved[1].T
        ax.quiver(x, y, dx, dy, angles="xy", scale_units="xy", scale=1, color="black", alpha=0.75,
                  width=0.004, headwidth=4, headlength=5, label=MOVEMENT)
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="x1", ylabel="x2")
    spans = hi - lo
    if max(spans) / max(min(spans), 1e-12) < 3:  # equal axes only where they do not squash the picture
        ax.set_aspect("equal", adjustable="box")
    return image


def _draw_1d(ax, story: Story, frame: int, next_frame: int | None, arrows: int):
    lo, hi = _view(story)
    bins = np.linspace(lo[0], hi[0], 41)
    real, fake = story.real[:, 0], story.samples[frame, :, 0]
    real, fake = real[np.isfinite(real)], fake[np.isfinite(fake)]
    ax.hist(real, bins=bins, density=True, color=REAL_COLOUR, alpha=0.45, label="real")
    ax.hist(np.clip(fake, lo[0], hi[0]), bins=bins, density=True, color=FAKE_COLOUR, alpha=0.55, label="generated")
    heights = [np.histogram(v, bins=bins, density=True)[0].max() for v in (real, fake) if len(v)]
    top = max(heights + [1e-3]) * 1.1
    band = 0.18 * top  # below zero: the rug of generated samples and their movement
    pick = _subset(len(story.samples[frame]), arrows)
    y = -band * (0.15 + 0.7 * (np.arange(len(pick)) % 7) / 6)  # seven rows, so arrows do not overlap
    start = story.samples[frame, pick, 0]
    ok = np.isfinite(start)
    ax.plot(start[ok], y[ok], "|", color=FAKE_COLOUR, markersize=4, alpha=0.9)
    moved = None if next_frame is None or not 0 <= next_frame < story.frames else story.samples[next_frame, pick, 0]
    if moved is not None:
        ok &= np.isfinite(moved)
        ax.quiver(start[ok], y[ok], (moved - start)[ok], np.zeros(ok.sum()), angles="xy", scale_units="xy",
                  scale=1, color="black", alpha=0.7, width=0.003, headwidth=4, headlength=5,
                  label=MOVEMENT)
    ax.axhline(0, color="0.5", linewidth=0.6)
    ax.set(xlim=(lo[0], hi[0]), ylim=(-band, top), xlabel="x", ylabel="density")
    ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= top])  # the band under zero holds the rug
    if story.surface is None:
        return None
    twin = ax.twinx()
    twin.plot(story.grid_x, story.surface[frame], color=CURVE_COLOUR, linewidth=2, label="D(x)")
    if story.surface_kind == "probability":
        twin.axhline(0.5, color=CURVE_COLOUR, linestyle="--", linewidth=0.8)
        twin.set_ylim(-0.18 / 1.18, 1.0)  # D = 0 sits on the histograms' zero line
        twin.set_ylabel("D(x), probability of real", color=CURVE_COLOUR)
    else:
        twin.set_ylabel("D(x) score", color=CURVE_COLOUR)
    return None


def draw_frame(ax, story: Story, frame: int, next_frame: int | None = None, arrows: int = ARROWS):
    """Draw frame `frame` on `ax`, arrows going to `next_frame`; return the surface image (2D) or None."""
    draw = _draw_2d if story.dim == 2 else _draw_1d
    image = draw(ax, story, frame, next_frame, arrows)
    ax.set_title(_title(story, frame), fontsize=10)
    return image


def _legend(fig: Figure) -> None:
    """One legend under the panels for every axes (the 1D curve's twin too), so it never hides samples."""
    entries = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if MOVEMENT in entries:  # a quiver's own legend handle is a box; an arrow says more
        entries[MOVEMENT] = Line2D([], [], color="black", marker=r"$\rightarrow$", markersize=6, linestyle="None")
    if entries:
        fig.legend(entries.values(), entries.keys(), loc="lower center", frameon=False,
                   ncol=len(entries) if len(entries) <= 3 or len(fig.axes) > 3 else 2,
                   markerscale=2, fontsize=9)


def _colorbar(fig: Figure, image, axes, story: Story) -> None:
    if image is not None:
        label = "D(x), probability of real" if story.surface_kind == "probability" else "D(x) score"
        fig.colorbar(image, ax=axes, label=label, fraction=0.04, pad=0.02)


def render_frame(story: Story, frame: int, next_frame: int | None = -1, arrows: int = ARROWS,
                 size: tuple[float, float] = (5.6, 5.0), dpi: int = 80) -> Figure:
    """One frame as a Figure: D's surface, real (grey) and generated (colour) samples, arrows to `next_frame`.

    `next_frame=-1` means the following stored frame; None draws no arrows.
    """
    if next_frame == -1:
        next_frame = frame + 1 if frame + 1 < story.frames else None
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    # Fixed axes positions (no layout engine): the panel stays put from one GIF frame to the next
    # whatever its tick labels, and each frame renders a third faster.
    ax = fig.add_axes((0.12, 0.17, 0.66, 0.76) if story.dim == 2 else (0.14, 0.21, 0.7, 0.72))
    image = draw_frame(ax, story, frame, next_frame, arrows)
    if image is not None:
        label = "D(x), probability of real" if story.surface_kind == "probability" else "D(x) score"
        fig.colorbar(image, cax=fig.add_axes((0.84, 0.17, 0.03, 0.76)), label=label)
    _legend(fig)
    return fig


def render_strip(story: Story, frames: list[int], arrows: int = ARROWS, dpi: int = 90) -> Figure:
    """The chosen frames side by side; each frame's arrows go to the next one shown."""
    fig = Figure(figsize=(3.3 * len(frames) + 0.8, 3.9), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(frames), squeeze=False)[0]
    image = None
    for i, (ax, frame) in enumerate(zip(axes, frames)):
        image = draw_frame(ax, story, frame, frames[i + 1] if i + 1 < len(frames) else None, arrows) or image
    twins = [ax for ax in fig.axes if ax not in axes]  # the 1D curves' right-hand axes
    for ax in list(axes[1:]) + twins[:-1]:  # one y label at each end of the strip, not one per panel
        ax.set_ylabel("")
    _colorbar(fig, image, list(axes), story)
    fig.get_layout_engine().set(rect=(0, 0.08, 1, 0.92))
    _legend(fig)
    return fig


def figure_to_image(fig: Figure) -> Image.Image:
    """The figure rendered by Agg as an RGB Pillow image."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())


def _write_gif(images: list[Image.Image], path: Path) -> Path:
    """An endless GIF at 4 fps on one shared palette, so colours do not flicker between frames."""
    probe = [images[i] for i in choose_frames(len(images), 3)]
    mosaic = Image.new("RGB", (probe[0].width, probe[0].height * len(probe)))
    for i, image in enumerate(probe):
        mosaic.paste(image, (0, i * image.height))
    palette = mosaic.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    frames = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    durations = [GIF_MS] * (len(frames) - 1) + [LAST_FRAME_MS]
    tmp = path.with_name(path.name + ".tmp")
    frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=durations,
                   loop=0, optimize=False, disposal=1)
    tmp.replace(path)
    return path


def write_story(run_dir: str | Path) -> list[Path]:
    """Write `plots/story.gif` and `plots/story_strip.png` from `run_dir/story.npz` and return their paths.

    Returns [] when there is no story.npz, no frame, or the data has more than two dimensions.
    """
    run_dir = Path(run_dir)
    story = read_story(run_dir)
    if story is None or story.dim > 2 or story.frames == 0:
        return []
    out = run_dir / "plots"
    out.mkdir(parents=True, exist_ok=True)
    shown = choose_frames(story.frames, GIF_FRAMES)
    images = []
    for i, frame in enumerate(shown):
        fig = render_frame(story, frame, shown[i + 1] if i + 1 < len(shown) else None)
        images.append(figure_to_image(fig))
    gif = _write_gif(images, out / "story.gif")
    strip = render_strip(story, choose_frames(story.frames, STRIP_FRAMES))
    strip_path = out / "story_strip.png"
    strip.savefig(strip_path, dpi=strip.dpi)
    return [gif, strip_path]
