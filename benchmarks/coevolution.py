"""Co-evolution benchmark: Lipizzaner grids against one GAN on grid25 and MNIST, and scaling over processes.

Run from the repository root (OMP_NUM_THREADS=1; --jobs 2 runs two trainings at once, one thread each):

    .venv/bin/python benchmarks/coevolution.py --jobs 2 --lineage-grids 2x2,3x3:1 --mnist-lineage   # ~30 min
    .venv/bin/python benchmarks/coevolution.py --seeds 1 --lineage-grids 2x2 --mnist ''   # a quicker look
    .venv/bin/python benchmarks/coevolution.py --smoke   # seconds: every part at tiny sizes (256 MNIST images)

grid25 quality, two settings side by side, each against the same single GAN trained for `--updates`
steps (one G update per step; the default 12,000 is where the single GAN has converged: 25/25 modes):

  equal_total        the issue's "equal compute": the cells of a 2x2 / 3x3 grid together make
                     `--updates` G updates, so each cell's lineage makes updates / cells of them.
  equal_per_lineage  Lipizzaner's own setting (the papers' 5x5 grid vs one GAN on MNIST): every cell
                     trains as long as the single GAN (`--updates` G updates per lineage), so the
                     grid spends cells x the single GAN's compute.

Each cell (default --cell-training centre) trains one G and one D per generation for `--batches`
batches, so generations = per-lineage updates / batches. `--cell-training population` (every cell
trains all its neighbourhood's offspring) makes neighbours x more G updates per generation; the
benchmark counts them. Figures: the run's own summary (the best cell's generator mixture for a
grid): modes_covered, high_quality_fraction, reverse_kl, js_divergence.

MNIST (`--mnist`, the IDX files; `--mnist-seconds` budget): Lipizzaner's MLP (G 64-256-256-784, D
784-256-256-1, batch 100, Adam 2e-4), which ganforge's CLI does not offer for images (it trains a
DCGAN there), so the benchmark swaps the networks in. The single GAN gets as many steps as it makes
in `--mnist-seconds` (measured on a short calibration run); a 2x2 grid gets the same total G updates
(equal_total) and, with --mnist-lineage, as many per cell (equal_per_lineage). Figures: FID and
class TVD in ganforge's image feature space (metrics/images.py; real-vs-real floors alongside).

Scaling: generations per second of a 2x2 grid under torchrun with 1 and with 2 processes (gloo, one
thread each; nothing else of the benchmark runs meanwhile). Target >= 1.7x.

Prints one JSON object on stdout (progress on stderr).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import emit, environment, log, mnist_sample  # benchmarks/common.py

TOY_FIGURES = ("modes_covered", "high_quality_fraction", "reverse_kl", "js_divergence")
IMAGE_FIGURES = ("fid", "fid_floor", "class_tvd", "class_tvd_floor", "classes_present", "kid")
MNIST = "../shared/datasets/mnist/train-images-idx3-ubyte.gz"
TOY_STEPS_PER_SECOND = 250  # rough, to start the longest trainings first
LIPIZZANER_MNIST = {"noise_dim": 64, "generator_hidden": [256, 256], "discriminator_hidden": [256, 256],
                    "batch_size": 100, "lr_generator": 2e-4, "lr_discriminator": 2e-4, "eval_samples": 1000}


# --- one training run (in a worker process) ------------------------------------------------------

_DATA: dict = {}


def _mlp_for_images() -> None:
    """Lipizzaner's MNIST nets are MLPs on the 784 pixels; ganforge's image runs build DCGANs."""
    import ganforge.models.gan as gan_module
    from ganforge.nets.factory import build_networks
    from ganforge.nets.mlp import MLPDiscriminator, MLPGenerator

    def mlp_networks(config, layout):
        if not layout.is_image:
            return build_networks(config, layout)
        G = MLPGenerator(config.noise_dim, layout.dim, config.generator_hidden)  # tanh: pixels in [-1, 1]
        D = MLPDiscriminator(layout.dim, config.discriminator_hidden, config.discriminator_activation,
                             config.spectral_norm, config.pack)
        return G, D

    gan_module.build_networks = mlp_networks


def train_one(task: dict) -> dict:
    """Trains one model of the benchmark and returns its figures (runs in a worker)."""
    import torch

    from ganforge.config import TrainConfig
    from ganforge.launch import train

    torch.set_num_threads(1)
    dataset, name = None, task["data"]
    if name == "mnist":
        if "mnist" not in _DATA:
            from ganforge.data.dataset import load_dataset

            _mlp_for_images()
            _DATA["mnist"] = load_dataset(task["path"])
        dataset, name = _DATA["mnist"], task["path"]  # one Dataset: the image metrics' extractor is trained once
    started = time.perf_counter()
    summary = train(TrainConfig.from_dict({**task["options"], "data": name}), dataset, out=None,
                    progress=False).summary
    figures = TOY_FIGURES if task["data"] != "mnist" else IMAGE_FIGURES
    return {**{k: task[k] for k in ("seed", "setting", "model", "generator_updates")},
            **{k: summary.get(k) for k in figures}, "steps_per_second": summary.get("steps_per_second"),
            "wall_seconds": time.perf_counter() - started}


def run_all(tasks: list[dict], jobs: int) -> list[dict]:
    if jobs <= 1:
        rows = []
        for task in tasks:
            log(f"  {task['label']}")
            rows.append(train_one(task))
        return rows
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [(task, pool.submit(train_one, task)) for task in tasks]
        rows = []
        for task, future in futures:
            rows.append(future.result())
            log(f"  done: {task['label']}")
        return rows


# --- grid25 ----------------------------------------------------------------------------------------

def _grid_options(grid: str, lineage_updates: int, batches: int, cell_training: str) -> tuple[dict, int]:
    """Options of a grid whose every lineage makes about `lineage_updates` G updates; (options, total made)."""
    from ganforge.distributed.grid import Grid

    g = Grid.parse(grid)
    per_generation = batches * (len(g.neighbourhood(0)) if cell_training == "population" else 1)
    generations = max(1, round(lineage_updates / per_generation))
    return ({"grid": grid, "batches_per_generation": batches, "generations": generations,
             "cell_training": cell_training}, generations * per_generation * g.size)


def toy_tasks(args) -> list[dict]:
    from ganforge.distributed.grid import Grid

    tasks = []
    for seed in range(args.seeds):
        tasks.append({"data": "grid25", "seed": seed, "setting": "single", "model": "single",
                      "generator_updates": args.updates, "options": {"seed": seed, "steps": args.updates},
                      "label": f"grid25 seed {seed} single GAN, {args.updates} G updates"})
        for setting, grids in (("equal_total", args.total_grids), ("equal_per_lineage", args.lineage_grids)):
            for spec in grids:
                grid, _, most = spec.partition(":")  # "3x3:1": this grid on the first seed only
                if seed >= int(most or args.seeds):
                    continue
                cells = Grid.parse(grid).size
                lineage = args.updates // cells if setting == "equal_total" else args.updates
                options, made = _grid_options(grid, lineage, args.batches, args.cell_training)
                tasks.append({"data": "grid25", "seed": seed, "setting": setting, "model": grid,
                              "generator_updates": made, "options": {"seed": seed, **options},
                              "label": f"grid25 seed {seed} {grid} {setting}: {made} G updates in all, "
                                       f"{made // cells} per lineage"})
    for task in tasks:
        task["cost"] = task["generator_updates"] / TOY_STEPS_PER_SECOND
    return tasks


def summarise(rows: list[dict], figures: tuple[str, ...]) -> dict:
    """Mean of each figure per (setting, model), with the seeds it covers."""
    out: dict = {}
    for row in rows:
        out.setdefault(row["setting"], {}).setdefault(row["model"], []).append(row)
    return {setting: {model: {"seeds": len(group), "generator_updates": group[0]["generator_updates"],
                              **{k: statistics.mean(r[k] for r in group if r.get(k) is not None)
                                 for k in figures + ("wall_seconds",)
                                 if any(r.get(k) is not None for r in group)}}
                      for model, group in models.items()}
            for setting, models in out.items()}


# --- MNIST -----------------------------------------------------------------------------------------

def mnist_tasks(args) -> tuple[list[dict], dict]:
    """The MNIST trainings, sized by a calibration run here: (tasks, facts about the calibration)."""
    path = Path(args.mnist)
    log("MNIST: calibration (steps per second of the single GAN)")
    for steps in args.calibration_steps:  # the first also trains the image feature extractor, which the second reuses
        probe = train_one({"data": "mnist", "path": str(path), "seed": 0, "setting": "probe", "model": "single",
                           "generator_updates": steps,
                           "options": {**LIPIZZANER_MNIST, "seed": 0, "steps": steps, "log_every": steps}})
    steps = int(probe["steps_per_second"] * args.mnist_seconds)
    steps = max(4 * args.batches, steps - steps % (4 * args.batches))  # a whole number of 2x2 generations
    log(f"MNIST: {probe['steps_per_second']:.1f} steps/s -> the single GAN gets {steps} steps")
    tasks = []
    for seed in range(args.mnist_seeds):
        tasks.append({"data": "mnist", "path": str(path), "seed": seed, "setting": "single", "model": "single",
                      "generator_updates": steps, "label": f"MNIST seed {seed} single GAN: {steps} G updates",
                      "options": {**LIPIZZANER_MNIST, "seed": seed, "steps": steps, "log_every": steps}})
        settings = [("equal_total", steps // 4)] + ([("equal_per_lineage", steps)] if args.mnist_lineage else [])
        for setting, lineage in settings:
            options, made = _grid_options("2x2", lineage, args.batches, args.cell_training)
            tasks.append({"data": "mnist", "path": str(path), "seed": seed, "setting": setting, "model": "2x2",
                          "generator_updates": made, "options": {**LIPIZZANER_MNIST, "seed": seed, **options},
                          "label": f"MNIST seed {seed} 2x2 {setting}: {made} G updates in all"})
    for task in tasks:
        task["cost"] = task["generator_updates"] / probe["steps_per_second"]
    return tasks, {"data": str(path), "networks": "MLP G 64-256-256-784, D 784-256-256-1 (Lipizzaner's)",
                   "options": LIPIZZANER_MNIST, "budget_seconds": args.mnist_seconds,
                   "calibration_steps_per_second": probe["steps_per_second"], "single_gan_steps": steps}


# --- scaling ---------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scaling(generations: int, batches: int, cell_training: str) -> dict:
    """generations/second of one 2x2 grid under torchrun with 1 and 2 processes (from summary.json)."""
    rates = {}
    for processes in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}",
                       f"--master_port={_free_port()}", "-m", "ganforge", "train", "--data", "grid25",
                       "--out", tmp + "/run", "--grid", "2x2", "--generations", str(generations),
                       "--batches-per-generation", str(batches), "--cell-training", cell_training, "--quiet"]
            log(f"scaling: {processes} process(es)")
            done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            if done.returncode != 0:
                raise SystemExit(f"error: torchrun failed:\n{done.stderr[-2000:]}")
            summary = json.loads(Path(tmp, "run", "summary.json").read_text())
            rates[processes] = summary["generations_per_second"]
    speedup = rates[2] / rates[1]
    return {"grid": "2x2", "generations": generations, "batches_per_generation": batches,
            "cell_training": cell_training, "generations_per_second": {"1": rates[1], "2": rates[2]},
            "speedup": speedup, "target": 1.7, "target_met": speedup >= 1.7}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=12000, help="G updates of the single GAN (grid25)")
    parser.add_argument("--batches", type=int, default=100, help="batches per generation of the grids")
    parser.add_argument("--cell-training", default="centre", choices=("centre", "population"))
    parser.add_argument("--total-grids", default="2x2,3x3", help="grids of the equal_total setting")
    parser.add_argument("--lineage-grids", default="2x2,3x3",
                        help="grids of the equal_per_lineage setting; GRID:K runs that grid on the first K seeds")
    parser.add_argument("--jobs", type=int, default=1, help="trainings at once (one thread each; <= cores)")
    parser.add_argument("--mnist", default=MNIST, help="MNIST images (IDX); '' skips the MNIST part")
    parser.add_argument("--mnist-seconds", type=float, default=90, help="training budget of the single GAN")
    parser.add_argument("--mnist-seeds", type=int, default=1)
    parser.add_argument("--mnist-lineage", action="store_true", help="also a 2x2 with equal updates per lineage")
    parser.add_argument("--scaling-generations", type=int, default=12)
    parser.add_argument("--scaling-batches", type=int, default=100)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny settings (1 seed, 40 updates, 2x2 grids, 256 MNIST images): checks the script runs")
    args = parser.parse_args(argv)
    args.calibration_steps = (20, 400)
    if args.smoke:
        args.seeds, args.updates, args.batches, args.total_grids, args.lineage_grids = 1, 40, 10, "2x2", "2x2"
        args.jobs, args.mnist_seeds, args.mnist_seconds, args.calibration_steps = 1, 1, 0.2, (10, 40)
        args.scaling_generations, args.scaling_batches = 2, 5
        args.work = tempfile.TemporaryDirectory(prefix="ganforge-smoke-")  # removed when main returns
        args.mnist = str(mnist_sample(256, Path(args.work.name)))
    args.total_grids = [g for g in args.total_grids.split(",") if g]
    args.lineage_grids = [g for g in args.lineage_grids.split(",") if g]
    if min(args.seeds, args.updates, args.batches, args.scaling_generations, args.jobs, args.mnist_seeds) <= 0:
        raise SystemExit("error: --seeds, --updates, --batches, --jobs, --mnist-seeds and --scaling-generations "
                         "must be > 0")
    result = {"benchmark": "coevolution", "smoke": args.smoke, "environment": environment(), "jobs": args.jobs, "command": " ".join(sys.argv[1:])}
    started = time.perf_counter()
    if not args.skip_quality:
        tasks, mnist = toy_tasks(args), None
        if args.mnist and Path(args.mnist).exists():
            more, mnist = mnist_tasks(args)
            tasks += more
        log(f"{len(tasks)} trainings, {args.jobs} at a time")
        tasks.sort(key=lambda t: -t["cost"])  # the longest first, so the workers end together
        done = run_all(tasks, args.jobs)
        rows = [r for r, t in zip(done, tasks) if t["data"] != "mnist"]
        result["quality"] = {
            "data": "grid25", "cell_training": args.cell_training, "batches_per_generation": args.batches,
            "settings": {"single": "one GAN, --updates steps (one G update each)",
                         "equal_total": "the grid's cells together make the single GAN's number of G updates",
                         "equal_per_lineage": "every cell makes the single GAN's number of G updates "
                                              "(Lipizzaner's comparison; cells x the compute)"},
            "runs": rows, "mean": summarise(rows, TOY_FIGURES)}
        if mnist is not None:
            mnist_rows = [r for r, t in zip(done, tasks) if t["data"] == "mnist"]
            result["mnist"] = {**mnist, "runs": mnist_rows, "mean": summarise(mnist_rows, IMAGE_FIGURES)}
        else:
            result["mnist"] = {"status": "skipped", "why": f"no MNIST at {args.mnist!r}"}
    if not args.skip_scaling:
        result["scaling"] = scaling(args.scaling_generations, args.scaling_batches, args.cell_training)
    result["wall_seconds"] = time.perf_counter() - started
    emit(result, args.out)


if __name__ == "__main__":
    main()
