"""Imports every model module, so that the model registry knows them all; builds the one a config names."""

import ganforge.models.autoencoder  # noqa: F401
import ganforge.models.gamma  # noqa: F401
import ganforge.models.gan  # noqa: F401
import ganforge.models.gaussian  # noqa: F401
import ganforge.models.gmm  # noqa: F401
import ganforge.models.gmmn  # noqa: F401
import ganforge.models.independent  # noqa: F401
import ganforge.models.vae  # noqa: F401

from typing import Any

from ganforge.models.private_gan import PrivateGANModel
from ganforge.registry import models


def build_model(config: Any, encoder: Any, device: Any, privacy: Any = None) -> Any:
    """The configured model for the encoder's layout, with the encoder attached when it wants it;
    with `privacy` (a PrivacyLedger: a --dp-epsilon run), the GAN whose D trains by DP-SGD."""
    if privacy is not None:
        return PrivateGANModel(config, encoder.layout, device, privacy)
    model = models.get(config.model)(config, encoder.layout, device)
    if hasattr(model, "attach_encoder"):  # closed-form fits report their parameters in user units
        model.attach_encoder(encoder)
    return model


def suggested_options(model: str) -> dict:
    """Options a model trains best with when the user sets nothing else (e.g. Adam settings)."""
    return dict(getattr(models.get(model), "suggested_options", {}))
