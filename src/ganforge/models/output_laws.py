"""The law of p(x | z) for each block of an encoded row: what a VAE's reconstruction term scores.

continuous and tanh blocks: Gaussian N(mean, sigma_j^2) with a learned variance per column;
softmax blocks (one-hot categories): categorical, -log p = cross-entropy of the block's logits;
images (rows scaled to [-1, 1]): Bernoulli on the intensity p = (x + 1) / 2 of each pixel, the
usual law for MNIST-like images, -log p = binary cross-entropy of the pixel's logit.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.data.layout import DataLayout

LOG_2PI = math.log(2.0 * math.pi)


class OutputLaw:
    """Splits a decoder's output row into the layout's blocks and scores or samples each."""

    def __init__(self, layout: DataLayout):
        self.layout = layout
        self.bernoulli = layout.is_image
        self.blocks: list[tuple[int, int, str]] = []  # (start, end, kind)
        start = 0
        for width, kind in layout.spans:
            self.blocks.append((start, start + width, kind))
            start += width
        gaussian = torch.zeros(layout.dim, dtype=torch.bool)
        for begin, end, kind in self.blocks:
            gaussian[begin:end] = kind != "softmax" and not self.bernoulli
        self.gaussian_columns = gaussian  # where the learned variance applies

    @property
    def name(self) -> str:
        if self.bernoulli:
            return "bernoulli"
        return "gaussian+categorical" if self.layout.has_discrete else "gaussian"

    def negative_log_likelihood(self, x: Tensor, output: Tensor, log_var: Tensor) -> Tensor:
        """-log p(x | z) per row, (B,), for decoder outputs `output` (B, d)."""
        if self.bernoulli:
            target = ((x + 1.0) / 2.0).clamp(0.0, 1.0)
            return F.binary_cross_entropy_with_logits(output, target, reduction="none").sum(dim=1)
        total = torch.zeros(x.shape[0], device=x.device)
        for begin, end, kind in self.blocks:
            if kind == "softmax":
                total = total - (x[:, begin:end] * F.log_softmax(output[:, begin:end], dim=1)).sum(dim=1)
            else:
                v = log_var[begin:end]
                # -log N(x; mean, sigma^2) = 1/2 [log 2 pi + log sigma^2 + (x - mean)^2 / sigma^2]
                term = 0.5 * (LOG_2PI + v + (x[:, begin:end] - output[:, begin:end]).pow(2) / v.exp())
                total = total + term.sum(dim=1)
        return total

    def decode(self, output: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """A row in the encoded space: the mean of each Gaussian block, a category drawn from each
        softmax block (one-hot; its argmax without a generator), the intensity of each pixel."""
        if self.bernoulli:
            return torch.sigmoid(output) * 2.0 - 1.0
        row = output.clone()
        for begin, end, kind in self.blocks:
            if kind != "softmax":
                continue
            probabilities = F.softmax(output[:, begin:end], dim=1)
            if generator is None:
                index = probabilities.argmax(dim=1)
            else:
                index = torch.multinomial(probabilities, 1, generator=generator).squeeze(1)
            row[:, begin:end] = F.one_hot(index, end - begin).to(row.dtype)
        return row
