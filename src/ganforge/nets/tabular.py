"""G and D for tables (CTGAN's design): a residual generator with a span-aware output head, a packed critic.

G's head is joint (CTGAN's: every block's logits from the body's features at once, each block's
Gumbel noise drawn on its own) or autoregressive: block i's logits also see the sampled outputs of
blocks 0..i-1, so a column's value can follow the values already drawn for the columns before it
(education-num after education, sex after relationship) instead of meeting them by chance.
"""

from __future__ import annotations

import zlib
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

GUMBEL_TAU = 0.2  # CTGAN's temperature: near one-hot samples that still pass gradients


class Residual(nn.Module):
    """x -> [ReLU(BN(W x)), x]: each layer sees everything below it (CTGAN's generator block)."""

    def __init__(self, width_in: int, width_out: int):
        super().__init__()
        self.fc = nn.Linear(width_in, width_out)
        self.bn = nn.BatchNorm1d(width_out)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([F.relu(self.bn(self.fc(x))), x], dim=1)


class TableGenerator(nn.Module):
    """G: z (B, noise_dim) [, c (B, condition_dim)] -> a row (B, dim) in the encoder's spans:
    tanh for scalars, Gumbel-softmax for each one-hot block.

    `condition_spans` lists (offset, width) of the row blocks a condition fixes; condition_loss
    is CTGAN's cross-entropy that makes G honour its condition.
    """

    def __init__(self, noise_dim: int, spans: Sequence[tuple[int, str]], hidden: Sequence[int],
                 condition_dim: int = 0, condition_spans: Sequence[tuple[int, int]] = (), head: str = "joint"):
        super().__init__()
        layers, width = [], noise_dim + condition_dim
        for h in hidden:
            layers.append(Residual(width, h))
            width += h
        self.body = nn.Sequential(*layers)
        self.widths = [w for w, _ in spans]
        self.autoregressive = head == "autoregressive"
        if self.autoregressive:  # block i reads the features and blocks 0..i-1
            before = [sum(self.widths[:i]) for i in range(len(self.widths))]
            self.heads = nn.ModuleList(nn.Linear(width + b, w) for b, w in zip(before, self.widths))
        else:
            self.head = nn.Linear(width, sum(self.widths))
        self.kinds = [kind for _, kind in spans]
        self.condition_spans = list(condition_spans)
        self.last_logits: Tensor | None = None

    def forward(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        if condition is not None:
            z = torch.cat([z, condition], dim=1)
        hidden = self.body(z)
        # Gumbel noise g = -log(E), E ~ Exp(1), for the whole row at once: while training from torch's
        # global RNG (seeded and checkpointed); when sampling, from the noise z itself (reproducible).
        shape = torch.Size([z.shape[0], sum(self.widths)])
        noise = -torch.empty(shape, device=z.device).exponential_().log() if self.training else _gumbel_from(z, shape)
        noises = torch.split(noise, self.widths, dim=1)
        if not self.autoregressive:
            self.last_logits = self.head(hidden)  # (B, dim), raw
            return torch.cat([_activate(block, g, kind) for block, g, kind in
                              zip(torch.split(self.last_logits, self.widths, dim=1), noises, self.kinds)], dim=1)
        blocks, logits = [], []
        for head, g, kind in zip(self.heads, noises, self.kinds):
            logits.append(head(torch.cat([hidden, *blocks], dim=1)))
            blocks.append(_activate(logits[-1], g, kind))
        self.last_logits = torch.cat(logits, dim=1)
        return torch.cat(blocks, dim=1)

    def condition_loss(self, fake: Tensor, condition: Tensor) -> Tensor:
        """CTGAN's: sum over conditioning columns of CE(G's logits for that column, the condition),
        counted only where that column is the one conditioned; averaged over the batch."""
        logits, loss, start = self.last_logits, fake.new_zeros(()), 0
        for offset, width in self.condition_spans:
            target = condition[:, start:start + width]
            start += width
            active = target.sum(dim=1)  # 1 where this column is the condition, else 0
            ce = -(target * F.log_softmax(logits[:, offset:offset + width], dim=1)).sum(dim=1)
            loss = loss + (ce * active).sum()
        return loss / fake.shape[0]


class TableDiscriminator(nn.Module):
    """D: rows (B, dim) [+ conditions] -> one raw output per pack of `pack` rows, (B / pack,).

    Packing (PacGAN, CTGAN's pac=10) lets D see a lack of diversity; dropout keeps it from
    memorising a small table.
    """

    def __init__(self, data_dim: int, hidden: Sequence[int], pack: int = 1, condition_dim: int = 0,
                 dropout: float = 0.5):
        super().__init__()
        layers, width = [], (data_dim + condition_dim) * pack
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        self.pack, self.condition_dim = pack, condition_dim

    def forward(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        if self.condition_dim:
            if condition is None:  # judged without a condition (e.g. a diagnostic): all zeros
                condition = x.new_zeros(x.shape[0], self.condition_dim)
            x = torch.cat([x, condition], dim=1)
        x = x.reshape(x.shape[0] // self.pack, -1)  # (B, d) -> (B / pack, pack * d)
        return self.net(x).squeeze(-1)


def _activate(block: Tensor, g: Tensor, kind: str) -> Tensor:
    """tanh for a scalar; Gumbel-softmax, softmax((logits + g) / tau), near one-hot, for a one-hot block."""
    if kind == "tanh":
        return torch.tanh(block)
    if kind == "softmax":
        return F.softmax((block + g) / GUMBEL_TAU, dim=1)
    return block


def _gumbel_from(z: Tensor, shape: torch.Size) -> Tensor:
    """Gumbel noise -log(-log U) drawn from a generator seeded by the bytes of z: sampling with a
    given seed (hence a given z) gives the same rows every time, without touching the global RNG."""
    seed = zlib.crc32(z.detach().cpu().float().numpy().tobytes())
    generator = torch.Generator().manual_seed(seed)
    u = torch.rand(shape, generator=generator).clamp_(1e-10, 1 - 1e-7)
    return (-torch.log(-torch.log(u))).to(z.device)


def build_table_networks(config, layout) -> tuple[nn.Module, nn.Module]:
    """(G, D) for an encoded table's layout (data/table_layout.TableLayout)."""
    G = TableGenerator(config.noise_dim, layout.spans, config.generator_hidden, layout.condition_dim,
                       layout.condition_spans, head=config.generator_head)
    D = TableDiscriminator(layout.dim, config.discriminator_hidden, config.pack, layout.condition_dim,
                           dropout=config.table_dropout)
    return G, D
