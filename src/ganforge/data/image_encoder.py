"""The image encoder: images in [0, 1] <-> flat rows in [-1, 1] at the model's size, and class conditions."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.data.encoders import ENCODER_BUILDERS, ENCODER_KINDS
from ganforge.data.layout import DataLayout
from ganforge.defaults import DATA_DEFAULTS
from ganforge.errors import UserError

IMAGE_SIZES = (8, 16, 28, 32, 64)  # sizes the DCGAN nets are built for (4 or 7 times a power of two)


def auto_size(height: int) -> int:
    """The data's own size when the DCGAN supports it, else the largest supported size below it."""
    fitting = [s for s in IMAGE_SIZES if s <= height]
    return fitting[-1] if fitting else IMAGE_SIZES[0]


def conform(images: Any, shape: tuple[int, int, int]) -> torch.Tensor:
    """(n, C, H, W) images in [0, 1] (tensor or array) -> float32 tensor of `shape` (C', H', W').

    Channels: RGB -> gray by luminance (ITU-R 601), gray -> RGB by copying; size: bilinear with
    antialiasing when shrinking (an average, so thin strokes survive), bilinear when enlarging.
    """
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images).float()
    c, h, w = shape
    if x.shape[1] != c:
        if c == 1:
            x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        else:
            x = x.expand(-1, 3, -1, -1)
    if x.shape[2:] != (h, w):
        shrink = x.shape[2] > h
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False, antialias=shrink)
    return x.clamp(0.0, 1.0).contiguous()


class ClassConditions:
    """Draws training rows and their class as a one-hot condition; G gets the same classes (ganhacks 16)."""

    def __init__(self, labels: torch.Tensor, n_classes: int):
        self.labels, self.n_classes = labels, n_classes

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        index = torch.randint(0, len(self.labels), (n,), generator=generator)
        onehot = F.one_hot(self.labels[index], self.n_classes).float()  # (n, K)
        return index, onehot, onehot


class ImageEncoder:
    """x' = 2x - 1 on images conformed to image_shape, flattened to rows of C*H*W numbers (tanh span).

    With `conditional`, the layout carries a one-hot class condition of width len(classes).
    """

    def __init__(self, image_shape: tuple[int, int, int], classes: list[str] | None = None,
                 class_frequencies: list[float] | None = None, conditional: bool = False):
        self.image_shape = tuple(int(v) for v in image_shape)
        self.classes = classes
        self.class_frequencies = class_frequencies
        self.conditional = conditional

    @classmethod
    def fit(cls, dataset, config) -> "ImageEncoder":
        c, h, _ = dataset.images.shape[1:]
        size = config.image_size or auto_size(h)
        channels = config.image_channels or c
        frequencies = None
        if dataset.labels is not None:
            k = len(dataset.classes) if dataset.classes else int(dataset.labels.max()) + 1
            counts = torch.bincount(dataset.labels, minlength=k).double()
            frequencies = (counts / counts.sum()).tolist()
        if config.conditional and dataset.labels is None:
            raise UserError(f"--conditional needs class labels, and {dataset.name} has none "
                            f"(use class subfolders, an IDX labels file beside the images, or `labels` in the .npz)")
        classes = dataset.classes or ([str(i) for i in range(len(frequencies))] if frequencies else None)
        return cls((channels, size, size), classes, frequencies, bool(config.conditional))

    # --- rows ---------------------------------------------------------------------------------

    def transform(self, images: Any) -> torch.Tensor:
        x = conform(images, self.image_shape)
        return (2.0 * x - 1.0).reshape(len(x), -1)  # [0, 1] -> [-1, 1], (n, C*H*W)

    def inverse_transform(self, rows: torch.Tensor) -> torch.Tensor:
        x = (rows.float().clamp(-1.0, 1.0) + 1.0) / 2.0
        return x.reshape(len(rows), *self.image_shape)  # (n, C, H, W) in [0, 1]

    @property
    def output_dim(self) -> int:
        c, h, w = self.image_shape
        return c * h * w

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes else 0

    @property
    def layout(self) -> DataLayout:
        return DataLayout(dim=self.output_dim, spans=((self.output_dim, "tanh"),), image_shape=self.image_shape,
                          condition_dim=self.n_classes if self.conditional else 0)

    # --- conditions ------------------------------------------------------------------------------

    def training_conditions(self, dataset) -> ClassConditions | None:
        if not self.conditional:
            return None
        return ClassConditions(dataset.labels, self.n_classes)

    def sample_conditions(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n, K) one-hot classes drawn with the training data's class frequencies."""
        weights = torch.tensor(self.class_frequencies, dtype=torch.float64)
        labels = torch.multinomial(weights, n, replacement=True, generator=generator)
        return F.one_hot(labels, self.n_classes).float()

    def label_conditions(self, label: int, n: int) -> torch.Tensor:
        """(n, K) one-hot conditions all asking for class `label` (an index 0..K-1)."""
        if not self.conditional:
            raise UserError("--label needs a model trained with --conditional")
        if not 0 <= label < self.n_classes:
            raise UserError(f"--label {label} is out of range: this model knows classes 0..{self.n_classes - 1} "
                            f"({', '.join(self.classes[:12])}{', ...' if self.n_classes > 12 else ''})")
        return F.one_hot(torch.full((n,), label, dtype=torch.long), self.n_classes).float()

    # --- state ---------------------------------------------------------------------------------

    def state(self) -> dict:
        return {"kind": "images", "image_shape": list(self.image_shape), "classes": self.classes,
                "class_frequencies": self.class_frequencies, "conditional": self.conditional}

    @classmethod
    def from_state(cls, state: dict) -> "ImageEncoder":
        return cls(tuple(state["image_shape"]), state.get("classes"), state.get("class_frequencies"),
                   bool(state.get("conditional", False)))


