"""The quality figures a run's summary may carry, registered in the `metrics` registry: the columns
of `ganforge compare`, in registration order, with the direction that is better."""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.registry import metrics


@dataclass(frozen=True)
class Figure:
    better: str  # "higher", "lower", or "" for a count shown as it is
    description: str


def register_figures(figures: dict[str, Figure]) -> None:
    """Adds the figures in order; one already registered as the same Figure is left as it is
    (a module that registers its figures may be executed twice, e.g. reloaded)."""
    for name, figure in figures.items():
        if name in metrics and metrics.get(name) == figure:
            continue
        metrics.register(name)(figure)


register_figures({
    "modes_covered": Figure("higher", "modes with at least one nearby high-quality sample (VEEGAN/PacGAN)"),
    "modes_total": Figure("", "modes of the toy distribution"),
    "high_quality_fraction": Figure("higher", "samples within 3 standard deviations of a mode"),
    "reverse_kl": Figure("lower", "KL(generated mode histogram || uniform over the modes)"),
    "js_divergence": Figure("lower", "Jensen-Shannon divergence of histograms, generated vs real"),
    "js_divergence_floor": Figure("lower", "the same between two halves of the real data (estimator noise)"),
})
