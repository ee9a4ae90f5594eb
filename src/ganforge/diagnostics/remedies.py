"""The remedies ganforge offers as options, and the choice of those a run is not already using."""

from __future__ import annotations

from typing import Callable

from ganforge.config import TrainConfig

# Losses whose D is trained on real/fake targets: only these accept label smoothing and flips.
TARGET_LOSSES = ("minimax", "non-saturating", "least-squares")

# Each remedy gives (what to type, what it does) for a configuration, or None when already in use.
Remedy = Callable[[TrainConfig], "tuple[str, str] | None"]


def _lower_learning_rates(c: TrainConfig):
    return (f"--lr-generator {c.lr_generator / 2:g} --lr-discriminator {c.lr_discriminator / 2:g}",
            "half the current learning rates: smaller steps overshoot less")


def _slower_generator(c: TrainConfig):
    return (f"--lr-generator {c.lr_generator / 2:g}",
            "a generator slower than the discriminator cannot run off to whatever fools D today")


def _pack(c: TrainConfig):
    return None if c.pack > 1 else (
        "--pack 4", "PacGAN: D judges 4 samples at once, so it notices when they are all alike")


def _non_saturating(c: TrainConfig):
    return None if c.loss != "minimax" else (
        "--loss non-saturating", "G maximises log D(G(z)) instead, whose gradient stays strong when D is sure")


def _wasserstein(c: TrainConfig):
    return None if c.loss == "wasserstein" else (
        "--loss wasserstein", "a loss whose gradients neither vanish nor reward piling onto one mode")


def _instance_noise(c: TrainConfig):
    return None if c.instance_noise > 0 else (
        "--instance-noise 0.1", "noise on D's inputs, fading over the run, so D cannot separate the two perfectly")


def _label_smoothing(c: TrainConfig):
    return None if c.label_smoothing > 0 or c.loss not in TARGET_LOSSES else (
        "--label-smoothing 0.1", "D aims at 0.9 rather than 1 for real data and stays less over-confident")


def _spectral_norm(c: TrainConfig):
    return None if c.spectral_norm else (
        "--spectral-norm", "limits how steeply D can change, which keeps its gradients bounded")


def _r1(c: TrainConfig):
    return None if c.r1 > 0 else (
        "--r1 1.0", "penalises D's slope at real data, which damps the cycling around the equilibrium")


def _ema(c: TrainConfig):
    return None if c.ema > 0 else (
        "--ema 0.999", "samples come from a moving average of G's weights, which smooths the swings out")


def _more_discriminator_steps(c: TrainConfig):
    return (f"--discriminator-steps {c.discriminator_steps + 1}",
            "more D steps per round, so D gives G a sharper signal to learn from")


def _longer(c: TrainConfig):
    return (f"--steps {2 * c.steps}", "twice the steps, in case the players have not finished learning")


REMEDIES: dict[str, Remedy] = {
    "lower_learning_rates": _lower_learning_rates,
    "slower_generator": _slower_generator,
    "pack": _pack,
    "non_saturating": _non_saturating,
    "wasserstein": _wasserstein,
    "instance_noise": _instance_noise,
    "label_smoothing": _label_smoothing,
    "spectral_norm": _spectral_norm,
    "r1": _r1,
    "ema": _ema,
    "more_discriminator_steps": _more_discriminator_steps,
    "longer": _longer,
}


def suggest(config: TrainConfig, names: list[str], limit: int = 2) -> str:
    """'Try A (why) or B (why).' from the first `limit` remedies in `names` the run is not using yet.

    Lower learning rates are always possible, so the sentence is never empty.
    """
    picked = [r for r in (REMEDIES[name](config) for name in names) if r is not None][:limit]
    if not picked:
        picked = [_lower_learning_rates(config)]
    return "Try " + " or ".join(f"{flag_text} ({why})" for flag_text, why in picked) + "."
