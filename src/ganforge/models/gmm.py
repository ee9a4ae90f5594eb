"""Maximum likelihood: a full-covariance Gaussian mixture (scikit-learn), its size chosen by BIC."""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout
from ganforge.models.closed_form import ClosedFormModel, continuous_width
from ganforge.registry import models

FIRST_RANGE = 10  # BIC always compares 1..10 components
PATIENCE = 5  # beyond 10, stop after this many sizes in a row fail to lower the best BIC


@models.register("gmm")
class GMMModel(ClosedFormModel):
    """p(x) = sum_k w_k N(x; mu_k, Sigma_k), fitted by EM (sklearn's GaussianMixture, full covariances).

    The number of components K minimises BIC = -2 log L + (free parameters) log N over 1..10;
    when the best is 10 the search goes on, one size at a time, up to gmm_max_components (30 by
    default, enough for grid25's 25 clusters), stopping once PATIENCE sizes in a row fail to
    improve it. Each EM fit is seeded from config.seed. Sampling draws the component indices and
    the Gaussians with torch, so `generator` alone decides the samples.
    """

    def __init__(self, config: TrainConfig, data: int | DataLayout, device: torch.device):
        data_dim = continuous_width(data)
        super().__init__(config, data, device)
        self.params.register_buffer("weights", torch.ones(1, dtype=torch.float64, device=device))
        self.params.register_buffer("means", torch.zeros(1, data_dim, dtype=torch.float64, device=device))
        self.params.register_buffer("cholesky", torch.eye(data_dim, dtype=torch.float64, device=device)[None])
        self.bic_: dict[int, float] = {}

    def fit(self, x: Tensor) -> None:
        from sklearn.mixture import GaussianMixture

        data = x.numpy()
        fits, self.bic_ = {}, {}

        def try_size(k: int) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning: the BIC judges the fit anyway
                mixture = GaussianMixture(k, covariance_type="full", random_state=self.config.seed).fit(data)
            fits[k], self.bic_[k] = mixture, float(mixture.bic(data))

        largest = min(self.config.gmm_max_components, len(data))
        first = min(FIRST_RANGE, largest)
        for k in range(1, first + 1):
            try_size(k)
        best = k = min(self.bic_, key=self.bic_.get)
        if best == first:  # the best size is the largest tried: there may be more clusters
            while k < largest and k - best < PATIENCE:
                k += 1
                try_size(k)
                best = min(self.bic_, key=self.bic_.get)
        mixture = fits[best]
        covariances = torch.from_numpy(mixture.covariances_)  # (K, d, d)
        self.params.weights = torch.from_numpy(mixture.weights_).to(self.device)
        self.params.means = torch.from_numpy(mixture.means_).to(self.device)
        self.params.cholesky = torch.linalg.cholesky(covariances).to(self.device)  # Sigma_k = L_k L_k^T

    def log_density(self, x: Tensor) -> Tensor:
        """log p(x) per row, by log-sum-exp over the components."""
        weights, means, chol = (t.cpu() for t in (self.params.weights, self.params.means, self.params.cholesky))
        components = torch.distributions.MultivariateNormal(means, scale_tril=chol)
        return torch.logsumexp(components.log_prob(x[:, None, :]) + weights.log(), dim=1)  # (N, K) -> (N,)

    def summary(self, x: Tensor) -> dict[str, float]:
        components = len(self.params.weights)
        return {"log_likelihood": float(self.log_density(x).mean()), "components": components,
                "bic": self.bic_.get(components, float("nan")), "components_searched": max(self.bic_, default=0)}

    @torch.no_grad()
    def sample_continuous(self, n: int, generator: torch.Generator) -> Tensor:
        if n == 0:  # multinomial refuses to draw nothing
            return torch.empty(0, self.data_dim, device=self.device)
        index = torch.multinomial(self.params.weights, n, replacement=True, generator=generator)  # (n,)
        eps = torch.randn(n, self.data_dim, 1, generator=generator, device=self.device, dtype=torch.float64)
        x = self.params.means[index] + (self.params.cholesky[index] @ eps).squeeze(-1)  # mu_k + L_k eps
        return x.float()
