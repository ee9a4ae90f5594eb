"""Loads the user's images: a folder (one subfolder per class), MNIST IDX files, a .npz, or built-in `digits`."""

from __future__ import annotations

import gzip
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from ganforge.data.base import BuiltinData, Dataset
from ganforge.errors import UserError
from ganforge.registry import datasets

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
LOAD_SIDE_MAX = 64  # the largest --image-size: bigger pictures are shrunk while loading, to save memory
IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def warn(message: str) -> None:
    """A one-line warning on stderr (the CLI's errors go there too, as `error: ...`)."""
    print(f"warning: {message}", file=sys.stderr)


def is_idx_name(path: Path) -> bool:
    """MNIST-style names: train-images-idx3-ubyte(.gz), foo.idx3-ubyte, foo.idx."""
    name = path.name.lower().removesuffix(".gz")
    return ("idx" in name and name.endswith("ubyte")) or name.endswith(".idx")


def is_image_source(path: Path) -> bool:
    """True for what this module loads: a folder, a .npz, or IDX files (existing or not)."""
    return path.is_dir() or path.suffix.lower() == ".npz" or is_idx_name(path)


def load_images(path: str | Path) -> Dataset:
    """A Dataset of images from a folder, an IDX images file (labels read from beside it) or a .npz."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"data path {path} does not exist")
    if path.is_dir():
        images, labels, classes = _read_folder(path)
    elif path.suffix.lower() == ".npz":
        images, labels, classes = _read_npz(path)
    else:
        images, labels, classes = _read_idx_pair(path)
    return images_dataset(str(path), images, labels, classes)


def images_dataset(name: str, images: np.ndarray, labels: np.ndarray | None = None,
                   classes: list[str] | None = None) -> Dataset:
    """A Dataset from (n, C, H, W) floats in [0, 1] and optional labels 0..K-1 with class names."""
    import torch  # here, so that listing the built-in datasets (digits) does not need it

    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    label_tensor = None if labels is None else torch.from_numpy(np.asarray(labels, dtype=np.int64))
    _, c, h, w = tensor.shape
    return Dataset(name=name, dim=c * h * w, images=tensor, labels=label_tensor, classes=classes,
                   meta={"source_shape": [c, h, w]})


def as_images(array: np.ndarray, what: str) -> np.ndarray:
    """(n, H, W), (n, H, W, C) or (n, C, H, W) numbers (uint8 0..255, or floats in [0, 1], [0, 255]
    or [-1, 1]) -> (n, C, H, W) float32 in [0, 1], C being 1 or 3."""
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise UserError(f"{what} holds {array.dtype} values; expected pixel numbers")
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4 and array.shape[-1] in (1, 3, 4) and array.shape[1] not in (1, 3, 4):
        array = np.moveaxis(array, -1, 1)  # channels last -> first
    if array.ndim != 4 or array.shape[1] not in (1, 3, 4):
        raise UserError(f"{what} has shape {array.shape}; expected (n, H, W), (n, H, W, C) or (n, C, H, W) "
                        f"with 1 or 3 channels")
    if len(array) == 0:
        raise UserError(f"{what} holds no images")
    array = array[:, :3].astype(np.float32)  # an alpha channel is dropped
    if not np.isfinite(array).all():
        raise UserError(f"{what} holds NaN or infinite pixel values")
    low, high = float(array.min()), float(array.max())
    if low < 0:
        if low < -1.0001 or high > 1.0001:
            raise UserError(f"{what}: pixel values span [{low:g}, {high:g}]; expected [0, 1], [0, 255] or [-1, 1]")
        array = (array + 1) / 2
    elif high > 1.0001:
        if high > 255.0001:
            raise UserError(f"{what}: pixel values reach {high:g}; expected [0, 1], [0, 255] or [-1, 1]")
        array = array / 255.0
    return np.clip(array, 0.0, 1.0)


def as_labels(labels: np.ndarray, count: int, what: str) -> tuple[np.ndarray, list[str]]:
    """Labels of any values -> (0..K-1 codes, class names), checked against the number of images."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise UserError(f"{what}: labels must be one per image (1-D), got shape {labels.shape}")
    if len(labels) != count:
        raise UserError(f"{what}: {count} images but {len(labels)} labels; they must match one to one")
    values, codes = np.unique(labels, return_inverse=True)
    return codes.astype(np.int64), [str(v) for v in values]


# --- folders ------------------------------------------------------------------------------------

