"""Mode collapse: generated samples lose their variety; reports the onset, then the recovery or its absence."""

from __future__ import annotations

import math

from ganforge.diagnostics.detectors import Detector, Record, finding, finite, flag, fmt, number
from ganforge.diagnostics.remedies import suggest

SPREAD_RATIO_MIN = 0.5  # generated per-dimension std under half the real data's
NN_DISTANCE_RATIO_MIN = 0.3  # generated points over 3x closer to each other than real points are
MODES_FRACTION = 0.5  # modes covered at most half the best so far, or at most half of all modes
MIN_BEST_MODES = 2  # a drop needs a best of 2+ modes (1 -> 0 is noise, not collapse)
MIN_HIGH_QUALITY = 0.1  # mode rules need 10%+ samples on a mode: below that G is untrained or blurry, not collapsed
WARMUP_FRACTION = 0.2  # before 20% of the steps, a G that has not spread out yet is not collapsed
CONFIRM_RECORDS = 2  # onset and recovery each need this many records in a row (no flicker)
RECOVERED = "recovered at step"  # the words a recovery finding always holds (explain() looks for them)
RATIOS = {"spread_ratio": SPREAD_RATIO_MIN, "nn_distance_ratio": NN_DISTANCE_RATIO_MIN}


class CollapseDetector(Detector):
    """Rule, per record (records whose losses or samples went NaN/inf are skipped):
    collapsed when, on toy data with at least MIN_HIGH_QUALITY of samples high quality, modes covered
    <= half the best so far (best >= 2) or, after the warm-up, <= half of all modes; or, on any data,
    spread_ratio < 0.5 or nn_distance_ratio < 0.3, after the warm-up or once that ratio had been above
    its threshold.
    Healthy (for recovery) when none of these holds, ignoring the quality gate and the warm-up.
    """

    kind = "mode_collapse"

    def __init__(self, config):
        super().__init__(config)
        self.warmup_steps = WARMUP_FRACTION * config.steps
        self.best_modes = 0  # best modes covered by a record with enough high-quality samples
        self.ratio_was_healthy = {key: False for key in RATIOS}
        self.onset: int | None = None  # step the reported collapse began; None when not collapsed
        self.pending: list[int] = []  # steps of collapsed records in a row, not reported yet
        self.recovering: list[int] = []  # steps of healthy records in a row during a collapse
        self.reasons: list[str] = []  # the latest collapsed record's reasons, in words

    def observe(self, step: int, record: Record):
        diverged = flag(record, "nonfinite") or any(
            (value := number(record, key)) is not None and not math.isfinite(value) for key in ("loss_d", "loss_g"))
        if diverged:  # NaN samples make every diversity figure 0: they say nothing about collapse
            return []
        reasons, healthy = self._collapse_reasons(step, record), self._healthy(record)
        self._remember_best(record)
        if reasons:
            self.reasons = reasons
        if self.onset is None:
            self.pending = self.pending + [step] if reasons else ([] if healthy is not None else self.pending)
            if len(self.pending) < CONFIRM_RECORDS:
                return []
            self.onset, self.pending, self.recovering = self.pending[0], [], []
            return [finding(self.onset, self.kind, self._onset_message())]
        self.recovering = self.recovering + [step] if healthy else ([] if healthy is False else self.recovering)
        if len(self.recovering) < CONFIRM_RECORDS:
            return []
        onset, recovered = self.onset, self.recovering[0]
        self.onset, self.recovering, self.pending = None, [], []
        return [finding(recovered, self.kind,
                        f"The mode collapse that began at step {onset} {RECOVERED} {recovered}: "
                        f"{_state(record)}.")]

    def finish(self, last_step: int):
        if self.onset is None:
            return []
        if self.recovering:
            text = (f"The mode collapse that began at step {self.onset} had not clearly recovered by the end "
                    f"(step {last_step}): only the last log record looked varied again.")
        else:
            text = (f"The mode collapse that began at step {self.onset} never recovered by the end of the run "
                    f"(step {last_step}): {'; '.join(self.reasons)}.")
        return [finding(last_step, self.kind, text + " " + self._remedies())]

    # --- the rule ---------------------------------------------------------------------------

    def _collapse_reasons(self, step: int, record: Record) -> list[str]:
        reasons = []
        covered, total = finite(record, "modes_covered"), finite(record, "modes_total")
        quality = finite(record, "high_quality_fraction")
        if covered is not None and quality is not None and quality >= MIN_HIGH_QUALITY:
            if self.best_modes >= MIN_BEST_MODES and covered <= MODES_FRACTION * self.best_modes:
                reasons.append(f"G covers only {covered:.0f}{_of(total)} modes, down from {self.best_modes:.0f}")
            elif total is not None and step > self.warmup_steps and covered <= MODES_FRACTION * total:
                reasons.append(f"G covers only {covered:.0f} of the {total:.0f} modes")
        for key, ratio in _low_ratios(record).items():
            if step > self.warmup_steps or self.ratio_was_healthy[key]:
                reasons.append(_ratio_words(key, ratio))
        return reasons

    def _healthy(self, record: Record) -> bool | None:
        """True/False by every diversity measure the record holds; None when it holds none."""
        verdicts = []
        covered, total = finite(record, "modes_covered"), finite(record, "modes_total")
        if covered is not None:
            verdicts.append(self.best_modes < MIN_BEST_MODES or covered > MODES_FRACTION * self.best_modes)
            if total is not None:
                verdicts.append(covered > MODES_FRACTION * total)
        if any(finite(record, key) is not None for key in RATIOS):
            verdicts.append(not _low_ratios(record))
        return all(verdicts) if verdicts else None

    def _remember_best(self, record: Record) -> None:
        covered, quality = finite(record, "modes_covered"), finite(record, "high_quality_fraction")
        if covered is not None and quality is not None and quality >= MIN_HIGH_QUALITY:
            self.best_modes = max(self.best_modes, covered)
        for key, threshold in RATIOS.items():
            ratio = finite(record, key)
            self.ratio_was_healthy[key] |= ratio is not None and ratio >= threshold

    # --- words ------------------------------------------------------------------------------

    def _onset_message(self) -> str:
        return (f"Mode collapse from step {self.onset}: G's samples lost their variety; {'; '.join(self.reasons)}. "
                "G has found a few outputs that fool D and sends most of its noise there, so the samples no "
                "longer cover the data. " + self._remedies())

    def _remedies(self) -> str:
        return suggest(self.config, ["pack", "non_saturating", "wasserstein", "slower_generator"])


