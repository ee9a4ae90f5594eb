"""Routes a training call: co-evolution (--grid), data-parallel (under torchrun), or neither."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganforge.distributed import comm, elastic


def distributed_train(config, dataset, out: Path | None, resume: bool, overwrite: bool, progress: bool,
                      overrides: dict[str, Any]):
    """The finished run when this call is distributed or a grid; None when train() runs it as usual."""
    from ganforge.distributed import ddp

    if ddp._active:  # already inside data_parallel_train
        return None
    asked = resume, overwrite
    resume, overwrite = elastic.continuation(config, out, resume, overwrite)  # torchrun restarted us?
    if _grid_of(config, out, resume):
        from ganforge.distributed.coevolution import train_grid

        return train_grid(config, dataset, out, resume, overwrite, progress, **overrides)
    if comm.world()[1] > 1:
        return ddp.data_parallel_train(config, dataset, out, resume, overwrite, progress, **overrides)
    if (resume, overwrite) != asked:  # a restarted one-process torchrun job: train() continues or redoes it
        from ganforge.training.run import train

        return train(None if resume else config, dataset, out, resume, overwrite, progress, **overrides)
    return None


def _grid_of(config, out: Path | None, resume: bool) -> str:
    if not resume:
        return getattr(config, "grid", "")
    from ganforge.training import checkpoint as ckpt

    if out is None or not ckpt.checkpoint_path(out).exists():
        return ""  # train() says what is missing
    return ckpt.load_checkpoint(out)[1].get("config", {}).get("grid", "") or ""