def _read_folder(folder: Path) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """Images directly in `folder`, or in one subfolder per class (the subfolder names are the classes)."""
    class_dirs = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")
                        and any(_image_files(d)))
    if class_dirs:
        loose = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        if loose:
            warn(f"{folder}: {len(loose)} image files beside the class subfolders were left out")
        files = [(p, i) for i, d in enumerate(class_dirs) for p in _image_files(d)]
    else:
        files = [(p, -1) for p in _image_files(folder)]
    if not files:
        raise UserError(f"folder {folder} holds no images ({', '.join(IMAGE_SUFFIXES)}), "
                        f"directly or in class subfolders")
    pictures, labels, bad = [], [], []
    from PIL import Image

    for path, label in files:
        try:
            with Image.open(path) as picture:
                picture.load()
                pictures.append(picture.copy())
                labels.append(label)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            bad.append(path)
    if not pictures:
        raise UserError(f"folder {folder}: none of its {len(files)} image files could be read (all corrupt?)")
    if bad:
        warn(f"skipped {len(bad)} unreadable image file{'s' if len(bad) > 1 else ''} in {folder} (e.g. {bad[0].name})")
    images = _conform_pictures(pictures)
    if not class_dirs:
        return images, None, None
    return images, np.asarray(labels, dtype=np.int64), [d.name for d in class_dirs]


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _conform_pictures(pictures: list) -> np.ndarray:
    """Pillow images of any sizes and modes -> (n, C, S, S): centre-cropped square, resized to the most
    common short side (at most LOAD_SIDE_MAX); C = 3 when any picture has colour, else 1."""
    from PIL import Image

    colour = any(p.mode not in ("1", "L", "LA", "I", "I;16", "F") for p in pictures)
    mode = "RGB" if colour else "L"
    side = min(Counter(min(p.size) for p in pictures).most_common(1)[0][0], LOAD_SIDE_MAX)
    out = np.empty((len(pictures), 3 if colour else 1, side, side), dtype=np.float32)
    for i, picture in enumerate(pictures):
        if picture.mode in ("I", "I;16", "F"):
            array = np.asarray(picture, dtype=np.float32)
            picture = Image.fromarray((255 * array / max(float(array.max()), 1.0)).astype(np.uint8))
        picture = picture.convert(mode)
        w, h = picture.size
        s = min(w, h)
        if (w, h) != (side, side):
            left, top = (w - s) // 2, (h - s) // 2
            picture = picture.crop((left, top, left + s, top + s)).resize((side, side), Image.Resampling.LANCZOS)
        array = np.asarray(picture, dtype=np.float32) / 255.0
        out[i] = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return out


# --- IDX (MNIST format) ----------------------------------------------------------------------------

def read_idx(path: Path) -> np.ndarray:
    """An IDX array: magic 0x00 0x00 <type> <ndim>, ndim big-endian int32 sizes, then the data."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:
        raise UserError(f"cannot read IDX file {path}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES or raw[3] == 0:
        raise UserError(f"{path} is not an IDX file (wrong magic number {raw[:4].hex() or 'none'}; "
                        f"expected 0000 <type> <ndim>, e.g. 00000803 for images)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"IDX file {path} is truncated (its header is incomplete)")
    shape = tuple(int(v) for v in np.frombuffer(raw[4:header], dtype=">i4"))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise UserError(f"IDX file {path} holds {len(raw) - header} bytes of data; its header says {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def labels_path(images_path: Path) -> Path | None:
    """The labels file beside an IDX images file (train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz)."""
    name = images_path.name
    guess = name.replace("images", "labels").replace("idx3", "idx1")
    if guess == name:
        return None
    stem = guess.removesuffix(".gz")
    for candidate in (stem, stem + ".gz"):
        if (images_path.parent / candidate).is_file():
            return images_path.parent / candidate
    return None


def _read_idx_pair(path: Path) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    array = read_idx(path)
    if array.ndim == 1:
        raise UserError(f"{path} holds labels (a 1-D IDX array); point --data at the images file beside it")
    images = as_images(array, f"IDX file {path}")
    beside = labels_path(path)
    if beside is None:
        return images, None, None
    labels, classes = as_labels(read_idx(beside), len(images), f"{path} and {beside.name}")
    return images, labels, classes


# --- .npz ----------------------------------------------------------------------------------------

def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            if "images" not in arrays.files:
                raise UserError(f"{path} has no `images` array (it holds: {', '.join(arrays.files) or 'nothing'})")
            images = as_images(arrays["images"], f"{path} images")
            raw_labels = arrays["labels"] if "labels" in arrays.files else None
    except UserError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise UserError(f"cannot read {path} as a .npz of arrays: {str(exc)[:120]}") from None
    if raw_labels is None:
        return images, None, None
    labels, classes = as_labels(raw_labels, len(images), str(path))
    return images, labels, classes


# --- built-in --------------------------------------------------------------------------------------

def _load_digits() -> Dataset:
    """scikit-learn's bundled handwritten digits: 1,797 grayscale 8x8 images, labels 0-9."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]  # pixel values 0..16 -> [0, 1]
    return images_dataset("digits", images, bunch.target.astype(np.int64), [str(c) for c in range(10)])


datasets.register("digits")(BuiltinData(
    dim=64, description="scikit-learn's 1,797 handwritten digits, 8x8 grayscale, 10 classes (images)",
    load=_load_digits))
