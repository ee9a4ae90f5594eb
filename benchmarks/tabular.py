"""ganforge against CTGAN on tables, side by side in one process: fit time, SDMetrics quality,
ML efficacy (SDGym's binary protocol), DCR. Prints JSON.

    pip install -c constraints.txt -e ".[bench]"      # the ctgan package, for this benchmark only
    .venv/bin/python benchmarks/tabular.py --datasets pima --seeds 3
    .venv/bin/python benchmarks/tabular.py --datasets adult --seeds 1 --epochs 10

Both models train for the same number of epochs (passes over the training rows: CTGAN's own
definition, max(1, rows // batch) steps an epoch) with the same torch thread count, on the same
split; both are scored by the same functions against the same real rows. The discrete columns
given to CTGAN are the ones ganforge infers. Pima: 80/20 split stratified on Outcome, a new split
per seed. Adult: adult.data to train, adult.test to test (its first line skipped, the labels'
trailing '.' removed).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, environment, log, parse_overrides  # noqa: E402

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
                 "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week",
                 "native-country", "label"]
DEFAULT_EPOCHS = {"pima": 300, "adult": 300}


def load(name: str, seed: int, root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) of a benchmark dataset."""
    from sklearn.model_selection import train_test_split

    if name == "pima":
        frame = pd.read_csv(root / "pima-diabetes.csv")
        train, test = train_test_split(frame, test_size=0.2, stratify=frame["Outcome"], random_state=seed)
        return train.reset_index(drop=True), test.reset_index(drop=True)
    if name == "adult":
        read = dict(names=ADULT_COLUMNS, skipinitialspace=True, na_values=[], keep_default_na=False)
        train = pd.read_csv(root / "adult" / "adult.data", **read)
        test = pd.read_csv(root / "adult" / "adult.test", skiprows=1, **read)
        test["label"] = test["label"].str.rstrip(".")
        return train, test
    raise SystemExit(f"error: unknown dataset {name!r} (pima, adult)")


def fit_ganforge(train: pd.DataFrame, epochs: int, seed: int, threads: int, overrides: dict):
    from ganforge import GAN

    from ganforge.data.table_encoder import table_defaults

    batch = overrides.get("batch_size", table_defaults("gan")["batch_size"])
    steps = epochs * max(1, len(train) // batch)
    started = time.perf_counter()
    gan = GAN(**{"steps": steps, "seed": seed, "threads": threads, **overrides}).fit(train, progress=False)
    seconds = time.perf_counter() - started
    return gan, seconds, steps


def fit_ctgan(train: pd.DataFrame, discrete: list[str], epochs: int, seed: int):
    from ctgan import CTGAN

    torch.manual_seed(seed)
    np.random.seed(seed)
    model = CTGAN(epochs=epochs, verbose=False)
    started = time.perf_counter()
    model.fit(train, discrete_columns=discrete)
    seconds = time.perf_counter() - started
    if hasattr(model, "set_random_state"):
        model.set_random_state(seed)
    return model, seconds


def score(train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame, columns: list[dict],
          target: str, seed: int) -> dict:
    from ganforge.metrics.table_utility import ml_efficacy, privacy
    from ganforge.metrics.tabular import sdmetrics_quality

    figures = sdmetrics_quality(train, synthetic, columns, seed)
    figures.update(ml_efficacy(train, synthetic, test, columns, target, seed))
    figures.update(privacy(train, synthetic, test, columns, seed))
    return {k: v for k, v in figures.items() if not k.startswith("ml_f1_real_") and not k.startswith("ml_f1_synthetic_")}


def summarise(runs: list[dict]) -> dict:
    """Mean and standard deviation over seeds of every numeric figure."""
    out = {}
    for key in runs[0]:
        values = [r[key] for r in runs if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
        if len(values) == len(runs):
            out[key] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
    return out


def run_dataset(name: str, epochs: int, seeds: int, threads: int, overrides: dict, with_ctgan: bool,
                root: Path) -> dict:
    from ganforge.data.tabular import infer_columns, prepare_table

    target = {"pima": "Outcome", "adult": "label"}[name]
    per_model = {"ganforge": [], "ctgan": []}
    for seed in range(seeds):
        train, test = load(name, seed, root)
        columns = infer_columns(prepare_table(train))
        discrete = [c["name"] for c in columns if c["kind"] == "categorical"]
        log(f"{name} seed {seed}: {len(train)} train rows, {len(test)} test rows, discrete {discrete}")
        gan, seconds, steps = fit_ganforge(train, epochs, seed, threads, overrides)
        synthetic = gan.sample(len(train), seed=seed)
        figures = {"fit_seconds": seconds, "steps": steps, **score(train, test, synthetic, columns, target, seed)}
        log(f"  ganforge: {seconds:.1f} s, quality {figures['quality_score']:.3f}, F1 {figures['ml_f1_synthetic']:.3f}")
        per_model["ganforge"].append(figures)
        if with_ctgan:
            model, seconds = fit_ctgan(train, discrete, epochs, seed)
            synthetic = model.sample(len(train))
            figures = {"fit_seconds": seconds, **score(train, test, synthetic, columns, target, seed)}
            log(f"  ctgan:    {seconds:.1f} s, quality {figures['quality_score']:.3f}, F1 {figures['ml_f1_synthetic']:.3f}")
            per_model["ctgan"].append(figures)
    result = {"epochs": epochs, "seeds": seeds, "train_rows": len(train), "test_rows": len(test),
              "ganforge": summarise(per_model["ganforge"])}
    if with_ctgan:
        ours, theirs = result["ganforge"], summarise(per_model["ctgan"])
        result["ctgan"] = theirs
        result["comparison"] = {
            "fit_time_ratio": ours["fit_seconds"]["mean"] / theirs["fit_seconds"]["mean"],
            "quality_delta": ours["quality_score"]["mean"] - theirs["quality_score"]["mean"],
            "f1_delta": ours["ml_f1_synthetic"]["mean"] - theirs["ml_f1_synthetic"]["mean"],
            "target_quality_plus_0.05": ours["quality_score"]["mean"] >= theirs["quality_score"]["mean"] + 0.05,
            "target_f1_at_least_ctgan": ours["ml_f1_synthetic"]["mean"] >= theirs["ml_f1_synthetic"]["mean"],
            "target_fit_time_half": ours["fit_seconds"]["mean"] <= 0.5 * theirs["fit_seconds"]["mean"],
        }
        if name == "adult":
            result["comparison"]["target_f1_0.64"] = ours["ml_f1_synthetic"]["mean"] >= 0.64
    result["runs"] = per_model
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="pima,adult", help="comma-separated: pima, adult")
    parser.add_argument("--epochs", type=int, default=None, help="epochs for both models (default: pima 300, adult 300)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both models")
    parser.add_argument("--no-ctgan", action="store_true", help="ganforge only")
    parser.add_argument("--data-root", default=str(DATASETS), help="folder with pima-diabetes.csv and adult/")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a ganforge option")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    # torch imports its compiler (~5 s) at the first optimiser; pay it before any model is timed,
    # so the model timed first (ganforge) is not charged for it.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    overrides = parse_overrides(args.set)
    result = {"environment": environment(), "threads": args.threads, "ganforge_options": overrides}
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        epochs = args.epochs or DEFAULT_EPOCHS[name]
        result[name] = run_dataset(name, epochs, args.seeds, args.threads, overrides, not args.no_ctgan,
                                   Path(args.data_root))
    emit(result, args.out)


if __name__ == "__main__":
    main()
