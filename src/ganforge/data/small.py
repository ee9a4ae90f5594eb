"""Warns when the training data is too small for a generative model to learn more than a few facts."""

from __future__ import annotations

import warnings
from typing import Any

from ganforge.errors import DataWarning

# Below 100 rows a column's mean is known only to +-0.1 of its std (1/sqrt(n)) and a correlation
# to +-0.1 as well, so the joint law (what a synthesizer is for) cannot be told from noise.
MIN_TABLE_ROWS = 100
# Below 50 images even one per class of a ten-class set is rare, and a DCGAN's D memorises them.
MIN_IMAGES = 50


def small_data_message(dataset: Any) -> str | None:
    """What a model can and cannot learn from this dataset when it is too small; None when it is not."""
    n = len(dataset)
    if dataset.kind == "table" and n < MIN_TABLE_ROWS:
        return (f"the table has only {n} rows: a model can learn each column's range and most common "
                f"values, not how the columns vary together, and its rows will mostly echo these {n} "
                f"(give {MIN_TABLE_ROWS} rows or more)")
    if dataset.kind == "images" and n < MIN_IMAGES:
        return (f"only {n} images: a GAN can learn their overall look (brightness, where the strokes lie), "
                f"not their variety; expect near copies or blends of these {n} (give {MIN_IMAGES} or more, "
                f"ideally thousands)")
    return None


def warn_if_small(dataset: Any) -> None:
    """A DataWarning saying what so little data can teach, when it is too small."""
    message = small_data_message(dataset)
    if message is not None:
        warnings.warn(message, DataWarning, stacklevel=2)
