"""Oscillation: D's accuracy or G's loss cycling up and down without a trend, instead of settling."""

from __future__ import annotations

import numpy as np

from ganforge.diagnostics.detectors import Detector, Record, d_accuracy, finding, finite, fmt
from ganforge.diagnostics.remedies import suggest

WINDOW = 8  # log records looked at together
MIN_CROSSINGS = 3  # the series goes from well above its trend line to well below (or back) 3+ times: 1.5 cycles
ACCURACY_SWING = 0.1  # typical distance of D's accuracy from its trend line: 0.1 (healthy noise: ~0.03)
LOSS_SWING = 0.15  # ... of G's loss: 15% of its typical size (and at least LOSS_SWING_MIN)
LOSS_SWING_MIN = 0.05
MAX_TREND_SHARE = 0.5  # the straight line explains under half the variance (R^2 < 0.5): no trend, no step
BOUNDED_LOSSES = ("minimax", "non-saturating", "least-squares")  # G's loss has a fixed scale only for these


def cycling(values: list[float], swing: float) -> tuple[bool, int]:
    """(cycling?, crossings) of one series.

    Rule: fit a straight line. The series cycles when (1) it crosses from above the line by swing/2 or
    more to below it by swing/2 (or back) at least MIN_CROSSINGS times, so one excursion and back
    is not enough; (2) the median absolute deviation of its distances from the line is >= swing,
    so most points swing (not one outlier); (3) the line explains under MAX_TREND_SHARE of the
    variance, so it is not a drift or a step.
    """
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(len(y), dtype=np.float64)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    sides = [1 if r > 0 else -1 for r in residual if abs(r) >= swing / 2]  # points in the band are skipped
    crossings = sum(a != b for a, b in zip(sides, sides[1:]))
    spread = float(np.median(np.abs(residual - np.median(residual))))
    total = float(np.sum((y - y.mean()) ** 2))
    trend_share = 1.0 - float(np.sum(residual ** 2)) / total if total > 0 else 0.0
    return crossings >= MIN_CROSSINGS and spread >= swing and trend_share < MAX_TREND_SHARE, crossings


class OscillationDetector(Detector):
    """Reported once per episode (at the window's first step); again only after WINDOW quiet records."""

    kind = "oscillation"

    def __init__(self, config):
        super().__init__(config)
        self.recent: list[tuple[int, float | None, float | None]] = []  # (step, d_acc, loss_g), last WINDOW
        self.active = False
        self.quiet = 0

    def observe(self, step: int, record: Record):
        self.recent = (self.recent + [(step, d_accuracy(record), finite(record, "loss_g"))])[-WINDOW:]
        if len(self.recent) < WINDOW:
            return []
        found = self._cycling_series()
        if not found:
            self.quiet += 1
            if self.quiet >= WINDOW:
                self.active = False
            return []
        self.quiet = 0
        if self.active:
            return []
        self.active = True
        return [finding(self.recent[0][0], self.kind, self._message(*found))]

    def _cycling_series(self) -> tuple[str, list[float], int] | None:
        """(what, values, crossings) of the first series that cycles, or None."""
        accuracy = [a for _, a, _ in self.recent]
        if None not in accuracy:
            yes, crossings = cycling(accuracy, ACCURACY_SWING)
            if yes:
                return "D's accuracy", accuracy, crossings
        loss = [g for _, _, g in self.recent]
        if None not in loss and self.config.loss in BOUNDED_LOSSES:
            swing = max(LOSS_SWING * float(np.median(np.abs(loss))), LOSS_SWING_MIN)
            yes, crossings = cycling(loss, swing)
            if yes:
                return "G's loss", loss, crossings
        return None

    def _message(self, what: str, values: list[float], crossings: int) -> str:
        first, last = self.recent[0][0], self.recent[-1][0]
        return (f"{what} has been swinging between {fmt(min(values))} and {fmt(max(values))} without settling "
                f"or trending (it crossed its average level {crossings} times in the {WINDOW} log records of steps "
                f"{first}-{last}): the players keep overshooting each other, each chasing where the other "
                "was, instead of converging. "
                + suggest(self.config, ["lower_learning_rates", "r1", "ema"]))
