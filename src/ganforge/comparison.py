"""Model comparison: train several models on the same data and seed (or read finished runs) into one table."""

from __future__ import annotations

import base64
import json
import math
import sys
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ganforge.config import TrainConfig
from ganforge.errors import UserError
from ganforge.registry import metrics as metric_figures, models
from ganforge.training.summary import read_summary

if TYPE_CHECKING:
    from ganforge.data.base import Dataset

DEFAULT_MODELS = ("gan", "vae", "gmmn", "gmm", "gaussian")
# Each model's own figures from its last log: likelihoods (the VAE's ELBO bounds its own), errors.
FIT_FIGURES = ("log_likelihood", "elbo", "reconstruction", "mmd", "components")
MAXIMUM_LIKELIHOOD = ("gaussian", "gamma", "gmm")
AUTOENCODERS = ("autoencoder", "denoising-autoencoder")
OUTPUTS = ("comparison.json", "comparison.md", "report.html")
# Each run's picture of its samples: points, images (a grid), a table (columns against the real ones).
SAMPLE_PLOTS = ("samples.png", "samples_grid.png", "table_columns.png")


def quality_figures() -> list[str]:
    """Every modality's quality figures, in table order (the `metrics` registry)."""
    import ganforge.metrics.figure_catalog  # noqa: F401  (registers every modality's figures; no torch)

    return [name for name, _ in metric_figures.in_order()]


