"""Defaults by kind of data: the options a model trains best with on tables or images, used for
every option the user did not set (the TrainConfig defaults are those of vector data)."""

from __future__ import annotations

from typing import Any, Callable

# dataset kind -> (model name -> option defaults); the modules of each kind fill this in.
DATA_DEFAULTS: dict[str, Callable[[str], dict[str, Any]]] = {}


def defaults_for(kind: str, model: str) -> dict[str, Any]:
    import ganforge.data.catalog  # noqa: F401  (the data modules register their defaults)

    pick = DATA_DEFAULTS.get(kind)
    return dict(pick(model)) if pick is not None else {}
