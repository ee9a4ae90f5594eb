"""The evolutionary operators of Lipizzaner: tournament selection, learning-rate mutation, (1+1)-ES."""

from __future__ import annotations

import math

import torch

MIN_LEARNING_RATE = 1e-6  # a mutated learning rate never falls below this


def tournament(fitness: torch.Tensor, size: int, rng: torch.Generator) -> int:
    """Index of the winner of one tournament: `size` entrants drawn with replacement, lowest fitness wins.

    Fitness is a loss here (lower is better); a tie goes to the entrant drawn first.
    """
    entrants = torch.randint(0, len(fitness), (size,), generator=rng)  # (size,)
    return int(entrants[torch.argmin(fitness[entrants])])


def mutate_learning_rate(lr: float, probability: float, scale: float, rng: torch.Generator) -> float:
    """With `probability`, lr * exp(scale * N(0, 1)) (floored at MIN_LEARNING_RATE); otherwise lr unchanged.

    Relative to the current rate: log(lr) takes a symmetric random step, so a rate keeps its median
    over many generations whatever its size (an absolute step would swamp a small rate and walk it
    to the floor). Two draws every time, mutated or not, so the cell's random stream does not depend
    on the outcome.
    """
    coin, noise = torch.rand(1, generator=rng).item(), torch.randn(1, generator=rng).item()
    if coin >= probability:
        return lr
    return max(MIN_LEARNING_RATE, lr * math.exp(scale * noise))


def propose_weights(weights: torch.Tensor, sigma: float, rng: torch.Generator) -> torch.Tensor:
    """One (1+1)-ES offspring of mixture weights: w + N(0, sigma^2 I), negatives clipped to 0, renormalised.

    The result is non-negative and sums to 1; if every entry would be clipped, the parent is returned.
    """
    child = (weights + sigma * torch.randn(weights.shape, generator=rng, dtype=weights.dtype)).clamp_min(0)
    total = child.sum()
    if not torch.isfinite(total) or total <= 0:
        return weights.clone()
    return child / total


def es_step(weights: torch.Tensor, sigma: float, score, rng: torch.Generator) -> tuple[torch.Tensor, float]:
    """One (1+1)-ES generation: keep the offspring if its score is no worse (lower is better).

    `score(weights) -> float` is the quality of the mixture with those weights (e.g. JS divergence,
    FID). Returns (weights kept, their score).
    """
    parent_score = score(weights)
    child = propose_weights(weights, sigma, rng)
    child_score = score(child)
    if child_score <= parent_score:
        return child, child_score
    return weights, parent_score


def draw_components(weights: torch.Tensor, n: int, rng: torch.Generator) -> torch.Tensor:
    """(n,) component index of each sample of a mixture with these weights."""
    if n == 0:
        return torch.zeros(0, dtype=torch.long)
    return torch.multinomial(weights.double(), n, replacement=True, generator=rng)
