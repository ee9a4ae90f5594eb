"""Image loaders (folder, IDX, .npz, digits) and the image encoder, on small files the tests write."""

import gzip
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import TrainConfig
from ganforge.data.dataset import load_dataset
from ganforge.data.image_encoder import ImageEncoder, conform
from ganforge.data.images import load_images, read_idx
from ganforge.errors import UserError


def write_idx(path, array: np.ndarray, compress: bool = False, magic_type: int = 0x08):
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(data)
    return path


def mnist_like(folder, n=12, compress=True, labels_n=None):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 6, 6), dtype=np.uint8)
    labels = rng.integers(0, 3, labels_n or n, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(folder / f"train-images-idx3-ubyte{suffix}", images, compress)
    write_idx(folder / f"train-labels-idx1-ubyte{suffix}", labels, compress)
    return folder / f"train-images-idx3-ubyte{suffix}", images, labels


@pytest.mark.parametrize("compress", [True, False])
def test_idx_images_with_labels_beside(tmp_path, compress):
    path, images, labels = mnist_like(tmp_path, compress=compress)
    data = load_dataset(str(path))
    assert data.kind == "images" and data.images.shape == (12, 1, 6, 6)
    assert np.allclose(data.images[:, 0].numpy(), images / 255.0)
    assert data.classes == [str(v) for v in np.unique(labels)]
    assert data.labels.tolist() == np.unique(labels, return_inverse=True)[1].tolist()


def test_idx_without_labels_file_is_unlabelled(tmp_path):
    path = write_idx(tmp_path / "faces-images-idx3-ubyte", np.zeros((3, 4, 4)))
    data = load_images(path)
    assert data.labels is None and data.images.shape == (3, 1, 4, 4)


def test_idx_wrong_magic(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x12\x34\x56\x78" + bytes(40))
    with pytest.raises(UserError, match="wrong magic number 12345678"):
        read_idx(path)


def test_idx_labels_count_mismatch(tmp_path):
    path, _, _ = mnist_like(tmp_path, n=12, labels_n=10)
    with pytest.raises(UserError, match="12 images but 10 labels"):
        load_images(path)


def test_idx_truncated_and_labels_file_given(tmp_path):
    path = tmp_path / "x-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3i", 5, 4, 4) + bytes(10))
    with pytest.raises(UserError, match="header says 80"):
        read_idx(path)
    labels = write_idx(tmp_path / "y-labels-idx1-ubyte", np.arange(4))
    with pytest.raises(UserError, match="holds labels"):
        load_images(labels)


def save_png(path, size, colour=False, value=128):
    mode = "RGB" if colour else "L"
    array = np.full((size[1], size[0], 3) if colour else (size[1], size[0]), value, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path)


def test_folder_with_class_subfolders_mixed_sizes(tmp_path):
    for i in range(3):
        save_png(tmp_path / "cats" / f"{i}.png", (16, 16))
        save_png(tmp_path / "dogs" / f"{i}.jpg", (16, 24) if i else (32, 32), value=200)
    data = load_dataset(str(tmp_path))
    assert data.images.shape == (6, 1, 16, 16)  # the most common short side; gray stays 1 channel
    assert data.classes == ["cats", "dogs"] and sorted(data.labels.tolist()) == [0, 0, 0, 1, 1, 1]


def test_folder_colour_and_corrupt_files_skipped(tmp_path, capsys):
    save_png(tmp_path / "a.png", (8, 8), colour=True)
    save_png(tmp_path / "b.png", (8, 8))
    (tmp_path / "broken.png").write_bytes(b"not a png at all")
    data = load_images(tmp_path)
    assert data.images.shape == (2, 3, 8, 8) and data.labels is None
    assert "warning: skipped 1 unreadable image file" in capsys.readouterr().err


def test_folder_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UserError, match="holds no images"):
        load_images(tmp_path)
    (tmp_path / "bad.png").write_bytes(b"garbage")
    with pytest.raises(UserError, match="none of its 1 image files could be read"):
        load_images(tmp_path)


def test_npz_layouts_and_labels(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)  # channels last
    np.savez(tmp_path / "d.npz", images=images, labels=np.array(["b", "a", "b", "b", "a"]))
    data = load_dataset(str(tmp_path / "d.npz"))
    assert data.images.shape == (5, 3, 8, 8) and data.classes == ["a", "b"]
    assert data.labels.tolist() == [1, 0, 1, 1, 0]
    np.savez(tmp_path / "f.npz", images=np.linspace(-1, 1, 5 * 16).reshape(5, 1, 4, 4))  # [-1, 1] floats
    assert float(load_images(tmp_path / "f.npz").images.min()) == 0.0


@pytest.mark.parametrize("arrays, message", [
    ({"pixels": np.zeros((2, 4, 4))}, "has no `images` array"),
    ({"images": np.zeros((3, 4, 4)), "labels": np.arange(2)}, "3 images but 2 labels"),
    ({"images": np.zeros((3, 4))}, "expected \\(n, H, W\\)"),
    ({"images": np.full((2, 4, 4), np.nan)}, "NaN"),
])
def test_npz_errors(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UserError, match=message):
        load_images(tmp_path / "bad.npz")


def test_digits_builtin():
    data = load_dataset("digits")
    assert data.images.shape == (1797, 1, 8, 8) and len(data.classes) == 10
    assert 0.0 <= float(data.images.min()) and float(data.images.max()) == 1.0


def test_encoder_round_trip_resize_and_conditions():
    data = load_dataset("digits")
    encoder = ImageEncoder.fit(data, TrainConfig.from_dict({"image_size": 16, "conditional": True}))
    rows = encoder.transform(data.images[:4])
    assert rows.shape == (4, 256) and rows.min() >= -1 and rows.max() <= 1
    assert encoder.layout.image_shape == (1, 16, 16) and encoder.layout.condition_dim == 10
    back = encoder.inverse_transform(rows)
    assert torch.allclose(back, conform(data.images[:4], (1, 16, 16)), atol=1e-6)
    again = ImageEncoder.from_state(encoder.state())
    assert again.layout == encoder.layout
    assert again.label_conditions(3, 2).argmax(1).tolist() == [3, 3]
    with pytest.raises(UserError, match="--label 10 is out of range"):
        again.label_conditions(10, 1)
    assert conform(torch.ones(2, 3, 4, 4), (1, 4, 4)).shape == (2, 1, 4, 4)


def test_conditional_without_labels(tmp_path):
    np.savez(tmp_path / "u.npz", images=np.zeros((4, 8, 8)))
    with pytest.raises(UserError, match="--conditional needs class labels"):
        ImageEncoder.fit(load_images(tmp_path / "u.npz"), TrainConfig.from_dict({"conditional": True}))