def model_list(names: str | Sequence[str]) -> list[str]:
    """Checked model names from "gan,vae" or a list: known, not repeated, at least one."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    names = [n for n in names if n]
    if not names:
        raise UserError("--models lists no model; e.g. --models " + ",".join(DEFAULT_MODELS))
    for name in names:
        models.get(name)  # UserError naming the known models
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UserError(f"--models lists {repeated[0]!r} twice")
    return names


def compare(data: str, model_names: str | Sequence[str] = DEFAULT_MODELS, out: str | Path | None = None,
            steps: int | None = None, seed: int = 0, options: dict[str, Any] | None = None,
            dataset: Dataset | None = None, overwrite: bool = False, progress: bool = False) -> list[dict]:
    """Trains each model on the same data and seed into out/<model>/ and writes the comparison to out.

    `options` apply to every model (a model's suggested options fill in what they leave out);
    closed-form fits ignore `steps`. Returns the table: one dict per model.
    """
    # Here, not at the top: comparing finished runs (compare_runs) needs none of the training side.
    from ganforge.data.dataset import load_dataset
    from ganforge.launch import train
    from ganforge.models.catalog import suggested_options
    from ganforge.training.run import check_run_dir

    names = model_list(model_names)
    options = dict(options or {})
    for key in ("data", "model"):
        if key in options:
            raise UserError(f"compare sets {key} itself; give it as --{key} / the argument, not as an option")
    configs = {}
    for name in names:  # every configuration and run directory is checked before anything trains
        values = {**suggested_options(name), **options, "data": data, "model": name, "seed": seed}
        if steps is not None:
            values["steps"] = steps
        configs[name] = TrainConfig.from_dict(values, origin=f"options for {name}")
    if out is not None:
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise UserError(f"--out {out} is a file, not a directory")
        for name in names:
            check_run_dir(out / name, resume=False, overwrite=overwrite)
    dataset = dataset if dataset is not None else load_dataset(data)  # loaded once, shared by every run
    if dataset.kind == "table":  # every model trains on the same rows and is scored on the same holdout
        dataset = split_table(dataset, seed)

    rows = []
    for index, name in enumerate(names, 1):
        if progress:
            print(f"[{index}/{len(names)}] training {name}", file=sys.stderr)
        run_dir = out / name if out is not None else None
        run = train(configs[name], dataset, out=run_dir, overwrite=overwrite, progress=progress)
        summary = dict(run.summary)
        if dataset.kind == "table":
            summary.update(evaluate_table_run(run, dataset, seed, run_dir))
        rows.append(row(summary, run_dir))
    if out is not None:
        write_comparison(rows, out)
    return rows


HOLDOUT_FRACTION = 0.2  # of a table's rows, held out for ML efficacy and privacy
TABLE_EVAL_ROWS = 2000  # synthetic rows each model is scored on


def split_table(dataset: Dataset, seed: int) -> Dataset:
    """The table's training rows (80%) as a Dataset whose meta holds the real holdout (20%),
    stratified on the label (the last discrete column) when every class has two rows or more."""
    from sklearn.model_selection import train_test_split

    from ganforge.data.tabular import table_dataset

    table = dataset.table
    label = next((c for c in reversed(table.columns)
                  if table[c].dtype == object or table[c].dtype == bool or table[c].nunique() <= 2), None)
    counts = table[label].value_counts() if label is not None else None
    stratify = table[label] if counts is not None and len(counts) > 1 and counts.min() >= 2 else None
    if len(table) < 10:
        raise UserError(f"comparing models on a table needs at least 10 rows (a 20% holdout), got {len(table)}")
    train_rows, holdout = train_test_split(table, test_size=HOLDOUT_FRACTION, random_state=seed, stratify=stratify)
    split = table_dataset(train_rows.reset_index(drop=True), dataset.name)
    split.meta.update(dataset.meta)
    split.meta["holdout"] = holdout.reset_index(drop=True)
    return split


def evaluate_table_run(run, dataset: Dataset, seed: int, run_dir: Path | None) -> dict[str, Any]:
    """A trained model's full table figures against the holdout; written to run_dir/evaluation.json."""
    from ganforge.data.table_sampling import sample_table
    from ganforge.metrics.evaluate import evaluate_samples

    dataset.meta["columns"] = run.encoder.columns_
    samples = sample_table(run, TABLE_EVAL_ROWS, seed, allow_copies=True)  # copies are counted, not hidden
    figures = evaluate_samples(dataset, samples, seed, run_dir=run_dir, full=True)
    if run_dir is not None:
        (run_dir / "evaluation.json").write_text(json.dumps({"samples": TABLE_EVAL_ROWS, **figures}, indent=2) + "\n")
        summary = {**run.summary, **{k: v for k, v in figures.items() if isinstance(v, (int, float, str))}}
        (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return figures


def compare_runs(directories: Sequence[str | Path]) -> list[dict]:
    """The table for runs that already exist, from each directory's summary.json and, where
    `ganforge evaluate` wrote one, its evaluation.json (detection, SDMetrics quality, ML efficacy)."""
    if not directories:
        raise UserError("give at least one run directory")
    rows = []
    for directory in map(Path, directories):
        rows.append(row({**read_summary(directory), **evaluation_figures(directory)}, directory))
    return rows


def evaluation_figures(directory: Path) -> dict[str, Any]:
    """The single figures of directory/evaluation.json (`ganforge evaluate`), or {} when there is none."""
    try:
        figures = json.loads((Path(directory) / "evaluation.json").read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(figures, dict):
        return {}
    return {k: v for k, v in figures.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def row(summary: dict[str, Any], run_dir: Path | None) -> dict[str, Any]:
    """One table row from a run's summary: model, run directory, quality figures, fit figures, time."""
    entry: dict[str, Any] = {"model": summary.get("model"), "run": str(run_dir) if run_dir else None,
                             "data": summary.get("data")}
    for key in (*quality_figures(), *FIT_FIGURES, "steps", "wall_seconds", "stopped_because"):
        if key in summary:
            entry[key] = summary[key]
    return entry


def write_comparison(rows: list[dict], out: str | Path) -> list[Path]:
    """comparison.json, comparison.md and report.html (the table and each run's samples) in out."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in OUTPUTS]
    paths[0].write_text(json.dumps(rows, indent=2) + "\n")
    paths[1].write_text(markdown(rows))
    paths[2].write_text(html_report(rows))
    return paths


def columns(rows: list[dict]) -> list[str]:
    """The table's columns: the figures present in any row, in a fixed order."""
    present = {key for r in rows for key in r}
    figures = [k for k in quality_figures() if k in present]
    likelihood = ["log_likelihood"] if present & {"log_likelihood", "elbo"} else []
    # The run directory's name, when it says more than the model's (compare DIR1 DIR2 ...)
    run = ["run"] if any(r.get("run") and Path(r["run"]).name != r.get("model") for r in rows) else []
    return ["model", *run, *figures, *likelihood, "steps", "wall_seconds"]


def cell(entry: dict, key: str) -> str:
    if key == "run":
        return Path(entry["run"]).name if entry.get("run") else "-"
    value = entry.get(key)
    if key == "log_likelihood" and value is None and entry.get("elbo") is not None:
        return f"{_number(entry['elbo'])} (ELBO)"
    return "-" if value is None else _number(value)


def markdown(rows: list[dict]) -> str:
    """The comparison as a Markdown table, followed by the notes that read it."""
    keys = columns(rows)
    lines = ["| " + " | ".join(keys) + " |", "|" + "|".join("---" for _ in keys) + "|"]
    lines += ["| " + " | ".join(cell(r, k) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {note}" for note in notes(rows)) + "\n"


def notes(rows: list[dict]) -> list[str]:
    """Plain sentences under the table: what the columns mean and what the figures show."""
    found = {r.get("model"): r for r in rows}
    said = []
    data = sorted({str(r.get("data")) for r in rows})
    said.append(f"Data: {', '.join(data)}." + (" The runs were trained on different data: compare with care."
                                                if len(data) > 1 else ""))
    if any("log_likelihood" in r or "elbo" in r for r in rows):
        said.append("log_likelihood: mean log-density per training point in the standardised space; "
                    "the VAE's ELBO is a lower bound of its own. Higher is better.")
        if any("quality_score" in r for r in rows):
            said.append("On a table the maximum-likelihood fits see each column standardised, the neural models "
                        "its mode-specific encoding: their likelihoods compare among the fits only.")
    if any("ml_f1_synthetic" in r for r in rows):
        said.append("ml_f1_synthetic / ml_f1_real: F1 of the minority class on the real holdout (20% of the rows, "
                    "the same for every model), averaged over four classifiers trained on synthetic / real rows.")
    if any("membership_auc" in r for r in rows):
        said.append("membership_auc: ROC AUC of the stronger membership-inference attack (distance to the closest "
                    "synthetic row, or DOMIAS's density ratio) telling training rows from held-out ones; "
                    "0.5 is guessing. Lower is better.")
    fits = [m for m in MAXIMUM_LIKELIHOOD if m in found]
    if fits:
        said.append(f"The maximum-likelihood fits ({', '.join(fits)}) are the floor a neural model must clear.")
    if "independent" in found:
        said.append("independent draws each column from its own marginal: it scores high on column shapes and "
                    "fails on pair trends, detection and ML efficacy. A model that does no better there has "
                    "learnt no relation between columns.")
    quality = next((key for key in ("high_quality_fraction", "quality_score", "fid")
                    if any(key in r for r in rows)), "js_divergence")
    for name in AUTOENCODERS:
        if name in found and "vae" in found and quality in found[name] and quality in found["vae"]:
            error = found[name].get("reconstruction")
            said.append(
                f"The {name} reconstructs its inputs (squared error {_number(error)} per column); its samples "
                f"decode draws from a Gaussian fitted to its unregularised codes: {quality} "
                f"{_number(found[name][quality])}, against {_number(found['vae'][quality])} for the VAE, "
                f"whose KL term shapes its code space.")
    return said


def html_report(rows: list[dict]) -> str:
    """A self-contained page: the table, the notes, and each run's samples plot side by side."""
    keys = columns(rows)
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell(r, k))}</td>" for k in keys) + "</tr>" for r in rows)
    items = "".join(f"<li>{escape(note)}</li>" for note in notes(rows))
    figures = []
    for r in rows:
        plots = [Path(r["run"]) / "plots" / name for name in SAMPLE_PLOTS] if r.get("run") else []
        image = next((path for path in plots if path.is_file()), None)
        label = escape(str(r.get("model")) + (f" ({Path(r['run']).name})" if "run" in keys else ""))
        if image is not None and image.is_file():
            data = base64.b64encode(image.read_bytes()).decode("ascii")
            inner = f'<img alt="samples of {label}" src="data:image/png;base64,{data}">'
        else:
            inner = "<p>no samples plot</p>"
        figures.append(f"<figure>{inner}<figcaption>{label}</figcaption></figure>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ganforge comparison</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
.samples {{ display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-end; }}
figure {{ margin: 0; }} figure img {{ height: 280px; }} figcaption {{ text-align: center; }}
</style></head><body>
<h1>Model comparison</h1>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<ul>{items}</ul>
<h2>Samples</h2>
<p>Each model's samples: points against the real ones (grey) at the start, middle and end of its training;
images as a grid; a table's columns against the real ones.</p>
<div class="samples">{"".join(figures)}</div>
</body></html>
"""


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)
