"""Imports every module that registers an evaluator (metrics/evaluators.py) or quality figures
(the `metrics` registry, in ganforge compare's column order: metrics/figure_catalog.py)."""

import ganforge.metrics.figure_catalog  # noqa: F401  (the figures of every kind)
import ganforge.metrics.tabular  # noqa: F401  (the table evaluator)
import ganforge.metrics.images  # noqa: F401  (the images evaluator)
