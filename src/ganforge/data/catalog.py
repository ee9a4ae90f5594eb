"""Imports every data module, so the dataset, encoder and defaults registries know them all; and
answers from those registries: the encoder for a dataset, one rebuilt from its state, the defaults of a kind."""

from __future__ import annotations

from typing import Any

import ganforge.data.builtins  # noqa: F401  (the toys, digits)
import ganforge.data.image_encoder  # noqa: F401  (the images encoder and DCGAN defaults)
import ganforge.data.table_encoder  # noqa: F401  (the table encoder and table defaults)
from ganforge.data.encoders import ENCODER_BUILDERS, ENCODER_FIT_SAMPLES, ENCODER_KINDS, StandardEncoder
from ganforge.defaults import DATA_DEFAULTS


def fit_encoder(dataset, config, **options: Any) -> Any:
    """The encoder for this dataset's kind, fitted to it (points and toys: standardisation);
    `options` go to the kind's builder (a table's: release_counts, for a DP run)."""
    builder = ENCODER_BUILDERS.get(dataset.kind)
    if builder is not None:
        return builder(dataset, config, **options)
    fit_on = dataset.reference(ENCODER_FIT_SAMPLES, config.seed)
    return StandardEncoder().fit(fit_on)


def encoder_from_state(state: dict) -> Any:
    """The encoder a checkpoint's JSON state describes (KeyError for an unknown kind)."""
    kind = state.get("kind", "standard") if isinstance(state, dict) else None
    if kind not in ENCODER_KINDS:
        raise KeyError(f"unknown encoder kind {kind!r}")
    return ENCODER_KINDS[kind].from_state(state)


def defaults_for(kind: str, model: str) -> dict[str, Any]:
    """The options a model trains best with on this kind of data (empty for vector data)."""
    pick = DATA_DEFAULTS.get(kind)
    return dict(pick(model)) if pick is not None else {}
