"""Divergence: NaN or inf in the losses or samples, or gradient norms past ganhacks' warning line."""

from __future__ import annotations

import math

from ganforge.diagnostics.detectors import Detector, Record, finding, flag, fmt, number
from ganforge.diagnostics.remedies import suggest

GRAD_NORM_LIMIT = 100.0  # ganhacks: gradient norms over 100 mean things are going wrong
GRAD_NORM_RECORDS = 2  # ... for this many records in a row (one spike at start-up is not divergence)
LOSSES = ("loss_d", "loss_g", "loss")
GRAD_NORMS = {"grad_norm_d": "D", "grad_norm_g": "G"}


class DivergenceDetector(Detector):
    """Reports each divergence episode once; an episode ends at the first clean record.

    Rule: diverged when `nonfinite` is set or a loss is NaN/inf or a gradient norm is inf (at once),
    or when a gradient norm is over GRAD_NORM_LIMIT for GRAD_NORM_RECORDS records in a row. A NaN
    gradient norm alone means "not measured" (the models start from NaN), so it is not evidence.
    """

    kind = "divergence"

    def __init__(self, config):
        super().__init__(config)
        self.in_episode = False
        self.steep_since: int | None = None  # first step of the current run of large gradient norms
        self.steep_records = 0

    def observe(self, step: int, record: Record):
        broken = self._broken(record)
        steep = {who: value for key, who in GRAD_NORMS.items()
                 if (value := number(record, key)) is not None and math.isfinite(value) and value > GRAD_NORM_LIMIT}
        if not broken and not steep:
            self.in_episode, self.steep_since, self.steep_records = False, None, 0
            return []
        if steep and not broken:
            self.steep_records += 1
            self.steep_since = step if self.steep_since is None else self.steep_since
        if self.in_episode:
            return []
        if broken:
            self.in_episode = True
            return [finding(step, self.kind, self._broken_message(step, broken))]
        if self.steep_records >= GRAD_NORM_RECORDS:
            self.in_episode = True
            return [finding(self.steep_since, self.kind, self._steep_message(steep))]
        return []

    def _broken(self, record: Record) -> list[str]:
        """What went NaN or inf in this record's interval, in words."""
        what = [f"{key} is {value}" for key in LOSSES
                if (value := number(record, key)) is not None and not math.isfinite(value)]
        what += [f"{who}'s gradient norm is inf" for key, who in GRAD_NORMS.items()
                 if (value := number(record, key)) is not None and math.isinf(value)]
        if flag(record, "nonfinite"):
            what.append("the generated samples hold NaN or inf")
        return what

    def _broken_message(self, step: int, broken: list[str]) -> str:
        return (f"Training diverged at step {step}: {', '.join(broken)}. The updates grew too large for the "
                "numbers to stay finite, usually because the learning rates are too high for this loss or "
                "D's gradients exploded. "
                + suggest(self.config, ["lower_learning_rates", "spectral_norm", "r1"]))

    def _steep_message(self, steep: dict[str, float]) -> str:
        norms = " and ".join(f"{who}'s gradient norm is {fmt(value)}" for who, value in steep.items())
        return (f"Training is on the edge of diverging from step {self.steep_since}: {norms}, over "
                f"{GRAD_NORM_LIMIT:g} for {self.steep_records} log records in a row (ganhacks: gradient norms "
                "over 100 mean trouble). The updates are too large: learning rates too high, or D too steep. "
                + suggest(self.config, ["lower_learning_rates", "spectral_norm", "r1"]))
