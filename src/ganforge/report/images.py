"""Image grids and image files: the training grids of a run, and `ganforge sample -o grid.png | out/`."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ganforge.errors import UserError

GRID_IMAGES = 64  # images per training grid (the first of the fixed evaluation noise batch)
CELL_MIN = 48  # small images (8x8 digits) are enlarged, pixels kept sharp, to at least this many pixels
PAD = 2


def image_grid(images: np.ndarray, columns: int | None = None):
    """(n, C, H, W) in [0, 1] -> one PIL.Image: a grid of `columns` (default: square-ish), white gaps."""
    from PIL import Image

    images = np.nan_to_num(np.asarray(images, dtype=np.float32), nan=0.0).clip(0, 1)
    n, c, h, w = images.shape
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / columns))
    scale = max(1, math.ceil(CELL_MIN / max(h, w)))
    cell_h, cell_w = h * scale, w * scale
    canvas = np.ones((rows * (cell_h + PAD) + PAD, columns * (cell_w + PAD) + PAD, 3), dtype=np.float32)
    pixels = images.transpose(0, 2, 3, 1)  # (n, H, W, C)
    if c == 1:
        pixels = np.repeat(pixels, 3, axis=3)
    pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)  # nearest-neighbour enlargement
    for i in range(n):
        r, q = divmod(i, columns)
        top, left = PAD + r * (cell_h + PAD), PAD + q * (cell_w + PAD)
        canvas[top:top + cell_h, left:left + cell_w] = pixels[i]
    return Image.fromarray((canvas * 255 + 0.5).astype(np.uint8))


def write_grid(images: np.ndarray, path: Path, columns: int | None = None) -> Path:
    """Writes a grid PNG atomically (a reader never sees half a file)."""
    import os

    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.png")
    image_grid(images, columns).save(tmp)
    os.replace(tmp, path)
    return path


def write_images(images: np.ndarray, path: Path) -> None:
    """`-o grid.png`: one grid; `-o out.npy`: the (n, C, H, W) array; `-o out/` (no suffix): one PNG per image."""
    from PIL import Image

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        if not path.parent.exists():
            raise UserError(f"cannot write {path}: folder {path.parent} does not exist")
        write_grid(images, path)
    elif suffix == ".npy":
        if not path.parent.exists():
            raise UserError(f"cannot write {path}: folder {path.parent} does not exist")
        np.save(path, images)
    elif suffix == "":
        if path.exists() and not path.is_dir():
            raise UserError(f"cannot write images into {path}: it is a file")
        if not path.parent.exists():
            raise UserError(f"cannot write {path}: folder {path.parent} does not exist")
        path.mkdir(exist_ok=True)
        digits = max(4, len(str(len(images) - 1)))
        for i, image in enumerate(np.asarray(images, dtype=np.float32).clip(0, 1)):
            array = (image.transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)
            Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).save(path / f"{i:0{digits}d}.png")
    else:
        raise UserError(f"cannot write images to {path}: use a .png (one grid), a .npy, or a folder name (one PNG each)")


def write_training_grid(run_dir: Path, step: int, generated: np.ndarray, real: np.ndarray | None = None) -> None:
    """plots/grids/step_NNNNNN.png at each log, plots/samples_grid.png (the latest) and plots/real_grid.png once."""
    plots = Path(run_dir) / "plots"
    (plots / "grids").mkdir(parents=True, exist_ok=True)
    write_grid(generated[:GRID_IMAGES], plots / "grids" / f"step_{step:06d}.png")
    write_grid(generated[:GRID_IMAGES], plots / "samples_grid.png")
    if real is not None and not (plots / "real_grid.png").exists():
        write_grid(real[:GRID_IMAGES], plots / "real_grid.png")
