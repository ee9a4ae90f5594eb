"""Maximum likelihood: an independent Gamma law for each column (scipy), shifted where needed."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from scipy import stats
from scipy.optimize import minimize_scalar
from torch import Tensor

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout
from ganforge.models.closed_form import ClosedFormModel, continuous_width
from ganforge.registry import models

GAP = 1e-4  # a fitted location stays at least GAP column-stds below the column's minimum
MIN_SCALE = 1e-6


@models.register("gamma")
class GammaModel(ClosedFormModel):
    """x_j ~ loc_j + Gamma(shape_j, scale_j) independently, density for x > loc_j:
    p(x) = (x - loc)^(shape - 1) exp(-(x - loc) / scale) / (Gamma(shape) scale^shape).

    Location: a column whose values are all positive in the user's units gets the classic
    two-parameter Gamma, loc = 0 there (scipy's gamma.fit with floc=0). Any other column (zeros,
    negative values, or when no encoder is attached) is shifted: loc is fitted by maximum
    likelihood too, over loc <= min - GAP * std (the profile likelihood: for each loc, scipy's
    fit of shape and scale), which covers the "min minus a small epsilon" shift as a special case.
    """

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        data_dim = continuous_width(data)
        super().__init__(config, data, device)
        for name, start in (("shape", 1.0), ("scale", 1.0), ("loc", -1.0)):  # Exp(1) - 1 before a fit
            self.params.register_buffer(name, torch.full((data_dim,), start, dtype=torch.float64, device=device))

    def fit(self, x: Tensor) -> None:
        shift, scale = self.user_affine()
        for j in range(self.data_dim):
            column = x[:, j].numpy()
            positive = bool((shift[j] + scale[j] * column.min()) > 0)  # in the user's units
            user_zero = float(-shift[j] / scale[j])  # where the user's 0 lies in these units
            shape, loc, theta = fit_gamma(column, loc=user_zero if positive else None)
            self.params.shape[j], self.params.loc[j], self.params.scale[j] = shape, loc, theta

    def log_density(self, x: Tensor) -> Tensor:
        p = {k: v.cpu().numpy() for k, v in self.params.named_buffers()}
        logpdf = stats.gamma.logpdf(x.numpy(), p["shape"], loc=p["loc"], scale=p["scale"])  # (N, d)
        return torch.from_numpy(logpdf.sum(axis=1))

    def summary(self, x: Tensor) -> dict[str, float]:
        shift, scale = self.user_affine()
        p = {k: v.cpu() for k, v in self.params.named_buffers()}
        figures = {"log_likelihood": float(self.log_density(x).mean())}
        for j in range(self.data_dim):
            figures[f"shape_{j}"] = float(p["shape"][j])  # unchanged by the encoder's affine map
            figures[f"scale_{j}"] = float(scale[j].abs() * p["scale"][j])
            figures[f"loc_{j}"] = float(shift[j] + scale[j] * p["loc"][j])
        return figures

    @torch.no_grad()
    def sample_continuous(self, n: int, generator: torch.Generator) -> Tensor:
        shape = self.params.shape.expand(n, self.data_dim).contiguous()
        # torch's own Gamma sampler (the one torch.distributions.Gamma uses), seeded by `generator`
        standard = torch._standard_gamma(shape, generator=generator)  # ~ Gamma(shape, 1)
        return (self.params.loc + self.params.scale * standard).float()


def fit_gamma(x: np.ndarray, loc: float | None = None) -> tuple[float, float, float]:
    """(shape, loc, scale) maximising the likelihood of the 1D sample x; loc fixed when given."""
    x = np.asarray(x, dtype=np.float64)
    spread = float(x.std())
    if spread == 0.0:  # a constant column: a very narrow Gamma just below the value
        return 1.0, float(x[0]) - MIN_SCALE, MIN_SCALE
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if loc is not None:
            shape, _, scale = stats.gamma.fit(x, floc=loc)
            return float(shape), float(loc), float(max(scale, MIN_SCALE))
        top = float(x.min()) - GAP * spread

        def at(u: float) -> float:  # loc = top - e^u * spread, u in [-12, 3]
            return top - math.exp(u) * spread

        def negative_log_likelihood(u: float) -> float:
            shape, _, scale = stats.gamma.fit(x, floc=at(u))
            value = -float(stats.gamma.logpdf(x, shape, loc=at(u), scale=scale).sum())
            return value if math.isfinite(value) else math.inf

        best = minimize_scalar(negative_log_likelihood, bounds=(-12.0, 3.0), method="bounded",
                               options={"xatol": 1e-4}).x
        # The bounded search can miss an optimum on the boundary (shapes below 1 pile up at the minimum).
        best = min((best, -12.0, 3.0), key=negative_log_likelihood)
        shape, _, scale = stats.gamma.fit(x, floc=at(best))
        return float(shape), at(best), float(max(scale, MIN_SCALE))
