"""Images benchmark: ganforge's DCGAN against a plain PyTorch DCGAN on MNIST, same wall-clock budget each.

Run from the repository root:

    .venv/bin/python benchmarks/images.py                                  # 10 min per model, 3 seeds
    .venv/bin/python benchmarks/images.py --budget-seconds 150 --seeds 2 --out images.json
    .venv/bin/python benchmarks/images.py --set batch_size=128             # try other ganforge options
    .venv/bin/python benchmarks/images.py --smoke      # seconds: 256 MNIST test images, 1 s per model

Both models train for --budget-seconds of wall clock each, one after the other, with the same
torch thread count (--threads, default 1), seed by seed (ours, then the reference), so machine
noise falls on both alike. ganforge's model is exactly what `ganforge train --data MNIST` builds
(the images defaults, DATA_DEFAULTS["images"]), stepped by its own train_step; the per-log
metrics and checkpoints of the trainer are left out for both, so the budget is training only.
The reference is the textbook DCGAN of Radford et al. sized for 28x28 (G: z 100 -> 256x7x7 ->
128x14x14 -> 1x28x28, batch norm, ReLU, tanh; D: 64 -> 128 channels, LeakyReLU 0.2, batch norm
after the first; BCE, Adam 2e-4, beta1 0.5, batch 128), sampled as the textbook does (G in
training mode).

Both are scored the same way, by ganforge's images evaluator (metrics/images.py, full=True) on
--eval-samples generated images: one feature space for all (a CNN classifier trained once on the
MNIST training images, cached in --work), the reference set drawn from the training images, and the
real-vs-real floor from held-out training images. Figures per run: steps, images/s (real images
through D per second), FID, KID, precision, recall, density, coverage, class TVD, classes present.

Targets (issue 5): mean FID <= 0.7x the reference's; class TVD <= 0.05; images/s >= 0.95x the
reference's. Prints one JSON object on stdout (progress on stderr); exit status 0 either way.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from common import emit, environment, log, mnist_sample, parse_overrides  # benchmarks/common.py
from ganforge.config import TrainConfig
from ganforge.data.dataset import load_dataset
from ganforge.metrics.images import evaluate_images
from ganforge.training.batches import batch_source
from ganforge.training.state import new_run

MNIST = "../shared/datasets/mnist/train-images-idx3-ubyte.gz"
TARGETS = {"fid_ratio_max": 0.7, "class_tvd_max": 0.05, "images_per_second_ratio_min": 0.95}
FIGURES = ("steps", "images_per_second", "fid", "kid", "precision", "recall", "density", "coverage",
           "class_tvd", "classes_present")


# --- the reference: a plain textbook DCGAN --------------------------------------------------------

class ReferenceG(nn.Module):
    def __init__(self, nz: int = 100, ngf: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class ReferenceD(nn.Module):
    def __init__(self, ndf: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False))

    def forward(self, x):
        return self.net(x).view(-1)


def _weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def train_reference(images: torch.Tensor, seed: int, budget: float, n_eval: int) -> tuple[np.ndarray, int, float]:
    """(generated images in [0, 1], steps, seconds) of the textbook DCGAN trained for `budget` seconds."""
    torch.manual_seed(seed)
    nz, batch = 100, 128
    G, D = ReferenceG(nz), ReferenceD()
    G.apply(_weights_init)
    D.apply(_weights_init)
    criterion = nn.BCEWithLogitsLoss()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    data = images * 2 - 1  # [-1, 1], as tanh outputs
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < budget:
        real = data[torch.randint(0, len(data), (batch,))]
        fake = G(torch.randn(batch, nz, 1, 1))
        opt_d.zero_grad()
        loss_d = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        criterion(D(fake), ones).backward()  # non-saturating: G maximises log D(G(z))
        opt_g.step()
        steps += 1
    seconds = time.perf_counter() - started
    with torch.no_grad():  # the textbook samples with G as it trains (batch statistics)
        samples = torch.cat([G(torch.randn(batch, nz, 1, 1)) for _ in range(-(-n_eval // batch))])[:n_eval]
    return ((samples + 1) / 2).numpy(), steps, seconds


# --- ganforge ---------------------------------------------------------------------------------------

def train_ganforge(data: str, seed: int, budget: float, n_eval: int, threads: int, overrides: dict, dataset):
    """(generated images, steps, seconds, config) of ganforge's model for MNIST, trained for `budget` seconds."""
    config = TrainConfig.from_dict({"data": data, "seed": seed, "threads": threads, **overrides})
    run = new_run(config, dataset)
    next_batch = batch_source(run, run.config.batch_size)
    steps, started = 0, time.perf_counter()
    total = run.config.steps
    while time.perf_counter() - started < budget:
        run.model.train_step(next_batch, run.noise_rng, progress=min(steps / total, 1.0))
        steps += 1
    seconds = time.perf_counter() - started
    return run.sample(n_eval, seed + 2), steps, seconds, run.config


