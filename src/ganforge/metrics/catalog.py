"""Imports every module that registers an evaluator (metrics/evaluators.py) or quality figures
(the `metrics` registry, in ganforge compare's column order)."""

import ganforge.metrics.figures  # noqa: F401
import ganforge.metrics.tabular  # noqa: F401  (the table evaluator)
import ganforge.metrics.images  # noqa: F401  (the images evaluator)
