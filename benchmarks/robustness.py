"""Robustness at equal wall-clock: a co-evolution grid against one data-parallel GAN, over many seeds.

Lipizzaner's promise is robustness: a collapsed cell is replaced through selection by a neighbour's
better network, and the mixture covers what single generators miss. This script measures it the
way the papers compare: on N processes (torchrun, gloo, one thread each; N = 1 trains in this
process), a 2x2 grid against one GAN trained data-parallel with N times the cell's batch, the GAN
given the grid's wall-clock time (its steps: the grid's training seconds x its own steps per
second, measured on a calibration run, and again from a run that missed the grid's time by over 15%). The setting is one where single GANs fail some of
the time: ring8, the minimax loss, narrow networks, a short budget.

For each of the two: the share of failed seeds (not all 8 modes covered), the median and the worst
of modes covered, high-quality fraction and JS divergence over the seeds, and the median training
seconds (on a shared machine the calibrated rate drifts: read the two medians side by side).

    .venv/bin/python benchmarks/robustness.py --seeds 10 --processes 1        # ~4 min on a shared 2-core CPU
    .venv/bin/python benchmarks/robustness.py --seeds 10 --processes 2        # torchrun, 2 gloo processes
    .venv/bin/python benchmarks/robustness.py --smoke                         # seconds: checks it runs

Prints one JSON object on stdout (progress on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, environment, log  # benchmarks/common.py

SETTING = {"data": "ring8", "loss": "minimax", "generator_hidden": [16, 16], "discriminator_hidden": [16, 16],
           "batch_size": 64, "eval_samples": 1000}
FIGURES = ("modes_covered", "high_quality_fraction", "js_divergence")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_on(processes: int, options: dict) -> dict:
    """summary.json of one run: in this process for 1, else under torchrun with `processes` workers."""
    if processes == 1:
        import torch

        from ganforge.config import TrainConfig
        from ganforge.launch import train

        torch.set_num_threads(1)
        return train(TrainConfig.from_dict(options), out=None, progress=False).summary
    flags = []
    for key, value in options.items():
        flags += [f"--{key.replace('_', '-')}", ",".join(map(str, value)) if isinstance(value, list) else str(value)]
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}",
                   f"--master_port={_free_port()}", "-m", "ganforge", "train", "--out", tmp + "/run", "--quiet"]
        done = subprocess.run(command + flags, capture_output=True, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
        if done.returncode != 0:
            raise SystemExit(f"error: torchrun failed:\n{done.stderr[-2000:]}")
        return json.loads(Path(tmp, "run", "summary.json").read_text())


def grid_options(seed: int, generations: int, batches: int) -> dict:
    return {**SETTING, "seed": seed, "grid": "2x2", "generations": generations, "batches_per_generation": batches}


def single_options(seed: int, processes: int, steps: int) -> dict:
    """One GAN, processes x the cell's batch (each process trains on the cell's batch), logged once."""
    return {**SETTING, "seed": seed, "batch_size": SETTING["batch_size"] * processes, "steps": steps,
            "log_every": steps, "checkpoint_every": steps}


def verdict(rows: list[dict]) -> dict:
    """Failed share, and the median and worst of each figure (worst: fewest modes, lowest quality, highest JS)."""
    failed = [r for r in rows if r["modes_covered"] < r["modes_total"]]
    figures = {}
    for key in FIGURES:
        values = [r[key] for r in rows]
        worst = max(values) if key == "js_divergence" else min(values)
        figures[key] = {"median": statistics.median(values), "worst": worst}
    return {"seeds": len(rows), "failed_seeds": len(failed), "failed_share": len(failed) / len(rows), **figures,
            "wall_seconds_median": statistics.median(r["wall_seconds"] for r in rows)}


def study(seeds: range, processes: int, generations: int, batches: int, calibration_steps: int) -> dict:
    calibration = train_on(processes, single_options(10_000, processes, calibration_steps))
    rate = calibration["steps_per_second"]  # the single GAN's steps per second, evaluation included
    log(f"calibration: the single GAN makes {rate:.1f} steps/s on {processes} process(es)")
    grids, singles = [], []
    for seed in seeds:
        grid = train_on(processes, grid_options(seed, generations, batches))
        steps = max(1, round(grid["wall_seconds"] * rate))  # the grid's training time, in the GAN's steps
        single = train_on(processes, single_options(seed, processes, steps))
        if abs(single["wall_seconds"] / grid["wall_seconds"] - 1) > 0.15:  # the machine's pace moved: once more
            rate = single["steps"] / single["wall_seconds"]  # at the pace it showed (and onwards)
            steps = max(1, round(grid["wall_seconds"] * rate))
            single = train_on(processes, single_options(seed, processes, steps))
        for rows, summary, kind in ((grids, grid, "grid"), (singles, single, "single")):
            rows.append({"seed": seed, "kind": kind, "steps": summary["steps"],
                         "wall_seconds": summary["wall_seconds"], "modes_total": summary["modes_total"],
                         **{k: summary[k] for k in FIGURES}})
        log(f"seed {seed}: grid {grid['modes_covered']}/8 modes in {grid['wall_seconds']:.1f} s; "
            f"single {single['modes_covered']}/8 in {single['wall_seconds']:.1f} s ({steps} steps)")
    grid_verdict, single_verdict = verdict(grids), verdict(singles)
    return {"setting": {**SETTING, "grid": "2x2", "generations": generations, "batches_per_generation": batches,
                        "processes": processes, "single_batch_size": SETTING["batch_size"] * processes,
                        "equal": "wall-clock: the single GAN's steps = the grid's training seconds x its steps/s"},
            "calibration_steps_per_second": rate, "grid": grid_verdict, "single": single_verdict,
            "grid_fails_less": grid_verdict["failed_share"] < single_verdict["failed_share"],
            "runs": grids + singles}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--processes", type=int, default=1, help="N: torchrun workers (1: in this process)")
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument("--batches", type=int, default=50, help="batches per generation of the grid")
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--smoke", action="store_true", help="2 seeds, 2 generations of 5 batches: checks it runs")
    args = parser.parse_args(argv)
    calibration_steps = 200
    if args.smoke:
        args.seeds, args.first_seed, args.processes, args.generations, args.batches = 2, 0, 1, 2, 5
        calibration_steps = 20
    if min(args.seeds, args.processes, args.generations, args.batches) <= 0:
        raise SystemExit("error: --seeds, --processes, --generations and --batches must be > 0")
    started = time.perf_counter()
    result = {"benchmark": "robustness", "smoke": args.smoke, "environment": environment(),
              "command": " ".join(sys.argv[1:]),
              **study(range(args.first_seed, args.first_seed + args.seeds), args.processes, args.generations, args.batches, calibration_steps)}
    result["wall_seconds"] = time.perf_counter() - started
    emit(result, args.out)


if __name__ == "__main__":
    main()
