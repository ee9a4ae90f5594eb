"""Tables at scale: encoder fit, memory, step rate and sampling time of one model on 10k, 100k and 1M rows.

Run from the repository root:

    .venv/bin/python benchmarks/table_scale.py                            # 10k, 100k, 1M rows; 200 steps
    .venv/bin/python benchmarks/table_scale.py --sizes 10000,100000 --steps 100 --out scale.json
    .venv/bin/python benchmarks/table_scale.py --smoke                    # 1k and 2k rows, a few steps

Each size gets a seeded table of 20 columns (continuous with an 80% point mass at zero, skewed,
bimodal, with missing values; integers; booleans; dates; categories of 3 to 40 values; and one
column of --zipf-levels (5,000) Zipf-distributed categories, named with --discrete as a user who
knows it is a category would), written to a .parquet file so the run reads it as a user's does.
Two subprocesses per size, so each peak is its own: "fit" (ganforge train: read, encoder fit,
--steps steps, writing the run) and "sample" (load the run, sample --sample-rows rows to a
.parquet in chunks). The reference is the same model on the 10k table (the smallest size with
--smoke), measured in the same run and added to --sizes when missing.

Prints one JSON object: `sizes`, one entry per size with rows, columns, encoder_fit_seconds,
fit_seconds (read + fit + train, end to end), steps_per_second, rows_per_second (steps/s x batch),
steps_per_second_vs_reference and rows_per_second_vs_reference, peak_rss_fit_mb (the fit/training
process's peak resident memory), sample_rows, sampling_seconds, peak_rss_sampling_mb; plus
`reference_rows`, the settings and the machine. A size whose process fails, or passes
--memory-limit-gb (it is stopped), carries `error` instead of its figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from common import emit, environment, log, parse_overrides  # benchmarks/common.py

REFERENCE_ROWS = 10_000
SMOKE = {"sizes": [1_000, 2_000], "steps": 4, "sample_rows": 3_000, "zipf_levels": 200,
         "set": {"log_every": 2, "eval_samples": 256, "batch_size": 128}}
ZIPF_EXPONENT = 1.1


def make_table(rows: int, seed: int, zipf_levels: int) -> pd.DataFrame:
    """The 20-column mixed table, the same for a seed."""
    rng = np.random.default_rng(seed)
    n = rows
    gain = np.where(rng.random(n) < 0.8, 0.0, rng.lognormal(8, 1, n).round(0))  # 80% zeros, like capital-gain
    bimodal = np.where(rng.random(n) < 0.4, rng.normal(-2, 0.5, n), rng.normal(3, 1, n)).round(3)
    ranks = np.arange(1, zipf_levels + 1)
    zipf = rng.choice(zipf_levels, size=n, p=ranks ** -ZIPF_EXPONENT / (ranks ** -ZIPF_EXPONENT).sum())
    missing = rng.random(n)
    table = pd.DataFrame({
        "gain": gain,
        "income": rng.lognormal(10, 0.8, n).round(2),
        "bimodal": bimodal,
        "wait": rng.exponential(3, n).round(2),
        "share": rng.random(n).round(4),
        "score": np.where(missing < 0.1, np.nan, rng.normal(50, 10, n).round(1)),
        "ratio": np.where(missing > 0.8, np.nan, (bimodal * 0.5 + rng.normal(0, 1, n)).round(3)),
        "visits": rng.poisson(12, n),
        "age": rng.integers(17, 91, n),
        "losses": np.where(rng.random(n) < 0.6, 0, rng.geometric(0.05, n)),
        "member": rng.random(n) < 0.3,
        "opted_in": pd.array(np.where(missing < 0.05, None, rng.random(n) < 0.5), dtype="boolean"),
        "joined": pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), unit="D"),
        "tier": rng.choice(["gold", "silver", "bronze"], n, p=[0.1, 0.3, 0.6]),
        "region": rng.choice([f"r{i}" for i in range(8)], n),
        "channel": rng.choice([f"c{i:02d}" for i in range(15)], n),
        "device": np.where(missing < 0.05, None, rng.choice(["web", "ios", "android", "tv"], n)).astype(object),
        "product": rng.choice([f"p{i:02d}" for i in range(40)], n, p=np.arange(40, 0, -1) / 820),
        "postcode": np.array([f"Z{i:05d}" for i in range(zipf_levels)], dtype=object)[zipf],
        "label": (bimodal > 0).astype(int) ^ (rng.random(n) < 0.1),
    })
    return table


def fit_phase(args) -> dict:
    """In a child process: ganforge train on the table's file; its figures and this process's peak."""
    from ganforge.api import GAN

    started = time.perf_counter()
    gan = GAN(**json.loads(args.options)).fit(args.table, out=args.run, progress=False)
    seconds = time.perf_counter() - started
    summary = gan.summary_
    return {"encoder_fit_seconds": summary["encoder_fit_seconds"], "fit_seconds": seconds,
            "steps": summary["steps"], "steps_per_second": summary["steps_per_second"],
            "batch_size": gan.config_.batch_size, "peak_rss_fit_mb": peak_rss_mb()}


def sample_phase(args) -> dict:
    """In a child process: load the run and write --sample-rows rows to a .parquet, as `ganforge sample` does."""
    from ganforge.api import load

    gan = load(args.run)
    started = time.perf_counter()
    path = gan.sample_to_file(Path(args.run) / "samples.parquet", args.sample_rows, seed=1, overwrite=True)
    seconds = time.perf_counter() - started
    written = len(pd.read_parquet(path, columns=["label"]))
    return {"sample_rows": written, "sampling_seconds": seconds, "peak_rss_sampling_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(phase: str, extra: list[str], limit_gb: float, timeout: float) -> dict:
    """Runs this script's `phase` in a subprocess; stops it past limit_gb of resident memory or timeout."""
    command = [sys.executable, __file__, "--phase", phase, *extra]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped: list[str] = []

    def watch() -> None:
        status = Path(f"/proc/{child.pid}/status")
        while child.poll() is None:
            try:
                rss = next(int(l.split()[1]) for l in status.read_text().splitlines() if l.startswith("VmRSS:"))
            except (OSError, StopIteration, ValueError):
                break
            if rss > limit_gb * 2**20:
                stopped.append(f"passed the {limit_gb:g} GB memory limit; stopped")
                child.kill()
                break
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return {"error": f"{phase}: took over {timeout:g} s; stopped"}
    watcher.join()
    if stopped:
        return {"error": f"{phase}: {stopped[0]}"}
    if child.returncode != 0:
        lines = (err.strip() or out.strip() or "no output").splitlines()
        return {"error": f"{phase}: exit {child.returncode}: {lines[-1][:300]}"}
    return json.loads(out.strip().splitlines()[-1])


