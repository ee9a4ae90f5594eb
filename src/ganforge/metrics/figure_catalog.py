"""Imports every module that registers quality figures, in compare's column order (toys, tables, images);
none needs torch, so `ganforge compare DIR...` reads finished runs without it."""

import ganforge.metrics.figures  # noqa: F401  (toys and points)
import ganforge.metrics.tabular  # noqa: F401  (tables)
import ganforge.metrics.image_figures  # noqa: F401  (images)
