"""Sampling with the discriminator against plain sampling, on the same trained runs. Prints JSON.

    .venv/bin/python benchmarks/refine.py --datasets ring8,grid25 --seeds 11,12,13,14,15
    .venv/bin/python benchmarks/refine.py --datasets pima,adult --seeds 1
    .venv/bin/python benchmarks/refine.py --datasets digits --seeds 1      # or an images path (MNIST's IDX files)
    .venv/bin/python benchmarks/refine.py --smoke      # ring8 and Pima, 1 seed, short runs: every key, in a minute or two

Each run trains once with the default options (or --steps / --set), then `ganforge.evaluate`
scores n plain samples and the same n refined by each method (DRS, MH, Langevin), with D
calibrated once per run: toy data on fresh draws of its law, a table on its 20% held-out rows
(Pima: stratified on Outcome; Adult: adult.test), images on the training images. Figures: the
modality's evaluation (toy: modes, high-quality fraction, reverse KL; tables: SDMetrics quality,
detection AUC, ML-efficacy F1; images: FID, KID, precision, recall, class TVD) with the
sampling cost (acceptance rate, proposals per sample, samples/s). Targets from issue 13.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, environment, log, parse_overrides  # noqa: E402

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
METHODS = ("drs", "mh", "langevin")
FIGURES = {"toy": ("modes_covered", "modes_total", "high_quality_fraction", "reverse_kl", "js_divergence"),
           "table": ("quality_score", "detection_auc", "ml_f1_synthetic", "ml_f1_real"),
           "images": ("fid", "kid", "precision", "recall", "class_tvd")}
COST = ("acceptance_rate", "proposals_per_sample", "samples_per_second")
SMOKE = {"datasets": "ring8,pima", "seeds": "1", "steps": 100, "samples": 400}


def table_sources(name: str, seed: int, folder: Path) -> tuple[str, str]:
    """(training CSV, held-out CSV) for pima (80/20, stratified on Outcome) or adult (data / test)."""
    import pandas as pd

    if name == "pima":
        from sklearn.model_selection import train_test_split

        table = pd.read_csv(DATASETS / "pima-diabetes.csv")
        train, test = train_test_split(table, test_size=0.2, random_state=seed, stratify=table["Outcome"])
    else:
        columns = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
                   "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week",
                   "native-country", "label"]
        read = lambda path, skip: pd.read_csv(path, names=columns, skiprows=skip, skipinitialspace=True)  # noqa: E731
        train, test = read(DATASETS / "adult.data", 0), read(DATASETS / "adult.test", 1)
        test["label"] = test["label"].str.rstrip(".")
        train, test = (t[~(t == "?").any(axis=1)] for t in (train, test))
    paths = folder / f"{name}-train.csv", folder / f"{name}-test.csv"
    train.to_csv(paths[0], index=False)
    test.to_csv(paths[1], index=False)
    return str(paths[0]), str(paths[1])


def one_run(name: str, seed: int, args, overrides: dict, folder: Path) -> dict:
    from ganforge.api import GAN, evaluate

    data, real = (table_sources(name, seed, folder) if name in ("pima", "adult") else (name, None))
    options = {"seed": seed, **({"steps": args.steps} if args.steps else {}), **overrides}
    start = time.perf_counter()
    out = folder / f"{name}-{seed}"
    GAN(**options).fit(data, out=out, overwrite=True, progress=False)
    result = {"seed": seed, "train_seconds": time.perf_counter() - start}
    for method in args.methods:
        figures = evaluate(out, n=args.samples, seed=seed, real=real, refine=method,
                           refine_options={"score": args.score})
        kind = "table" if real else ("images" if "fid" in figures else "toy")
        keep = [k for k in FIGURES[kind] if k in figures]
        result["kind"] = kind
        result["plain"] = {k: figures[k] for k in keep}
        refined = figures["refined"]
        result[method] = {**{k: refined.get(k) for k in keep}, **{k: refined["cost"][k] for k in COST},
                          "ece_before": refined["calibration"]["ece_before"],
                          "ece_after": refined["calibration"]["ece_after"]}
        log(f"{name} seed {seed} {method}: " + ", ".join(f"{k} {result['plain'][k]:.4g} -> {result[method][k]:.4g}"
                                                         for k in keep if isinstance(result[method][k], float)))
    return result


def summarise(runs: list[dict], methods: list[str]) -> dict:
    """Mean and spread of every figure over seeds, for plain sampling and each method."""
    out = {}
    for side in ["plain", *methods]:
        keys = runs[0][side].keys()
        out[side] = {k: {"mean": float(np.mean([r[side][k] for r in runs])),
                         "std": float(np.std([r[side][k] for r in runs]))}
                     for k in keys if all(isinstance(r[side][k], (int, float)) for r in runs)}
    return out


def targets(name: str, kind: str, runs: list[dict], methods: list[str]) -> dict:
    """Issue 13's targets, per method: True where reached on every seed."""
    reached = {}
    for m in methods:
        if kind == "toy" and name in ("ring8", "grid25"):
            floor = 0.98 if name == "ring8" else 0.97
            reached[f"{m}:high_quality_at_least_{floor}_all_modes"] = all(
                r[m]["high_quality_fraction"] >= floor and r[m]["modes_covered"] == r["plain"]["modes_total"]
                for r in runs)
        if kind == "table":
            reached[f"{m}:detection_auc_0.05_lower"] = all(
                r[m]["detection_auc"] <= r["plain"]["detection_auc"] - 0.05 for r in runs)
        if kind == "images":
            reached[f"{m}:fid_10_percent_lower"] = all(r[m]["fid"] <= 0.9 * r["plain"]["fid"] for r in runs)
    return reached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="ring8,grid25")
    parser.add_argument("--seeds", default="11,12,13,14,15")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the run defaults)")
    parser.add_argument("--samples", type=int, default=2500)
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE training option")
    parser.add_argument("--score", default="row", choices=("row", "pack"), help="how a packed D scores (tables)")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)
    torch.set_num_threads(1)
    args.methods = [m for m in args.methods.split(",") if m]
    overrides = parse_overrides(args.set)
    result = {"smoke": bool(args.smoke), **environment(), "methods": args.methods, "samples": args.samples,
              "score": args.score,
              "datasets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in [d for d in args.datasets.split(",") if d]:
            runs = [one_run(name, int(seed), args, overrides, Path(tmp)) for seed in args.seeds.split(",")]
            kind = runs[0]["kind"]
            result["datasets"][name] = {"kind": kind, "seeds": [r["seed"] for r in runs], "runs": runs,
                                        "summary": summarise(runs, args.methods),
                                        "targets": targets(name, kind, runs, args.methods)}
    emit(result, args.out)


if __name__ == "__main__":
    main()
