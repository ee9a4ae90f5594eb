"""What a DP run fixes before it trains: its delta, its plan (the noise multipliers) and the
released category counts, in the order they depend on each other."""

from __future__ import annotations

from typing import Any

import numpy as np

from ganforge.privacy.budget import PrivacyLedger, PrivacyPlan, default_delta, plan_budget
from ganforge.privacy.counts import conditioning_columns, release_counts

COUNTS_SEED_OFFSET = 13  # the counts' noise, apart from the run's other streams


class PrivateSetup:
    """Made from the config and the table's size; the encoder's fit calls release_counts with the
    inferred columns, which fixes the plan (the counts are released only when some column conditions
    G); ledger() then starts the accountant with the counts release charged."""

    def __init__(self, config: Any, rows: int):
        self.config, self.rows = config, rows
        self.delta = config.dp_delta or default_delta(rows)
        self.plan: PrivacyPlan | None = None

    def release_counts(self, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The columns with noisy counts in place of the real ones (unchanged without a conditioning column)."""
        k = len(conditioning_columns(columns))
        self.plan = self._plan(k)
        if not k:
            return columns
        rng = np.random.default_rng(self.config.seed + COUNTS_SEED_OFFSET)
        return release_counts(columns, self.rows, self.plan.counts_noise_multiplier, rng)

    def ledger(self) -> PrivacyLedger:
        return PrivacyLedger(self.plan if self.plan is not None else self._plan(0))

    def _plan(self, counts_columns: int) -> PrivacyPlan:
        config = self.config
        return plan_budget(config.dp_epsilon, self.delta, config.batch_size / self.rows,
                           config.steps * config.discriminator_steps, config.dp_max_grad_norm,
                           config.dp_counts_share, counts_columns)
