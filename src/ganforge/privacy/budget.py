"""A DP run's budget: the noise multipliers that spend (epsilon, delta) over the planned steps, and
the ledger of what has been spent (Opacus' RDP accountant), checkpointed with the run.

Two mechanisms read the real rows: the release of the category counts (one Gaussian mechanism on
the whole table, privacy/counts.py) and the discriminator's DP-SGD steps (each a Poisson-subsampled
Gaussian mechanism, models/private_gan.py). Their Renyi-DP costs add up in one RDPAccountant (its
history holds (noise multiplier, sample rate, steps) per mechanism), converted to (epsilon, delta).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from opacus.accountants import RDPAccountant
from opacus.accountants.analysis import rdp as rdp_analysis
from opacus.accountants.utils import get_noise_multiplier
from scipy.optimize import brentq

from ganforge.errors import UserError
from ganforge.privacy.statement import epsilon_text

ACCOUNTANT = "rdp"
ORDERS = RDPAccountant.DEFAULT_ALPHAS  # the Renyi orders the accountant converts over
SIGMA_PRECISION = 1e-7  # on log sigma: fine enough that one more step past the plan exceeds epsilon
MAX_SIGMA = 1e6  # beyond this the training signal is gone: the budget is too small for the plan


def default_delta(rows: int) -> float:
    """1 / (10 x rows) rounded down to a power of ten: 614 rows -> 1e-4, 100 rows -> 1e-3."""
    return 10.0 ** -len(str(10 * rows - 1))


@dataclass(frozen=True)
class PrivacyPlan:
    """The noise of a DP run, fixed before training so that the target is spent after the planned steps."""

    epsilon: float  # the target
    delta: float
    sample_rate: float  # q: each real row joins a D step's batch with this probability (Poisson)
    discriminator_steps: int  # planned DP-SGD steps of D
    noise_multiplier: float  # sigma: noise std sigma * max_grad_norm on each step's sum of clipped gradients
    max_grad_norm: float  # C: each row's gradient is clipped to this L2 norm
    counts_noise_multiplier: float  # the counts release's sigma (noise std sigma sqrt(k)); 0 = no release
    counts_share: float  # the counts release alone would cost this share of epsilon
    counts_columns: int  # k: conditioning columns whose counts are released

    def initial_history(self) -> list[tuple[float, float, int]]:
        """The accountant's history before any D step: the counts release, one step at sample rate 1."""
        return [(self.counts_noise_multiplier, 1.0, 1)] if self.counts_columns else []


def epsilon_of(history: list[tuple[float, float, int]], delta: float) -> float:
    """Opacus' RDP accountant's epsilon at `delta` for a history of (sigma, sample rate, steps)."""
    if not history:
        return 0.0
    accountant = RDPAccountant()
    accountant.history = [tuple(entry) for entry in history]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # see _epsilon_from_rdp
        return float(accountant.get_epsilon(delta=delta))


# The searches below (the plan's sigma, the most steps within a budget) evaluate epsilon dozens of
# times. They use the accountant's own two functions: RDP is additive over mechanisms and linear in
# steps, so each mechanism's RDP per step is computed once per sigma (the costly series), and only
# the conversion to epsilon is repeated. The figures reported always come from epsilon_of.

def _rdp(sigma: float, rate: float, steps: int) -> np.ndarray:
    return np.asarray(rdp_analysis.compute_rdp(q=rate, noise_multiplier=sigma, steps=steps, orders=ORDERS))


def _epsilon_from_rdp(rdp: np.ndarray, delta: float) -> float:
    with warnings.catch_warnings():
        # "Optimal order is the largest alpha": the bound is then a little loose, never too low.
        warnings.simplefilter("ignore", UserWarning)
        return float(rdp_analysis.get_privacy_spent(orders=ORDERS, rdp=rdp, delta=delta)[0])


def _history_rdp(history: list[tuple[float, float, int]]) -> np.ndarray:
    return sum((_rdp(sigma, rate, steps) for sigma, rate, steps in history), np.zeros(len(ORDERS)))


