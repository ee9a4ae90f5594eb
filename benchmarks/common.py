"""What the benchmark scripts share: progress lines, --set overrides, the machine, the JSON output."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import torch
import yaml

MNIST_TEST = "../shared/datasets/mnist/t10k-images-idx3-ubyte.gz"


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds the JSON only."""
    print(message, file=sys.stderr, flush=True)


def parse_overrides(items: list[str]) -> dict:
    """`--set KEY=VALUE` items as TrainConfig options, values typed by YAML."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"error: --set takes KEY=VALUE, got {item!r}")
        overrides[key.strip().replace("-", "_")] = yaml.safe_load(value)
    return overrides


def environment() -> dict:
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
            "machine": platform.machine()}


def emit(result: dict, out: str | None) -> None:
    """Prints the result as JSON, and writes it to `out` too when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        with open(out, "w") as handle:
            handle.write(text + "\n")


def mnist_sample(n: int, folder: Path) -> Path:
    """The first n MNIST test images with their labels as folder/mnist-N.npz (the smoke modes' data)."""
    import numpy as np

    from ganforge.data.dataset import load_dataset

    path = Path(folder) / f"mnist-{n}.npz"
    if not path.exists():
        dataset = load_dataset(MNIST_TEST)
        np.savez(path, images=dataset.images[:n].numpy(), labels=dataset.labels[:n].numpy())
    return path
