"""Data-parallel training of one GAN: DistributedDataParallel, each process on its shard of every batch."""

from __future__ import annotations

import torch
from torch.nn.parallel import DistributedDataParallel

from ganforge.distributed import comm
from ganforge.errors import UserError
from ganforge.training.batches import shard_of



class DataParallelGAN:
    """A GAN whose G and D train as DistributedDataParallel modules; reads as the plain model otherwise.

    Every process holds the whole model and draws the same global batch (the run's data RNG is
    in sync); process r trains on rows [r*b, (r+1)*b) of it, b = batch_size / processes, with its
    own noise. A table is sharded instead: process r holds rows r, r + processes, ... and draws
    its b rows from them (training/batches.py). DDP averages the gradients, so the replicas stay equal. Checkpoints, sampling and
    evaluation see the plain model (model.modules() has no DDP wrapper).
    """

    def __init__(self, model, rank: int, size: int, local_batches: bool = False):
        self.model, self.rank, self.size = model, rank, size
        self.local_batches = local_batches  # the batch source already draws this process's rows
        B = model.config.batch_size
        if B % size or (B // size) % model.config.pack:
            raise UserError(f"--batch-size {B} must split evenly over {size} processes"
                            + (f" into multiples of --pack {model.config.pack}" if model.config.pack > 1 else ""))
        self.shard_config = model.config.replace(batch_size=B // size)
        self.ddp_G = DistributedDataParallel(model.G)
        self.ddp_D = DistributedDataParallel(model.D)

    def __getattr__(self, name):
        return getattr(self.model, name)

    def train_step(self, real_batch, rng: torch.Generator, progress: float) -> None:
        inner, b, r = self.model, self.shard_config.batch_size, self.rank
        # The same draw on every process (rng is in sync), then a stream of its own for its noise.
        seed = int(torch.randint(0, 2**62, (1,), generator=rng, device=rng.device))
        own = torch.Generator(inner.device).manual_seed(seed + r)
        plain = inner.G, inner.D, inner.config
        inner.G, inner.D, inner.config = self.ddp_G, self.ddp_D, self.shard_config
        try:
            local = real_batch if self.local_batches else (lambda: shard_of(real_batch(), r * b, (r + 1) * b))
            inner.train_step(local, own, progress)
        finally:
            inner.G, inner.D, inner.config = plain

    def pop_stats(self) -> dict[str, float]:
        """The figures averaged over the processes, so every process logs (and decides) the same."""
        stats = self.model.pop_stats()
        keys = sorted(stats)
        means = comm.all_mean(torch.tensor([stats[k] for k in keys], dtype=torch.float64))
        return dict(zip(keys, means.tolist()))


def data_parallel(run):
    """run.model wrapped for DDP (data_parallel_train's prepare_model hook for the trainer).

    Rank 0's state (weights, optimiser moments, step, RNG streams, after a resume too) is
    broadcast first, so every process starts from the same point.
    """
    rank, size = comm.world()
    model = run.model
    if getattr(model, "G", None) is None or getattr(model, "D", None) is None:
        raise UserError(f"data-parallel training under torchrun is for GANs; --model {run.config.model} "
                        "trains in one process")
    state = comm.broadcast_object({
        "modules": {k: m.state_dict() for k, m in model.modules().items()},
        "optimizers": {k: o.state_dict() for k, o in model.optimizers().items()},
        "step": run.step, "wall_seconds": run.wall_seconds, "torch": torch.get_rng_state(),
        "data": run.data_rng.get_state(), "noise": run.noise_rng.get_state(),
    } if rank == 0 else None)
    for key, module in model.modules().items():
        module.load_state_dict(state["modules"][key])
    for key, optimizer in model.optimizers().items():
        optimizer.load_state_dict(state["optimizers"][key])
    run.step, run.wall_seconds = state["step"], state["wall_seconds"]
    torch.set_rng_state(state["torch"])
    run.data_rng.set_state(state["data"])
    run.noise_rng.set_state(state["noise"])
    sharded = run.dataset is not None and run.dataset.kind == "table"
    run.shard = (rank, size) if sharded else None  # a table: each process encodes its own rows
    return DataParallelGAN(model, rank, size, local_batches=sharded)


def data_parallel_train(config, dataset, out, resume, overwrite, progress, **overrides):
    """train() in every process of the group; rank 0 writes the run directory, the others only train."""
    from ganforge.config import TrainConfig
    from ganforge.training import checkpoint as ckpt
    from ganforge.training.run import check_run_dir, train
    from ganforge.training.state import resolve_device

    if resume:  # every process reads the run's configuration; rank 0's state is broadcast later
        check_run_dir(out, resume, overwrite)
        saved = ckpt.load_checkpoint(out)[1]["config"]
        config = TrainConfig.from_dict({**saved, **overrides}, origin=f"checkpoint in {out}")
    rank, size = comm.start(resolve_device(config))
    if out is not None and not resume:
        check_run_dir(out, resume, overwrite)
    comm.barrier()  # every process has checked `out` before rank 0 clears it
    if rank == 0:
        run = train(None if resume else config, dataset, out, resume, overwrite, progress,
                    prepare_model=data_parallel, **overrides)
    else:
        run = train(config, dataset, None, False, False, False, prepare_model=data_parallel)
    run.model = run.model.model if isinstance(run.model, DataParallelGAN) else run.model
    comm.barrier()
    return run