def plan_budget(epsilon: float, delta: float, sample_rate: float, discriminator_steps: int,
                max_grad_norm: float, counts_share: float, counts_columns: int) -> PrivacyPlan:
    """The plan that spends (epsilon, delta) exactly after the counts release and the planned D steps."""
    counts_sigma = 0.0
    if counts_columns:
        with warnings.catch_warnings():  # the same loose-bound warning as in _epsilon_from_rdp
            warnings.simplefilter("ignore", UserWarning)
            counts_sigma = get_noise_multiplier(target_epsilon=counts_share * epsilon, target_delta=delta,
                                                sample_rate=1.0, steps=1, accountant=ACCOUNTANT,
                                                epsilon_tolerance=0.001 * epsilon)
    release = _history_rdp([(counts_sigma, 1.0, 1)] if counts_columns else [])
    sigma = _sgd_noise(epsilon, delta, sample_rate, discriminator_steps, release)
    return PrivacyPlan(epsilon=epsilon, delta=delta, sample_rate=sample_rate,
                       discriminator_steps=discriminator_steps, noise_multiplier=sigma,
                       max_grad_norm=max_grad_norm, counts_noise_multiplier=counts_sigma,
                       counts_share=counts_share if counts_columns else 0.0, counts_columns=counts_columns)


def _sgd_noise(epsilon: float, delta: float, rate: float, steps: int, release: np.ndarray) -> float:
    """The smallest sigma whose `steps` DP-SGD steps after the release stay within epsilon (as opacus'
    get_noise_multiplier finds it for one mechanism; this one composes the release too): bracketed by
    doubling, then Brent's method on log sigma, then nudged up until it is within."""
    def excess(log_sigma: float) -> float:
        return min(_epsilon_from_rdp(release + _rdp(math.exp(log_sigma), rate, steps), delta), 1e9) - epsilon

    low, high = -1.0, 0.0  # log sigma
    while excess(high) > 0:
        low, high = high, high + math.log(2)
        if high > math.log(MAX_SIGMA):
            raise UserError(f"--dp-epsilon {epsilon:g} is too small for {steps:,} discriminator steps at sample "
                            f"rate {rate:.3g}: the noise would drown every gradient; give a larger epsilon, "
                            f"fewer --steps or --epochs, or a smaller --batch-size")
    while excess(low) <= 0 and low > -10:
        low, high = low - math.log(2), low
    log_sigma = brentq(excess, low, high, xtol=SIGMA_PRECISION) if excess(low) > 0 else low
    while excess(log_sigma) > 0:  # Brent stops within xtol of the root, on either side
        log_sigma += SIGMA_PRECISION
    return math.exp(log_sigma)


class PrivacyLedger:
    """What a run has spent so far: Opacus' RDP accountant over the counts release and each D step."""

    def __init__(self, plan: PrivacyPlan, history: list | None = None, steps_taken: int = 0):
        self.plan = plan
        self.accountant = RDPAccountant()
        self.accountant.history = ([tuple(entry) for entry in history] if history is not None
                                   else plan.initial_history())
        self.steps_taken = steps_taken
        self.max_steps = self._max_steps()

    def step(self) -> None:
        """One DP-SGD step of D taken: charged to the accountant."""
        self.accountant.step(noise_multiplier=self.plan.noise_multiplier, sample_rate=self.plan.sample_rate)
        self.steps_taken += 1

    def can_take(self, steps: int) -> bool:
        """Whether `steps` more D steps keep the accountant's epsilon within the target."""
        return self.steps_taken + steps <= self.max_steps

    def epsilon(self) -> float:
        return epsilon_of(self.accountant.history, self.plan.delta)

    def spent_sentence(self) -> str:
        return (f"privacy budget spent: epsilon {epsilon_text(self.epsilon())} of {self.plan.epsilon:g} at delta "
                f"{self.plan.delta:.2g} after {self.steps_taken:,} discriminator steps")

    def _max_steps(self) -> int:
        """The most D steps in all (taken and to come) whose epsilon, by the accountant's figures, stays
        within the target: the run stops when the next round would pass it."""
        plan = self.plan
        spent, per_step = _history_rdp(self.accountant.history), _rdp(plan.noise_multiplier, plan.sample_rate, 1)

        def within(more: int) -> bool:
            return _epsilon_from_rdp(spent + per_step * more if more else spent, plan.delta) <= plan.epsilon

        if not within(0):
            return self.steps_taken
        low, high = 0, max(1, plan.discriminator_steps - self.steps_taken + 1)
        while within(high):  # the plan spends epsilon after its steps: this rarely runs more than once
            low, high = high, 2 * high
        while high - low > 1:  # within(low), not within(high)
            middle = (low + high) // 2
            low, high = (middle, high) if within(middle) else (low, middle)
        return self.steps_taken + low

    # --- checkpoint -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {"plan": asdict(self.plan), "history": [list(entry) for entry in self.accountant.history],
                "steps_taken": self.steps_taken}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "PrivacyLedger":
        history = [(float(s), float(q), int(n)) for s, q, n in state["history"]]
        return cls(PrivacyPlan(**state["plan"]), history, int(state["steps_taken"]))

