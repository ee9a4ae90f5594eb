"""Equilibrium: D's accuracy held near 50% for a window (the source's stopping signal), with a quality check."""

from __future__ import annotations

from ganforge.diagnostics.detectors import Detector, Record, d_accuracy, finding, finite, fmt
from ganforge.diagnostics.remedies import suggest

QUALITY_GAIN = 0.02  # an improvement: high-quality fraction up by 0.02, or JS divergence down by 0.02 nats
JS_NEAR_FLOOR = 2.0  # quality already good: JS divergence within twice its floor (+ JS_SLACK) ...
JS_SLACK = 0.01
GOOD_HIGH_QUALITY = 0.5  # ... or every mode covered with at least half the samples high quality
CAVEAT = "Caveat:"  # opens the quality caveat (explain() looks for it)


class EquilibriumDetector(Detector):
    """Reported once per entry: when the window completes, at the step --stop-at-equilibrium stops at.

    Rule: config.equilibrium_window records in a row with |d_acc - 0.5| <= config.equilibrium_tolerance
    (a record without D's accuracy breaks the run). Caveat when quality did not improve between the
    window's first and last record and is not already good.
    """

    kind = "equilibrium"

    def __init__(self, config):
        super().__init__(config)
        self.window: list[tuple[int, Record]] = []  # the records of the current run near 50%

    def observe(self, step: int, record: Record):
        accuracy = d_accuracy(record)
        if accuracy is None or abs(accuracy - 0.5) > self.config.equilibrium_tolerance:
            self.window = []
            return []
        self.window.append((step, record))
        if len(self.window) != self.config.equilibrium_window:
            return []
        first_step, first = self.window[0]
        return [finding(step, self.kind, self._message(first_step, first, step, record))]

    def _message(self, first_step: int, first: Record, step: int, last: Record) -> str:
        tol, n = self.config.equilibrium_tolerance, self.config.equilibrium_window
        span = f"step {step}" if first_step == step else f"steps {first_step}-{step}"
        text = (f"D's accuracy stayed within 50% ± {tol * 100:g}% for {n} log records ({span}): D can no longer "
                "tell real from generated samples, the balance the theory predicts at the optimum and the "
                "source's signal to stop")
        text += " (--stop-at-equilibrium stops here)." if self.config.stop_at_equilibrium else \
            " (--stop-at-equilibrium would stop here)."
        change = _quality_change(first, last)
        if change is not None and not change[1] and not _already_good(last):
            text += (f" {CAVEAT} sample quality did not improve over those steps ({change[0]}), so the 50% may "
                     "mean both players are equally bad rather than that G has learned the data; look at the "
                     "samples. " + suggest(self.config, ["longer", "more_discriminator_steps"]))
        return text


def _quality_change(first: Record, last: Record) -> tuple[str, bool] | None:
    """(the change in words, whether it improved), from the mode measures when logged, else JS divergence."""
    changes = []
    for key, name, gain in (("high_quality_fraction", "high-quality fraction", QUALITY_GAIN),
                            ("modes_covered", "modes covered", 1)):  # one more mode is an improvement
        a, b = finite(first, key), finite(last, key)
        if a is not None and b is not None:
            changes.append((f"{name} {fmt(a)} -> {fmt(b)}", b - a >= gain))
    if not changes:
        a, b = finite(first, "js_divergence"), finite(last, "js_divergence")
        if a is not None and b is not None:  # lower is better
            changes.append((f"JS divergence {fmt(a)} -> {fmt(b)} nats", a - b >= QUALITY_GAIN))
    if not changes:
        return None
    return ", ".join(words for words, _ in changes), any(improved for _, improved in changes)


def _already_good(record: Record) -> bool:
    """Quality near the best the measures can tell, so a flat window is convergence, not stagnation."""
    covered, total = finite(record, "modes_covered"), finite(record, "modes_total")
    quality = finite(record, "high_quality_fraction")
    if covered is not None and total is not None and quality is not None:
        return covered >= total and quality >= GOOD_HIGH_QUALITY
    js, floor = finite(record, "js_divergence"), finite(record, "js_divergence_floor")
    return js is not None and floor is not None and js <= JS_NEAR_FLOOR * floor + JS_SLACK
