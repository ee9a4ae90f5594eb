"""Chooses how a run trains: one model (training/run.py), a co-evolution grid (--grid), or
data-parallel under torchrun; the one module above both training/ and distributed/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganforge.config import TrainConfig
from ganforge.data.dataset import Dataset
from ganforge.distributed import comm, elastic
from ganforge.distributed.coevolution import train_grid
from ganforge.distributed.ddp import data_parallel_train
from ganforge.errors import UserError
from ganforge.training import checkpoint as ckpt
from ganforge.training.run import train as train_one
from ganforge.training.state import TrainedRun


def train(config: TrainConfig | None, dataset: Dataset | None = None, out: Path | None = None,
          resume: bool = False, overwrite: bool = False, progress: bool = True,
          **resume_overrides: Any) -> TrainedRun:
    """Trains per `config` (or, with resume, the run in `out`) the way it asks: a grid, data-parallel
    when torchrun started several processes, or one model in this process."""
    if out is not None:
        out = Path(out)
    resume, overwrite = elastic.continuation(config, out, resume, overwrite)  # a torchrun restart goes on
    if _option_of(config, out, resume, "grid"):
        return train_grid(config, dataset, out, resume, overwrite, progress, **resume_overrides)
    if comm.world()[1] > 1:
        if _option_of(config, out, resume, "dp_epsilon"):
            raise UserError("--dp-epsilon trains one GAN in one process: differential privacy is not built "
                            "for data-parallel training under torchrun; run it without torchrun")
        return data_parallel_train(config, dataset, out, resume, overwrite, progress, **resume_overrides)
    return train_one(None if resume else config, dataset, out, resume, overwrite, progress, **resume_overrides)


def _option_of(config: TrainConfig | None, out: Path | None, resume: bool, key: str) -> Any:
    """An option of the run this call trains (e.g. its grid, "" for none): the config's, or the saved
    run's when resuming."""
    if not resume:
        return getattr(config, key, None)
    if out is None or not ckpt.checkpoint_path(out).exists():
        return None  # train() says what is missing
    return ckpt.load_checkpoint(out)[1].get("config", {}).get(key)
