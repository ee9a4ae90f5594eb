"""Checks the co-evolution options (--grid and the Lipizzaner settings) and names them for help."""

from __future__ import annotations

from typing import Any

from ganforge.errors import UserError

CELL_LOSSES = ("minimax", "non-saturating", "least-squares")  # Mustangs draws from these three


def validate_distributed(config: Any) -> None:
    """UserError on a bad co-evolution option; called from TrainConfig.validate."""
    from ganforge.distributed.grid import Grid

    if config.grid:
        Grid.parse(config.grid)
    for key in ("generations",):
        if getattr(config, key) < 0:
            raise UserError(f"--{key.replace('_', '-')} must be >= 0 (0 = steps / batches-per-generation), "
                            f"got {getattr(config, key)}")
    for key in ("batches_per_generation", "tournament_size"):
        if getattr(config, key) <= 0:
            raise UserError(f"--{key.replace('_', '-')} must be > 0, got {getattr(config, key)}")
    if not 0 <= config.mutation_probability <= 1:
        raise UserError(f"--mutation-probability must be in [0, 1], got {config.mutation_probability}")
    for key in ("mutation_scale", "mixture_sigma"):
        if getattr(config, key) < 0:
            raise UserError(f"--{key.replace('_', '-')} must be >= 0, got {getattr(config, key)}")
    if not 0 < config.data_fraction <= 1:
        raise UserError(f"--data-fraction must be in (0, 1], got {config.data_fraction}")
    if config.grid:
        if config.model != "gan":
            raise UserError(f"--grid trains GANs (co-evolution); --model {config.model} has no G and D to evolve")
        if config.label_flip or config.instance_noise:
            raise UserError("--label-flip and --instance-noise are not supported with --grid")
        if config.cell_loss == "random" and config.loss not in CELL_LOSSES:
            raise UserError(f"--cell-loss random draws from {', '.join(CELL_LOSSES)}; "
                            f"--loss {config.loss} cannot be mixed with them")


def generations_of(config: Any) -> int:
    """Generations to run: --generations, or --steps / --batches-per-generation when it is 0."""
    if config.generations > 0:
        return config.generations
    return max(1, config.steps // config.batches_per_generation)
