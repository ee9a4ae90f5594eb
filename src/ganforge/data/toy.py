"""Toy distributions with known densities (ring8, grid25, 1D laws, moons, spiral), seeded."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ganforge.registry import datasets

if TYPE_CHECKING:
    import torch
# torch and scipy are imported where points are drawn or densities computed, so that listing the
# built-in datasets (`ganforge datasets`) needs neither.

__all__ = [
    "ToyDistribution",
    "GaussianMixture",
    "GammaDistribution",
    "Moons",
    "Spiral",
    "toy_names",
]


def _frozen_array(values, dim: int, what: str) -> np.ndarray:
    array = np.array(values, dtype=np.float64).reshape(-1, dim)
    array.setflags(write=False)  # the dataclass is frozen; so are its arrays
    if not np.isfinite(array).all():
        raise ValueError(f"{what} must be finite")
    return array


@dataclass(frozen=True, eq=False)
class ToyDistribution:
    """A known distribution: seeded `sample`, `log_density` where it has one, mode centres if any.

    Sampling draws only from the torch.Generator it is given, so the same seed gives the same
    points and consumes the generator the same way.
    """

    name: str
    dim: int
    description: str  # one line, shown by `ganforge datasets`
    modes: np.ndarray | None = None  # (K, dim) centres for the mode metrics
    mode_std: float | None = None  # the std of each mode; "high quality" means within 3 std

    has_density: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.modes is not None:
            object.__setattr__(self, "modes", _frozen_array(self.modes, self.dim, "modes"))
            if self.mode_std is None or not self.mode_std > 0:
                raise ValueError(f"{self.name}: modes need a positive mode_std")

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Draw n points, shape (n, dim), float32, using only `generator`."""
        raise NotImplementedError

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """Natural log of the density at each row of x (m, dim) -> (m,)."""
        raise NotImplementedError(f"{self.name} has no closed-form density")

    def _check_n(self, n: int) -> int:
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        return int(n)

    def _check_x(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"{self.name}: expected x of shape (m, {self.dim}), got {x.shape}")
        return x


@dataclass(frozen=True, eq=False)
class GaussianMixture(ToyDistribution):
    """Equal-weight mixture of isotropic Gaussians N(modes[k], mode_std^2 I)."""

    def __post_init__(self) -> None:
        if self.modes is None:
            raise ValueError(f"{self.name}: a Gaussian mixture needs modes")
        super().__post_init__()

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        import torch

        n = self._check_n(n)
        means = torch.tensor(self.modes, dtype=torch.float64)  # (K, dim), a copy (read-only)
        k = torch.randint(len(means), (n,), generator=generator)  # (n,) component per point
        noise = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        return (means[k] + self.mode_std * noise).to(torch.float32)  # (n, dim)

    def log_density(self, x: np.ndarray) -> np.ndarray:
        x = self._check_x(x)
        K, s2 = len(self.modes), self.mode_std**2
        from scipy.spatial.distance import cdist
        from scipy.special import logsumexp

        sq = cdist(x, self.modes, "sqeuclidean")  # (m, K)
        # log p(x) = logsumexp_k(-|x - mu_k|^2 / (2 s^2)) - log K - (d/2) log(2 pi s^2)
        log_norm = math.log(K) + 0.5 * self.dim * math.log(2 * math.pi * s2)
        return logsumexp(-sq / (2 * s2), axis=1) - log_norm


