"""Defaults by kind of data: the options a model trains best with on tables or images, used for
every option the user did not set (the TrainConfig defaults are those of vector data)."""

from __future__ import annotations

from typing import Any, Callable

# dataset kind -> (model name -> option defaults); the modules of each kind fill this in, and
# data/catalog.py's defaults_for reads it.
DATA_DEFAULTS: dict[str, Callable[[str], dict[str, Any]]] = {}
