"""Trainer overhead: ganforge's real trainer against a bare hand-written PyTorch loop, same work.

Run from the repository root:

    .venv/bin/python benchmarks/overhead.py                     # default config, 3 rounds
    .venv/bin/python benchmarks/overhead.py --steps 1000 --rounds 5 --threads 1 --out overhead.json
    .venv/bin/python benchmarks/overhead.py --smoke             # seconds: one round of 40 steps

Both sides train the same thing from the default TrainConfig (or `--set KEY=VALUE` overrides) on
ring8: the same MLPGenerator / MLPDiscriminator (ganforge.nets.mlp) with the same sizes, batch,
Adam learning rates and betas, the non-saturating loss (written inline with F.softplus on the bare
side), the same data sampling (ring8 sampler + per-dimension standardisation fitted the same way),
k D steps then m G steps, the R1 penalty written inline when r1 > 0, an EMA of G's weights when
the config asks for one (ema > 0) and a packed D when pack > 1. The "ours" side is ganforge.training.run.train(config, out=None,
progress=False) with log_every at its default, so logging, per-step statistics, gradient norms
and the periodic evaluation (eval_samples generated points scored against the reference) count.

The two alternate (ours, bare, ours, bare, ...) `--rounds` times to spread the machine's noise
over both; torch.set_num_threads is the same for both (the config's `threads`, default 1).

Prints one JSON object on stdout:
  ours / bare: steps per second of each round and the median, end to end (the whole call: setup,
               steps, evaluation) and loop only (the steps alone, from ganforge's own clock on
               our side; the step loop on the bare side);
  ratio:       ours / bare, median over rounds of the per-round ratios (end_to_end and loop),
               and the target (>= 0.95) with whether it is met (on end_to_end).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from common import emit, environment, log, parse_overrides  # benchmarks/common.py
from ganforge.config import TrainConfig
from ganforge.data.encoders import ENCODER_FIT_SAMPLES
from ganforge.data.toy import RING8
from ganforge.nets.mlp import MLPDiscriminator, MLPGenerator
from ganforge.training.run import train

TARGET = 0.95
UNSUPPORTED = {  # options the bare loop does not implement: it must do the same work as ours
    "loss": "non-saturating", "label_smoothing": 0.0, "label_flip": 0.0, "instance_noise": 0.0,
    "generator_dropout": 0.0, "stop_at_equilibrium": False, "tensorboard": False,
}


def run_ours(config: TrainConfig) -> tuple[float, float]:
    """(end-to-end steps/s, loop steps/s) of the real trainer."""
    started = time.perf_counter()
    run = train(config, out=None, progress=False)
    wall = time.perf_counter() - started
    return config.steps / wall, run.summary["steps_per_second"]


def run_bare(config: TrainConfig) -> tuple[float, float]:
    """(end-to-end steps/s, loop steps/s) of a plain PyTorch loop doing the same work."""
    started = time.perf_counter()
    B, seed = config.batch_size, config.seed
    torch.manual_seed(seed)
    # Standardisation fitted on a reference sample, as ganforge does.
    ref = RING8.sample(ENCODER_FIT_SAMPLES, torch.Generator().manual_seed(seed))
    mean, std = ref.mean(0), ref.std(0)
    G = MLPGenerator(config.noise_dim, 2, config.generator_hidden)
    D = MLPDiscriminator(2, config.discriminator_hidden, config.discriminator_activation,
                         config.spectral_norm, config.pack)
    G_ema = None
    if config.ema > 0:
        G_ema = MLPGenerator(config.noise_dim, 2, config.generator_hidden).requires_grad_(False)
        G_ema.load_state_dict(G.state_dict())
        ema_pairs = list(zip(G_ema.parameters(), G.parameters()))
    betas = (config.beta1, config.beta2)
    # The same optimiser as the trainer's, implementation included (foreach: one kernel per step).
    opt_G = torch.optim.Adam(G.parameters(), lr=config.lr_generator, betas=betas, foreach=True)
    opt_D = torch.optim.Adam(D.parameters(), lr=config.lr_discriminator, betas=betas, foreach=True)
    data_rng = torch.Generator().manual_seed(seed)
    noise_rng = torch.Generator().manual_seed(seed + 1)

    loop_started = time.perf_counter()
    for _ in range(config.steps):
        for _ in range(config.discriminator_steps):
            x = (RING8.sample(B, data_rng) - mean) / std
            with torch.no_grad():
                fake = G(torch.randn(B, config.noise_dim, generator=noise_rng))
            if config.r1 > 0:
                x.requires_grad_(True)
            real_out = D(x)
            loss_d = 0.5 * F.softplus(-real_out).mean() + 0.5 * F.softplus(D(fake)).mean()
            if config.r1 > 0:  # R1: gamma * 1/2 E ||grad_x D(x)||^2 on real data
                (grad,) = torch.autograd.grad(real_out.sum(), x, create_graph=True)
                loss_d = loss_d + config.r1 * 0.5 * grad.pow(2).sum(dim=1).mean()
            opt_D.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_D.step()
        for _ in range(config.generator_steps):
            fake = G(torch.randn(B, config.noise_dim, generator=noise_rng))
            loss_g = F.softplus(-D(fake)).mean()
            opt_G.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_G.step()
            if G_ema is not None:
                with torch.no_grad():
                    for e, p in ema_pairs:
                        e.lerp_(p, 1.0 - config.ema)
    loop = time.perf_counter() - loop_started
    wall = time.perf_counter() - started
    return config.steps / wall, config.steps / loop


def median_summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "rounds": values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None, help="steps per timed run (default: the config's)")
    parser.add_argument("--rounds", type=int, default=3, help="ours/bare alternations (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both (default: the config's, 1)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a TrainConfig option for both sides (repeatable)")
    parser.add_argument("--out", default=None, help="also write the JSON to this file")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny settings (one round of 40 steps): checks the script runs, not a figure")
    args = parser.parse_args(argv)
    if args.smoke:
        args.steps, args.rounds = 40, 1
        args.set = ["log_every=20", "eval_samples=500"] + args.set
    if args.rounds < 1 or (args.steps is not None and args.steps < 1):
        parser.error("--rounds and --steps must be >= 1")

    overrides = parse_overrides(args.set)
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.threads is not None:
        overrides["threads"] = args.threads  # the trainer sets torch's threads from its config
    config = TrainConfig.from_dict({**overrides, "data": "ring8", "device": "cpu"}, origin="--set")
    for key, needed in UNSUPPORTED.items():
        if getattr(config, key) != needed:
            parser.error(f"the bare loop does not implement {key}={getattr(config, key)!r}")
    torch.set_num_threads(config.threads)  # the bare loop runs on the same thread count

    # Warm-up (imports, allocator, first-call costs) for both, untimed.
    warm = config.replace(steps=min(50, config.steps))
    run_ours(warm)
    run_bare(warm)

    ours_e2e, ours_loop, bare_e2e, bare_loop = [], [], [], []
    for r in range(args.rounds):
        e2e, loop = run_ours(config)
        ours_e2e.append(e2e)
        ours_loop.append(loop)
        e2e_b, loop_b = run_bare(config)
        bare_e2e.append(e2e_b)
        bare_loop.append(loop_b)
        log(f"round {r + 1}/{args.rounds}: ours {e2e:.1f} steps/s (loop {loop:.1f}), "
            f"bare {e2e_b:.1f} steps/s (loop {loop_b:.1f}), ratio {e2e / e2e_b:.3f}")

    ratio_e2e = [o / b for o, b in zip(ours_e2e, bare_e2e)]
    ratio_loop = [o / b for o, b in zip(ours_loop, bare_loop)]
    result = {
        "benchmark": "overhead", "smoke": args.smoke,
        "config": {k: v for k, v in config.to_dict().items() if k not in ("device",)},
        "overrides": overrides,
        "environment": environment(),
        "steps": config.steps, "rounds": args.rounds,
        "ours": {"steps_per_second_end_to_end": median_summary(ours_e2e),
                 "steps_per_second_loop": median_summary(ours_loop)},
        "bare": {"steps_per_second_end_to_end": median_summary(bare_e2e),
                 "steps_per_second_loop": median_summary(bare_loop)},
        "ratio": {"end_to_end": statistics.median(ratio_e2e), "loop": statistics.median(ratio_loop),
                  "end_to_end_rounds": ratio_e2e, "loop_rounds": ratio_loop,
                  "target": TARGET, "target_met": statistics.median(ratio_e2e) >= TARGET},
    }
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