def score(dataset, samples: np.ndarray, seed: int, work: Path) -> dict:
    figures = evaluate_images(dataset, samples, seed, run_dir=work, full=True)
    keep = ("fid", "fid_floor", "kid", "kid_floor", "precision", "recall", "density", "coverage",
            "class_tvd", "class_tvd_floor", "classes_present", "classifier_test_accuracy")
    return {k: figures[k] for k in keep if k in figures}


def summarise(runs: list[dict]) -> dict:
    out = {}
    for key in FIGURES:
        values = [r[key] for r in runs]
        out[key] = {"mean": statistics.fmean(values), "min": min(values), "max": max(values)}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-seconds", type=float, default=600.0, help="training wall clock per model and seed")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads, the same for both models")
    parser.add_argument("--eval-samples", type=int, default=2500)
    parser.add_argument("--work", default="runs/bench-images", help="folder for the cached feature extractor")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="ganforge option override")
    parser.add_argument("--out", help="also write the JSON here")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny settings (256 MNIST test images, 1 s per model, 1 seed): checks the script runs")
    args = parser.parse_args(argv)
    if min(args.budget_seconds, args.seeds, args.threads, args.eval_samples) <= 0:
        parser.error("--budget-seconds, --seeds, --threads and --eval-samples must be > 0")
    overrides = parse_overrides(args.set)
    torch.set_num_threads(args.threads)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data = MNIST
    if args.smoke:
        args.budget_seconds, args.seeds, args.eval_samples = 1.0, 1, 256
        data = str(mnist_sample(256, work))

    dataset = load_dataset(data)
    log(f"MNIST: {tuple(dataset.images.shape)}; training the feature extractor (cached in {work})")
    started = time.perf_counter()
    score(dataset, dataset.images[:16].numpy(), 0, work)  # builds / loads the feature space once
    log(f"feature space ready in {time.perf_counter() - started:.0f} s")

    ours, reference, config = [], [], None
    for seed in range(args.seeds):
        log(f"seed {seed}: ganforge DCGAN for {args.budget_seconds:.0f} s")
        samples, steps, seconds, config = train_ganforge(data, seed, args.budget_seconds, args.eval_samples,
                                                         args.threads, overrides, dataset)
        row = {"seed": seed, "steps": steps, "seconds": seconds,
               "images_per_second": steps * config.batch_size * config.discriminator_steps / seconds,
               **score(dataset, samples, seed, work)}
        ours.append(row)
        log(f"  {row}")
        log(f"seed {seed}: reference DCGAN for {args.budget_seconds:.0f} s")
        samples, steps, seconds = train_reference(dataset.images, seed, args.budget_seconds, args.eval_samples)
        row = {"seed": seed, "steps": steps, "seconds": seconds, "images_per_second": steps * 128 / seconds,
               **score(dataset, samples, seed, work)}
        reference.append(row)
        log(f"  {row}")

    mine, theirs = summarise(ours), summarise(reference)
    ratios = {"fid": mine["fid"]["mean"] / theirs["fid"]["mean"],
              "images_per_second": mine["images_per_second"]["mean"] / theirs["images_per_second"]["mean"]}
    met = {"fid_ratio": ratios["fid"] <= TARGETS["fid_ratio_max"],
           "class_tvd": all(r["class_tvd"] <= TARGETS["class_tvd_max"] for r in ours),
           "images_per_second_ratio": ratios["images_per_second"] >= TARGETS["images_per_second_ratio_min"]}
    emit({"benchmark": "images", "smoke": args.smoke,
          "data": "MNIST test, first 256 (smoke)" if args.smoke else "MNIST train (60,000 28x28)", "budget_seconds": args.budget_seconds,
          "threads": args.threads, "eval_samples": args.eval_samples, "overrides": overrides,
          "ganforge_config": {k: getattr(config, k) for k in ("batch_size", "noise_dim", "generator_hidden",
                                                              "discriminator_hidden", "lr_generator", "ema", "r1")},
          "ganforge": {"runs": ours, "summary": mine}, "reference": {"runs": reference, "summary": theirs},
          "ratios": ratios, "targets": TARGETS, "target_met": met, "targets_met": all(met.values()),
          "environment": environment()}, args.out)


if __name__ == "__main__":
    sys.exit(main())
