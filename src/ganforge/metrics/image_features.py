"""The offline feature space of the image metrics: a small CNN trained on the run's own real images.

With labels it is a classifier (features: its 128-wide penultimate layer; it also names the class of
each generated image); without, the encoder of a convolutional autoencoder. It is trained once on a
seeded split of the real images (the rest is its test set, and the real-vs-real floor of the
metrics), and cached as safetensors (JSON facts in the metadata; never pickle).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

FEATURES_FILE = "image_features.safetensors"
FEATURE_DIM = 128
TEST_FRACTION, TEST_MAX = 0.1, 5000  # held out from the real images: the extractor's test set
BATCH, LR = 128, 2e-3
MIN_STEPS, MAX_STEPS, EPOCHS = 200, 600, 2  # 2 epochs within [200, 600] steps: MNIST ~20 s on one core, 97-98% test accuracy


class FeatureNet(nn.Module):
    """(B, C, H, W) in [0, 1] -> features (B, 128); head: class logits (B, K), or a reconstruction."""

    def __init__(self, image_shape: tuple[int, int, int], n_classes: int):
        super().__init__()
        c, h, w = image_shape
        self.trunk = nn.Sequential(
            nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
            nn.AdaptiveAvgPool2d(7), nn.Flatten(),  # (B, 32 * 7 * 7) whatever the image size
            nn.Linear(32 * 49, FEATURE_DIM), nn.ReLU())
        # a classifier's head, or an autoencoder's linear decoder back to the pixels (in [-1, 1])
        self.head = nn.Linear(FEATURE_DIM, n_classes if n_classes else c * h * w)
        self.image_shape, self.n_classes = tuple(image_shape), n_classes

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.trunk(x))


class FeatureExtractor:
    """A trained FeatureNet with what it was trained on: features(), predict(), its test figures."""

    def __init__(self, net: FeatureNet, facts: dict[str, Any]):
        self.net, self.facts = net.eval(), facts

    @property
    def labelled(self) -> bool:
        return self.net.n_classes > 0

    @torch.no_grad()
    def features(self, images: Tensor) -> np.ndarray:
        """(n, 128) float64 features of images in [0, 1], (n, C, H, W)."""
        return torch.cat([self.net.trunk(images[i:i + 1000].float()) for i in range(0, len(images), 1000)]
                         ).double().numpy() if len(images) else np.zeros((0, FEATURE_DIM))

    @torch.no_grad()
    def predict(self, images: Tensor) -> np.ndarray:
        """(n,) class index per image (labelled data only)."""
        return np.concatenate([self.net(images[i:i + 1000].float()).argmax(1).numpy()
                               for i in range(0, len(images), 1000)]) if len(images) else np.zeros(0, int)

    @torch.no_grad()
    def classify(self, features: np.ndarray) -> np.ndarray:
        """(n,) class index from features() rows, without a second pass through the trunk."""
        return self.net.head(torch.as_tensor(features, dtype=torch.float32)).argmax(1).numpy()

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        state = {k: v.contiguous() for k, v in self.net.state_dict().items()}
        save_file(state, str(tmp), metadata={"facts": json.dumps(self.facts)})
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> "FeatureExtractor | None":
        """The extractor in `path`, or None when the file is missing or not one of ours."""
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as handle:
                facts = json.loads((handle.metadata() or {})["facts"])
                state = {key: handle.get_tensor(key) for key in handle.keys()}
            net = FeatureNet(tuple(facts["image_shape"]), int(facts["n_classes"]))
            net.load_state_dict(state)
        except (OSError, KeyError, ValueError, RuntimeError, TypeError):
            return None
        return cls(net, facts)


def fingerprint(images: Tensor, labels: Tensor | None) -> str:
    """A cheap identity of a data set: a stale cached extractor (other data) is never reused."""
    flat = images.reshape(len(images), -1)
    parts = [len(images), *images.shape[1:], round(float(flat[::7, ::3].double().sum()), 3)]
    if labels is not None:
        parts.append(int(labels[::3].sum()))
    return "-".join(str(p) for p in parts)


def split(n: int, seed: int) -> tuple[Tensor, Tensor]:
    """(train index, test index): a seeded permutation with TEST_FRACTION (at most TEST_MAX) held out."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 7919))
    n_test = min(max(1, int(n * TEST_FRACTION)), TEST_MAX)
    return order[n_test:], order[:n_test]


def train_extractor(images: Tensor, labels: Tensor | None, n_classes: int, seed: int, key: str) -> FeatureExtractor:
    """Trains the FeatureNet on the train split (classification, or reconstruction without labels)."""
    train_index, test_index = split(len(images), seed)
    shape = tuple(images.shape[1:])
    with torch.random.fork_rng(devices=[]):  # leave the caller's (the GAN's) RNG as it was
        torch.manual_seed(seed)
        net = FeatureNet(shape, n_classes if labels is not None else 0)
        optimizer = torch.optim.Adam(net.parameters(), lr=LR)
        rng = torch.Generator().manual_seed(seed)
        steps = int(np.clip(EPOCHS * len(train_index) // BATCH, MIN_STEPS, MAX_STEPS))
        net.train()
        for _ in range(steps):
            batch = train_index[torch.randint(0, len(train_index), (BATCH,), generator=rng)]
            x = images[batch].float()
            if labels is not None:
                loss = F.cross_entropy(net(x), labels[batch])
            else:
                loss = F.mse_loss(torch.tanh(net(x)), (2 * x - 1).flatten(1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    extractor = FeatureExtractor(net, {"image_shape": list(shape), "n_classes": net.n_classes, "seed": seed,
                                       "fingerprint": key, "train_steps": steps})
    x_test = images[test_index]
    if labels is not None:
        extractor.facts["test_accuracy"] = float((extractor.predict(x_test) == labels[test_index].numpy()).mean())
    else:
        with torch.no_grad():
            reconstruction = torch.tanh(net(x_test.float()))
        extractor.facts["test_mse"] = float(F.mse_loss(reconstruction, (2 * x_test - 1).flatten(1)))
    return extractor


def get_extractor(images: Tensor, labels: Tensor | None, n_classes: int, seed: int,
                  run_dir: Path | None = None) -> FeatureExtractor:
    """The run's extractor: from run_dir's cache when it matches these images, else trained (and cached)."""
    key = fingerprint(images, labels)
    path = Path(run_dir) / FEATURES_FILE if run_dir is not None else None
    if path is not None and path.is_file():
        cached = FeatureExtractor.load(path)
        if cached is not None and cached.facts.get("fingerprint") == key and cached.facts.get("seed") == seed:
            return cached
    extractor = train_extractor(images, labels, n_classes, seed, key)
    if path is not None and path.parent.is_dir():
        extractor.save(path)
    return extractor
