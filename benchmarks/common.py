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


def add_table_options(parser, data_root: Path, data_help: str) -> None:
    """The options every table benchmark takes alike: --data-root, --set and --out."""
    parser.add_argument("--data-root", default=str(data_root), help=data_help)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a ganforge option")
    parser.add_argument("--out", help="also write the JSON here")


def parse_epsilons(text: str) -> list[float]:
    """`--epsilons 1,3,10` as numbers, each > 0."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"error: --epsilons takes numbers separated by commas, got {text!r}") from None
    if any(v <= 0 for v in values):
        raise SystemExit(f"error: every epsilon must be > 0, got {text!r}")
    return values


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