@dataclass(frozen=True, eq=False)
class GammaDistribution(ToyDistribution):
    """1D Gamma(shape, scale): mean shape*scale, variance shape*scale^2."""

    shape: float = 2.0
    scale: float = 2.0

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        import torch

        n = self._check_n(n)
        # Inverse CDF on uniforms from the generator: exactly n draws, no rejection loop.
        u = torch.rand(n, generator=generator, dtype=torch.float64).numpy()
        from scipy.special import gammaincinv

        x = gammaincinv(self.shape, u) * self.scale
        return torch.from_numpy(x).to(torch.float32).reshape(n, 1)

    def log_density(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln

        x = self._check_x(x)[:, 0]
        a, theta = self.shape, self.scale
        out = np.full(x.shape, -np.inf)
        pos = x > 0
        xp = x[pos]
        # log p(x) = (a-1) log x - x/theta - lgamma(a) - a log theta, for x > 0
        out[pos] = (a - 1) * np.log(xp) - xp / theta - gammaln(a) - a * math.log(theta)
        return out


@dataclass(frozen=True, eq=False)
class Moons(ToyDistribution):
    """Two interleaving half circles as in sklearn's make_moons, angles drawn uniformly."""

    noise: float = 0.05
    has_density: ClassVar[bool] = False

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        import torch

        n = self._check_n(n)
        lower = torch.randint(2, (n,), generator=generator).to(torch.float64)  # 0 outer, 1 inner
        t = math.pi * torch.rand(n, generator=generator, dtype=torch.float64)
        # outer: (cos t, sin t); inner: (1 - cos t, 0.5 - sin t)
        x = lower + (1 - 2 * lower) * torch.cos(t)
        y = 0.5 * lower + (1 - 2 * lower) * torch.sin(t)
        noise = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        return (torch.stack([x, y], dim=1) + self.noise * noise).to(torch.float32)


@dataclass(frozen=True, eq=False)
class Spiral(ToyDistribution):
    """Two-arm Archimedean spiral r = theta / theta_max, the second arm rotated by pi."""

    turns: float = 1.5
    noise: float = 0.02
    has_density: ClassVar[bool] = False

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        import torch

        n = self._check_n(n)
        arm = torch.randint(2, (n,), generator=generator).to(torch.float64)
        theta_max = 2 * math.pi * self.turns
        # Arc length grows like theta^2, so theta = sqrt(u) * theta_max is ~uniform along the arm.
        theta = torch.sqrt(torch.rand(n, generator=generator, dtype=torch.float64)) * theta_max
        r = theta / theta_max  # radius in [0, 1]
        angle = theta + math.pi * arm
        noise = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        points = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
        return (points + self.noise * noise).to(torch.float32)


def toy_names() -> list[str]:
    """Names of the registered toy distributions, sorted."""
    return [name for name, member in datasets.items() if isinstance(member, ToyDistribution)]


_ring_angles = 2 * np.pi * np.arange(8) / 8
_grid_axis = np.arange(-4.0, 5.0, 2.0)

RING8 = GaussianMixture(
    name="ring8",
    dim=2,
    description="8 Gaussians on a circle of radius 1, std 0.01 (PacGAN)",
    modes=np.stack([np.cos(_ring_angles), np.sin(_ring_angles)], axis=1),
    mode_std=0.01,
)
GRID25 = GaussianMixture(
    name="grid25",
    dim=2,
    description="25 Gaussians on the grid {-4,-2,0,2,4}^2, std 0.05 (PacGAN)",
    modes=np.stack(np.meshgrid(_grid_axis, _grid_axis, indexing="ij"), axis=-1).reshape(-1, 2),
    mode_std=0.05,
)
GAUSSIAN = GaussianMixture(
    name="gaussian", dim=1, description="1D standard normal N(0, 1)", modes=[[0.0]], mode_std=1.0
)
GAMMA = GammaDistribution(
    name="gamma",
    dim=1,
    description="1D Gamma(shape 2, scale 2): mean 4, variance 8",
    shape=2.0,
    scale=2.0,
)
BIMODAL = GaussianMixture(
    name="bimodal",
    dim=1,
    description="1D mixture 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2)",
    modes=[[-2.0], [2.0]],
    mode_std=0.5,
)
MOONS = Moons(
    name="moons", dim=2, description="2D two interleaving half circles, noise 0.05 (no density)"
)
SPIRAL = Spiral(
    name="spiral", dim=2, description="2D two-arm spiral, 1.5 turns, noise 0.02 (no density)"
)

for _dist in (RING8, GRID25, GAUSSIAN, GAMMA, BIMODAL, MOONS, SPIRAL):
    datasets.register(_dist.name)(_dist)
