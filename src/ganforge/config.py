"""The typed run configuration: defaults, validation, and YAML in and out."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ganforge.errors import UserError
from ganforge.privacy.options import validate_privacy


@dataclass
class TrainConfig:
    """Everything a run depends on. Written to the run directory as config.yaml."""

    data: str = "ring8"
    model: str = "gan"
    loss: str = "non-saturating"
    steps: int = 12000
    epochs: float = 0.0  # finite data: passes over the rows, steps = epochs * rows / batch; 0 = --steps
    batch_size: int = 256
    noise_dim: int = 8
    generator_hidden: list[int] = field(default_factory=lambda: [64, 64, 64])
    discriminator_hidden: list[int] = field(default_factory=lambda: [64, 64, 64])
    lr_generator: float = 1.5e-3
    lr_discriminator: float = 1.5e-3
    beta1: float = 0.5
    beta2: float = 0.999
    discriminator_steps: int = 1  # k D steps ...
    generator_steps: int = 1  # ... then m G steps, repeated
    ema: float = 0.999  # decay of an exponential moving average of G's weights; 0 = off
    pack: int = 1  # PacGAN: D sees `pack` samples at once
    label_smoothing: float = 0.0  # one-sided: real target = 1 - label_smoothing
    label_flip: float = 0.0  # probability of swapping a label (noisy labels)
    instance_noise: float = 0.0  # std of noise added to D's inputs, annealed linearly to 0
    discriminator_activation: str = "leaky_relu"
    generator_dropout: float = 0.0
    spectral_norm: bool = False
    gradient_penalty: float = 10.0  # weight of the WGAN-GP term (wasserstein loss only)
    r1: float = 0.03  # weight gamma of the R1 penalty on real data; 0 = off
    latent_dim: int = 0  # VAE / autoencoder code size; 0 = automatic (see HELP)
    corruption_std: float = 0.1  # denoising autoencoder: std of the Gaussian corruption (standardised units)
    gmm_max_components: int = 30  # gmm: BIC searches 1..10, going on up to this while it still improves
    log_every: int = 200
    checkpoint_every: int = 1000
    eval_samples: int = 2500
    recover: bool = True  # on divergence, roll back to the last good state and halve the learning rates
    stop_at_equilibrium: bool = False
    equilibrium_tolerance: float = 0.05
    equilibrium_window: int = 5
    seed: int = 0
    device: str = "auto"
    threads: int = 1  # torch CPU threads: these small networks run fastest on one (measured: 277 vs 185 steps/s)
    tensorboard: bool = False
    # Lipizzaner co-evolution (--grid) and data-parallel training: src/ganforge/distributed/
    grid: str = ""  # ROWSxCOLS toroidal grid of cells, e.g. "3x3"; empty = one GAN
    generations: int = 0  # 0 = steps // batches_per_generation
    batches_per_generation: int = 100
    tournament_size: int = 2
    mutation_probability: float = 0.5
    mutation_scale: float = 0.2  # std of the Gaussian step of log(learning rate)
    mixture_sigma: float = 0.05  # step size of the (1+1)-ES on the mixture weights
    cell_loss: str = "fixed"  # "random": Mustangs, each cell draws its loss every generation
    data_fraction: float = 1.0  # data dieting: each cell trains on this fraction of the data
    cell_training: str = "centre"  # centre: each cell trains its selected G and D; population: every neighbour
    # Images (data/images.py, data/image_encoder.py, nets/dcgan.py, metrics/images.py)
    image_size: int = 0  # side of the square images the DCGAN makes; 0 = the data's own (see HELP)
    image_channels: int = 0  # 1 = grayscale, 3 = RGB; 0 = as the data has them
    conditional: bool = False  # class-conditional GAN: the label is an input of G and D
    # Tables (data/tabular.py, data/table_encoder.py, nets/tabular.py, metrics/tabular.py)
    discrete: str = ""  # comma-separated columns to treat as categories, whatever their values
    metadata: str = ""  # YAML/JSON file: {column: categorical | continuous}
    table_dropout: float = 0.5  # dropout in the table discriminator's hidden layers (CTGAN's)
    generator_head: str = "joint"  # the table generator's output head (nets/tabular.py); autoregressive measured in docs/tables.md
    # Differential privacy for tables (privacy/, models/private_gan.py): DP-SGD on D with Opacus
    dp_epsilon: float = 0.0  # the (epsilon, delta) budget's epsilon; 0 = no differential privacy
    dp_delta: float = 0.0  # 0 = 1 / (10 x rows) rounded down to a power of ten
    # C: each real row's gradient is clipped to this L2 norm. On Pima at epsilon 3 (docs/tables.md) 3 scored
    # as 1 (0.80), 0.1 lower (0.68 against 0.74 at D's lr 1e-3).
    dp_max_grad_norm: float = 1.0
    # The released category counts alone would cost this share of epsilon. On Pima (one 2-valued column)
    # 0.05, 0.1 and 0.2 scored 0.81, 0.80 and 0.79, within seed noise; 0.1 keeps rare categories' counts less noisy.
    dp_counts_share: float = 0.1

    # --- construction and validation -------------------------------------------------------

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_dict(cls, values: dict[str, Any], origin: str = "configuration") -> "TrainConfig":
        unknown = sorted(set(values) - set(cls.keys()))
        if unknown:
            raise UserError(f"{origin}: unknown key {unknown[0]!r}")
        config = cls()
        for key, value in values.items():
            setattr(config, key, _coerce(key, value, getattr(config, key), origin))
        config.validate()
        config._given = frozenset(values)  # what the user set; the rest may take the data's defaults
        return config

    def with_defaults(self, defaults: dict[str, Any]) -> "TrainConfig":
        """This configuration with `defaults` for every option the user did not set (e.g. the
        options a DCGAN trains best with on images); what the user set always wins."""
        given = getattr(self, "_given", frozenset(self.keys()))
        changes = {k: v for k, v in defaults.items() if k not in given and getattr(self, k) != v}
        if not changes:
            return self
        config = TrainConfig.from_dict({**{k: getattr(self, k) for k in given}, **changes},
                                       origin="defaults for this data")
        config._given = given
        return config

    def replace(self, **changes: Any) -> "TrainConfig":
        return TrainConfig.from_dict({**self.to_dict(), **changes})

    def validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise UserError(f"{_flag(f.name)} must be a finite number, got {value}")
        positive = ["steps", "batch_size", "noise_dim", "lr_generator", "lr_discriminator",
                    "discriminator_steps", "generator_steps", "pack", "log_every",
                    "checkpoint_every", "eval_samples", "equilibrium_window", "gmm_max_components", "threads"]
        for key in positive:
            if getattr(self, key) <= 0:
                raise UserError(f"{_flag(key)} must be > 0, got {getattr(self, key)}")
        in_unit = {"beta1": (0, 1), "beta2": (0, 1), "ema": (0, 1), "label_smoothing": (0, 0.5),
                   "label_flip": (0, 0.5), "generator_dropout": (0, 1), "table_dropout": (0, 1), "equilibrium_tolerance": (0, 0.5)}
        for key, (low, high) in in_unit.items():
            value = getattr(self, key)
            if not low <= value < high:
                raise UserError(f"{_flag(key)} must be in [{low}, {high}), got {value}")
        for key in ("instance_noise", "gradient_penalty", "r1", "latent_dim", "corruption_std", "epochs"):
            if getattr(self, key) < 0:
                raise UserError(f"{_flag(key)} must be >= 0, got {getattr(self, key)}")
        check_seed(self.seed)
        for key in ("generator_hidden", "discriminator_hidden"):
            if not getattr(self, key) or any(h <= 0 for h in getattr(self, key)):
                raise UserError(f"{_flag(key)} must be a list of positive layer widths")
        if self.batch_size % self.pack:
            raise UserError(f"--batch-size ({self.batch_size}) must be a multiple of --pack ({self.pack})")
        if self.eval_samples % self.pack:
            raise UserError(f"--eval-samples ({self.eval_samples}) must be a multiple of --pack ({self.pack})")
        for key, allowed in CHOICES.items():
            if getattr(self, key) not in allowed:
                raise UserError(f"{_flag(key)} must be one of {', '.join(allowed)}, got {getattr(self, key)!r}")
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise UserError(f"--device must be auto, cpu or cuda[:N], got {self.device!r}")
        if self.image_size not in (0, 8, 16, 28, 32, 64):
            raise UserError(f"--image-size must be 8, 16, 28, 32 or 64 (0 = the data's own), got {self.image_size}")
        if self.image_channels not in (0, 1, 3):
            raise UserError(f"--image-channels must be 1 (grayscale) or 3 (RGB), got {self.image_channels}")
        from ganforge.distributed.options import validate_distributed

        validate_distributed(self)
        validate_privacy(self)
        # Names are checked against the registries where they are used (data, model, loss).

    # --- YAML ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self, path: Path) -> None:
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def from_yaml(cls, path: Path) -> "TrainConfig":
        return cls.from_dict(read_yaml(path), origin=f"config file {path}")


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a file, or a UserError saying what is wrong with it."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"cannot read config file {path}: it is not UTF-8 text") from None
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        raise UserError(f"config file {path} is not valid YAML{line}") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise UserError(f"config file {path} must hold a mapping of option: value")
    return {str(k).replace("-", "_"): v for k, v in values.items()}


SEED_LIMIT = 2**32  # seeds are 32-bit: torch, NumPy and the offsets the runs add (seed + 1, ...) all take them


def check_seed(seed: int, flag: str = "--seed") -> None:
    """UserError unless 0 <= seed < 2**32."""
    if not 0 <= seed < SEED_LIMIT:
        raise UserError(f"{flag} must be in [0, 2**32), got {seed}")


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _coerce(key: str, value: Any, default: Any, origin: str) -> Any:
    """Converts a YAML/CLI value to the type of the field's default, or raises a UserError."""
    bad = UserError(f"{origin}: {key} must be {type(default).__name__}, got {value!r}")
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise bad
    if isinstance(default, int):
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                or value != int(value)):
            raise bad
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool):
            raise bad
        try:
            return float(value)  # YAML reads 1e-4 as a string; float() takes it
        except (TypeError, ValueError):
            raise bad from None
    if isinstance(default, list):
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split()]
        elif isinstance(value, int) and not isinstance(value, bool):
            value = [value]  # YAML reads `generator_hidden: 16` (one layer) as a number
        if not isinstance(value, (list, tuple)):
            raise bad
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError):
            raise bad from None
    if isinstance(default, str):
        if not isinstance(value, str):
            raise bad
        return value
    raise bad