def label_conditions(run, label: int, n: int) -> torch.Tensor:
    """Conditions asking a trained run for class `label`, or a UserError when it cannot."""
    encoder = run.encoder
    if not getattr(run.model, "conditional", False) or not hasattr(encoder, "label_conditions"):
        raise UserError("--label needs a model trained with --conditional on labelled images")
    return encoder.label_conditions(label, n)


def image_defaults(model: str) -> dict[str, Any]:
    """DCGAN settings (Radford et al. 2016: Adam 2e-4, beta1 0.5), sized for a 2-core CPU.

    Measured on MNIST, 90 s of training on one core of a shared machine (FID in the run's classifier
    features; one seed, noisy): widths 64 / batch 64: 155 (212 steps, slowed by other work);
    32 / 64: 97 (1,020 steps); 64 / 32: 105 (695); 32 / 32: 85 (1,465). Narrow nets and small
    batches make many more steps per second, which matters more than width this early, so G and D
    start at 32 channels at the finest stage (G: 64 -> 32 channels at 28x28) with batches of 32.
    R1 is off (DCGAN is stable without it and R1 costs a second backward pass); the EMA of G's
    weights stays on (it lowers FID at no training cost).
    """
    common = {"eval_samples": 1000, "log_every": 250, "checkpoint_every": 1000}
    if model != "gan":  # the baselines' MLPs, sized for pixels rather than 2-D points, at the GAN's length
        return {**common, "steps": 5000, "batch_size": 128, "generator_hidden": [256, 256],
                "noise_dim": 32, "latent_dim": 16}
    return {**common, "steps": 5000, "batch_size": 32, "noise_dim": 64, "lr_generator": 2e-4,
            "lr_discriminator": 2e-4, "beta1": 0.5, "beta2": 0.999, "r1": 0.0, "ema": 0.999,
            "generator_hidden": [32], "discriminator_hidden": [32]}


ENCODER_KINDS["images"] = ImageEncoder
ENCODER_BUILDERS["images"] = ImageEncoder.fit
DATA_DEFAULTS["images"] = image_defaults
