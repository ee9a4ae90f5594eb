"""The image figures a run's summary may carry (FID, KID, class TVD...), registered for `ganforge compare`; no torch."""

from ganforge.metrics.figures import Figure, register_figures

register_figures({
    "fid": Figure("lower", "Frechet distance in the run's image features (classifier or autoencoder)"),
    "fid_floor": Figure("lower", "the same for held-out real images"),
    "kid": Figure("lower", "kernel inception distance (unbiased MMD^2, cubic kernel) in the same features"),
    "class_tvd": Figure("lower", "total variation distance, generated vs real class histogram"),
    "classes_present": Figure("higher", "classes getting at least a tenth of their real share"),
})
