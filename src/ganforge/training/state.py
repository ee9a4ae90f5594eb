"""A trained (or training) model with everything needed to sample from it, save it and resume it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from ganforge.config import TrainConfig
from ganforge.data.dataset import Dataset, load_dataset
from ganforge.data.catalog import defaults_for, encoder_from_state, fit_encoder
from ganforge.data.small import warn_if_small
from ganforge.data.table_memory import check_table_fits
from ganforge.defaults import steps_for_epochs
from ganforge.errors import UserError
from ganforge.models.catalog import build_model
from ganforge.privacy.budget import PrivacyLedger
from ganforge.privacy.options import check_private_run, private_defaults
from ganforge.privacy.setup import PrivateSetup
from ganforge.registry import models
from ganforge.training import checkpoint as ckpt


@dataclass
class TrainedRun:
    """Config, encoder, model and RNG streams; `dataset` is None for a run loaded only to sample."""

    config: TrainConfig
    encoder: Any
    model: Any
    data_rng: torch.Generator
    noise_rng: torch.Generator
    dataset: Dataset | None = None
    step: int = 0
    wall_seconds: float = 0.0
    encoder_fit_seconds: float = 0.0
    records: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    shard: tuple[int, int] | None = None  # (rank, processes) when this process trains on a table's shard

    def sample(self, n: int, seed: int, conditions: torch.Tensor | None = None) -> Any:
        """n samples in the user's form (points array, DataFrame, images), reproducible for a seed.

        A conditional model draws its conditions as the data has them unless `conditions` are given.
        """
        return self.decode(self.sample_encoded(n, seed, conditions))

    def sample_encoded(self, n: int, seed: int, conditions: torch.Tensor | None = None) -> torch.Tensor:
        generator = torch.Generator(self.model.device).manual_seed(seed)
        if getattr(self.model, "conditional", False):
            if conditions is None:
                conditions = self.encoder.sample_conditions(n, torch.Generator().manual_seed(seed + 1))
            return self.model.sample(n, generator, conditions)
        if conditions is not None:
            raise UserError("this model was not trained with conditions; it cannot sample under one")
        return self.model.sample(n, generator)

    def decode(self, encoded: torch.Tensor) -> Any:
        """Encoded rows -> the user's form; a tensor comes back as a NumPy array."""
        out = self.encoder.inverse_transform(encoded)
        return out.cpu().numpy() if isinstance(out, torch.Tensor) else out

    def load_dataset(self) -> Dataset:
        if self.dataset is None:
            self.dataset = load_dataset(self.config.data)
        return self.dataset

    def save(self, run_dir: Path) -> bool:
        """Checkpoint to run_dir; False (and nothing written) when a weight is NaN or inf."""
        tensors = ckpt.model_tensors(self.model)
        tensors["rng.torch"] = torch.get_rng_state()
        tensors["rng.data"] = self.data_rng.get_state()
        tensors["rng.noise"] = self.noise_rng.get_state()
        state = {"step": self.step, "wall_seconds": self.wall_seconds, "encoder_fit_seconds": self.encoder_fit_seconds,
                 "config": self.config.to_dict(),
                 "encoder": self.encoder.state(), "optimizer_groups": ckpt.optimizer_groups(self.model)}
        if hasattr(self.model, "privacy_state"):  # a DP run: its ledger, so a resumed run's epsilon is exact
            private_tensors, state["privacy"] = self.model.privacy_state()
            tensors.update(private_tensors)
        return ckpt.save_checkpoint(run_dir, tensors, state)


def resolve_device(config: TrainConfig) -> torch.device:
    """The device to train on; on the CPU also sets torch's thread count from the config."""
    name = config.device
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {name}: CUDA is not available on this machine")
    if name == "cpu":
        torch.set_num_threads(config.threads)
    return torch.device(name)


# Models a checkpoint may hold instead of the configured one, by the state key that marks them,
# each (config, encoder, device, state[key]) -> an empty model; distributed/mixture.py adds a grid's mixture.
SAVED_MODELS: dict[str, Callable[..., Any]] = {}


