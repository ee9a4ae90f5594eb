"""Lipizzaner's spatial co-evolution on torch.distributed: the generation loop, checkpoints and summary."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import torch

from ganforge.config import TrainConfig
from ganforge.data.dataset import Dataset
from ganforge.diagnostics import diagnose
from ganforge.distributed import comm
from ganforge.distributed.cell import CELL_STATS, Cell, CellData, Individual, adam_size, adam_vector, cell_seed
from ganforge.distributed.grid import Grid, cells_of_rank
from ganforge.distributed.grid_checkpoint import load_cells, save_grid
from ganforge.distributed.mixture import GeneratorMixture, build_gan, flat, load_flat
from ganforge.distributed.options import CELL_LOSSES, generations_of
from ganforge.distributed.quality import quality_function
from ganforge.training import checkpoint as ckpt
from ganforge.training.callbacks import DiagnosticsLog, MetricsLog, ProgressBar
from ganforge.training.loop import StopFlag
from ganforge.training.state import TrainedRun, load_run, new_run

MAX_NEIGHBOURS = 5  # self + N, S, W, E


def train_grid(config: TrainConfig | None, dataset: Dataset | None, out: Path | None, resume: bool,
               overwrite: bool, progress: bool, **overrides: Any) -> TrainedRun:
    """Co-evolves a grid of GANs; every process of the group runs its share of the cells.

    Returns the run (its model: the best cell's generator mixture). Only rank 0 writes `out`.
    """
    from ganforge.training.run import check_run_dir, clear_run_dir

    if resume:
        view = load_run(out, **overrides)  # config, encoder and the saved mixture
        config = view.config
        view.dataset = dataset
        view.load_dataset()
        tensors, state = ckpt.load_checkpoint(out)
    else:
        view = new_run(config, dataset)  # validates data and options; its model is dropped below
        config = view.config  # with the data kind's defaults
        tensors, state = None, None
    if getattr(view.model, "conditional", False):
        from ganforge.errors import UserError

        raise UserError("--grid does not train conditional GANs yet; drop --grid or the condition")
    grid = Grid.parse(config.grid)
    device = view.model.device
    comm.check_processes(grid.size, comm.world()[1], config.grid)  # before joining the group: one clear error
    rank, size = comm.start(device)
    if out is not None:
        check_run_dir(out, resume, overwrite)
        comm.barrier()  # every process has looked at `out` before rank 0 clears it
        if rank == 0 and not resume:
            clear_run_dir(out)
        if rank == 0:
            config.to_yaml(out / "config.yaml")
    writer = out if rank == 0 else None

    B = config.batches_per_generation
    total = generations_of(config)
    adam = config.cell_training == "centre"  # the centres' Adam state travels with them (checkpoints)
    ema = adam and config.ema > 0  # ... and so does each centre G's moving average, what the mixtures use
    counts = [len(cells_of_rank(grid.size, r, size)) for r in range(size)]
    # --cell-training population: offspring train G itself, the mixture is their ensemble; centre: each
    # cell's G keeps a moving average (--ema) as a single GAN does, and the mixtures are made of those.
    cell_config = config.replace(ema=config.ema if config.cell_training == "centre" else 0.0)
    cells = []
    for index in cells_of_rank(grid.size, rank, size):
        torch.manual_seed(cell_seed(config.seed, index))  # the cell's initial G and D
        learner = build_gan(cell_config, view.encoder, device)
        data = CellData(view.dataset, view.encoder, config.data_fraction, cell_seed(config.seed, index), device)
        cells.append(Cell(index, grid.neighbourhood(index), cell_config, learner, data))
    template = build_gan(cell_config, view.encoder, device)
    sides = (("generator", "G"), ("discriminator", "D"))
    if not adam:  # --cell-training population trains an offspring per neighbour in modules of its own
        sides += (("offspring_generator", "G"), ("offspring_discriminator", "D"))
    scratch = {side: [getattr(build_gan(cell_config, view.encoder, device), net) for _ in range(MAX_NEIGHBOURS)]
               for side, net in sides}
    mixture = GeneratorMixture([build_gan(cell_config, view.encoder, device).G.eval()
                                for _ in range(len(grid.neighbourhood(0)))],
                               torch.ones(len(grid.neighbourhood(0))), config.noise_dim, device)
    quality = quality_function(view.dataset, view.encoder, config.eval_samples, config.seed, writer)

    if resume:
        start, wall_offset, G_pop, D_pop, extras = load_cells(tensors, state, grid.size)
        for cell in cells:
            cell.weights = torch.tensor(extras["weights"][cell.index], dtype=torch.float64)
            cell.score = extras["scores"][cell.index]
        records = [r for r in _read_records(out) if r.get("generation", 0) <= start]
        if writer is not None:
            _atomic_write(out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    else:
        start, wall_offset, records = 0, 0.0, []
        rows = torch.stack([_pack(c, config, adam) for c in cells])
        G_pop, D_pop = _unpack(comm.all_gather_rows(rows, counts), template, adam, ema)
        extras = None

    # Rank 0's view of the run: the best mixture, scored by the run monitor at every generation.
    view.config = config.replace(steps=max(total, 1) * B, log_every=B, checkpoint_every=B)
    view.step, view.records = start * B, records
    monitor = _monitor(view, writer)
    bar = ProgressBar() if progress and writer is not None else None
    diagnostics = DiagnosticsLog(_diagnostician(config, records), bar)
    callbacks = ([MetricsLog(out / "metrics.jsonl")] if writer is not None else []) + [diagnostics]
    callbacks += [bar] if bar is not None else []
    for callback in callbacks:
        callback.on_start(start * B, max(total, start) * B)

    started = time.perf_counter()
    stop, number, stopped_because = StopFlag(), start, "generations"
    best = _best(extras, grid) if extras else None
    with stop.catching_interrupt():
        while number < total:
            number += 1
            # 1-5. Each cell: fitness, selection, mutation, training, replacement (cell.py).
            rows, stats = [], []
            for cell in cells:
                population = {"generator": [G_pop[c] for c in cell.neighbourhood],
                              "discriminator": [D_pop[c] for c in cell.neighbourhood]}
                G_new, D_new = cell.generation(population, scratch, number)
                rows.append(_row(G_new, D_new))
            # 6. Gather the new centres: every process sees the whole grid (rank 0 checkpoints it).
            G_pop, D_pop = _unpack(comm.all_gather_rows(torch.stack(rows), counts), template, adam, ema)
            # 7. (1+1)-ES on each cell's mixture of its neighbourhood's new generators.
            for cell in cells:
                _load_mixture(mixture, [G_pop[c] for c in cell.neighbourhood])
                cell.evolve_mixture(mixture, quality, config.eval_samples)
            extras = _unpack_extras(comm.all_gather_rows(torch.stack([_pack_extras(c) for c in cells]), counts))
            best = _best(extras, grid)
            if writer is not None:
                view.model = _mixture_model(cell_config, view, G_pop, best)
                record = _record(number, B, wall_offset + time.perf_counter() - started, extras, G_pop, D_pop)
                record.update(monitor.measure(number * B))
                records.append(record)
                for callback in callbacks:
                    callback.on_log(record)
                view.step, view.wall_seconds = number * B, record["wall_seconds"]
                save_grid(out, config, view, G_pop, D_pop, extras, best, number)
                monitor.flush()
            if comm.agree(stop.raised):
                stopped_because = "interrupted"
                break
    wall = wall_offset + time.perf_counter() - started
    for callback in callbacks:
        callback.on_end(number * B)
    if best is None:  # nothing ran (resumed at the last generation): the saved mixture stands
        best = {"cell": None, "cells": view.model.cells, "weights": view.model.weights.tolist(), "score": None}
    else:
        view.model = _mixture_model(cell_config, view, G_pop, best)
    view.step, view.wall_seconds = number * B, wall
    view.summary = _summary(view, config, grid, size, number, start, wall, wall_offset, stopped_because,
                            best, extras, records)
    if rank == 0:  # the best mixture's figures, as every run's summary has them
        final = records[-1] if records and records[-1].get("generation") == number else monitor.measure(number * B)
        view.summary.update({k: v for k, v in final.items()
                             if k not in ("step", "wall_seconds", "nonfinite") and k not in view.summary})
    if writer is not None:
        if f"step_{number * B}" not in monitor.snapshots:
            monitor.snapshot(number * B)
        _atomic_write(out / "summary.json", json.dumps(view.summary, indent=2) + "\n")
        from ganforge.report import build_report

        build_report(out)
    comm.barrier()
    view.config = config
    return view


# --- packing the grid into tensors for the collectives --------------------------------------


def _pack(cell: Cell, config, adam: bool) -> torch.Tensor:
    """A cell's first centre: its initial G and D at the configured learning rates, a fresh Adam."""
    G, D, G_ema = cell.learner.G, cell.learner.D, cell.learner.G_ema
    return _row(Individual(flat(G), config.lr_generator, adam_vector(cell.learner.opt_G) if adam else None,
                           flat(G_ema) if adam and G_ema is not None else None),
                Individual(flat(D), config.lr_discriminator, adam_vector(cell.learner.opt_D) if adam else None))


def _row(G: Individual, D: Individual) -> torch.Tensor:
    """[G weights | D weights | lr_G, lr_D | G's Adam | D's Adam | G's average] in float64 (the last
    three when the cells keep them: --cell-training centre, and --ema)."""
    parts = [G.weights.double(), D.weights.double(), torch.tensor([G.lr, D.lr], dtype=torch.float64)]
    parts += [G.adam, D.adam] if G.adam is not None else []
    parts += [G.ema.double()] if G.ema is not None else []
    return torch.cat(parts)


def _unpack(rows: torch.Tensor, template, adam: bool, ema: bool) -> tuple[list[Individual], list[Individual]]:
    """Rows made by _row, one per cell, as that cell's two individuals."""
    n_G = sum(t.numel() for t in template.G.state_dict().values() if t.dtype.is_floating_point)
    n_D = sum(t.numel() for t in template.D.state_dict().values() if t.dtype.is_floating_point)
    a_G, a_D = (adam_size(template.G), adam_size(template.D)) if adam else (0, 0)
    G_pop, D_pop = [], []
    for row in rows:
        lr_G, lr_D = float(row[n_G + n_D]), float(row[n_G + n_D + 1])
        tail = row[n_G + n_D + 2:]
        G_pop.append(Individual(row[:n_G].float(), lr_G, tail[:a_G].clone() if adam else None,
                                tail[a_G + a_D:].float() if ema else None))
        D_pop.append(Individual(row[n_G: n_G + n_D].float(), lr_D, tail[a_G: a_G + a_D].clone() if adam else None))
    return G_pop, D_pop


def _pack_extras(cell: Cell) -> torch.Tensor:
    """The cell's mixture weights (NaN-padded to 5), score, loss and training figures."""
    weights = torch.full((MAX_NEIGHBOURS,), float("nan"), dtype=torch.float64)
    weights[: len(cell.weights)] = cell.weights
    head = torch.tensor([cell.score, CELL_LOSSES.index(cell.loss_name) if cell.loss_name in CELL_LOSSES else -1],
                        dtype=torch.float64)
    return torch.cat([weights, head, cell.stats.double()])


def _unpack_extras(rows: torch.Tensor) -> dict[str, list]:
    k, s = MAX_NEIGHBOURS, len(CELL_STATS)
    weights = [[float(w) for w in row[:k] if not torch.isnan(w)] for row in rows]
    return {"weights": weights, "scores": [float(row[k]) for row in rows],
            "losses": [CELL_LOSSES[int(row[k + 1])] if row[k + 1] >= 0 else None for row in rows],
            "stats": [dict(zip(CELL_STATS, row[k + 2: k + 2 + s].tolist())) for row in rows]}


# --- the best mixture, the records and the summary ----------------------------------------


def _best(extras: dict[str, list], grid: Grid) -> dict[str, Any]:
    """The cell whose mixture scores best (lowest; NaN last), its neighbourhood and weights."""
    scores = torch.tensor(extras["scores"], dtype=torch.float64)
    cell = int(torch.argmin(torch.nan_to_num(scores, nan=float("inf"))))
    return {"cell": cell, "cells": grid.neighbourhood(cell), "weights": extras["weights"][cell],
            "score": extras["scores"][cell]}


def _load_mixture(mixture: GeneratorMixture, individuals: list[Individual]) -> None:
    """The mixture's generators: each cell's moving average of G when it keeps one, else G itself."""
    for G, individual in zip(mixture.generators, individuals):
        load_flat(G, individual.ema if individual.ema is not None else individual.weights)


def _mixture_model(config, view: TrainedRun, G_pop: list[Individual], best: dict[str, Any]) -> GeneratorMixture:
    model = GeneratorMixture.build(config, view.encoder, view.model.device, best["weights"], best["cells"])
    _load_mixture(model, [G_pop[c] for c in best["cells"]])
    return model


def _record(number: int, B: int, wall: float, extras, G_pop, D_pop) -> dict[str, Any]:
    """One metrics.jsonl line per generation: figures averaged over the cells, then the best mixture's."""
    n = len(extras["stats"])
    record: dict[str, Any] = {"step": number * B, "generation": number, "wall_seconds": wall}
    for key in CELL_STATS:
        record[key] = sum(s[key] for s in extras["stats"]) / n
    record["d_acc"] = 0.5 * (record["d_acc_real"] + record["d_acc_fake"])
    record["lr_generator"] = sum(i.lr for i in G_pop) / n
    record["lr_discriminator"] = sum(i.lr for i in D_pop) / n
    record["mixture_score"] = min(extras["scores"])
    return record


def _summary(view, config, grid, size, number, start, wall, wall_offset, stopped_because, best, extras,
             records) -> dict[str, Any]:
    B, ran = config.batches_per_generation, max(wall - wall_offset, 1e-9)
    cells = []
    if extras is not None:
        for c in range(grid.size):
            cells.append({"cell": c, "neighbourhood": grid.neighbourhood(c), "mixture_weights": extras["weights"][c],
                          "mixture_score": extras["scores"][c], "loss": extras["losses"][c] or config.loss})
    return {
        "steps": number * B, "generations": number, "wall_seconds": wall,
        "steps_per_second": (number - start) * B / ran, "generations_per_second": (number - start) / ran,
        "stopped_because": stopped_because, "diagnostics": diagnose(records, config),
        "data": config.data, "model": config.model, "loss": config.loss, "seed": config.seed,
        "device": str(view.model.device), "grid": str(grid), "processes": size,
        "mixture": best, "cells": cells,
    }


def _monitor(view: TrainedRun, writer: Path | None):
    from ganforge.training.monitor import Monitor

    return Monitor(view, writer)


def _diagnostician(config, records):
    from ganforge.diagnostics import Diagnostician

    diagnostician = Diagnostician(config)
    for record in records:
        diagnostician.observe(record)
    return diagnostician


def _read_records(out: Path) -> list[dict[str, Any]]:
    from ganforge.report.plots import read_metrics

    return read_metrics(out)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