def _low_ratios(record: Record) -> dict[str, float]:
    """The diversity ratios that signal collapse in this record, by name."""
    spread, nn = finite(record, "spread_ratio"), finite(record, "nn_distance_ratio")
    low = {}
    if spread is not None and spread < SPREAD_RATIO_MIN:
        low["spread_ratio"] = spread
    if nn is not None and nn < NN_DISTANCE_RATIO_MIN:
        low["nn_distance_ratio"] = nn
    return low


def _of(total: float | None) -> str:
    return f" of the {total:.0f}" if total is not None else ""


def _ratio_words(key: str, ratio: float) -> str:
    if key == "spread_ratio":
        return f"its samples spread only {fmt(ratio)} times as wide as the real data (spread_ratio)"
    return (f"its samples lie {fmt(ratio)} times as far from each other as real samples do "
            f"(nn_distance_ratio)")


def _state(record: Record) -> str:
    """The record's diversity figures, for a recovery message."""
    parts = []
    covered, total = finite(record, "modes_covered"), finite(record, "modes_total")
    if covered is not None:
        parts.append(f"G covers {covered:.0f}" + (f" of {total:.0f} modes" if total is not None else " modes"))
    for key in RATIOS:
        ratio = finite(record, key)
        if ratio is not None:
            parts.append(f"{key} {fmt(ratio)}")
    return ", ".join(parts) if parts else "its samples are varied again"