# One line of help per option: `ganforge train --help` and the README show these.
HELP = {
    "data": "built-in dataset name (see `ganforge datasets`) or a .npy/.csv file of points; images: a folder, "
            "IDX files (MNIST format) or a .npz",
    "model": "generative model",
    "loss": "GAN objective",
    "steps": "training rounds (k D steps + m G steps each)",
    "batch_size": "samples per batch",
    "noise_dim": "dimension of the noise z ~ N(0, I)",
    "generator_hidden": "G's hidden layer widths, e.g. 256,256,256",
    "discriminator_hidden": "D's hidden layer widths",
    "lr_generator": "Adam learning rate of G",
    "lr_discriminator": "Adam learning rate of D (TTUR: may differ from G's)",
    "beta1": "Adam beta1 (ganhacks/DCGAN: 0.5)",
    "beta2": "Adam beta2",
    "discriminator_steps": "k: D steps per round",
    "generator_steps": "m: G steps per round",
    "ema": "keep an exponential moving average of G's weights with this decay (e.g. 0.999); 0 = off",
    "pack": "PacGAN packing: D judges this many samples at once",
    "label_smoothing": "one-sided label smoothing: real target 1 - this (e.g. 0.1)",
    "label_flip": "noisy labels: probability of flipping each real/fake label (e.g. 0.05)",
    "instance_noise": "std of Gaussian noise added to D's inputs, annealed linearly to 0",
    "discriminator_activation": "D's activation: leaky_relu (ganhacks) or relu",
    "generator_dropout": "dropout probability in G's hidden layers (ganhacks tip 17)",
    "spectral_norm": "spectral normalisation of D's layers",
    "gradient_penalty": "weight of the WGAN-GP gradient penalty (wasserstein loss)",
    "r1": "weight of the R1 gradient penalty on real data; 0 = off",
    "latent_dim": "code size of the VAE and autoencoders; 0 = automatic: the data's dimension for the VAE, "
                  "half of it (at least 1) for the autoencoders; above the data's dimension = overcomplete",
    "corruption_std": "denoising autoencoder: std of the Gaussian noise added to its inputs (standardised units)",
    "gmm_max_components": "gmm: BIC picks the number of components in 1..10, and beyond (up to this) while it improves",
    "epochs": "finite data: train for this many passes over the rows (steps = epochs x rows / batch size) "
              "instead of --steps; tables default to 80 epochs within 3,000-30,000 steps",
    "log_every": "steps between log records (metrics.jsonl, progress figures)",
    "checkpoint_every": "steps between checkpoints",
    "eval_samples": "generated samples scored at each log (VEEGAN/PacGAN use 2,500)",
    "recover": "on NaN/inf, roll back to the last good checkpoint, halve the learning rates and go on",
    "stop_at_equilibrium": "stop when D's accuracy stays within 0.5 +- tolerance (the source's rule)",
    "equilibrium_tolerance": "tolerance around 0.5 for --stop-at-equilibrium",
    "equilibrium_window": "log records D's accuracy must stay near 0.5",
    "seed": "random seed; same seed, data and device give the same result",
    "threads": "torch CPU threads (small networks run fastest on one; sets torch.set_num_threads)",
    "device": "auto (CUDA when available), cpu or cuda[:N]",
    "tensorboard": "also write TensorBoard logs to DIR/tensorboard",
    "image_size": "images: side of the generated square images, 8, 16, 28, 32 or 64; 0 = the data's own "
                  "(or the largest of those below it)",
    "image_channels": "images: 1 = grayscale, 3 = RGB; 0 = as the data has them",
    "conditional": "images: class-conditional GAN (class embedding in G, projection discriminator); needs labels",
    "discrete": "tables: comma-separated columns to treat as categories (e.g. Outcome,Pregnancies)",
    "metadata": "tables: a YAML/JSON file mapping columns to categorical or continuous",
    "table_dropout": "tables: dropout probability in the discriminator's hidden layers",
    "generator_head": "tables: G's output head; autoregressive: each column's output also sees the columns "
                      "generated before it; joint: all at once (CTGAN's)",
    "dp_epsilon": "tables: train with (epsilon, delta)-differential privacy (DP-SGD on D, Opacus); stops when "
                  "this epsilon is spent; 0 = off",
    "dp_delta": "tables: the delta of --dp-epsilon; 0 = 1 / (10 x rows) rounded down to a power of ten",
    "dp_max_grad_norm": "tables, --dp-epsilon: each real row's gradient of D is clipped to this L2 norm",
    "dp_counts_share": "tables, --dp-epsilon: share of epsilon the noisy category counts would cost alone",
    "grid": "Lipizzaner co-evolution on a ROWSxCOLS toroidal grid of GANs, e.g. 3x3 (empty: one GAN)",
    "generations": "co-evolution generations; 0 = steps / batches-per-generation",
    "batches_per_generation": "training batches of each cell's G and D per generation",
    "tournament_size": "individuals drawn per tournament selection",
    "mutation_probability": "probability of mutating a learning rate each generation",
    "mutation_scale": "std of the Gaussian step of a mutated log learning rate (relative: lr * exp(scale * N(0, 1)))",
    "mixture_sigma": "step size of the (1+1)-ES on each cell's generator-mixture weights",
    "cell_loss": "fixed: every cell uses --loss; random: each cell draws its loss every generation (Mustangs)",
    "data_fraction": "data dieting: each cell trains on this random fraction of the data",
    "cell_training": ("centre: each cell trains one selected G and D against opponents drawn from its "
                      "neighbourhood, keeping its Adam state (Lipizzaner, population 1); population: "
                      "each cell trains every neighbourhood offspring with a fresh Adam (5x the work)"),
}
CHOICES = {"discriminator_activation": ("leaky_relu", "relu"), "cell_loss": ("fixed", "random"),
           "cell_training": ("centre", "population"), "generator_head": ("joint", "autoregressive")}
