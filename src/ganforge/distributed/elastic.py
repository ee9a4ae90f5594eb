"""Elastic restarts under torchrun --max-restarts: a restarted worker group continues the run it was writing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganforge.distributed import comm
from ganforge.errors import UserError
from ganforge.training import checkpoint as ckpt


def continuation(config, out: Path | None, resume: bool, overwrite: bool) -> tuple[bool, bool]:
    """(resume, overwrite) for this start of a run.

    A fresh start (restart count 0), or one given --resume, keeps what it was asked. A restart
    continues the run in `out` only when that run is this torchrun job's own: its checkpoint names
    this job (TORCHELASTIC_RUN_ID) and holds the options this start was given. A restart of a job
    that died before its first checkpoint starts again over the files it had written. Anything
    else in `out` is another run and stays refused as on a fresh start.
    """
    if resume or comm.restart_count() == 0 or out is None or config is None:
        return resume, overwrite
    if ckpt.checkpoint_path(out).exists():
        try:
            state = ckpt.load_checkpoint(out)[1]
        except UserError:  # damaged: not ours to continue; the fresh-start check says what is wrong
            return resume, overwrite
        ours = state.get("torchrun_job") == ckpt.torchrun_job() and _same_options(state.get("config"), config)
        return (True, overwrite) if ours else (resume, overwrite)
    written = _read_config_file(out / "config.yaml")
    if written is not None and _same_options(written, config):
        return resume, True  # the first attempt wrote its config and died before its first checkpoint
    return resume, overwrite


def _same_options(saved: Any, config) -> bool:
    """True when a saved configuration holds every option the user gave `config`."""
    if not isinstance(saved, dict):
        return False
    given = config.to_dict()
    return all(saved.get(key) == given[key] for key in getattr(config, "_given", given))


def _read_config_file(path: Path) -> dict[str, Any] | None:
    from ganforge.config import read_yaml

    if not path.is_file():
        return None
    try:
        values = read_yaml(path)
    except UserError:  # half written when the worker died
        return None
    return values if isinstance(values, dict) else None