def measure(rows: int, args, options: dict, folder: Path) -> dict:
    log(f"{rows:,} rows: writing the table")
    table_path = folder / f"table_{rows}.parquet"
    table = make_table(rows, args.seed, args.zipf_levels)
    table.to_parquet(table_path)
    columns = table.shape[1]
    del table
    run = folder / f"run_{rows}"
    common = ["--table", str(table_path), "--run", str(run)]
    log(f"{rows:,} rows: fit and {args.steps} steps")
    result = {"rows": rows, "columns": columns,
              **run_child("fit", [*common, "--options", json.dumps(options)], args.memory_limit_gb, args.timeout)}
    if "error" not in result:
        log(f"{rows:,} rows: sampling {args.sample_rows:,} rows")
        result.update(run_child("sample", [*common, "--sample-rows", str(args.sample_rows)],
                                args.memory_limit_gb, args.timeout))
    if "steps_per_second" in result:
        result["rows_per_second"] = result["steps_per_second"] * result["batch_size"]
    log(f"{rows:,} rows: {json.dumps(result)}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated row counts")
    parser.add_argument("--steps", type=int, default=200, help="training steps at each size")
    parser.add_argument("--sample-rows", type=int, default=1_000_000, help="rows sampled from each size's model")
    parser.add_argument("--zipf-levels", type=int, default=5_000, help="categories of the Zipf-distributed column")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a TrainConfig option")
    parser.add_argument("--memory-limit-gb", type=float, default=8.0, help="stop a process past this resident memory")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds each process may take")
    parser.add_argument("--smoke", action="store_true", help="1k and 2k rows, a few steps: checks the script works")
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--phase", choices=["fit", "sample"], help=argparse.SUPPRESS)  # the child processes
    parser.add_argument("--table", help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--options", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps((fit_phase if args.phase == "fit" else sample_phase)(args)))
        return
    overrides = parse_overrides(args.set)
    if args.smoke:
        sizes, args.steps, args.sample_rows = SMOKE["sizes"], SMOKE["steps"], SMOKE["sample_rows"]
        args.zipf_levels, overrides = SMOKE["zipf_levels"], {**SMOKE["set"], **overrides}
        reference = min(sizes)
    else:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        reference = REFERENCE_ROWS
        sizes = sorted(set(sizes) | {reference})
    options = {"seed": args.seed, **overrides, "steps": args.steps, "discrete": "postcode"}
    with tempfile.TemporaryDirectory(prefix="table_scale_") as folder:
        results = [measure(rows, args, options, Path(folder)) for rows in sizes]
    base = next(r for r in results if r["rows"] == reference)
    for result in results:
        for key in ("steps_per_second", "rows_per_second"):
            if key in result and key in base:
                result[f"{key}_vs_reference"] = result[key] / base[key]
    emit({"benchmark": "table_scale", "reference_rows": reference, "steps": args.steps,
          "sample_rows": args.sample_rows, "zipf_levels": args.zipf_levels, "options": options,
          "smoke": args.smoke, "sizes": results, "environment": environment()}, args.out)


if __name__ == "__main__":
    main()
