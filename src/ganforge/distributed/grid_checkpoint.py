"""A co-evolution run's checkpoint: every cell's G, D, learning rates, Adam state and mixture, in one safetensors file.

The file also holds the best cell's generator mixture under the names a sampling-only load reads
(`mixture.K.*` and state["mixture"]), so `ganforge sample DIR` and `ganforge.load(DIR)` need nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganforge.distributed.cell import Individual
from ganforge.errors import UserError
from ganforge.training import checkpoint as ckpt


def save_grid(out: Path, config, view, G_pop: list[Individual], D_pop: list[Individual],
              extras: dict[str, list], best: dict[str, Any], generation: int) -> bool:
    """Writes the checkpoint of a complete generation (atomically; refused if a weight is NaN/inf)."""
    tensors = ckpt.model_tensors(view.model)
    tensors["grid.generators"] = torch.stack([i.weights for i in G_pop])  # (cells, G numbers)
    tensors["grid.discriminators"] = torch.stack([i.weights for i in D_pop])  # (cells, D numbers)
    if G_pop[0].adam is not None:  # --cell-training centre: each centre's Adam moments and step (float64)
        tensors["grid.generator_adam"] = torch.stack([i.adam for i in G_pop])
        tensors["grid.discriminator_adam"] = torch.stack([i.adam for i in D_pop])
    if G_pop[0].ema is not None:  # ... and each centre G's moving average (--ema)
        tensors["grid.generator_ema"] = torch.stack([i.ema for i in G_pop])
    tensors["rng.torch"] = torch.get_rng_state()
    tensors["rng.data"] = view.data_rng.get_state()
    tensors["rng.noise"] = view.noise_rng.get_state()
    state = {
        "step": view.step, "wall_seconds": view.wall_seconds, "config": config.to_dict(),
        "encoder": view.encoder.state(), "optimizer_groups": {},
        "mixture": {k: best[k] for k in ("cell", "cells", "weights", "score")},
        "grid": {"generation": generation,
                 "lr_generator": [i.lr for i in G_pop], "lr_discriminator": [i.lr for i in D_pop],
                 "weights": extras["weights"], "scores": extras["scores"], "losses": extras["losses"]},
    }
    return ckpt.save_checkpoint(out, tensors, state)


def load_cells(tensors: dict[str, torch.Tensor], state: dict[str, Any], cells: int):
    """(generation, wall_seconds, generators, discriminators, extras) from a checkpoint written by save_grid."""
    try:
        grid = state["grid"]
        G_rows, D_rows = tensors["grid.generators"], tensors["grid.discriminators"]
        if len(G_rows) != cells:
            raise ValueError(f"it holds {len(G_rows)} cells, the grid has {cells}")
        G_adam, D_adam = tensors.get("grid.generator_adam"), tensors.get("grid.discriminator_adam")
        G_ema = tensors.get("grid.generator_ema")
        G_pop = [Individual(G_rows[c].float(), float(grid["lr_generator"][c]),
                            None if G_adam is None else G_adam[c].double(),
                            None if G_ema is None else G_ema[c].float()) for c in range(cells)]
        D_pop = [Individual(D_rows[c].float(), float(grid["lr_discriminator"][c]),
                            None if D_adam is None else D_adam[c].double()) for c in range(cells)]
        extras = {"weights": grid["weights"], "scores": [float(s) for s in grid["scores"]],
                  "losses": grid["losses"]}
        return int(grid["generation"]), float(state["wall_seconds"]), G_pop, D_pop, extras
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise UserError(f"the checkpoint does not hold a co-evolution grid ({str(exc)[:120]})") from None
