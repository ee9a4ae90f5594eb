"""Defaults by kind of data: the options a model trains best with on tables or images, used for
every option the user did not set (the TrainConfig defaults are those of vector data)."""

from __future__ import annotations

import math
from typing import Any, Callable

# dataset kind -> (model name -> option defaults); the modules of each kind fill this in, and
# data/catalog.py's defaults_for reads it.
DATA_DEFAULTS: dict[str, Callable[[str], dict[str, Any]]] = {}


EPOCH_STEP_BOUNDS = (3000, 30_000)  # steps a default epoch budget may give: enough for a small table, bounded for a huge one


def steps_for_epochs(epochs: float, rows: int, batch_size: int, from_defaults: bool) -> int:
    """Steps of `epochs` passes over `rows` rows, batch_size rows a step; a default budget (not the
    user's) is kept within EPOCH_STEP_BOUNDS."""
    steps = max(1, int(math.ceil(epochs * rows / batch_size)))
    if from_defaults:
        low, high = EPOCH_STEP_BOUNDS
        steps = min(max(steps, low), high)
    return steps
