"""Imports every model module, so that the model registry knows them all."""

import ganforge.models.autoencoder  # noqa: F401
import ganforge.models.gamma  # noqa: F401
import ganforge.models.gan  # noqa: F401
import ganforge.models.gaussian  # noqa: F401
import ganforge.models.gmm  # noqa: F401
import ganforge.models.gmmn  # noqa: F401
import ganforge.models.independent  # noqa: F401
import ganforge.models.vae  # noqa: F401

from ganforge.registry import models


def suggested_options(model: str) -> dict:
    """Options a model trains best with when the user sets nothing else (e.g. Adam settings)."""
    return dict(getattr(models.get(model), "suggested_options", {}))
