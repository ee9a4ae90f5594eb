"""The process group: started from torchrun's environment, and the few collectives the trainers use."""

from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as dist

from ganforge.errors import UserError


def launched_by_torchrun() -> bool:
    """True inside a process started by torchrun (it sets WORLD_SIZE, RANK and MASTER_ADDR/PORT)."""
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ


def world() -> tuple[int, int]:
    """(rank, world size): (0, 1) outside torchrun."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    if launched_by_torchrun():
        return int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    return 0, 1


def restart_count() -> int:
    """How many times torchrun has restarted this worker group (TORCHELASTIC_RESTART_COUNT); 0 outside torchrun."""
    try:
        return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") or 0)
    except ValueError:
        return 0


def start(device: torch.device) -> tuple[int, int]:
    """Joins torchrun's process group (gloo on CPU, nccl on CUDA) when there is more than one process."""
    rank, size = world()
    if size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        timeout = timedelta(minutes=30)
        if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True":
            # torchrun's agents keep one store across restarts (torch 2.5+): without a prefix of its own,
            # a restarted group reads the dead group's addresses (pytorch/pytorch#135712).
            agent = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), size,
                                  is_master=False, timeout=timeout)
            store = dist.PrefixStore(f"/ganforge/attempt_{restart_count()}", agent)
            dist.init_process_group(backend=backend, store=store, rank=rank, world_size=size, timeout=timeout)
        else:
            dist.init_process_group(backend=backend, timeout=timeout)
    return rank, size


def stop() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def agree(flag: bool) -> bool:
    """True on every process when it is True on any (e.g. Ctrl-C seen by one of them)."""
    if not (dist.is_available() and dist.is_initialized()):
        return flag
    value = torch.tensor([1 if flag else 0])
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def all_gather_rows(rows: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """Every process's rows, concatenated in rank order: (sum(counts), width).

    `rows` is this process's (counts[rank], width) block; blocks are padded to the largest so
    one all_gather carries them all, then the padding is dropped.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return rows
    width, longest = rows.shape[1], max(counts)
    padded = torch.zeros(longest, width, dtype=rows.dtype, device=rows.device)
    padded[: rows.shape[0]] = rows
    blocks = [torch.empty_like(padded) for _ in counts]
    dist.all_gather(blocks, padded)
    return torch.cat([block[:n] for block, n in zip(blocks, counts)])


def broadcast_object(value, source: int = 0):
    """rank `source`'s Python object on every process (torch.distributed's broadcast_object_list)."""
    if not (dist.is_available() and dist.is_initialized()):
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=source)
    return holder[0]


def all_mean(values: torch.Tensor) -> torch.Tensor:
    """The mean of a tensor over the processes."""
    if not (dist.is_available() and dist.is_initialized()):
        return values
    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values / dist.get_world_size()


def check_processes(cells: int, size: int, grid: str) -> None:
    if size > cells:
        raise UserError(f"--grid {grid} has {cells} cell{'s' if cells > 1 else ''} but torchrun started {size} "
                        f"processes; use at most {cells} (--nproc-per-node)")
