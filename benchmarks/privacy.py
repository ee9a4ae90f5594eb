"""ganforge's tables with and without differential privacy: what each epsilon costs in quality and
buys against membership inference. Prints JSON.

    .venv/bin/python benchmarks/privacy.py --datasets pima --seeds 1
    .venv/bin/python benchmarks/privacy.py --datasets adult --seeds 1
    .venv/bin/python benchmarks/privacy.py --smoke       # Pima, 1 seed, no DP and epsilon 3, 2 epochs: seconds

Datasets and splits are benchmarks/tabular.py's (Pima 80/20 stratified on Outcome, a new split per
seed; Adult's own train and test files without the rows holding '?'). Rows: ganforge at its
defaults (no DP), then with --dp-epsilon at each of --epsilons (DP-SGD on D, delta at ganforge's
default unless --delta is given). Each draws as many rows as the training set has, scored as
benchmarks/tabular.py scores them (SDMetrics quality, detection AUC, ML-efficacy F1 beside the real
rows' F1, DCR) plus the membership-inference audit of `ganforge evaluate --real` (members: the
training rows, non-members: the test rows), and reports fit seconds and the epsilon and delta spent.
`targets`: issue 16's, each true or false.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import add_table_options, emit, environment, log, parse_epsilons, parse_overrides  # noqa: E402
from tabular import DATASETS, load, score, summarise  # noqa: E402

DEFAULT_EPSILONS = "1,3,10"
SMOKE = {"datasets": "pima", "seeds": 1, "epsilons": "3", "epochs": 2}
TARGET_COLUMN = {"pima": "Outcome", "adult": "label"}
NO_DP = "no_dp"
# Every figure each row's JSON carries (the smoke test checks them all); a no-DP row spends no epsilon.
FIGURES = ("fit_seconds", "quality_score", "detection_auc", "ml_f1_synthetic", "ml_f1_real", "dcr_ratio",
           "membership_auc", "membership_auc_dcr", "membership_auc_domias", "membership_tpr_at_fpr_0.01")
DP_FIGURES = ("epsilon_spent", "delta")


def row_name(epsilon: float | None) -> str:
    return NO_DP if epsilon is None else f"epsilon_{epsilon:g}"


def fit(train, epsilon: float | None, delta: float | None, epochs: float | None, seed: int, threads: int,
        overrides: dict):
    """ganforge at its defaults, with DP-SGD at `epsilon` when given: (sample, seconds, privacy block)."""
    from ganforge import GAN

    options = {**({"epochs": epochs} if epochs else {}), **overrides}
    if epsilon is not None:
        options.update({"dp_epsilon": epsilon, **({"dp_delta": delta} if delta is not None else {})})
    started = time.perf_counter()
    gan = GAN(seed=seed, threads=threads, **options).fit(train, progress=False)
    seconds = time.perf_counter() - started
    return (lambda n: gan.sample(n, seed=seed)), seconds, gan.summary_.get("privacy") or {}


def audit(train, test, synthetic, columns, seed: int) -> dict:
    """The membership-inference figures of `ganforge evaluate --real`, flat."""
    from ganforge.metrics.membership import membership_figures

    figures, _ = membership_figures(train, synthetic, test, columns, seed)
    report = figures["membership_inference"]
    attacks = report["attacks"]
    stronger = attacks[report["stronger_attack"]]
    return {"membership_auc": figures["membership_auc"],
            **{f"membership_auc_{name}": attack["auc"] for name, attack in attacks.items()},
            "membership_auc_standard_error": stronger["auc_standard_error"],
            "membership_tpr_at_fpr_0.01": stronger["tpr_at_fpr_0.01"],
            "membership_tpr_at_fpr_0.1": stronger["tpr_at_fpr_0.1"],
            "membership_members": report["members"], "membership_verdict": report["verdict"]}


def run_dataset(name: str, epsilons: list[float], delta: float | None, seeds: int, epochs: float | None,
                threads: int, overrides: dict, root: Path) -> dict:
    from ganforge.data.tabular import infer_columns, prepare_table

    per_row: dict[str, list[dict]] = {row_name(e): [] for e in [None, *epsilons]}
    for seed in range(seeds):
        train, test = load(name, seed, root)
        columns = infer_columns(prepare_table(train))
        log(f"{name} seed {seed}: {len(train)} train rows, {len(test)} test rows")
        for epsilon in [None, *epsilons]:
            torch.set_num_threads(threads)
            sample, seconds, privacy = fit(train, epsilon, delta, epochs, seed, threads, overrides)
            synthetic = sample(len(train))
            figures = {"fit_seconds": seconds,
                       **score(train, test, synthetic, columns, TARGET_COLUMN[name], seed),
                       **audit(train, test, synthetic[[c["name"] for c in columns]], columns, seed)}
            if epsilon is not None:
                spent = privacy.get("epsilon_spent", privacy.get("epsilon"))  # the accountant's epsilon, either name
                figures.update({"epsilon_spent": spent, "delta": privacy.get("delta")})
            figures = {k: v for k, v in figures.items() if not k.startswith("shape:")}
            log(f"  {row_name(epsilon):<12} {seconds:7.1f} s  quality {figures['quality_score']:.3f}  detection AUC "
                f"{figures['detection_auc']:.3f}  F1 {figures['ml_f1_synthetic']:.3f} (real {figures['ml_f1_real']:.3f})"
                f"  membership AUC {figures['membership_auc']:.3f}")
            per_row[row_name(epsilon)].append(figures)
    rows = {row: summarise(runs) for row, runs in per_row.items()}
    return {"seeds": seeds, "train_rows": len(train), "test_rows": len(test), "epsilons": epsilons,
            "rows": rows, "targets": targets(name, rows, epsilons), "runs": per_row}


def targets(name: str, rows: dict[str, dict], epsilons: list[float]) -> dict:
    """Issue 16's targets, each true or false (means over seeds); the no-DP row's audit has none: it is
    reported as it is."""
    mean = lambda row, key: rows[row][key]["mean"]  # noqa: E731
    checks = {f"membership_auc_at_most_0.55_at_{row_name(e)}": mean(row_name(e), "membership_auc") <= 0.55
              for e in epsilons}
    if name == "adult" and 3 in epsilons:
        checks["f1_at_least_0.55_at_epsilon_3"] = mean("epsilon_3", "ml_f1_synthetic") >= 0.55
        checks["quality_at_least_0.85_at_epsilon_3"] = mean("epsilon_3", "quality_score") >= 0.85
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="pima,adult", help="comma-separated: pima, adult")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--epsilons", default=DEFAULT_EPSILONS, help="comma-separated DP budgets, besides no DP")
    parser.add_argument("--delta", type=float, default=None, help="DP delta (default: ganforge's)")
    parser.add_argument("--epochs", type=float, default=None, help="ganforge's epochs (default: its own budget)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--smoke", action="store_true",
                        help="a check that everything runs: Pima, 1 seed, no DP and epsilon 3, 2 epochs (not a measurement)")
    add_table_options(parser, DATASETS, "folder with pima-diabetes.csv and adult/")
    args = parser.parse_args()
    if args.smoke:
        args.datasets, args.seeds, args.epsilons = SMOKE["datasets"], SMOKE["seeds"], SMOKE["epsilons"]
        args.epochs = args.epochs or SMOKE["epochs"]
    epsilons = parse_epsilons(args.epsilons)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    overrides = parse_overrides(args.set)
    result = {"environment": environment(), "threads": args.threads, "smoke": args.smoke,
              "ganforge_options": overrides, "epochs": args.epochs, "figures": [*FIGURES, *DP_FIGURES]}
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        if name not in TARGET_COLUMN:
            raise SystemExit(f"error: unknown dataset {name!r} (pima, adult)")
        result[name] = run_dataset(name, epsilons, args.delta, args.seeds, args.epochs, args.threads, overrides,
                                   Path(args.data_root))
    emit(result, args.out)


if __name__ == "__main__":
    main()