def new_run(config: TrainConfig, dataset: Dataset | None = None, progress: bool = False) -> TrainedRun:
    """Data, encoder and a freshly initialised model, all seeded from config.seed; with
    `progress`, a table's encoder fit is announced on stderr and its seconds printed."""
    dataset = dataset if dataset is not None else load_dataset(config.data)
    config = config.with_defaults({**defaults_for(dataset.kind, config.model), **private_defaults(config)})
    config = _epochs_as_steps(config, dataset)
    check_private_run(config, dataset.kind, len(dataset))
    if dataset.kind == "table":  # refused before the encoder's own copies, and before an earlier run is touched
        check_table_fits(*dataset.table.shape, config.batch_size)
    device = resolve_device(config)
    model_class = models.get(config.model)
    if getattr(model_class, "closed_form", False):  # fitted in one step: one step, one log
        config = config.replace(steps=1, log_every=1, checkpoint_every=1)
    torch.manual_seed(config.seed)  # network initialisation (and dropout) draw from the global RNG
    setup = PrivateSetup(config, len(dataset)) if config.dp_epsilon else None
    encoder, fit_seconds = _fit_encoder(dataset, config, progress, setup)
    model = build_model(config, encoder, device, setup.ledger() if setup else None)
    warn_if_small(dataset)  # data and options are valid: it trains, but the user is told what it can teach
    return TrainedRun(config, encoder, model, data_rng=torch.Generator().manual_seed(config.seed),
                      noise_rng=torch.Generator(device).manual_seed(config.seed + 1), dataset=dataset,
                      encoder_fit_seconds=fit_seconds)


def _fit_encoder(dataset: Dataset, config: TrainConfig, progress: bool,
                 setup: PrivateSetup | None = None) -> tuple[Any, float]:
    """(fitted encoder, seconds it took); a table's fit says so first, as it can take a while."""
    started = time.perf_counter()
    options = {"release_counts": setup.release_counts} if setup else {}
    if not (progress and dataset.kind == "table"):
        return fit_encoder(dataset, config, **options), time.perf_counter() - started
    from rich.console import Console

    rows, columns = dataset.table.shape
    line = f"fitting the table encoder ({columns:,} columns, {rows:,} rows)..."
    console = Console(stderr=True)
    with console.status(line):  # a transient spinner: a refused column leaves only its error line
        encoder = fit_encoder(dataset, config, **options)
    seconds = time.perf_counter() - started
    console.print(f"{line} {seconds:.1f} s", highlight=False)
    return encoder, seconds


def _epochs_as_steps(config: TrainConfig, dataset: Dataset) -> TrainConfig:
    """--epochs (the user's, or the data's default) turned into steps; the user's --steps wins over
    a default epoch budget, and giving both is a mistake."""
    given = getattr(config, "_given", frozenset())
    if config.epochs <= 0 or dataset.toy is not None:
        return config
    if "steps" in given and "epochs" in given:
        raise UserError("give --steps or --epochs, not both")
    if "steps" in given:
        return config
    steps = steps_for_epochs(config.epochs, len(dataset), config.batch_size, from_defaults="epochs" not in given)
    replaced = config.replace(steps=steps)
    replaced._given = given
    return replaced


def load_run(run_dir: Path, device: str | None = None, **overrides: Any) -> TrainedRun:
    """The run saved in run_dir, at its last checkpoint, ready to sample from or to train on."""
    tensors, state = ckpt.load_checkpoint(Path(run_dir))
    try:
        config = TrainConfig.from_dict({**state["config"], **overrides,
                                        **({"device": device} if device else {})},
                                       origin=f"checkpoint in {run_dir}")
        encoder = encoder_from_state(state["encoder"])
    except (KeyError, TypeError) as exc:
        raise UserError(f"checkpoint in {run_dir} lacks its state ({exc})") from None
    torch_device = resolve_device(config)
    saved = next((key for key in SAVED_MODELS if key in state), None)
    if saved is not None:  # e.g. a --grid run samples from its best cell's generator mixture
        model = SAVED_MODELS[saved](config, encoder, torch_device, state[saved])
    else:
        privacy = _ledger(state, run_dir) if "privacy" in state else None
        model = build_model(config, encoder, torch_device, privacy)
    ckpt.restore_model(model, tensors, state)
    run = TrainedRun(config, encoder, model, data_rng=torch.Generator(), noise_rng=torch.Generator(torch_device))
    try:
        run.step, run.wall_seconds = int(state["step"]), float(state["wall_seconds"])
        run.encoder_fit_seconds = float(state.get("encoder_fit_seconds", 0.0))  # older checkpoints lack it
        torch.set_rng_state(tensors["rng.torch"])
        run.data_rng.set_state(tensors["rng.data"])
        run.noise_rng.set_state(tensors["rng.noise"])
        if hasattr(model, "restore_privacy"):
            model.restore_privacy(tensors)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise UserError(f"checkpoint in {run_dir} lacks its step or RNG state ({str(exc)[:120]})") from None
    return run


def _ledger(state: dict[str, Any], run_dir: Path) -> PrivacyLedger:
    try:
        return PrivacyLedger.from_state(state["privacy"])
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"checkpoint in {run_dir} lacks its privacy ledger ({exc})") from None
