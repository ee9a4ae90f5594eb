"""Imports every module that registers a built-in dataset (the toys, digits), and nothing heavier."""

import ganforge.data.toy  # noqa: F401
import ganforge.data.images  # noqa: F401  (digits)
