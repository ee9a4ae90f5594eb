"""The evaluators by kind of data, filled by each kind's metrics module (tables, images) and read by evaluate.py."""

from __future__ import annotations

from typing import Any, Callable

# dataset kind -> evaluate(dataset, samples, seed, run_dir, full) -> figures. `full` asks for
# everything (`ganforge evaluate`); without it, what is cheap enough for every log interval.
EVALUATORS: dict[str, Callable[..., dict[str, Any]]] = {}
