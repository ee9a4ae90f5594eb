"""Imports every member module so each registry is full (datasets, encoders, models, losses, metrics,
a grid's saved mixture); api.py and cli.py import it, nothing below them does."""

import ganforge.data.catalog  # noqa: F401  (datasets, encoders, the defaults of each kind of data)
import ganforge.distributed.mixture  # noqa: F401  (load_run rebuilds a grid run's generator mixture)
import ganforge.losses  # noqa: F401
import ganforge.metrics.catalog  # noqa: F401  (each kind's evaluator, the quality figures)
import ganforge.models.catalog  # noqa: F401
