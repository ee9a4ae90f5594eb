"""The discriminator wins: D near 100% right (or its loss near 0) for long, so G's gradients vanish."""

from __future__ import annotations

from ganforge.diagnostics.detectors import Detector, Record, d_accuracy, finding, finite, fmt
from ganforge.diagnostics.remedies import suggest

WIN_ACCURACY = 0.99  # D right about 99%+ of real and generated samples
LOSS_D_NEAR_ZERO = 0.01  # or D's loss within 0.01 of 0 (for the losses whose minimum is 0)
WIN_RECORDS = 3  # ... for this many log records in a row
VANISHING_GRAD_NORM = 1e-3  # G's gradient norm under this: G gets (almost) no signal
ZERO_FLOOR_LOSSES = ("minimax", "non-saturating", "least-squares", "hinge")


class DiscriminatorWinsDetector(Detector):
    """Reported once per stretch (at the step it began); re-armed after WIN_RECORDS records without a win.

    Rule: d_acc >= WIN_ACCURACY, or loss_d <= LOSS_D_NEAR_ZERO for a loss whose minimum is 0, in
    WIN_RECORDS log records in a row (ganhacks: "D loss going to 0 is a failure mode").
    """

    kind = "discriminator_wins"

    def __init__(self, config):
        super().__init__(config)
        self.stretch: list[tuple[int, Record]] = []  # the current run of winning records
        self.reported = False
        self.quiet = 0  # records in a row without a win since the last report

    def observe(self, step: int, record: Record):
        if not self._wins(record):
            self.stretch = []
            self.quiet += 1
            if self.quiet >= WIN_RECORDS:
                self.reported = False
            return []
        self.quiet = 0
        self.stretch.append((step, record))
        if self.reported or len(self.stretch) < WIN_RECORDS:
            return []
        self.reported = True
        return [finding(self.stretch[0][0], self.kind, self._message(record))]

    def _wins(self, record: Record) -> bool:
        accuracy, loss_d = d_accuracy(record), finite(record, "loss_d")
        near_zero = loss_d is not None and self.config.loss in ZERO_FLOOR_LOSSES and abs(loss_d) <= LOSS_D_NEAR_ZERO
        return near_zero or (accuracy is not None and accuracy >= WIN_ACCURACY)

    def _message(self, record: Record) -> str:
        first, n = self.stretch[0][0], len(self.stretch)
        figures = []
        accuracy, loss_d = d_accuracy(record), finite(record, "loss_d")
        if accuracy is not None:
            figures.append(f"D is right about {accuracy * 100:.1f}% of samples")
        if loss_d is not None:
            figures.append(f"D's loss is {fmt(loss_d)}")
        text = (f"The discriminator has won outright since step {first} ({', '.join(figures)}, for {n} log "
                "records in a row): it separates real from generated so easily that G learns little from it. "
                "ganhacks calls D's loss going to 0 a failure mode.")
        grad_g = finite(record, "grad_norm_g")
        if grad_g is not None and grad_g < VANISHING_GRAD_NORM:
            text += (f" G's gradient norm is only {fmt(grad_g)}: its gradients have vanished, so it has "
                     "all but stopped learning.")
        return text + " " + suggest(self.config, ["non_saturating", "instance_noise", "label_smoothing",
                                                  "spectral_norm"])
