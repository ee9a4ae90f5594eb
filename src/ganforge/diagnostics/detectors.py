"""The detector contract, and the helpers every detector uses to read log records safely."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ganforge.config import TrainConfig

Record = dict[str, Any]
Finding = dict[str, Any]  # {"step": int, "kind": str, "message": str}


def number(record: Record, key: str) -> float | None:
    """The record's value for `key` as a float (NaN and inf kept); None when missing or not a number."""
    value = record.get(key)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def finite(record: Record, key: str) -> float | None:
    """The record's value for `key` when it is a finite number, else None."""
    value = number(record, key)
    return value if value is not None and math.isfinite(value) else None


def flag(record: Record, key: str) -> bool:
    """True when the record sets `key` to true (a bool, or a non-zero number)."""
    value = record.get(key)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return isinstance(value, numbers.Real) and math.isfinite(value) and value != 0


def d_accuracy(record: Record) -> float | None:
    """D's accuracy over real and generated: d_acc, else the mean of its two halves when both are logged."""
    overall = finite(record, "d_acc")
    if overall is not None:
        return overall
    real, fake = finite(record, "d_acc_real"), finite(record, "d_acc_fake")
    return 0.5 * (real + fake) if real is not None and fake is not None else None


def finding(step: int, kind: str, message: str) -> Finding:
    return {"step": int(step), "kind": kind, "message": message}


def fmt(value: float) -> str:
    """A figure for a message: three significant digits, no exponent for everyday sizes."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.2e}"


class Detector:
    """Watches one run's log records in order and reports one kind of finding."""

    kind = ""

    def __init__(self, config: TrainConfig):
        self.config = config

    def observe(self, step: int, record: Record) -> list[Finding]:
        """New findings once `record` (logged at `step`) is known."""
        return []

    def finish(self, last_step: int) -> list[Finding]:
        """Findings only knowable once the run is over (last_step: the last record's step)."""
        return []
