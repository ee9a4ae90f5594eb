"""Diagnostics: watch a run's log records and say in plain words what happened (and what to try)."""

from __future__ import annotations

from ganforge.config import TrainConfig
from ganforge.diagnostics.collapse import CollapseDetector
from ganforge.diagnostics.detectors import Detector, Finding, Record, finite
from ganforge.diagnostics.discriminator import DiscriminatorWinsDetector
from ganforge.diagnostics.divergence import DivergenceDetector
from ganforge.diagnostics.equilibrium import EquilibriumDetector
from ganforge.diagnostics.oscillation import OscillationDetector

__all__ = ["Diagnostician", "diagnose", "KINDS"]

# Every detector, in the order their findings are listed when several come from one record.
DETECTORS: tuple[type[Detector], ...] = (DivergenceDetector, DiscriminatorWinsDetector, CollapseDetector,
                                         OscillationDetector, EquilibriumDetector)
KINDS = tuple(d.kind for d in DETECTORS)


class Diagnostician:
    """Turns the training log into findings {"step", "kind", "message"}, record by record.

    `step` is where the condition began (equilibrium: where its window completes, the step
    --stop-at-equilibrium stops at). Each message names the likely cause and one or two remedies.
    """

    def __init__(self, config: TrainConfig | None = None):
        self.config = config if config is not None else TrainConfig()
        self.findings: list[Finding] = []
        self._detectors = [detector(self.config) for detector in DETECTORS]
        self._last_step: int | None = None  # the largest step observed so far
        self._finished = False

    def observe(self, record: Record) -> list[Finding]:
        """Called once per log record, in order; returns the findings this record adds."""
        step = finite(record, "step") if isinstance(record, dict) else None
        if step is None:  # a record without a step cannot be placed on the timeline
            return []
        step = int(step)
        self._last_step = step if self._last_step is None else max(self._last_step, step)
        new = [f for detector in self._detectors for f in detector.observe(step, record)]
        self.findings.extend(new)
        return new

    def finish(self, records: list[Record]) -> list[Finding]:
        """At the end of the run: the findings only knowable then (e.g. a collapse never recovered).

        Records with a step beyond the last one observed are observed first, so
        `Diagnostician(config).finish(records)` diagnoses a whole log at once. A second call adds nothing.
        """
        if self._finished:
            return []
        new = []
        for record in records or []:
            step = finite(record, "step") if isinstance(record, dict) else None
            if step is not None and (self._last_step is None or step > self._last_step):
                new += self.observe(record)
        self._finished = True
        if self._last_step is None:
            return new
        at_end = [f for detector in self._detectors for f in detector.finish(self._last_step)]
        self.findings.extend(at_end)
        return new + at_end


def diagnose(records: list[Record], config: TrainConfig | None = None) -> list[Finding]:
    """All findings of a finished run's log records (metrics.jsonl), in the order they were made."""
    diagnostician = Diagnostician(config)
    diagnostician.finish(records)
    return diagnostician.findings
