"""Imports every module that registers built-in datasets, so that the dataset registry knows them all."""

import ganforge.data.toy  # noqa: F401
