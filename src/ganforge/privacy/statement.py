"""What a DP run's guarantee covers and what it does not, as summary.json's `privacy` block; explain
and the report print it as it is (this module imports neither torch nor opacus)."""

from __future__ import annotations

import math
from typing import Any

ACCOUNTANT_NAME = "Opacus' RDPAccountant (Renyi DP, converted to (epsilon, delta))"
NEIGHBOURS = "tables that differ by adding or removing one row"
SAMPLING = ("Sampling stays within the guarantee: the rule that redraws a generated row equal to a training row "
            "is off (no training row is kept to compare with), and --refine is refused (it calibrates D on real rows).")


def epsilon_text(epsilon: float) -> str:
    """Epsilon to 3 decimals, rounded up: a guarantee's epsilon is a bound, so the figure shown never
    claims less privacy spent than the accountant says (2.9991 reads 3.000)."""
    return f"{math.ceil(epsilon * 1000 - 1e-9) / 1000:.3f}"


def privacy_summary(plan: Any, epsilon: float, steps_taken: int, columns: list[dict[str, Any]],
                    delta_is_default: bool) -> dict[str, Any]:
    """The privacy block: the figures of the guarantee, then in words what it covers and what not.
    `plan` is the run's PrivacyPlan, `epsilon` what its accountant says was spent."""
    counted = [spec["name"] for spec in columns if spec.get("noisy_counts")]
    figures = {
        "epsilon": epsilon, "epsilon_target": plan.epsilon, "delta": plan.delta,
        "delta_rule": "1 / (10 x rows) rounded down to a power of ten" if delta_is_default else "given",
        "neighbouring_tables": NEIGHBOURS, "accountant": ACCOUNTANT_NAME,
        "noise_multiplier": plan.noise_multiplier, "max_grad_norm": plan.max_grad_norm,
        "sample_rate": plan.sample_rate, "discriminator_steps": steps_taken,
        "discriminator_steps_planned": plan.discriminator_steps,
        "released_counts": {"columns": counted, "noise_multiplier": plan.counts_noise_multiplier,
                            "noise_std": plan.counts_noise_multiplier * plan.counts_columns ** 0.5,
                            "share_of_epsilon_alone": plan.counts_share} if counted else None,
    }
    statement = (f"G, D, G's moving average and every row sampled from them are ({epsilon_text(epsilon)}, {plan.delta:.2g})-"
                 f"differentially private with respect to {NEIGHBOURS}, as {ACCOUNTANT_NAME} bounds it, provided the "
                 f"column description below, which the encoder read from the rows, is taken as public.")
    return {**figures, "statement": statement, "covers": _covers(plan, counted),
            "does_not_cover": _does_not_cover(columns), "sampling": SAMPLING}


def _covers(plan: Any, counted: list[str]) -> list[str]:
    covers = [f"D's weights: they learn from real rows only in DP-SGD steps (Poisson sampling at rate {plan.sample_rate:.3g}, "
              f"each row's gradient clipped to L2 norm {plan.max_grad_norm:g}, Gaussian noise of std "
              f"{plan.noise_multiplier:.3g} x {plan.max_grad_norm:g} on their sum).",
              "G's weights, its moving average and every sample: G learns only from D's outputs on its own "
              "samples, so they are post-processing of D's private steps."]
    if counted:
        covers.append(f"The category frequencies of {', '.join(counted)} that G's conditions follow in training "
                      f"and sampling (and a long tail's values on decoding): counts released once before "
                      f"training with Gaussian noise of std {plan.counts_noise_multiplier * plan.counts_columns ** 0.5:.3g}, "
                      f"composed in the same accountant (alone they would cost {plan.counts_share:.0%} of epsilon).")
    covers.append("Each real row's condition for D comes from the row itself, inside its clipped gradient.")
    return covers


def _does_not_cover(columns: list[dict[str, Any]]) -> list[str]:
    continuous = [spec["name"] for spec in columns if spec["kind"] == "continuous"]
    categorical = [spec["name"] for spec in columns if spec["kind"] == "categorical"]
    items = ["The column description, read from the rows and kept in the checkpoint as it is: each column's "
             "name, kind, type and whether it has missing values."]
    if categorical:
        items.append(f"The list of values of each categorical column ({', '.join(categorical)}): every value that "
                     "occurs in the table, however rarely, can be generated and is stored.")
    if continuous:
        items.append(f"For each continuous column ({', '.join(continuous)}): its minimum and maximum (samples are "
                     "clipped to them), its decimals, its missing share, the modes of the mixture fitted to it "
                     "(means, standard deviations, weights), its point masses and, for a column of few distinct "
                     "values, those values (samples are moved to the nearest).")
    items += ["The number of rows: it sets the sample rate (batch / rows) and the default delta.",
              "Everything computed on real rows to judge the run: metrics.jsonl, the quality figures and "
              "diagnostics in summary.json, the report's plots and `ganforge evaluate` read the real rows and "
              "are not private; share the samples, not the run directory.",
              "The noise's secrecy: it is drawn from generators seeded by --seed so that a run reproduces; whoever "
              "knows the seed can recompute it, so train a release with a secret seed."]
    return items

