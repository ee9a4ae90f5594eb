"""The samplers themselves, on two callables: propose(slots) and log_ratio(x, slots).

A trained D approximates D* = p_t / (p_t + p_g), so its (calibrated) logit l(x) = log D/(1 - D)
estimates log p_t(x)/p_g(x): a correction from G's law to the data's. Every sampler fills n
slots; slot i keeps its own condition (a table's --where, an image class), so a conditional run
is refined within its condition. propose(slots (m,)) -> x (m, ...), one candidate per
listed slot, from its own seeded noise stream; log_ratio(x, slots) -> (m,) calibrated logits. The
`generator` given to a sampler drives only its own choices (slots, uniforms), on the CPU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import UserError

Propose = Callable[[Tensor], Tensor]
LogRatio = Callable[[Tensor, Tensor], Tensor]

DRS_EPS = 1e-6  # keeps log(1 - exp(l - D_max - eps)) finite at the maximum
DRS_BURN_IN = 4096  # proposals scored first to estimate D_max and gamma (the paper uses 10,000)
DRS_MAX_PROPOSALS_PER_SAMPLE = 200  # beyond this D rejects nearly everything: stop and say so


@dataclass
class Cost:
    """What refinement cost: proposals drawn and scored for the samples kept."""

    method: str
    samples: int = 0
    proposals: int = 0
    accepted: int = 0
    seconds: float = 0.0
    burn_in: int = 0  # proposals scored only to set the sampler up (DRS's D_max and gamma)
    extra: dict = field(default_factory=dict)

    def figures(self) -> dict:
        """acceptance_rate: kept / judged after the burn-in; proposals_per_sample: everything drawn / kept."""
        rate = self.accepted / max(self.proposals - self.burn_in, 1)
        return {"refine": self.method, "acceptance_rate": rate, "samples": self.samples,
                "proposals": self.proposals, "burn_in": self.burn_in,
                "proposals_per_sample": self.proposals / max(self.samples, 1),
                "samples_per_second": self.samples / max(self.seconds, 1e-9), **self.extra}


def drs_acceptance(logit: Tensor, d_max: float, gamma: float) -> Tensor:
    """Azadi et al. 2019: p = sigmoid(F - gamma), F = l - D_max - log(1 - exp(l - D_max - eps)).

    With gamma = 0, p = exp(l - D_max) = r(x) / r_max exactly: plain rejection sampling of p_t
    from p_g with r = p_t / p_g. gamma > 0 rejects more (sharper), gamma < 0 less.
    """
    return torch.sigmoid(drs_score(logit, d_max) - gamma)


def drs_score(logit: Tensor, d_max: float) -> Tensor:
    s = logit - d_max  # <= 0 once D_max is the largest logit seen
    return s - torch.log1p(-torch.exp(s - DRS_EPS))  # F(x); log1p(-e^u) = log(1 - e^u)


def drs(propose: Propose, log_ratio: LogRatio, n: int, generator: torch.Generator,
        percentile: float | None = 80.0, burn_in: int = DRS_BURN_IN) -> tuple[Tensor, Cost]:
    """n samples by discriminator rejection sampling; percentile=None sets gamma = 0 (exact).

    D_max and gamma come from a burn-in of proposals; D_max grows whenever a larger logit turns
    up (as in the paper), so the rule stays a valid rejection bound as far as D's maximum is known.
    """
    cost, start = Cost("drs", samples=n, burn_in=burn_in), time.perf_counter()
    slots = torch.randint(0, n, (burn_in,), generator=generator)  # burn-in under the slots' conditions
    burn = log_ratio(propose(slots), slots).double()
    cost.proposals += burn_in
    d_max = float(burn.max())
    gamma = 0.0 if percentile is None else float(np.percentile(drs_score(burn, d_max).numpy(), percentile))
    out: Tensor | None = None
    todo = torch.arange(n)
    while todo.numel():
        if cost.proposals > DRS_MAX_PROPOSALS_PER_SAMPLE * n + burn_in:
            raise UserError(f"DRS drew {cost.proposals} proposals for {n} samples and kept {n - todo.numel()}: "
                            f"D rejects almost everything G makes (try a lower --drs-percentile, or --refine mh)")
        x = propose(todo)
        logit = log_ratio(x, todo).double()
        cost.proposals += todo.numel()
        d_max = max(d_max, float(logit.max()))
        u = torch.rand(todo.numel(), generator=generator, dtype=torch.float64)
        keep = u < drs_acceptance(logit, d_max, gamma)
        if out is None:
            out = torch.empty((n, *x.shape[1:]), dtype=x.dtype, device=x.device)
        out[todo[keep]] = x[keep.to(x.device)]
        todo = todo[~keep]
    cost.accepted, cost.seconds = n, time.perf_counter() - start
    cost.extra = {"d_max": d_max, "gamma": gamma, "gamma_percentile": percentile}
    return out, cost


def mh_acceptance(logit_current: Tensor, logit_proposed: Tensor) -> Tensor:
    """Turner et al. 2019 (independent proposals x' ~ p_g): alpha = min(1, r(x') / r(x)),
    r = D / (1 - D) = exp(l), so alpha = min(1, exp(l' - l))."""
    return torch.exp(torch.clamp(logit_proposed - logit_current, max=0.0))


def mh(propose: Propose, log_ratio: LogRatio, n: int, generator: torch.Generator,
       steps: int = 32) -> tuple[Tensor, Cost]:
    """n samples, each the state of its own Metropolis-Hastings chain after `steps` proposals.

    The chain's target is p_g * r = p_t; it starts at a sample of G (no real data needed), so
    a longer chain forgets its start better. A chain that never moved keeps G's first sample.
    """
    cost, start = Cost("mh", samples=n), time.perf_counter()
    slots = torch.arange(n)
    x = propose(slots)
    logit = log_ratio(x, slots).double()
    moved = torch.zeros(n, dtype=torch.bool)
    accepted = 0
    for _ in range(steps):
        x_new = propose(slots)
        logit_new = log_ratio(x_new, slots).double()
        u = torch.rand(n, generator=generator, dtype=torch.float64)
        take = u < mh_acceptance(logit, logit_new)
        x[take.to(x.device)] = x_new[take.to(x.device)]
        logit = torch.where(take, logit_new, logit)
        moved |= take
        accepted += int(take.sum())
    cost.proposals = n * (steps + 1)
    cost.accepted, cost.seconds = accepted, time.perf_counter() - start
    cost.extra = {"chain_steps": steps, "chains_never_moved": float((~moved).float().mean())}
    # MH keeps every chain: its figure of cost is the proposals per sample (steps + 1).
    return x, cost



def langevin(z: Tensor, energy: Callable[[Tensor], Tensor], generator: torch.Generator, steps: int = 100,
             step_size: float = 0.01) -> tuple[Tensor, Cost]:
    """DDLS (Che et al. 2020): Langevin dynamics in G's latent space on the energy
    E(z) = ||z||^2 / 2 - l(G(z)), whose density p_z(z) e^{l(G(z))} pushes through G to p_g * r = p_t:
    z <- z - (eps / 2) grad E(z) + sqrt(eps) n, n ~ N(0, I). `energy` maps z (m, k) to (m,)."""
    cost, start = Cost("langevin", samples=z.shape[0]), time.perf_counter()
    z = z.detach().clone()
    for _ in range(steps):
        z.requires_grad_(True)
        (grad,) = torch.autograd.grad(energy(z).sum(), z)
        noise = torch.randn(z.shape, generator=generator).to(z.device)
        z = (z - 0.5 * step_size * grad + step_size ** 0.5 * noise).detach()
    cost.proposals = cost.accepted = z.shape[0]  # nothing is rejected: the cost is the gradient steps
    cost.seconds = time.perf_counter() - start
    cost.extra = {"langevin_steps": steps, "step_size": step_size, "gradient_steps_per_sample": steps}
    return z, cost


def cost_line(figures: dict) -> str:
    """The cost in one line, for progress output: 'drs: acceptance rate 0.412, 2.43 proposals per sample, ...'."""
    steps = figures.get("gradient_steps_per_sample")
    work = f"{steps} gradient steps per sample" if steps else f"{figures['proposals_per_sample']:.2f} proposals per sample"
    return (f"{figures['refine']}: acceptance rate {figures['acceptance_rate']:.3f}, {work}, "
            f"{figures['samples_per_second']:.0f} samples/s")
