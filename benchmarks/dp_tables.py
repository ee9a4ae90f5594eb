"""Differentially private table runs on Pima: speed with and without DP at the same steps, and quality
at each epsilon. Prints JSON.

    .venv/bin/python benchmarks/dp_tables.py --seeds 2                       # no DP, epsilon 3 and 10
    .venv/bin/python benchmarks/dp_tables.py --epsilons 3 --set lr_discriminator=1e-3
    .venv/bin/python benchmarks/dp_tables.py --smoke                          # every figure, in a minute

Each seed splits Pima 80/20 (stratified on Outcome, as benchmarks/tabular.py does) and trains
ganforge on the training rows without DP (at the table defaults, pack 8, and with pack 1 like DP),
and with --dp-epsilon E for each E, all at the same --steps (default: the DP default's) unless
--set says otherwise; the rows drawn (as many as the
training set has) are scored by benchmarks/tabular.py's functions: SDMetrics' quality report,
detection, ML efficacy. steps_per_second is the trainer's own figure (summary.json's). The DP
runs also report the epsilon their accountant spent.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import add_table_options, emit, environment, log, parse_epsilons, parse_overrides  # noqa: E402
from tabular import DATASETS, load, score, summarise  # noqa: E402

SMOKE = {"seeds": 1, "steps": 20, "epsilons": "3"}
FIGURES = ("steps_per_second", "fit_seconds", "quality_score", "column_shapes", "column_pair_trends",
           "detection_auc", "ml_f1_synthetic", "ml_f1_real")


def fit(train, seed: int, steps: int, threads: int, options: dict) -> tuple:
    from ganforge import GAN

    started = time.perf_counter()
    gan = GAN(seed=seed, threads=threads, steps=steps, **options).fit(train, progress=False)
    return gan, time.perf_counter() - started


def run(seeds: int, steps: int, epsilons: list[float], threads: int, overrides: dict, root: Path,
        dp_only: bool = False) -> dict:
    from ganforge.data.tabular import infer_columns, prepare_table

    # "no DP, pack 1" trains the same networks as DP does (DP uses pack 1): the fair speed comparison.
    settings = {} if dp_only else {"no DP": {}, "no DP, pack 1": {"pack": 1}}
    settings.update({f"epsilon {e:g}": {"dp_epsilon": e} for e in epsilons})
    per_setting: dict[str, list[dict]] = {name: [] for name in settings}
    for seed in range(seeds):
        train, test = load("pima", seed, root)
        columns = infer_columns(prepare_table(train))
        for name, options in settings.items():
            torch.set_num_threads(threads)
            gan, seconds = fit(train, seed, steps, threads, {**options, **overrides})
            figures = {"fit_seconds": seconds, "steps": gan.summary_["steps"],
                       "steps_per_second": gan.summary_["steps_per_second"],
                       **score(train, test, gan.sample(len(train), seed=seed), columns, "Outcome", seed)}
            if "privacy" in gan.summary_:
                figures["epsilon_spent"] = gan.summary_["privacy"]["epsilon"]
                figures["noise_multiplier"] = gan.summary_["privacy"]["noise_multiplier"]
            log(f"seed {seed} {name:<12} {figures['steps_per_second']:6.1f} steps/s  quality "
                f"{figures['quality_score']:.3f}  detection AUC {figures['detection_auc']:.3f}  "
                f"F1 {figures['ml_f1_synthetic']:.3f} (real {figures['ml_f1_real']:.3f})")
            per_setting[name].append({k: v for k, v in figures.items() if not k.startswith("shape:")})
    return {"settings": {name: summarise(runs) for name, runs in per_setting.items()}, "runs": per_setting}


def main() -> None:
    from ganforge.privacy.options import PRIVATE_DEFAULTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None, help="steps of every run (default: DP's default)")
    parser.add_argument("--epsilons", default="3,10", help="comma-separated epsilons of the DP runs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dp-only", action="store_true", help="only the DP runs (a sweep of DP options)")
    parser.add_argument("--smoke", action="store_true", help=f"a quick check of every figure: {SMOKE}")
    add_table_options(parser, DATASETS, "folder with pima-diabetes.csv")
    args = parser.parse_args()
    if args.smoke:
        args.seeds, args.steps, args.epsilons = SMOKE["seeds"], SMOKE["steps"], SMOKE["epsilons"]
    steps = args.steps or PRIVATE_DEFAULTS["steps"]
    epsilons = parse_epsilons(args.epsilons)
    overrides = parse_overrides(args.set)
    result = {"smoke": args.smoke, "steps": steps, "seeds": args.seeds, "epsilons": epsilons,
              "overrides": overrides, **environment(),
              **run(args.seeds, steps, epsilons, args.threads, overrides, Path(args.data_root), args.dp_only)}
    emit(result, args.out)


if __name__ == "__main__":
    main()
