"""Imports every module that registers built-in datasets, so that the dataset registry knows them all."""

import ganforge.data.toy  # noqa: F401
import ganforge.data.images  # noqa: F401  (digits)
import ganforge.data.image_encoder  # noqa: F401  (the images encoder and DCGAN defaults)
import ganforge.data.table_encoder  # noqa: F401  (the table encoder and table defaults)
